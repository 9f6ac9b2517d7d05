"""A notebook run headless through the real Jupyter machinery (nbclient, an ipykernel on this TF 2.15 venv): the bad
notebook's ``train(max_steps=...)`` never ends (the guard stops it and says so), and the notebook ``--fix`` wrote
runs end to end, stops at max_steps and exports its trained weights."""
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

pytest.importorskip("tensorflow", reason="the runtime tier needs TensorFlow 2.15: `pip install -e '.[test]'`")
nbformat = pytest.importorskip("nbformat", reason="nbclient brings nbformat: `pip install -e '.[test]'`")
nbclient = pytest.importorskip("nbclient", reason="notebooks run through nbclient: `pip install -e '.[test]'`")
pytest.importorskip("ipykernel", reason="nbclient needs an ipykernel: `pip install -e '.[test]'`")

NOTEBOOK = ROOT / "tests" / "fixtures" / "notebooks" / "jupyter_estimator.ipynb"
RUNTIME = ROOT / "tests" / "runtime"


def run_notebook(path: Path) -> list:
    """Execute ``path`` in its folder with the guard cell first; what each train() and export did."""
    records = path.parent / "records.jsonl"
    records.unlink(missing_ok=True)
    notebook = nbformat.read(str(path), as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(
        f"import sys; sys.path.insert(0, {str(RUNTIME)!r})\n"
        f"from notebook_guard import watch; watch({str(records)!r})"))
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return [json.loads(line) for line in records.read_text().splitlines()]


@pytest.fixture
def work(tmp_path):
    shutil.copy(NOTEBOOK, tmp_path / "train.ipynb")
    return tmp_path


def test_the_bad_notebook_never_stops_training_and_exports_the_initial_weights(work):
    train, export = run_notebook(work / "train.ipynb")
    assert train == {"method": "train", "trained": 0, "stopped_by_guard": True, "checkpoint": "model.ckpt-0",
                     "checkpoint_has_global_step": True}
    assert export["outcome"] == "ok" and export["exported_w"] == export["initial_w"]  # "succeeds", untrained


def test_the_notebook_fix_wrote_stops_at_max_steps_and_exports_trained_weights(work):
    assert run_cli("train.ipynb", "--no-cache", "--fix", cwd=work).returncode == 0
    train, export = run_notebook(work / "train.ipynb")
    assert train == {"method": "train", "trained": 5, "stopped_by_guard": False, "checkpoint": "model.ckpt-5",
                     "checkpoint_has_global_step": True}
    assert export["outcome"] == "ok" and export["checkpoint"] == "model.ckpt-5"
    assert export["exported_w"] == export["checkpoint_w"] != export["initial_w"]
