"""Run one rule-doc example under real TensorFlow and print what happened as one JSON object.

    python harness.py EXAMPLE.py WORKDIR

A step example defines ``model_fn``: it is trained in a tiny Estimator (w[3,1], MSE, a repeating numpy input) with
``max_steps=5``.  A guard hook stops a run whose global step never reaches that (it would never end), so a hang is
reported as a fact, never waited for.  An export example defines ``export(model_fn, model_dir, export_dir)``: the
harness trains a correct model for 5 steps and calls it.  Whatever succeeds is exported and the SavedModel's
variables are compared with the trained checkpoint.  A program example defines ``main(model_dir)``: it builds and
uses Estimators itself, and the harness records what each ``train`` trained (a guard stops any that runs on) and
whether each ``predict``, ``evaluate`` and export had a checkpoint to read.  Every example's moving statistics
(batch norms' ``moving_mean``) are recorded before and after training.
"""
import importlib.util
import inspect
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")
v1 = tf.compat.v1
MAX_STEPS = 5
GUARD_RUNS = 3 * MAX_STEPS
PARAMS = {"lr": 0.1, "use_tpu": False}


def input_fn(params=None):
    rng = np.random.RandomState(0)
    x = rng.rand(64, 3).astype(np.float32)
    y = x @ np.array([[1.0], [2.0], [3.0]], np.float32)
    return tf.data.Dataset.from_tensor_slices(({"x": x}, y)).repeat().batch(8)


def serving_input_receiver_fn():
    x = v1.placeholder(tf.float32, [None, 3], name="x")
    return tf.estimator.export.ServingInputReceiver({"x": x}, {"x": x})


def reference_model_fn(features, labels, mode):
    """A correct model_fn, for export examples."""
    w = v1.get_variable("w", [3, 1])
    predictions = tf.matmul(features["x"], w)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"y": predictions})
    loss = v1.losses.mean_squared_error(labels, predictions)
    train_op = v1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=v1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


class Guard(v1.train.SessionRunHook):
    """Records the global step and the weights; stops a run that passes GUARD_RUNS steps without finishing."""

    def begin(self):
        self.runs, self.steps = 0, []
        self.step = v1.train.get_global_step()
        self.w = next(v for v in v1.global_variables() if v.name == "w:0")
        self.moving = [v for v in v1.global_variables() if "moving_mean" in v.name]

    def after_create_session(self, session, coord):
        self.initial_w = session.run(self.w).tolist()
        self.initial_moving = session.run(self.moving)

    def before_run(self, run_context):
        return v1.train.SessionRunArgs(self.step)

    def after_run(self, run_context, run_values):
        self.runs += 1
        self.steps.append(int(run_values.results))
        if self.runs >= GUARD_RUNS:
            run_context.request_stop()

    def end(self, session):
        self.final_w = session.run(self.w).tolist()
        self.final_moving = session.run(self.moving)


class StopGuard(v1.train.SessionRunHook):
    """Stops a program's train() that passes GUARD_RUNS runs."""

    def __init__(self):
        self.runs = 0  # a train() that skips training never calls begin()

    def after_run(self, run_context, run_values):
        self.runs += 1
        if self.runs >= GUARD_RUNS:
            run_context.request_stop()


def _adapt(model_fn):
    """Call the example's model_fn with the arguments it names; unwrap a TPUEstimatorSpec for a CPU Estimator."""
    names = inspect.signature(model_fn).parameters

    def adapted(features, labels, mode, params):
        kwargs = {"params": params} if "params" in names else {}
        spec = model_fn(features, labels, mode, **kwargs)
        return spec.as_estimator_spec() if hasattr(spec, "as_estimator_spec") else spec

    return adapted


def _exception(error):
    return {"outcome": "raised", "type": type(error).__name__, "message": str(error).strip().splitlines()[0]}


def _checkpoint(model_dir):
    path = tf.train.latest_checkpoint(model_dir)
    reader = tf.train.load_checkpoint(path)
    names = reader.get_variable_to_shape_map()
    return {"checkpoint": os.path.basename(path), "checkpoint_has_global_step": "global_step" in names,
            "checkpoint_global_step": int(reader.get_tensor("global_step")) if "global_step" in names else None,
            "checkpoint_w": reader.get_tensor("w").tolist()}


def _export(export):
    """Call ``export`` and read the variables of the SavedModel it wrote."""
    try:
        exported = export()
    except Exception as error:  # the claim under test is exactly which exception
        return {"export": _exception(error)}
    reader = tf.train.load_checkpoint(os.path.join(exported.decode(), "variables", "variables"))
    names = reader.get_variable_to_shape_map()
    return {"export": {"outcome": "ok", "w": reader.get_tensor("w").tolist(),
                       "has_global_step": "global_step" in names}}


def run_step_example(module, workdir):
    model_dir = os.path.join(workdir, "model")
    estimator = tf.estimator.Estimator(_adapt(module.model_fn), model_dir=model_dir, params=PARAMS)
    guard = Guard()
    try:
        estimator.train(input_fn, max_steps=MAX_STEPS, hooks=[guard])
    except Exception as error:
        return _exception(error)
    moved = [not np.allclose(a, b) for a, b in zip(guard.initial_moving, guard.final_moving)]
    result = {"outcome": "stopped by guard" if guard.runs >= GUARD_RUNS else "finished", "runs": guard.runs,
              "steps_seen": guard.steps, "initial_w": guard.initial_w, "final_w": guard.final_w,
              "moving_statistics": len(moved), "moving_statistics_moved": sum(moved),
              **_checkpoint(model_dir)}
    export_dir = os.path.join(workdir, "export")
    result.update(_export(lambda: estimator.export_saved_model(export_dir, serving_input_receiver_fn)))
    return result


def run_export_example(module, workdir):
    model_dir = os.path.join(workdir, "model")
    tf.estimator.Estimator(reference_model_fn, model_dir=model_dir).train(input_fn, max_steps=MAX_STEPS)
    result = {"outcome": "trained", **_checkpoint(model_dir)}
    export_dir = os.path.join(workdir, "export")
    result.update(_export(lambda: module.export(reference_model_fn, model_dir, export_dir)))
    return result


def _global_step(model_dir):
    path = tf.train.latest_checkpoint(model_dir)
    return int(tf.train.load_checkpoint(path).get_tensor("global_step")) if path else 0


def guarded_train(train, record):
    """``train`` (Estimator.train) with a StopGuard among its hooks; after each call, ``record(estimator, entry)``
    with what it trained and whether the guard had to stop it."""
    def watched_train(self, input_fn, **kwargs):
        before, guard = _global_step(self.model_dir), StopGuard()
        kwargs["hooks"] = [*(kwargs.get("hooks") or []), guard]
        try:
            return train(self, input_fn, **kwargs)
        finally:
            record(self, {"method": "train", "trained": _global_step(self.model_dir) - before,
                          "stopped_by_guard": guard.runs >= GUARD_RUNS})

    return watched_train


def run_program_example(module, workdir):
    """Call ``main(model_dir)`` with the Estimator's methods watched."""
    base = tf.compat.v1.estimator.Estimator  # every Estimator class derives from it
    calls = []
    train, predict = base.train, base.predict
    readers = {name: getattr(base, name) for name in ("evaluate", "export_saved_model")}

    def record_reader(self, name, kwargs):
        calls.append({"method": name, "had_checkpoint": bool(kwargs.get("checkpoint_path"))
                      or tf.train.latest_checkpoint(self.model_dir) is not None})

    def watched_predict(self, input_fn, **kwargs):
        record_reader(self, "predict", kwargs)
        return predict(self, input_fn, **kwargs)

    def watching(name):
        def watched(self, *args, **kwargs):
            record_reader(self, name, kwargs)
            return readers[name](self, *args, **kwargs)
        return watched

    base.train, base.predict = guarded_train(train, lambda estimator, entry: calls.append(entry)), watched_predict
    for name in readers:
        setattr(base, name, watching(name))
    try:
        module.main(os.path.join(workdir, "model"))
    except Exception as error:
        return {**_exception(error), "calls": calls}
    return {"outcome": "ran", "calls": calls}


def main(example, workdir):
    spec = importlib.util.spec_from_file_location("example", example)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        result = _exception(error)
    else:
        run = (run_program_example if hasattr(module, "main") else run_export_example if hasattr(module, "export")
               else run_step_example)
        result = {"kind": run.__name__[len("run_"):-len("_example")], **run(module, workdir)}
    print(json.dumps({"tensorflow": tf.__version__, **result}))


if __name__ == "__main__":
    main(*sys.argv[1:])
