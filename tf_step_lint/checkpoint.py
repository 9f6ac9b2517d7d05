"""``tf-step-lint checkpoint``: inspect a checkpoint for the Estimator's global step, and add one that is missing.

The only part of tf-step-lint that imports TensorFlow, and only when these commands run.
"""
import argparse
import json
import os
import re
import sys
from typing import Dict, List, Optional, Sequence

EXIT_OK, EXIT_UNRESTORABLE, EXIT_ERROR = 0, 1, 2
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
MISSING_CONSEQUENCES = [
    "Estimator predict() and evaluate() raise NotFoundError: Restoring from checkpoint failed. ... "
    "Key global_step not found in checkpoint",
    "Estimator export_saved_model() raises ValueError: Could not load all requested variables from checkpoint. ... "
    "Key global_step not found in checkpoint",
    "tf.train.load_checkpoint(path).get_tensor('global_step') raises NotFoundError: Key global_step not found in "
    "checkpoint",
]
REPAIRS = [
    "write a repaired copy: tf-step-lint checkpoint add-global-step PATH --output NEW_DIR",
    "or load the weights with warm_start_from=PATH instead of model_dir=PATH",
]
OBJECT_BASED = (
    "this is an object-based checkpoint (tf.train.Checkpoint or Keras): its keys are object paths such as "
    "'w/.ATTRIBUTES/VARIABLE_VALUE', not graph variable names, so an Estimator cannot restore it by name; "
    "load it with tf.train.Checkpoint, or convert the variables into a name-based checkpoint"
)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="tf-step-lint checkpoint",
                                     description="Inspect and repair Estimator checkpoints (needs TensorFlow).")
    commands = parser.add_subparsers(dest="command", required=True)
    inspect = commands.add_parser("inspect", help="list variables and say whether an Estimator can restore them")
    inspect.add_argument("path", help="a model_dir or a checkpoint prefix (model.ckpt-100)")
    inspect.add_argument("--format", choices=("text", "json"), default="text")
    add = commands.add_parser("add-global-step", help="write a copy of a checkpoint with an int64 global_step")
    add.add_argument("path", help="a model_dir or a checkpoint prefix")
    add.add_argument("--output", required=True, help="an empty or new directory for the repaired checkpoint")
    add.add_argument("--step", type=int, help="the step to record (default: from the file name, else 0)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter is not our output
    try:
        import tensorflow as tf  # noqa: F401  (imported here only: linting never needs it)
    except ImportError:
        print("tf-step-lint checkpoint needs TensorFlow: pip install 'tf-step-lint[tf]'", file=sys.stderr)
        return EXIT_ERROR
    try:
        prefix = checkpoint_prefix(args.path)
        if args.command == "inspect":
            return inspect_checkpoint(prefix, args.format)
        return add_global_step(prefix, args.output, args.step)
    except CheckpointError as error:
        print(f"tf-step-lint checkpoint: {error}", file=sys.stderr)
        return EXIT_ERROR


class CheckpointError(Exception):
    pass


def checkpoint_prefix(path: str) -> str:
    """The checkpoint a model_dir points to (its latest), or ``path`` itself when it is a prefix."""
    import tensorflow as tf

    if os.path.isdir(path):
        latest = tf.train.latest_checkpoint(path)
        if latest is None:
            raise CheckpointError(f"{path}: no checkpoint in this directory")
        return latest
    if not os.path.exists(path + ".index"):
        raise CheckpointError(f"{path}: not a checkpoint (no {os.path.basename(path)}.index) nor a directory")
    return path


def read_variables(prefix: str) -> List[Dict]:
    import tensorflow as tf

    try:
        reader = tf.train.load_checkpoint(prefix)
    except Exception as error:  # TF raises several types for unreadable files
        raise CheckpointError(f"{prefix}: cannot read: {str(error).splitlines()[0]}") from None
    shapes, dtypes = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
    return [{"name": name, "shape": list(shapes[name]), "dtype": dtypes[name].name,
             "value": reader.get_tensor(name).tolist() if name == "global_step" else None}
            for name in sorted(shapes)]


def inspect_checkpoint(prefix: str, fmt: str) -> int:
    variables = read_variables(prefix)
    names = {v["name"] for v in variables}
    step = next((v for v in variables if v["name"] == "global_step"), None)
    object_based = OBJECT_GRAPH_KEY in names
    restorable = step is not None and step["dtype"] == "int64" and not object_based
    report = {
        "checkpoint": prefix,
        "variables": [{k: v[k] for k in ("name", "shape", "dtype")} for v in variables],
        "global_step": {"value": step["value"], "dtype": step["dtype"]} if step else None,
        "object_based": object_based,
        "estimator_can_restore": restorable,
        "problems": ([OBJECT_BASED] if object_based else [])
        + (MISSING_CONSEQUENCES if step is None and not object_based else [])
        + ([f"global_step is {step['dtype']}, but the Estimator's global step is int64"]
           if step and step["dtype"] != "int64" else []),
        "repairs": REPAIRS if step is None and not object_based else [],
    }
    if fmt == "json":
        print(json.dumps(report, indent=2))
    else:
        print(_text(report))
    return EXIT_OK if restorable else EXIT_UNRESTORABLE


def _text(report: Dict) -> str:
    width = max([len(v["name"]) for v in report["variables"]] + [4])
    lines = [f"checkpoint: {report['checkpoint']}", "", f"{'name':<{width}}  {'shape':<14}  dtype"]
    lines += [f"{v['name']:<{width}}  {str(v['shape']):<14}  {v['dtype']}" for v in report["variables"]]
    lines.append("")
    step = report["global_step"]
    if report["estimator_can_restore"]:
        lines.append(f"OK: global_step = {step['value']} ({step['dtype']}); an Estimator can restore this checkpoint.")
    else:
        lines.append("PROBLEM: an Estimator cannot restore this checkpoint:" if step is None else
                     f"PROBLEM: global_step = {step['value']} ({step['dtype']}):")
        lines += [f"  - {problem}" for problem in report["problems"]]
        lines += [f"  fix: {repair}" for repair in report["repairs"]]
    return "\n".join(lines)


def add_global_step(prefix: str, output: str, step: Optional[int]) -> int:
    """Write every variable of ``prefix`` unchanged, plus an int64 global_step, as a new checkpoint in ``output``."""
    import numpy as np
    import tensorflow as tf

    v1 = tf.compat.v1
    if os.path.exists(output) and (not os.path.isdir(output) or os.listdir(output)):
        raise CheckpointError(f"{output}: exists and is not an empty directory; refusing to overwrite")
    variables = read_variables(prefix)
    names = {v["name"] for v in variables}
    if OBJECT_GRAPH_KEY in names:
        raise CheckpointError(f"{prefix}: {OBJECT_BASED}")
    if "global_step" in names:
        raise CheckpointError(f"{prefix}: already has global_step; nothing to add")
    if step is None:
        match = re.search(r"-(\d+)$", prefix)
        step = int(match.group(1)) if match else 0
    reader = tf.train.load_checkpoint(prefix)
    os.makedirs(output, exist_ok=True)
    with tf.Graph().as_default():
        saved = {name: v1.Variable(reader.get_tensor(name), name=f"v{i}", trainable=False)
                 for i, name in enumerate(sorted(names))}
        saved["global_step"] = v1.Variable(np.int64(step), name="global_step", dtype=tf.int64, trainable=False)
        saver = v1.train.Saver(var_list=saved)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            written = saver.save(session, os.path.join(output, f"model.ckpt-{step}"), write_meta_graph=False)
    print(f"wrote {written}: {len(names)} variables unchanged, plus global_step = {step} (int64)")
    return EXIT_OK
