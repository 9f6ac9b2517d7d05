"""The release shape: the sdist and the wheel that `python -m build` makes, installed in a fresh virtual environment.

The wheel is built from the sdist (build's default), so a file missing from the sdist breaks the wheel tests too. The
installed tests run the venv's own executables from a directory outside the checkout, so nothing can be imported from
the source tree.
"""
import configparser
import json
import os
import subprocess
import sys
import tarfile
import zipfile

import pytest

from tests.conftest import ROOT
from tf_step_lint import __version__

SDIST = f"tf_step_lint-{__version__}.tar.gz"
WHEEL = f"tf_step_lint-{__version__}-py3-none-any.whl"
DIST_INFO = f"tf_step_lint-{__version__}.dist-info"
RULE_DOCS = sorted(p.name for p in (ROOT / "rules").glob("TSL*.md"))


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The directory `python -m build` wrote the sdist and the wheel to (outside the checkout, which stays clean)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def sdist_names(dist):
    with tarfile.open(dist / SDIST) as sdist:
        return {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}


@pytest.fixture(scope="module")
def wheel(dist):
    with zipfile.ZipFile(dist / WHEEL) as archive:
        yield archive


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory):
    """A fresh venv (no system site packages) with the wheel pip-installed; libcst and flake8 come from the index."""
    path = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, capture_output=True)
    subprocess.run([str(path / "bin" / "python"), "-m", "pip", "install", "-q", str(dist / WHEEL)], check=True,
                   capture_output=True)
    return path


@pytest.fixture
def run(venv, buggy_file):
    """Run a venv executable in the directory holding train.py, with no PYTHONPATH that could lead to the checkout."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}

    def call(tool, *args):
        return subprocess.run([str(venv / "bin" / tool), *args], cwd=buggy_file.parent, env=env, capture_output=True,
                              text=True)
    return call


def test_artefact_names_carry_the_version(dist):
    """Both artefacts are named for tf_step_lint.__version__, the version hatch reads: one number for the release."""
    assert sorted(p.name for p in dist.iterdir()) == sorted([SDIST, WHEEL])


@pytest.mark.parametrize("name", ["README.md", "pyproject.toml", ".pre-commit-hooks.yaml", "CHANGELOG.md",
                                  "tf_step_lint/data/tf_api.json"])
def test_sdist_contains(sdist_names, name):
    """The sdist rebuilds the wheel and documents the release; a file left out of it is missing downstream."""
    assert name in sdist_names


def test_sdist_contains_the_rule_docs(sdist_names):
    """`explain` prints these; the wheel gets them from the sdist, so they must all be in it."""
    assert {name for name in sdist_names if name.startswith("rules/")} == {f"rules/{name}" for name in RULE_DOCS}


def test_wheel_contains_docs_and_data(wheel):
    """The installed linter reads the API data and `explain` reads rule_docs: exactly the rules/TSL*.md files."""
    names = wheel.namelist()
    assert "tf_step_lint/data/tf_api.json" in names
    assert {n for n in names if n.startswith("tf_step_lint/rule_docs/")} == {
        f"tf_step_lint/rule_docs/{name}" for name in RULE_DOCS}


def test_wheel_metadata_version(wheel):
    """pip and PyPI read the version from METADATA, not from the file name."""
    assert f"Version: {__version__}" in wheel.read(f"{DIST_INFO}/METADATA").decode().splitlines()


def test_wheel_entry_points(wheel):
    """The console script and the flake8 plugin exist only through these entry points."""
    entry_points = configparser.ConfigParser()
    entry_points.optionxform = str  # keep the case of the names: flake8 matches "TSL" against --select
    entry_points.read_string(wheel.read(f"{DIST_INFO}/entry_points.txt").decode())
    assert dict(entry_points["console_scripts"]) == {"tf-step-lint": "tf_step_lint.cli:main"}
    assert dict(entry_points["flake8.extension"]) == {"TSL": "tf_step_lint.flake8_plugin:Flake8Plugin"}


def test_imports_from_the_venv(run, venv):
    """The other installed tests prove something about the wheel only if the package comes from the venv."""
    where = run("python", "-c", "import tf_step_lint; print(tf_step_lint.__file__)")
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(venv))


def test_tensorflow_is_not_installed(run):
    """Linting needs no TensorFlow: the wheel does not pull it in, so the lint tests below run without it."""
    result = run("python", "-c", "import tensorflow")
    assert result.returncode == 1 and "No module named 'tensorflow'" in result.stderr


def test_cli_finds_the_bug(run):
    """The console script lints a file: the never-incrementing step is found, and the exit code says so."""
    result = run("tf-step-lint", "train.py")
    assert result.returncode == 1, result.stderr
    assert any("train.py:6:54: TSL101" in line for line in result.stdout.splitlines())


def test_cli_explains_from_the_installed_docs(run):
    """`explain` prints the rule doc shipped in the wheel, byte for byte the file in rules/."""
    result = run("tf-step-lint", "explain", "TSL202")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "rules" / "TSL202-export-savedmodel-renamed.md").read_text()


def test_cli_lists_the_rules_from_the_installed_docs(run):
    """`explain` without a code reads every shipped doc: one row per rule file."""
    result = run("tf-step-lint", "explain")
    assert result.returncode == 0, result.stderr
    assert [row.split()[0] for row in result.stdout.splitlines()[1:]] == [name[:6] for name in RULE_DOCS]


def test_cli_writes_sarif_from_the_installed_docs(run):
    """SARIF's rule metadata comes from the shipped docs too."""
    result = run("tf-step-lint", "--format", "sarif", "train.py")
    rules = json.loads(result.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert result.returncode == 1 and [rule["id"] for rule in rules] == [name[:6] for name in RULE_DOCS]


def test_cli_version(run):
    """--version reports the version the artefacts were built with."""
    result = run("tf-step-lint", "--version")
    assert result.returncode == 0 and result.stdout.strip() == f"tf-step-lint {__version__}"


def test_flake8_plugin_finds_the_bug(run):
    """flake8 finds the plugin through its entry point and reports the same finding at the same place."""
    result = run("flake8", "--select", "TSL", "train.py")
    assert result.returncode == 1, result.stderr
    assert any(line.startswith("train.py:6:54: TSL101 ") for line in result.stdout.splitlines())


def test_flake8_lists_the_plugin(run):
    """flake8 --version names each plugin's distribution and version: this one is the release being tested."""
    result = run("flake8", "--version")
    assert result.returncode == 0
    assert f"tf-step-lint: {__version__}" in " ".join(result.stdout.split())  # flake8 wraps to the terminal width
