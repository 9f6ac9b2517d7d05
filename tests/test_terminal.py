"""In an interactive terminal: progress on stderr and one summary line; nothing extra otherwise or with --quiet."""
import os
import pty
import re
import subprocess
import sys

import pytest

from tests.conftest import BUGGY, run_cli
from tests.test_output import UNSAFE_ONLY


@pytest.fixture
def tree(tmp_path):
    for i in range(60):
        (tmp_path / f"plain_{i:02}.py").write_text(f"import os\nVALUE = {i}\n")
    for i in range(3):
        (tmp_path / f"train_{i}.py").write_text(BUGGY)
    (tmp_path / "saver.py").write_text(UNSAFE_ONLY)
    (tmp_path / "requirements.txt").write_text("tensorflow==2.15.1\n")  # no guessed target to say on stderr
    return tmp_path


def _in_terminal(cwd, *args):
    """Run tf-step-lint with stderr on a pseudo-terminal (stdout a pipe, as when piped to a file); (stdout, stderr)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "tf_step_lint", *args], cwd=cwd, stdout=subprocess.PIPE,
                               stderr=terminal, text=True)
    os.close(terminal)
    stderr = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        stderr += chunk
    stdout = process.stdout.read()
    process.wait(timeout=120)
    os.close(controller)
    return stdout, stderr.decode()


def test_a_terminal_shows_progress_and_a_summary(tree):
    stdout, stderr = _in_terminal(tree, "-j", "1", "--no-cache", ".")
    assert stdout.count("TSL101 [*]") == 3 and "TSL203 " in stdout
    progress = re.findall(r"\rtf-step-lint: (\d+)/(\d+) files", stderr)
    assert progress and progress[-1][0] == progress[-1][1]
    assert all(int(done) <= int(total) for done, total in progress)
    summary = stderr.rsplit("\x1b[K", 1)[1].strip()
    assert re.fullmatch(r"tf-step-lint: 64 files linted \(4 analysed, 60 skipped by the prefilter\), 4 findings, "
                        r"3 fixable with --fix, 1 more with --unsafe-fixes, in \d+\.\d s", summary), summary


def test_the_summary_counts_fixes_and_the_cache(tree):
    _in_terminal(tree, ".")
    _, warm = _in_terminal(tree, ".")
    assert "(4 analysed, 60 skipped by the prefilter, 64 from the cache)" in warm
    _, fixing = _in_terminal(tree, "--fix", "--unsafe-fixes", ".")
    assert re.search(r", 0 findings, 4 fixed, in \d+\.\d s\r?\n$", fixing), fixing


def test_quiet_or_no_terminal_means_nothing_extra(tree):
    stdout, stderr = _in_terminal(tree, "--quiet", ".")
    assert stderr == "" and stdout.count("TSL101") == 3
    piped = run_cli(".", cwd=tree)
    assert piped.stderr == "" and piped.stdout == stdout
