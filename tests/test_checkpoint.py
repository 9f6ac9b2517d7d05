"""`tf-step-lint checkpoint`, end to end with real TensorFlow: the "Key global_step not found" error, repaired."""
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

HELPER = Path(__file__).parent / "runtime" / "checkpoints.py"


def _tf(*args):
    result = subprocess.run([sys.executable, str(HELPER), *map(str, args)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _digest(directory):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(directory).iterdir())}


def test_plain_saver_checkpoint_fails_export_until_repaired(tmp_path):
    original = _tf("write-plain", tmp_path / "plain")
    before = _digest(tmp_path / "plain")

    inspect = run_cli("checkpoint", "inspect", tmp_path / "plain")
    assert inspect.returncode == 1, inspect.stderr
    assert "Key global_step not found in checkpoint" in inspect.stdout and "add-global-step" in inspect.stdout
    assert "w     [3, 1]          float32" in inspect.stdout

    failed = _tf("export", original["prefix"], tmp_path / "export")
    assert (failed["predict"]["outcome"], failed["predict"]["type"]) == ("raised", "NotFoundError")
    assert failed["predict"]["message"].startswith("Restoring from checkpoint failed.")
    assert "Key global_step not found in checkpoint" in failed["predict"]["message"]
    assert (failed["outcome"], failed["type"]) == ("raised", "ValueError")
    assert failed["message"].startswith("Could not load all requested variables from checkpoint.")
    assert "Key global_step not found in checkpoint" in failed["message"]

    repaired = tmp_path / "repaired"
    add = run_cli("checkpoint", "add-global-step", original["prefix"], "--output", repaired)
    assert add.returncode == 0, add.stderr
    assert "plus global_step = 1200 (int64)" in add.stdout  # the step in the file name
    assert _digest(tmp_path / "plain") == before  # the input is never modified
    again = run_cli("checkpoint", "add-global-step", original["prefix"], "--output", repaired)
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr

    report = json.loads(run_cli("checkpoint", "inspect", repaired, "--format", "json").stdout)
    assert report["global_step"] == {"value": 1200, "dtype": "int64"} and report["estimator_can_restore"]
    assert {v["name"] for v in report["variables"]} == {"w", "b", "global_step"}

    exported = _tf("export", str(repaired / "model.ckpt-1200"), tmp_path / "export")
    assert exported == {"predict": {"outcome": "ok"}, "outcome": "ok", "w": original["w"], "b": original["b"],
                        "global_step": 1200}


def test_step_option_and_object_based_checkpoints(tmp_path):
    original = _tf("write-plain", tmp_path / "plain")
    assert "global_step = 7 (int64)" in run_cli("checkpoint", "add-global-step", original["prefix"], "--output",
                                                tmp_path / "out", "--step", "7").stdout
    objects = _tf("write-object", tmp_path / "objects")
    inspect = run_cli("checkpoint", "inspect", objects["prefix"], "--format", "json")
    report = json.loads(inspect.stdout)
    assert inspect.returncode == 1 and report["object_based"] and "object-based checkpoint" in report["problems"][0]
    refused = run_cli("checkpoint", "add-global-step", objects["prefix"], "--output", tmp_path / "out2")
    assert refused.returncode == 2 and "object-based" in refused.stderr


def test_bad_paths_and_missing_tensorflow(tmp_path):
    missing = run_cli("checkpoint", "inspect", tmp_path / "nothing")
    assert missing.returncode == 2 and "not a checkpoint" in missing.stderr
    empty = run_cli("checkpoint", "inspect", tmp_path)
    assert empty.returncode == 2 and "no checkpoint in this directory" in empty.stderr
    blocked = subprocess.run([sys.executable, "-c", "import sys; sys.modules['tensorflow'] = None; "
                              "from tf_step_lint.cli import main; sys.exit(main(['checkpoint', 'inspect', '.']))"],
                             capture_output=True, text=True)
    assert blocked.returncode == 2 and "pip install 'tf-step-lint[tf]'" in blocked.stderr
