"""The pages of docs/ show real output and working configuration, as the README does (tests/test_readme.py): their
console blocks are run on a copy of examples/ and must match, their JSON and TOML blocks are read as such, and their
Lua and Emacs Lisp blocks are the editor configurations tests/test_editors.py runs in the editors."""
import json
import re
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_readme import run_console_block
from tf_step_lint.declarations import load_toml

PAGES = sorted((ROOT / "docs").glob("*.md"))


def _blocks(language: str):
    return [(page, block) for page in PAGES
            for block in re.findall(rf"^```{language}\n(.*?)^```\n", page.read_text(), re.S | re.M)]


def _ids(blocks):
    return [f"{page.stem}-{index}" for index, (page, _) in enumerate(blocks)]


CONSOLE, JSON, TOML = _blocks("console"), _blocks("json"), _blocks("toml")


def test_the_readme_points_to_each_page():
    readme = (ROOT / "README.md").read_text()
    assert PAGES and all(f"(docs/{page.name})" in readme for page in PAGES)


@pytest.mark.parametrize("page, block", CONSOLE, ids=_ids(CONSOLE))
def test_console_block_output_is_real(page, block, tmp_path):
    run_console_block(block, tmp_path)


@pytest.mark.parametrize("page, block", JSON, ids=_ids(JSON))
def test_json_blocks_are_json(page, block):
    json.loads(block)


@pytest.mark.parametrize("page, block", TOML, ids=_ids(TOML))
def test_toml_blocks_are_toml(page, block):
    path = Path(tempfile.mkdtemp(), "block.toml")
    path.write_text(block)
    load_toml(path)


def test_lua_and_elisp_blocks_are_the_ones_the_editor_tests_run():
    from tests.test_editors import ELISP, LUA

    assert [block for _, block in _blocks("lua")] == LUA
    assert [block for _, block in _blocks("elisp")] == ELISP


def test_the_editor_settings_shown_run_the_server():
    """The VS Code settings and the Helix settings, which no test can run in their editor, name the server's
    command."""
    (vscode,) = [json.loads(block) for page, block in JSON if page.name == "editors.md"]
    assert [vscode["glspc.server.command"], *vscode["glspc.server.commandArguments"]] == ["tf-step-lint", "server"]
    assert "source.fixAll.tf-step-lint" in vscode["editor.codeActionsOnSave"]
    (helix,) = [block for page, block in TOML if page.name == "editors.md"]
    path = Path(tempfile.mkdtemp(), "languages.toml")
    path.write_text(helix)
    server = load_toml(path)["language-server"]["tf-step-lint"]
    assert [server["command"], *server["args"]] == ["tf-step-lint", "server"]
