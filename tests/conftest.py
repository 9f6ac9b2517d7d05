import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUGGY = '''import tensorflow as tf


def model_fn(features, labels, mode):
    loss = tf.reduce_mean(features["x"])
    train_op = tf.compat.v1.train.AdamOptimizer(0.1).minimize(loss)
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
'''


def run_cli(*args, cwd=None, **kwargs):
    """tf-step-lint as users run it: a real process."""
    return subprocess.run([sys.executable, "-m", "tf_step_lint", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, **kwargs)


@pytest.fixture
def buggy_file(tmp_path):
    path = tmp_path / "train.py"
    path.write_text(BUGGY)
    return path
