"""The project's own code passes flake8 (pyflakes and pycodestyle, configured in .flake8)."""
import subprocess
import sys

from tests.conftest import ROOT


def test_flake8_clean():
    result = subprocess.run([sys.executable, "-m", "flake8", "tf_step_lint", "scripts", "tests"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
