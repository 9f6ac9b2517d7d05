"""The runtime tier: every rule doc's claim, and the output of every autofix, checked under real TensorFlow 2.15.

Each example runs in its own process (tests/runtime/harness.py); a hang is detected by a guard hook, never waited
for.  This tier is never skipped: without TensorFlow 2.15 it fails and says how to install it.
"""
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.markers import claimed_blocks, strip
from tf_step_lint.docs import rule_docs

HARNESS = Path(__file__).parent / "runtime" / "harness.py"
STEPS = 5


def _cases():
    cases = []
    for code, doc in ((c, d.text) for c, d in rule_docs().items()):
        for heading, kind in (("Bad", "bad"), ("Flagged without autofix", "bad"), ("Good", "good")):
            for i, (block, claim) in enumerate(claimed_blocks(doc, heading)):
                if claim is not None and claim[0] != "2.15":
                    continue  # a claim about a later TensorFlow: tests/test_runtime_next.py
                claim = claim and claim[1]
                name = f"{code}-{heading.split()[0].lower()}-{i}"
                source = strip(block)
                cases.append((name, kind, source, claim))
                if heading == "Bad":  # the same source, put through `tf-step-lint --fix` before it runs
                    cases.append((f"{code}-fixed-{i}", "fixed", source, None))
    return cases


CASES = _cases()


@pytest.fixture(scope="session")
def outcomes(tmp_path_factory):
    """Run every case under TensorFlow, two at a time, and collect what each harness process reported."""
    probe = subprocess.run([sys.executable, "-c", "import tensorflow as tf; print(tf.__version__)"],
                           capture_output=True, text=True)
    if probe.returncode != 0 or not probe.stdout.strip().startswith("2.15."):
        pytest.fail("the runtime tier needs TensorFlow 2.15 in this interpreter; install the test extras with "
                    f"`pip install -e '.[test]'` ({(probe.stdout + probe.stderr).strip().splitlines()[-1:]})")

    base = tmp_path_factory.mktemp("runtime")

    def run(case):
        name, kind, source, _ = case
        workdir = base / name
        workdir.mkdir()
        example = workdir / "example.py"
        example.write_text(source)
        if kind == "fixed":  # at the level the doc claims: unsafe fixes only where it says so
            unsafe = ["--unsafe-fixes"] if "unsafe" in rule_docs()[name.split("-")[0]].fix else []
            # for the TensorFlow it then runs under (a lone example may not show which TF it is for)
            fix = run_cli("--fix", "--show-fixes", "--target-version", "2.15", *unsafe, example)
            assert fix.returncode == 0 and "Fixed " in fix.stdout, f"{name}: {fix.stdout}{fix.stderr}"
        result = subprocess.run([sys.executable, str(HARNESS), str(example), str(workdir)], capture_output=True,
                                text=True, timeout=300, env=dict(os.environ, CUDA_VISIBLE_DEVICES="-1"))
        assert result.returncode == 0, f"{name}: harness failed\n{result.stderr[-3000:]}"
        return name, json.loads(result.stdout.strip().splitlines()[-1])

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(pool.map(run, CASES))


def _params(kind):
    return [pytest.param(name, claim, id=name) for name, k, _, claim in CASES if k == kind]


def test_every_bad_example_has_a_claim():
    assert all(claim for name, kind, _, claim in CASES if kind == "bad")
    assert len([c for c in CASES if c[1] == "fixed"]) >= 4


@pytest.mark.parametrize("name,claim", _params("bad"))
def test_bad_example_misbehaves_as_its_doc_claims(outcomes, name, claim):
    result = outcomes[name]
    assert result["tensorflow"].startswith("2.15.")
    if claim == "hangs":
        assert result["outcome"] == "stopped by guard", result  # train(max_steps=5) did not return by itself
        assert set(result["steps_seen"]) == {0}
        assert result["final_w"] != result["initial_w"]  # the session did train...
        assert result["checkpoint"] == "model.ckpt-0"  # ...but the only checkpoint holds the initial weights
        assert result["checkpoint_w"] == result["initial_w"]
        assert result["export"]["outcome"] == "ok" and result["export"]["w"] == result["initial_w"]  # untrained
        return
    if claim == "hangs without training":
        assert result["outcome"] == "stopped by guard", result  # train(max_steps=5) did not return by itself
        assert set(result["steps_seen"]) == {0}
        assert result["final_w"] == result["initial_w"]  # and the session never changed the weights
        assert result["checkpoint"] == "model.ckpt-0"
        return
    if claim == "moving statistics stay at their initial values":
        assert result["outcome"] == "finished" and result["runs"] == STEPS, result  # it trains, and stops...
        assert result["moving_statistics"] and not result["moving_statistics_moved"]  # ...but the stats never move
        return
    if claim == "skips training after the first call":
        trained = [c["trained"] for c in result["calls"] if c["method"] == "train"]
        assert result["outcome"] == "ran" and len(trained) > 1 and trained[0] > 0, result
        assert trained[1:] == [0] * (len(trained) - 1)
        return
    if claim == "predicts without a checkpoint":
        assert result["outcome"] == "ran", result
        assert [c["had_checkpoint"] for c in result["calls"] if c["method"] == "predict"] == [False]
        return
    if claim == "counts twice":
        assert result["outcome"] == "finished", result  # train(max_steps=5) stopped by itself...
        assert result["runs"] < STEPS  # ...after fewer updates than steps...
        assert result["checkpoint_global_step"] == 2 * result["runs"]  # ...because each update counted twice
        assert result["checkpoint_w"] == result["final_w"] != result["initial_w"]
        return
    kind, message = claim.split(": ", 1)
    assert kind.startswith("raises ")
    raised = result if result["outcome"] == "raised" else result["export"]
    assert raised["outcome"] == "raised", result
    assert (raised["type"], raised["message"][:len(message)]) == (kind[len("raises "):], message)


@pytest.mark.parametrize("name,claim", _params("fixed") + _params("good"))
def test_fixed_and_good_examples_train_stop_and_export(outcomes, name, claim):
    result = outcomes[name]
    if result["kind"] == "program":  # every train() trains, and every read finds a checkpoint
        assert result["outcome"] == "ran", result
        trained = [c for c in result["calls"] if c["method"] == "train"]
        assert all(c["trained"] > 0 and not c["stopped_by_guard"] for c in trained), result
        assert all(c["had_checkpoint"] for c in result["calls"] if c["method"] != "train"), result
        return
    assert result.get("moving_statistics_moved") == result.get("moving_statistics"), result  # batch norms: stats move
    assert result["outcome"] in ("finished", "trained"), result
    assert result["checkpoint"] == f"model.ckpt-{STEPS}"
    assert result["checkpoint_has_global_step"] and result["checkpoint_global_step"] == STEPS
    if result["outcome"] == "finished":  # a step example: the weights moved from their initial values
        assert result["runs"] == STEPS  # one increment per update: neither stuck nor counted twice
        assert result["checkpoint_w"] == result["final_w"] != result["initial_w"]
    export = result["export"]
    assert export["outcome"] == "ok", export
    assert export["has_global_step"] and export["w"] == result["checkpoint_w"]
