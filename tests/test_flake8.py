"""The flake8 plugin reports exactly what the CLI reports, through a real flake8 process."""
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, run_cli
from tests.markers import python_blocks, strip
from tf_step_lint.docs import rule_docs


def _sources(tmp_path):
    files = sorted((ROOT / "tests" / "fixtures" / "patterns").glob("*.py")) + sorted((ROOT / "examples").glob("*.py"))
    for code, doc in ((c, d.text) for c, d in rule_docs().items()):
        for heading in ("Bad", "Good", "Flagged without autofix"):
            for i, block in enumerate(python_blocks(doc, heading)):
                path = tmp_path / f"{code}_{heading.split()[0]}_{i}.py"
                path.write_text(strip(block))
                files.append(path)
    return files


def _triples(output):
    found = set()
    for line in output.splitlines():
        path, row, col, rest = line.split(":", 3)
        found.add((Path(path).name, int(row), int(col), rest.split()[0]))
    return found


def test_flake8_select_tsl_equals_the_cli(tmp_path):
    files = _sources(tmp_path)
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "TSL", *map(str, files)],
                            capture_output=True, text=True)
    cli = run_cli(*files)
    assert flake8.returncode == 1 and cli.returncode == 1, flake8.stderr + cli.stderr
    expected = _triples(cli.stdout)
    assert len(expected) >= 40
    assert _triples(flake8.stdout) == expected


def test_flake8_lists_the_plugin():
    result = subprocess.run([sys.executable, "-m", "flake8", "--version"], capture_output=True, text=True)
    assert "tf-step-lint" in result.stdout
