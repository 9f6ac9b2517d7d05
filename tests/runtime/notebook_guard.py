"""Imported by the first cell of a notebook the runtime tier runs: every Estimator's ``train`` gets the harness's
guard (a run past GUARD_RUNS steps is stopped, so a hang is recorded, never waited for), and each ``train`` and
``export_saved_model`` appends what it did to a JSON-lines file."""
import json
import os

import tensorflow as tf

from harness import _exception, guarded_train


def _w(path):
    return tf.train.load_checkpoint(path).get_tensor("w").tolist()


def watch(record_path):
    base = tf.compat.v1.estimator.Estimator
    train, export = base.train, base.export_saved_model

    def record(entry):
        with open(record_path, "a") as out:
            out.write(json.dumps(entry) + "\n")

    def record_train(estimator, entry):
        latest = tf.train.latest_checkpoint(estimator.model_dir)
        record({**entry, "checkpoint": os.path.basename(latest) if latest else None,
                "checkpoint_has_global_step": latest is not None and "global_step" in
                tf.train.load_checkpoint(latest).get_variable_to_shape_map()})

    def watched_export(self, export_dir_base, serving_input_receiver_fn, *args, **kwargs):
        try:
            exported = export(self, export_dir_base, serving_input_receiver_fn, *args, **kwargs)
        except Exception as error:
            record({"method": "export", **_exception(error)})
            raise
        latest = tf.train.latest_checkpoint(self.model_dir)
        record({"method": "export", "outcome": "ok", "checkpoint": os.path.basename(latest),
                "exported_w": _w(os.path.join(exported.decode(), "variables", "variables")),
                "checkpoint_w": _w(latest), "initial_w": _w(os.path.join(self.model_dir, "model.ckpt-0"))})
        return exported

    base.train, base.export_saved_model = guarded_train(train, record_train), watched_export
