"""The TensorFlow version linted code targets: its type, the default, and how it is spelled.

Which version a project targets is found by tf_step_lint/detect.py.
"""
import re
from typing import Tuple

Version = Tuple[int, int]
DEFAULT: Version = (2, 15)  # the last TensorFlow with tf.estimator
LAST_TF1: Version = (1, 15)


def parse_version(text: str) -> Version:
    """``"2.15"``, ``"2.16.1"`` or ``"1.15"`` as (major, minor); ValueError for anything else."""
    match = re.fullmatch(r"\s*(\d+)\.(\d+)(?:\.\d+)?\s*", text)
    if match is None:
        raise ValueError(f"not a TensorFlow version (major.minor, e.g. 2.15): {text!r}")
    return int(match.group(1)), int(match.group(2))


def spelled(version: Version) -> str:
    return f"{version[0]}.{version[1]}"
