"""The built wheel carries the rule docs and the API data: `explain` and linting work from it, outside a checkout."""
import os
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import BUGGY, ROOT


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
                    str(ROOT)], check=True, capture_output=True)
    wheel, = dist.glob("tf_step_lint-*.whl")
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    return wheel, target


def test_wheel_contains_docs_and_data(installed_wheel):
    wheel, _ = installed_wheel
    names = zipfile.ZipFile(wheel).namelist()
    assert "tf_step_lint/data/tf_api.json" in names
    assert {n for n in names if n.startswith("tf_step_lint/rule_docs/")} == {
        f"tf_step_lint/rule_docs/{p.name}" for p in (ROOT / "rules").glob("TSL*.md")}


def test_explain_and_lint_from_the_installed_wheel(installed_wheel, tmp_path):
    _, target = installed_wheel
    env = dict(os.environ, PYTHONPATH=str(target))
    where = subprocess.run([sys.executable, "-c", "import tf_step_lint; print(tf_step_lint.__file__)"], cwd=tmp_path,
                           env=env, capture_output=True, text=True)
    assert where.stdout.startswith(str(target))
    explain = subprocess.run([sys.executable, "-m", "tf_step_lint", "explain", "TSL202"], cwd=tmp_path, env=env,
                             capture_output=True, text=True)
    assert explain.returncode == 0
    assert explain.stdout == (ROOT / "rules" / "TSL202-export-savedmodel-renamed.md").read_text()
    (tmp_path / "train.py").write_text(BUGGY)
    lint = subprocess.run([sys.executable, "-m", "tf_step_lint", "train.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert lint.returncode == 1 and "train.py:6:54: TSL101" in lint.stdout
