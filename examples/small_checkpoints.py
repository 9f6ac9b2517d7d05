"""An Estimator whose checkpoints were made smaller by saving only the trainable variables.

- The Scaffold's Saver leaves out the global step, so predict, evaluate and export fail with "Key global_step not
  found in checkpoint" (TSL203). Its fix drops `var_list` and so saves every variable: unsafe, because checkpoints
  grow; `--fix` leaves it to `--fix --unsafe-fixes`.
"""
import numpy as np
import tensorflow as tf

v1 = tf.compat.v1


def model_fn(features, labels, mode):
    w = v1.get_variable("w", [3, 1])
    predictions = tf.matmul(features["x"], w)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"y": predictions})
    loss = v1.losses.mean_squared_error(labels, predictions)
    train_op = v1.train.AdamOptimizer(0.01).minimize(loss, global_step=v1.train.get_or_create_global_step())
    saver = v1.train.Saver(v1.trainable_variables(), max_to_keep=2)
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, scaffold=v1.train.Scaffold(saver=saver))


def input_fn():
    x = np.random.rand(64, 3).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices(({"x": x}, x.sum(axis=1, keepdims=True))).repeat().batch(8)


if __name__ == "__main__":
    estimator = tf.estimator.Estimator(model_fn=model_fn, model_dir="/tmp/small_checkpoints")
    estimator.train(input_fn, max_steps=200)
    print(list(estimator.predict(lambda: input_fn().take(1)))[:1])
