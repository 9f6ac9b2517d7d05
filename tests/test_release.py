"""The version is defined once (tf_step_lint/__init__.py) and everything that shows it agrees; the CHANGELOG has it."""
import json
import re
from importlib.metadata import version

from tests.conftest import ROOT, run_cli
from tf_step_lint import __version__


def test_the_version_is_written_in_one_place():
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    assert 'dynamic = ["version"]' in (ROOT / "pyproject.toml").read_text()
    copies = [str(path.relative_to(ROOT)) for path in (ROOT / "tf_step_lint").rglob("*.py")
              if __version__ in path.read_text()]
    assert copies == ["tf_step_lint/__init__.py"]


def test_everything_that_shows_the_version_reads_it_from_there(tmp_path):
    assert version("tf-step-lint") == __version__  # the installed metadata (hatch reads __init__.py)
    assert run_cli("--version").stdout == f"tf-step-lint {__version__}\n"
    (tmp_path / "clean.py").write_text("import os\n")
    driver = json.loads(run_cli(".", "--format", "sarif", cwd=tmp_path).stdout)["runs"][0]["tool"]["driver"]
    assert driver["version"] == driver["semanticVersion"] == __version__


def test_the_changelog_and_the_readme_name_this_version():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.findall(r"^## \[(\d+\.\d+\.\d+)\]", changelog, re.M)[0] == __version__
    assert f"rev: v{__version__}" in (ROOT / "README.md").read_text()
