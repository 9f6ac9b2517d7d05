"""TensorFlow side of the checkpoint tests; prints one JSON object.

    python checkpoints.py write-plain DIR         a checkpoint from a plain Saver([w, b]): no global_step
    python checkpoints.py write-object DIR        an object-based tf.train.Checkpoint
    python checkpoints.py export CKPT EXPORT_DIR  export an Estimator (same w, b) from checkpoint CKPT
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")
v1 = tf.compat.v1


def model_fn(features, labels, mode):
    w = v1.get_variable("w", [3, 1])
    b = v1.get_variable("b", [1])
    predictions = tf.matmul(features["x"], w) + b
    return tf.estimator.EstimatorSpec(mode, predictions={"y": predictions})


def serving_input_receiver_fn():
    x = v1.placeholder(tf.float32, [None, 3], name="x")
    return tf.estimator.export.ServingInputReceiver({"x": x}, {"x": x})


def write_plain(directory):
    with tf.Graph().as_default():
        w = v1.get_variable("w", initializer=np.arange(3, dtype=np.float32).reshape(3, 1))
        b = v1.get_variable("b", initializer=np.array([0.5], np.float32))
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            prefix = v1.train.Saver([w, b]).save(session, os.path.join(directory, "model.ckpt-1200"))
            return {"prefix": prefix, "w": session.run(w).tolist(), "b": session.run(b).tolist()}


def write_object(directory):
    checkpoint = tf.train.Checkpoint(w=tf.Variable(np.ones((3, 1), np.float32)))
    return {"prefix": checkpoint.save(os.path.join(directory, "ckpt"))}


def _raised(error):
    return {"outcome": "raised", "type": type(error).__name__, "message": str(error)}


def export(checkpoint, export_dir):
    """Predict with, then export from, ``checkpoint``: what each does."""
    estimator = tf.estimator.Estimator(model_fn, model_dir=os.path.dirname(checkpoint))
    try:
        x = np.ones((2, 3), np.float32)
        next(estimator.predict(lambda: tf.data.Dataset.from_tensor_slices({"x": x}).batch(2),
                               checkpoint_path=checkpoint))
        predicted = {"outcome": "ok"}
    except Exception as error:  # which exception is what the test checks
        predicted = _raised(error)
    try:
        path = estimator.export_saved_model(export_dir, serving_input_receiver_fn, checkpoint_path=checkpoint)
    except Exception as error:
        return {"predict": predicted, **_raised(error)}
    reader = tf.train.load_checkpoint(os.path.join(path.decode(), "variables", "variables"))
    return {"predict": predicted, "outcome": "ok", "w": reader.get_tensor("w").tolist(),
            "b": reader.get_tensor("b").tolist(), "global_step": int(reader.get_tensor("global_step"))}


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    print(json.dumps({"write-plain": write_plain, "write-object": write_object, "export": export}[command](*args)))
