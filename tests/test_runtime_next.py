"""The runtime tier for claims about TensorFlow after 2.15 (`<!-- tf-2.16: ... -->`): tf.estimator is gone there.

The examples run under TensorFlow 2.21 with tensorflow-estimator 2.15 beside it, as users meet them, in a virtual
environment this test creates once and keeps in ~/.cache/tf-step-lint-tests (or the interpreter named by
TF_STEP_LINT_NEXT_TF_PYTHON).  Never skipped: without network access to install it, it fails and says so.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.markers import claimed_blocks, strip
from tf_step_lint.docs import rule_docs

PACKAGES = ("tensorflow-cpu==2.21.0", "tensorflow-estimator==2.15.0")
HARNESS = Path(__file__).parent / "runtime" / "import_harness.py"


def _cases():
    cases = []
    for code, doc in ((c, d.text) for c, d in rule_docs().items()):
        for heading in ("Bad", "Flagged without autofix", "Good"):
            for i, (block, claim) in enumerate(claimed_blocks(doc, heading)):
                if claim is not None and claim[0] != "2.15":
                    cases.append(pytest.param(strip(block), claim[1], id=f"{code}-{heading.split()[0].lower()}-{i}"))
    return cases


@pytest.fixture(scope="session")
def next_python():
    configured = os.environ.get("TF_STEP_LINT_NEXT_TF_PYTHON")
    if configured:
        return configured
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tf-step-lint-tests"
    venv = cache / f"tf-2.21-py{sys.version_info.major}{sys.version_info.minor}"
    python = venv / "bin" / "python"
    marker = venv / "installed.txt"
    if not marker.exists() or marker.read_text() != "\n".join(PACKAGES):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PACKAGES], capture_output=True,
                                 text=True, timeout=1800)
        if install.returncode != 0:
            pytest.fail(f"cannot install {' '.join(PACKAGES)} for this tier:\n{install.stderr[-2000:]}")
        marker.write_text("\n".join(PACKAGES))
    return str(python)


def test_every_tsl301_example_has_a_claim_about_a_later_tensorflow():
    doc = rule_docs()["TSL301"].text
    blocks = [claim for heading in ("Flagged without autofix", "Good") for _, claim in claimed_blocks(doc, heading)]
    assert blocks and all(claim is not None and claim[0] == "2.16" for claim in blocks)


@pytest.mark.parametrize("source,claim", _cases())
def test_example_behaves_as_its_doc_claims_on_a_later_tensorflow(next_python, tmp_path, source, claim):
    example = tmp_path / "example.py"
    example.write_text(source)
    run = subprocess.run([next_python, str(HARNESS), str(example)], capture_output=True, text=True, timeout=600,
                         env=dict(os.environ, CUDA_VISIBLE_DEVICES="-1"))
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert tuple(map(int, result["tensorflow"].split(".")[:2])) >= (2, 16)
    if claim == "runs":
        assert result["outcome"] == "ok", result
        return
    kind, message = claim.split(": ", 1)
    assert result["outcome"] == "raised", result
    assert (result["type"], result["message"][:len(message)]) == (kind[len("raises "):], message)
