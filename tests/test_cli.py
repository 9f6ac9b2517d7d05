import json
import os
import stat
import sys

from tests.conftest import BUGGY, ROOT, run_cli


def test_reports_path_line_col_code_message(buggy_file):
    result = run_cli(buggy_file)
    assert result.returncode == 1
    line, = result.stdout.splitlines()
    assert line.startswith(f"{buggy_file}:6:54: TSL101 [*] `minimize()` of AdamOptimizer is given no global_step")


def test_clean_file_exits_zero(tmp_path):
    (tmp_path / "ok.py").write_text("import os\n")
    result = run_cli(tmp_path)
    assert (result.returncode, result.stdout) == (0, "")


def test_bad_files_are_reported_and_the_others_still_linted(tmp_path, buggy_file):
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n")
    (tmp_path / "latin.py").write_bytes(b"x = '\xff'\n")
    result = run_cli(tmp_path, tmp_path / "missing.py")
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"{tmp_path / 'broken.py'}:1:") and " TSL000 cannot parse" in line for line in lines)
    assert any(line.startswith(f"{tmp_path / 'latin.py'}:1:1: TSL000 cannot decode") for line in lines)
    assert f"{tmp_path / 'missing.py'}:1:1: TSL000 no such file or directory" in lines
    assert any(f"{buggy_file}:6:54: TSL101" in line for line in lines)
    assert all(line.count("\n") == 0 for line in lines)


def test_directories_are_walked_skipping_vcs_virtualenvs_and_build(tmp_path):
    for folder in (".git", "build", "env", "pkg/sub"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "train.py").write_text(BUGGY)
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "notes.txt").write_text(BUGGY)
    result = run_cli(tmp_path)
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [str(tmp_path / "pkg/sub/train.py")]


def test_select_and_ignore_by_prefix(buggy_file):
    assert run_cli(buggy_file, "--ignore", "TSL1").stdout == ""
    assert run_cli(buggy_file, "--select", "TSL2").stdout == ""
    assert "TSL101" in run_cli(buggy_file, "--select", "TSL2,TSL101").stdout
    assert "TSL101" in run_cli(buggy_file, "--ignore", "TSL", "--select", "TSL101").stdout


def test_unknown_codes_are_a_usage_error(buggy_file):
    result = run_cli(buggy_file, "--select", "TSL1,TSL999")
    assert result.returncode == 2 and "unknown rule code or prefix 'TSL999'" in result.stderr


def test_noqa(tmp_path):
    line = "    train_op = tf.compat.v1.train.AdamOptimizer(0.1).minimize(loss)"
    for comment, silenced in (("# noqa", True), ("# noqa: TSL101", True), ("# NOQA:TSL1", True),
                              ("# noqa: E501", False), ("# noqa: TSL102", False)):
        path = tmp_path / "train.py"
        path.write_text(BUGGY.replace(line, f"{line}  {comment}"))
        assert (run_cli(path).stdout == "") is silenced, comment


def test_json_format(buggy_file):
    result = run_cli(buggy_file, "--format", "json")
    row, = json.loads(result.stdout)
    assert row["path"] == str(buggy_file) and (row["line"], row["column"], row["code"]) == (6, 54, "TSL101")
    assert row["fixable"] is True and row["message"].startswith("`minimize()`")


def test_fix_rewrites_in_place_keeping_mode_and_reports_nothing_left(buggy_file):
    os.chmod(buggy_file, 0o754)
    result = run_cli(buggy_file, "--fix", "--target-version", "2.15")  # no note of a guessed target
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")  # not a terminal: nothing extra
    assert "minimize(loss, global_step=tf.compat.v1.train.get_or_create_global_step())" in buggy_file.read_text()
    assert stat.S_IMODE(buggy_file.stat().st_mode) == 0o754
    assert run_cli(buggy_file).returncode == 0
    assert [p.name for p in buggy_file.parent.iterdir()] == ["train.py"]  # no temporary file left behind


def test_fix_keeps_unfixable_findings(tmp_path):
    path = tmp_path / "export.py"
    path.write_text("import tensorflow as tf\n\nest = tf.estimator.Estimator(model_fn=None)\n"
                    "est.export_saved_model('/tmp', fn, serving_input_fn=fn)\n")
    before = path.read_bytes()
    result = run_cli(path, "--fix")
    assert result.returncode == 1 and "TSL201" in result.stdout
    assert "did you mean `serving_input_receiver_fn`" in result.stdout
    assert path.read_bytes() == before


def test_diff_shows_the_fix_and_changes_nothing(buggy_file):
    result = run_cli(buggy_file, "--diff")
    assert result.returncode == 1
    assert f"--- {buggy_file}\n+++ {buggy_file}\n" in result.stdout
    assert "-    train_op = tf.compat.v1.train.AdamOptimizer(0.1).minimize(loss)\n" in result.stdout
    assert "+    train_op = tf.compat.v1.train.AdamOptimizer(0.1).minimize(loss, global_step=" in result.stdout
    assert buggy_file.read_text() == BUGGY
    assert run_cli(buggy_file.parent / "none.py", "--diff").returncode == 2


def test_explain(tmp_path):
    result = run_cli("explain", "tsl101", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("# TSL101 step-never-increments\n")
    unknown = run_cli("explain", "TSL999")
    assert unknown.returncode == 2 and "TSL101" in unknown.stderr


def test_version_and_usage_errors():
    from tf_step_lint import __version__

    assert run_cli("--version").stdout.strip() == f"tf-step-lint {__version__}"
    assert run_cli("--format", "xml").returncode == 2


def test_linting_never_imports_tensorflow_or_runs_the_code(tmp_path):
    (tmp_path / "boom.py").write_text(BUGGY + "\nraise SystemExit('executed')\n")
    script = ("import sys; from tf_step_lint.cli import main; code = main([sys.argv[1]]); "
              "assert not [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')], 'imported TF'; "
              "print('exit', code)")
    result = __import__("subprocess").run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                                          text=True, cwd=ROOT)
    assert result.stdout.splitlines()[-1] == "exit 1", result.stderr


def test_parallel_runs_give_the_same_output_in_the_same_order(tmp_path):
    for i in range(24):
        (tmp_path / f"m{i:02}.py").write_text(BUGGY if i % 3 == 0 else f"import os\nVALUE = {i}\n")
    (tmp_path / "m05.py").write_text("def broken(:\n")
    serial, parallel = run_cli(tmp_path, "-j", "1"), run_cli(tmp_path, "-j", "2")
    assert (parallel.returncode, parallel.stdout) == (serial.returncode, serial.stdout) == (2, serial.stdout)
    assert serial.stdout.count("TSL101") == 8 and "m05.py:1:12: TSL000" in serial.stdout
    fixed = run_cli(tmp_path, "-j", "2", "--fix", "--show-fixes")
    assert "Fixed 8 findings:\n" in fixed.stdout and fixed.stdout.count("    1 × TSL101") == 8
    assert "TSL101 [*]" not in fixed.stdout
    assert run_cli(tmp_path, "-j", "0").returncode == 2


def test_explain_tsl000_says_what_it_is():
    result = run_cli("explain", "TSL000")
    assert result.returncode == 0 and result.stdout.startswith("# TSL000 file-not-checked\n")
