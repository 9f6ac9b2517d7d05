"""The flake8 plugin reports exactly what the CLI reports, through a real flake8 process."""
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, run_cli
from tf_step_lint import __version__
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


def test_flake8_version_lists_the_plugin_with_its_version():
    result = subprocess.run([sys.executable, "-m", "flake8", "--version"], capture_output=True, text=True)
    assert f"tf-step-lint: {__version__}" in " ".join(result.stdout.split())  # flake8 wraps long lines


def test_messages_follow_flake8_conventions_and_say_what_the_cli_says(tmp_path):
    """flake8's `path:row:col: CODE text`: the code first, one line, no fix marker (flake8 has no --fix), and
    the same text and 1-based column as the CLI."""
    files = _sources(tmp_path)
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "TSL", *map(str, files)],
                            capture_output=True, text=True).stdout.splitlines()
    cli = run_cli(*files).stdout.splitlines()
    assert len(flake8) == len(cli) >= 40
    assert all(re.fullmatch(r"[^:]+:\d+:\d+: TSL\d{3} [^\s\[][^\n]*", line) for line in flake8)
    assert sorted(flake8) == sorted(line.replace(" [*] ", " ") for line in cli)
