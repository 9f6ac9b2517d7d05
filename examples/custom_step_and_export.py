"""A regression Estimator with its own step counter and a broken export.

- The model_fn counts with a variable of its own, so the Estimator's `global_step` never moves (TSL102).
- The export passes `variables_to_save`, which `export_saved_model` does not have: a TypeError, after training (TSL201).
- `export_savedmodel` no longer exists on the TF2 Estimator: an AttributeError, after training (TSL202).
"""
import numpy as np
import tensorflow as tf


def model_fn(features, labels, mode, params):
    w = tf.compat.v1.get_variable("w", [3, 1])
    predictions = tf.matmul(features["x"], w)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"y": predictions})
    loss = tf.compat.v1.losses.mean_squared_error(labels, predictions)
    global_step = tf.Variable(0, name="my_global_step", trainable=False)
    learning_rate = tf.compat.v1.train.exponential_decay(params["lr"], global_step, 1000, 0.96)
    optimizer = tf.compat.v1.train.GradientDescentOptimizer(learning_rate)
    train_op = optimizer.minimize(loss, global_step=global_step)
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def input_fn():
    x = np.random.rand(64, 3).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    return tf.data.Dataset.from_tensor_slices(({"x": x}, y)).repeat().batch(8)


def serving_input_receiver_fn():
    x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
    return tf.estimator.export.ServingInputReceiver({"x": x}, {"x": x})


def main():
    estimator = tf.estimator.Estimator(model_fn=model_fn, model_dir="/tmp/regression", params={"lr": 0.1})
    estimator.train(input_fn, max_steps=1000)
    estimator.export_saved_model("/tmp/export", serving_input_receiver_fn, variables_to_save={"w": None})
    estimator.export_savedmodel("/tmp/export", serving_input_receiver_fn, strip_default_attrs=True)


if __name__ == "__main__":
    main()
