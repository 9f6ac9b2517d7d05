"""Anything a repository can hold: each case gets one clear line (or its normal findings), and the run goes on.

Every case is linted by a real process next to a buggy file, whose finding must still be reported.
"""
import os
import shutil
import stat
import subprocess
import sys

import pytest

import tf_step_lint.engine
from tests.conftest import BUGGY, run_cli
from tf_step_lint.cli import lint_paths
from tf_step_lint.config import Configuration, Settings
from tf_step_lint.codes import ALL
from tf_step_lint.files import MAX_BYTES, collect_files

BOM = b"\xef\xbb\xbf"
BUGGY_BYTES = BUGGY.encode()
FINDING = "6:54: TSL101"  # where BUGGY's finding is
TRAILER = b"# tensorflow estimator model_fn minimize EstimatorSpec export_saved_model Saver global_step\n"

CASES = {  # name: (file content, the one line expected for it after "path:" or None, whether --fix fixes it)
    "python2_print": (b"import tensorflow as tf\nprint 'training'\n",
                      "2:1: TSL000 cannot parse: Missing parentheses in call to 'print'", False),
    "template_blanks": (b"import tensorflow as tf\n\n\ndef {{ cookiecutter.model_fn }}(features, labels, mode):\n"
                        b"    pass\n", "4:5: TSL000 cannot parse: invalid syntax", False),
    "undecodable_bytes": (b"import tensorflow as tf\nname = '\xff\xfe'\n", "1:1: TSL000 cannot decode: ", False),
    "unknown_encoding": (b"# -*- coding: klingon -*-\nimport tensorflow as tf\n",
                         "1:1: TSL000 cannot parse: unknown encoding: klingon", False),
    "utf16_without_declaration": ("import tensorflow as tf\n".encode("utf-16"),
                                  "1:1: TSL000 cannot parse: source code string cannot contain null bytes", False),
    "nul_byte": (b"import tensorflow as tf\nx = 1\x00\n",
                 "1:1: TSL000 cannot parse: source code string cannot contain null bytes", False),
    "utf8_bom": (BOM + BUGGY_BYTES, FINDING, True),
    "latin1_declared": (b"# -*- coding: latin-1 -*-\n" + BUGGY_BYTES.replace(b"\n\n\n", b"\n# caf\xe9\n"),
                        FINDING, True),
    "crlf_newlines": (BUGGY_BYTES.replace(b"\n", b"\r\n"), FINDING, True),
    "lone_cr_newlines": (BUGGY_BYTES.replace(b"\n", b"\r"), FINDING, True),
    "tab_indentation": (BUGGY_BYTES.replace(b"    ", b"\t"), "6:51: TSL101", True),
    "tabs_mixed_with_spaces": (b"import tensorflow as tf\nif True:\n\tif True:\n        pass\n",
                               "4:1: TSL000 cannot parse: inconsistent use of tabs and spaces in indentation", False),
    "form_feed_lines": (BUGGY_BYTES.replace(b"\n\n\ndef", b"\n\x0c\n\x0c\ndef"), FINDING, True),
    "form_feed_before_code": (BUGGY_BYTES.replace(b"\n\n\ndef", b"\n\x0c\n\n\x0cdef"), FINDING, False),  # LibCST
    "nesting_python_refuses": (b"x = " + b"1 + " * 5000 + b"1\n" + TRAILER,  # would drop that form feed
                               "1:1: TSL000 cannot parse: nested too deeply for Python's parser", False),
    "and_chain_too_deep_for_libcst": (b"x = " + b"a and " * 25_000 + b"a\n" + TRAILER, None, False),  # ast: flat
    "deep_but_valid_nesting": (BUGGY_BYTES + b"x = " + b"1 + " * 2000 + b"1\n"
                               + b"y = " + b"a and " * 3000 + b"a\n", FINDING, True),
    "very_long_line": (BUGGY_BYTES + b"DATA = '" + b"a" * 2_000_000 + b"'\n", FINDING, True),
    "huge_file": (b"import tensorflow as tf\n" + b"#" * MAX_BYTES + b"\n",
                  "1:1: TSL000 not checked: 8.0 MB is over the 8 MB limit", False),
    "empty": (b"", None, False),
    "only_a_bom": (BOM, None, False),
    "only_comments_no_newline": (b"# import tensorflow as tf", None, False),
}


def _lines_for(result, path):
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stdout.splitlines()
    assert all(line.count(": ") >= 1 and "\r" not in line for line in lines)
    return [line[len(f"{path}:"):] for line in lines if line.startswith(f"{path}:")]


def _check_run_goes_on(result, buggy_file):
    assert any(line.startswith(f"{buggy_file}:{FINDING}") for line in result.stdout.splitlines()), result.stdout


@pytest.mark.parametrize("name", CASES)
def test_each_hostile_file_gets_one_clear_line_and_the_run_goes_on(name, tmp_path, buggy_file):
    content, expected, _ = CASES[name]
    path = tmp_path / f"{name}.py"
    path.write_bytes(content)
    result = run_cli(path, buggy_file, "--no-cache", timeout=120)
    _check_run_goes_on(result, buggy_file)
    lines = _lines_for(result, path)
    if expected is None:
        assert lines == []
    else:
        assert len(lines) == 1 and lines[0].startswith(expected), lines
    assert result.returncode == (2 if expected and "TSL000" in expected else 1)


def test_fix_changes_only_the_fix_and_leaves_files_it_cannot_keep_untouched(tmp_path, buggy_file):
    for name, (content, _, _) in CASES.items():
        if name != "huge_file":
            (tmp_path / f"{name}.py").write_bytes(content)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = run_cli(tmp_path, "--fix", "--no-cache", timeout=300)
    assert "Traceback" not in result.stderr and result.returncode == 2
    step = b"global_step=tf.compat.v1.train.get_or_create_global_step()"
    for name, (content, _, fixable) in CASES.items():
        if name != "huge_file":  # a fix inserts the argument; every other byte (BOM, newlines, tabs) stays
            fixed = content.replace(b"minimize(loss)", b"minimize(loss, " + step + b")") if fixable else content
            assert (tmp_path / f"{name}.py").read_bytes() == fixed, name
    assert "form_feed_before_code.py:1:1: TSL000 not fixed: " in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before)  # no temporary file left


def test_deeply_nested_source_gives_tsl000_through_the_engine_not_recursion_error():
    for source in (b"x = " + b"-" * 50_000 + b"1\n" + TRAILER, b"x = " + b"a and " * 1_000_000 + b"a\n" + TRAILER,
                   b"x = " + b"(" * 150 + b"[" * 40 + b"]" * 40 + b")" * 150 + b"\n" + TRAILER):
        findings = tf_step_lint.engine.lint_source(source)
        assert all(f.code == "TSL000" for f in findings)
        assert tf_step_lint.engine.fix_source(source).source == source


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the type statement is not newer than this Python")
def test_code_newer_than_the_python_running_the_linter_gets_its_own_line(tmp_path, buggy_file):
    """``ast`` reads the host Python's syntax; LibCST tells valid newer code (a 3.12 type statement) from broken."""
    path = tmp_path / "newer.py"
    path.write_bytes(b"import tensorflow as tf\ntype Step = int\n")
    result = run_cli(path, buggy_file, "--no-cache")
    _check_run_goes_on(result, buggy_file)
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert _lines_for(result, path) == [
        f"2:6: TSL000 cannot parse: this code uses syntax newer than Python {version}, which runs tf-step-lint "
        f"(invalid syntax); run tf-step-lint with a newer Python"]


def test_the_linted_codes_own_warnings_are_not_printed(tmp_path):
    """Python warns about the code it parses (an invalid escape, an assert on a tuple); those are not ours to say."""
    path = tmp_path / "warns.py"
    path.write_bytes(b'import re\nx = re.compile("\\d+")\nassert (x, "always true")\n' + TRAILER)
    result = subprocess.run([sys.executable, "-W", "default", "-m", "tf_step_lint", "--no-cache", "--target-version",
                             "2.15", str(path)],
                            capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_an_and_chain_too_deep_for_libcst_is_analysed_but_not_fixed(tmp_path, buggy_file):
    """``ast`` keeps ``a and b and ...`` flat, so the file is analysed; LibCST would nest it 25,000 levels deep
    (minutes, or a crash, in its native parser), so the fix is refused with one line and the file is untouched."""
    path = tmp_path / "deep.py"
    content = BUGGY_BYTES + b"x = " + b"a and " * 25_000 + b"a\n"
    path.write_bytes(content)
    expected = _lines_for(run_cli(buggy_file, "--no-cache"), buggy_file)
    assert expected[0].startswith(FINDING) and _lines_for(run_cli(path, "--no-cache"), path) == expected
    result = run_cli(path, "--no-cache", "--fix")
    assert _lines_for(result, path)[0] == "1:1: TSL000 not fixed: nested more than 20,000 levels deep for LibCST, " \
                                          "which fixes files"
    assert path.read_bytes() == content


def test_a_directory_named_like_a_python_file_is_walked_not_read(tmp_path, buggy_file):
    odd = tmp_path / "odd.py"
    odd.mkdir()
    shutil.copy(buggy_file, odd / "inner.py")
    for result in (run_cli(tmp_path), run_cli(odd)):
        assert f"{odd / 'inner.py'}:{FINDING}" in result.stdout and "TSL000" not in result.stdout


def test_symlinks_found_while_walking_are_not_followed_so_loops_and_outside_files_are_safe(tmp_path, buggy_file):
    root = tmp_path / "root"
    root.mkdir()
    (root / "loop").symlink_to(root)  # a directory loop
    (root / "self.py").symlink_to(root / "self.py")  # a file loop
    (root / "outside.py").symlink_to(buggy_file)  # a file outside the root
    (root / "outside_dir").symlink_to(buggy_file.parent)
    (root / "clean.py").write_text("import os\n")
    result = run_cli(root, timeout=60)
    assert (result.returncode, result.stdout) == (0, "")
    given = run_cli(root / "outside.py", root / "self.py", timeout=60)  # given by name: followed, or a clear error
    assert f"{root / 'outside.py'}:{FINDING}" in given.stdout
    assert f"{root / 'self.py'}:1:1: TSL000 cannot read: Too many levels of symbolic links" in given.stdout


def test_the_same_file_under_two_names_is_linted_once(tmp_path, buggy_file):
    (tmp_path / "link.py").symlink_to(buggy_file)
    result = run_cli(buggy_file, tmp_path / "link.py", f"{tmp_path}/./train.py")
    assert result.stdout.count("TSL101") == 1


def test_a_fifo_named_like_a_python_file_never_blocks_the_run(tmp_path, buggy_file):
    os.mkfifo(tmp_path / "pipe.py")
    walked = run_cli(tmp_path, timeout=60)
    assert walked.stdout.count("TSL101") == 1 and "pipe.py" not in walked.stdout
    given = run_cli(tmp_path / "pipe.py", buggy_file, timeout=60)
    assert f"{tmp_path / 'pipe.py'}:1:1: TSL000 cannot read: not a regular file" in given.stdout
    _check_run_goes_on(given, buggy_file)


def _run_without_root_powers(*args):
    """tf-step-lint as a user whom file permissions apply to: as root, without the capabilities that bypass them."""
    if os.geteuid() != 0:
        return run_cli(*args)
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, and setpriv (util-linux) is missing to drop CAP_DAC_OVERRIDE")
    return subprocess.run([setpriv, "--bounding-set", "-dac_override,-dac_read_search", sys.executable, "-m",
                           "tf_step_lint", *map(str, args)], capture_output=True, text=True)


def test_project_files_that_are_not_regular_files_do_not_stop_the_target_search(tmp_path, buggy_file):
    os.mkfifo(tmp_path / "requirements.txt")
    (tmp_path / "requirements-dev.txt").mkdir()
    os.mkfifo(tmp_path / "pyproject.toml")
    result = run_cli(buggy_file, timeout=60)
    assert result.returncode == 1 and f"{buggy_file}:{FINDING}" in result.stdout
    given = run_cli("--config", tmp_path / "pyproject.toml", buggy_file, timeout=60)
    assert given.returncode == 2 and given.stderr.count("\n") == 1 and "not a regular file" in given.stderr


def test_a_pyproject_that_is_not_toml_is_one_clear_usage_error(tmp_path, buggy_file):
    """Like ruff: a broken configuration stops the run (exit 2) rather than lint with settings it did not mean."""
    (tmp_path / "pyproject.toml").write_bytes(b"\xff\x00 not toml [[[")
    result = run_cli(buggy_file, timeout=60)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"tf-step-lint: error: {tmp_path / 'pyproject.toml'}: not valid TOML: ")
    assert result.stderr.count("\n") == 1


def test_an_unreadable_file_is_reported_and_the_run_goes_on(tmp_path, buggy_file):
    secret = tmp_path / "secret.py"
    secret.write_text(BUGGY)
    secret.chmod(0)
    result = _run_without_root_powers(secret, buggy_file, "--no-cache")
    assert f"{secret}:1:1: TSL000 cannot read: Permission denied" in result.stdout.splitlines()
    _check_run_goes_on(result, buggy_file)
    assert result.returncode == 2


def test_a_missing_path_is_reported_and_the_run_goes_on(tmp_path, buggy_file):
    result = run_cli(tmp_path / "gone.py", buggy_file)
    assert f"{tmp_path / 'gone.py'}:1:1: TSL000 no such file or directory" in result.stdout.splitlines()
    _check_run_goes_on(result, buggy_file)


def test_files_that_vanish_or_turn_into_something_else_after_collection(tmp_path, buggy_file):
    for i in range(3):
        shutil.copy(buggy_file, tmp_path / f"m{i}.py")
    files, _ = collect_files([str(tmp_path)], Configuration(Settings()).excluded)
    (tmp_path / "m0.py").unlink()
    (tmp_path / "m1.py").unlink()
    os.mkfifo(tmp_path / "m1.py")
    (tmp_path / "m2.py").write_text("import os\n")
    outcomes = dict(zip(files, lint_paths(files, [ALL] * len(files), 1)))
    messages = {os.path.basename(path): [(f.code, f.message) for f in o.findings] for path, o in outcomes.items()}
    assert messages["m0.py"] == [("TSL000", "cannot read: No such file or directory")]
    assert messages["m1.py"] == [("TSL000", "cannot read: not a regular file")]
    assert messages["m2.py"] == [] and [code for code, _ in messages["train.py"]] == ["TSL101"]


def test_fix_refuses_a_read_only_file(buggy_file):
    buggy_file.chmod(0o444)
    result = run_cli(buggy_file, "--fix")
    assert f"{buggy_file}:1:1: TSL000 not fixed: the file is read-only" in result.stdout
    assert buggy_file.read_text() == BUGGY and result.returncode == 2


def test_fix_refuses_a_file_modified_between_read_and_write(buggy_file, monkeypatch):
    from tf_step_lint.cli import main

    real_fix = tf_step_lint.engine.fix_source
    edited = BUGGY + "# edited meanwhile by the user\n"

    def fix_while_the_user_edits(source, *args):
        result = real_fix(source, *args)
        buggy_file.write_text(edited)
        return result

    monkeypatch.setattr(tf_step_lint.engine, "fix_source", fix_while_the_user_edits)
    assert main([str(buggy_file), "--fix", "--no-cache"]) == 2
    assert buggy_file.read_text() == edited
    assert [p.name for p in buggy_file.parent.iterdir()] == ["train.py"]


def test_fix_through_a_symlink_rewrites_its_target_and_keeps_the_link(tmp_path, buggy_file):
    link = tmp_path / "link_dir"
    link.mkdir()
    (link / "train.py").symlink_to(buggy_file)
    assert run_cli(link / "train.py", "--fix").returncode == 0
    assert (link / "train.py").is_symlink() and "get_or_create_global_step()" in buggy_file.read_text()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file away")
def test_fix_keeps_the_owner_of_a_file(buggy_file):
    os.chown(buggy_file, 4321, 4321)
    buggy_file.chmod(0o640)
    assert run_cli(buggy_file, "--fix").returncode == 0
    status = buggy_file.stat()
    assert (status.st_uid, status.st_gid) == (4321, 4321) and stat.S_IMODE(status.st_mode) == 0o640


def test_a_name_rebound_through_unknown_calls_many_times_does_not_hang_the_optimizer_analysis(tmp_path, buggy_file):
    """``x = layer(x)`` over and over (xlnet's model code): each rebinding may be built from any other, so the ways
    to build the optimizer's argument grow as the factorial of their number; the analysis gives up, silent."""
    rebinds = "".join(f"    output = layers.block{i}(output, rate)\n" for i in range(40))
    (tmp_path / "model.py").write_text(
        "import tensorflow.compat.v1 as tf\nimport layers\n\n\ndef model_fn(features, labels, mode):\n"
        "    output = features['x']\n    rate = 0.1\n" + rebinds +
        "    optimizer = layers.wrap(output, rate)\n    loss = tf.reduce_mean(output)\n"
        "    train_op = optimizer.minimize(loss)\n"
        "    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)\n"
        "\n\ntf.estimator.Estimator(model_fn)\n")
    result = run_cli(tmp_path / "model.py", buggy_file, "--no-cache", timeout=120)  # a guard: without the bound it
    # would run for ever
    assert result.returncode == 1 and "model.py" not in result.stdout and "train.py" in result.stdout
