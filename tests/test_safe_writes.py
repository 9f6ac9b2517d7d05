"""--fix writes through a temporary file and one rename: whatever happens, a file holds its old bytes or the new."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import BUGGY
from tf_step_lint.files import NotWritten, write_atomically

FIXED = BUGGY.replace("minimize(loss)", "minimize(loss, global_step=tf.compat.v1.train.get_or_create_global_step())")
FILES = 300


@pytest.mark.parametrize("signal_name,whom,jobs,delay", [
    ("SIGINT", "group", 1, 0.0),  # Ctrl-C in a terminal reaches every process of the group
    ("SIGINT", "group", 2, 0.0),
    ("SIGINT", "group", 2, 0.05),
    ("SIGTERM", "parent", 1, 0.0),  # a CI runner or a timeout stopping the command
    ("SIGTERM", "parent", 2, 0.05),
    ("SIGTERM", "group", 2, 0.0),
])
def test_an_interrupted_fix_leaves_every_file_old_or_new_and_no_temporary_file(
        tmp_path, signal_name, whom, jobs, delay):
    for i in range(FILES):
        (tmp_path / f"m{i:03}.py").write_text(BUGGY)
    process = subprocess.Popen([sys.executable, "-m", "tf_step_lint", "--fix", "--no-cache", "-j", str(jobs),
                                str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while all((tmp_path / f"m{i:03}.py").read_text() == BUGGY for i in range(0, FILES, 7)):  # fixing has begun
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.002)
    time.sleep(delay)
    number = getattr(signal, signal_name)
    os.killpg(process.pid, number) if whom == "group" else os.kill(process.pid, number)
    _, stderr = process.communicate(timeout=120)
    contents = [path.read_text() for path in sorted(tmp_path.iterdir())]
    assert len(contents) == FILES  # no temporary file left behind
    assert all(text in (BUGGY, FIXED) for text in contents)
    fixed = contents.count(FIXED)
    assert 0 < fixed < FILES, "the signal came after the run: nothing was interrupted"
    assert process.returncode == 128 + number, stderr
    assert stderr.splitlines()[-1] == (f"tf-step-lint: interrupted by {signal_name}; "
                                       "every file is as it was or completely fixed")
    assert "Traceback" not in stderr


def test_a_write_that_would_not_parse_is_refused_and_the_file_kept(buggy_file):
    with pytest.raises(NotWritten, match="would not parse"):
        write_atomically(str(buggy_file), BUGGY.encode(), b"def broken(:\n")
    assert buggy_file.read_text() == BUGGY and [p.name for p in buggy_file.parent.iterdir()] == ["train.py"]


def test_an_error_while_writing_removes_the_temporary_file(buggy_file, monkeypatch):
    def disk_full(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(str(buggy_file), BUGGY.encode(), FIXED.encode())
    assert buggy_file.read_text() == BUGGY and [p.name for p in buggy_file.parent.iterdir()] == ["train.py"]
