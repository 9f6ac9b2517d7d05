"""The README shows real output: every ```console block is run on a copy of examples/ and must match exactly; its
configuration examples are used as they are written."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BUGGY, ROOT, run_cli

README = (ROOT / "README.md").read_text()
CONSOLE_BLOCKS = re.findall(r"^```console\n(.*?)^```\n", README, re.S | re.M)


def _commands(block):
    """(command, expected output) pairs: a `$ ` line, then the output up to the next one."""
    pairs = []
    for line in block.splitlines(keepends=True):
        if line.startswith("$ "):
            pairs.append([line[2:].rstrip("\n"), ""])
        else:
            pairs[-1][1] += line
    return pairs


def test_the_readme_and_its_docs_have_a_console_block_for_each_format():
    pages = [README, *(page.read_text() for page in sorted((ROOT / "docs").glob("*.md")))]
    blocks = [block for page in pages for block in re.findall(r"^```console\n(.*?)^```\n", page, re.S | re.M)]
    commands = [command for block in blocks for command, _ in _commands(block)]
    for option in ("--format json", "--format sarif", "--format github", "--statistics", "--show-fixes", "--diff"):
        assert any(option in command for command in commands), option
    assert any(command == "tf-step-lint examples/" for command in commands)  # the text format


@pytest.mark.parametrize("block", CONSOLE_BLOCKS, ids=[f"block{i}" for i in range(len(CONSOLE_BLOCKS))])
def test_console_block_output_is_real(block, tmp_path):
    run_console_block(block, tmp_path)


def run_console_block(block: str, tmp_path: Path) -> None:
    """Each command of ``block`` run on a copy of examples/, its output exactly as shown."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}")
    for command, expected in _commands(block):
        result = subprocess.run(["bash", "-o", "pipefail", "-c", command.replace("python -c", f"{sys.executable} -c")],
                                cwd=tmp_path, env=env, capture_output=True, text=True)
        assert result.stdout == expected, command
        assert result.stderr == ""


def _block(language, comment):
    return re.search(rf"^```{language}\n{re.escape(comment)}\n(.*?)^```\n", README, re.S | re.M).group(1)


def _project(root, config_name, config_text):
    """A project with the config file, and the same bug at the top, under tests/ and under generated/."""
    (root / config_name).write_text(config_text)
    for folder in ("tests", "generated"):
        (root / folder).mkdir()
    for path in ("train.py", "tests/train.py", "generated/train.py"):
        (root / path).write_text(BUGGY)
    return root


def test_the_readme_pyproject_example_works(tmp_path):
    result = run_cli(".", "--no-cache", cwd=_project(tmp_path, "pyproject.toml", _block("toml", "# pyproject.toml")))
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["train.py"], result.stderr


def test_the_readme_flake8_example_works(tmp_path):
    project = _project(tmp_path, ".flake8", _block("ini", "# .flake8 (or [flake8] in setup.cfg or tox.ini)"))
    result = subprocess.run([sys.executable, "-m", "flake8", "--select", "TSL", "."], cwd=project,
                            capture_output=True, text=True)
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["./train.py"], result.stderr
