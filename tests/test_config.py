"""[tool.tf-step-lint] in pyproject.toml: found per file by walking up, overridden by flags, and strict about errors;
and flake8's own configuration for the plugin."""
import subprocess
import sys

import pytest

import tf_step_lint.cli
from tests.conftest import BUGGY, run_cli
from tf_step_lint.config import Settings, selected_codes

TF1_NAME = "import tensorflow as tf\n\nSAVER = tf.train.Saver\n"  # TSL302 at 3:9 for a 2.x target
TF2_PIN = "tensorflow==2.15.1\n"  # BUGGY's tf.compat.v1 is TF 1.15's too: without a pin these files are TF1 code


def _write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _reported(result):
    return sorted((line.split(":")[0], line.split()[1]) for line in result.stdout.splitlines())


@pytest.mark.parametrize("layers,codes", [
    ([Settings(select=("TSL2",))], ["TSL201", "TSL202", "TSL203", "TSL204", "TSL205"]),
    ([Settings(select=("TSL2",), ignore=("TSL20",), extend_select=("TSL203",))], ["TSL203"]),
    ([Settings(ignore=("TSL1", "TSL2", "TSL3"), extend_select=("TSL101",))], ["TSL101"]),
    ([Settings(select=("TSL101",), ignore=("TSL101",))], []),  # equally specific: ignore wins
    ([Settings(ignore=("TSL",)), Settings(select=("TSL30",))], ["TSL301", "TSL302"]),  # a later select resets
    ([Settings(ignore=("TSL1",)), Settings(ignore=("TSL2", "TSL3"))], []),  # ignores accumulate
    ([Settings(select=("TSL3",)), Settings(extend_select=("TSL101",))], ["TSL101", "TSL301", "TSL302"]),
])
def test_codes_resolve_as_ruff_resolves_them(layers, codes):
    assert list(selected_codes(tuple(layers))) == codes


def test_the_nearest_pyproject_with_the_table_applies_to_each_file(tmp_path):
    _write(tmp_path, {
        "pyproject.toml": '[tool.tf-step-lint]\nignore = ["TSL101"]\n', "requirements.txt": TF2_PIN,
        "a/train.py": BUGGY, "a/old.py": TF1_NAME,
        "b/pyproject.toml": '[project]\nname = "b"\n',  # no table: skipped, the root's applies
        "b/train.py": BUGGY,
        "c/pyproject.toml": '[tool.tf-step-lint]\nselect = ["TSL1"]\n',  # nearest wins, nothing merged
        "c/train.py": BUGGY, "c/old.py": TF1_NAME,
    })
    result = run_cli(".", "--no-cache", cwd=tmp_path)
    assert _reported(result) == [("a/old.py", "TSL302"), ("c/train.py", "TSL101")]
    from_inside = run_cli("train.py", "old.py", "--no-cache", cwd=tmp_path / "c")
    assert _reported(from_inside) == [("train.py", "TSL101")]


def test_flags_override_the_file(tmp_path):
    _write(tmp_path, {"pyproject.toml": '[tool.tf-step-lint]\nselect = ["TSL3"]\nignore = ["TSL302"]\n',
                      "train.py": BUGGY, "old.py": TF1_NAME, "requirements.txt": TF2_PIN})
    assert _reported(run_cli(".", "--no-cache", cwd=tmp_path)) == []
    assert _reported(run_cli(".", "--no-cache", "--select", "TSL", cwd=tmp_path)) == [
        ("old.py", "TSL302"), ("train.py", "TSL101")]
    assert _reported(run_cli(".", "--no-cache", "--extend-select", "TSL101", cwd=tmp_path)) == [
        ("train.py", "TSL101")]
    assert _reported(run_cli(".", "--no-cache", "--select", "TSL", "--ignore", "TSL1", cwd=tmp_path)) == [
        ("old.py", "TSL302")]


def test_per_file_ignores_from_the_file_and_the_command_line(tmp_path):
    _write(tmp_path, {"pyproject.toml": '[tool.tf-step-lint.per-file-ignores]\n"legacy/*" = ["TSL3"]\n'
                                        '"*_test.py" = ["TSL101"]\n',
                      "legacy/old.py": TF1_NAME, "old.py": TF1_NAME, "train_test.py": BUGGY, "train.py": BUGGY,
                      "requirements.txt": TF2_PIN})
    assert _reported(run_cli(".", "--no-cache", cwd=tmp_path)) == [("old.py", "TSL302"), ("train.py", "TSL101")]
    from_sub = run_cli("old.py", "--no-cache", cwd=tmp_path / "legacy")  # globs are relative to the pyproject
    assert _reported(from_sub) == []
    flag = run_cli(".", "--no-cache", "--per-file-ignores", "train.py:TSL1", cwd=tmp_path)
    assert _reported(flag) == [("old.py", "TSL302")]
    assert run_cli(".", "--per-file-ignores", "TSL1", cwd=tmp_path).returncode == 2


def test_exclude_and_extend_exclude(tmp_path):
    _write(tmp_path, {"pyproject.toml": '[tool.tf-step-lint]\nextend-exclude = ["generated", "*_pb2.py"]\n',
                      "train.py": BUGGY, "generated/train.py": BUGGY, "model_pb2.py": BUGGY,
                      "build/train.py": BUGGY, ".venv/lib/train.py": BUGGY})
    assert _reported(run_cli(".", "--no-cache", cwd=tmp_path)) == [("train.py", "TSL101")]
    # a file named on the command line is linted anyway, unless --force-exclude (what the pre-commit hooks pass)
    named = ["generated/train.py", "model_pb2.py", "build/train.py", "train.py"]
    assert len(_reported(run_cli(*named, "--no-cache", cwd=tmp_path))) == 4
    assert _reported(run_cli(*named, "--no-cache", "--force-exclude", cwd=tmp_path)) == [("train.py", "TSL101")]
    assert _reported(run_cli(".", "--no-cache", "--extend-exclude", "train.py", cwd=tmp_path)) == []
    # `exclude` replaces the defaults (build/, .venv/, ...)
    (tmp_path / "pyproject.toml").write_text('[tool.tf-step-lint]\nexclude = ["generated"]\n')
    assert _reported(run_cli(".", "--no-cache", cwd=tmp_path)) == [
        (".venv/lib/train.py", "TSL101"), ("build/train.py", "TSL101"), ("model_pb2.py", "TSL101"),
        ("train.py", "TSL101")]
    assert _reported(run_cli(".", "--no-cache", "--exclude", "build,.venv,*_pb2.py", cwd=tmp_path)) == [
        ("generated/train.py", "TSL101"), ("train.py", "TSL101")]


def test_force_exclude_only_looks_at_folders_inside_the_project(tmp_path):
    """A checkout under a folder named like an excluded one (`/home/ci/build/repo`) is still linted."""
    project = tmp_path / "build" / "repo"
    _write(project, {"pyproject.toml": '[tool.tf-step-lint]\ntarget-version = "2.15"\n', "train.py": BUGGY})
    assert _reported(run_cli("train.py", "--force-exclude", "--no-cache", cwd=project)) == [("train.py", "TSL101")]


def test_target_version_from_the_file_and_the_flag(tmp_path):
    _write(tmp_path, {"pyproject.toml": '[tool.tf-step-lint]\ntarget-version = "1.15"\n', "old.py": TF1_NAME})
    assert _reported(run_cli(".", "--no-cache", cwd=tmp_path)) == []
    assert _reported(run_cli(".", "--no-cache", "--target-version", "2.15", cwd=tmp_path)) == [("old.py", "TSL302")]


def test_jobs_from_the_file_and_the_flag(tmp_path, monkeypatch):
    _write(tmp_path, {"pyproject.toml": '[tool.tf-step-lint]\njobs = 3\n', "train.py": BUGGY, "other.py": BUGGY})
    used = []
    real_lint_paths = tf_step_lint.cli.lint_paths
    monkeypatch.setattr(tf_step_lint.cli, "lint_paths", lambda files, selections, jobs, *rest: (
        used.append(jobs), real_lint_paths(files, selections, 1, *rest))[1])
    monkeypatch.chdir(tmp_path)
    assert tf_step_lint.cli.main(["--no-cache", "."]) == 1
    assert tf_step_lint.cli.main(["--no-cache", "-j", "2", "."]) == 1
    assert used == [3, 2]


def test_config_names_another_file(tmp_path):
    _write(tmp_path, {"ci/lint.toml": '[tool.tf-step-lint]\nignore = ["TSL101"]\n', "train.py": BUGGY,
                      "pyproject.toml": '[tool.tf-step-lint]\nselect = ["TSL101"]\n'})
    assert _reported(run_cli(".", "--no-cache", "--config", "ci/lint.toml", cwd=tmp_path)) == []
    missing = run_cli(".", "--config", "nowhere.toml", cwd=tmp_path)
    assert missing.returncode == 2 and "nowhere.toml: cannot read" in missing.stderr
    (tmp_path / "ci" / "plain.toml").write_text("[tool.other]\n")
    no_table = run_cli(".", "--config", "ci/plain.toml", cwd=tmp_path)
    assert no_table.returncode == 2 and "no [tool.tf-step-lint] table" in no_table.stderr


@pytest.mark.parametrize("table,message", [
    ('select = ["TSL1"]\nselct = ["TSL2"]\n', ":3: [tool.tf-step-lint] selct: unknown key 'selct' (known: select,"),
    ('select = ["TSL1", "TSL999"]\n', ":2: [tool.tf-step-lint] select: unknown rule code or prefix 'TSL999' "),
    ('extend-select = ["E501"]\n', ":2: [tool.tf-step-lint] extend-select: unknown rule code or prefix 'E501'"),
    ('ignore = "TSL101"\n', ":2: [tool.tf-step-lint] ignore: must be a list of strings, not 'TSL101'"),
    ('\n[tool.tf-step-lint.per-file-ignores]\n"tests/*" = ["TSL9"]\n',
     ":4: [tool.tf-step-lint] per-file-ignores 'tests/*': unknown rule code or prefix 'TSL9'"),
    ('jobs = 0\n', ":2: [tool.tf-step-lint] jobs: must be a whole number of at least 1, not 0"),
    ('target-version = "latest"\n', ":2: [tool.tf-step-lint] target-version: not a TensorFlow version"),
    ('select = [\n', ": not valid TOML: "),
])
def test_a_bad_configuration_is_one_clear_line_and_exit_2(tmp_path, table, message):
    (tmp_path / "pyproject.toml").write_text(f"[tool.tf-step-lint]\n{table}")
    (tmp_path / "train.py").write_text(BUGGY)
    result = run_cli(".", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"tf-step-lint: error: {tmp_path / 'pyproject.toml'}{message}"), result.stderr
    assert result.stderr.count("\n") == 1


def test_a_bad_code_on_the_command_line_is_a_usage_error(buggy_file):
    for flag in ("--select", "--extend-select", "--ignore"):
        result = run_cli(buggy_file, flag, "TSL1,TSL999")
        assert result.returncode == 2 and f"argument {flag}: " in result.stderr and "'TSL999'" in result.stderr


def _flake8(cwd, *args):
    return subprocess.run([sys.executable, "-m", "flake8", *args, "."], cwd=cwd, capture_output=True, text=True)


@pytest.mark.parametrize("config_file", [".flake8", "setup.cfg", "tox.ini"])
def test_flake8_users_configure_the_plugin_in_flake8s_own_files(tmp_path, config_file):
    """The README's flake8 column: select/extend-select and per-file-ignores, read from flake8's own files."""
    _write(tmp_path, {"train.py": BUGGY, "legacy/train.py": BUGGY, "old.py": TF1_NAME, "requirements.txt": TF2_PIN})
    (tmp_path / config_file).write_text("[flake8]\nselect = TSL\nper-file-ignores =\n    legacy/*: TSL101\n"
                                        "    old.py: TSL3\n")
    result = _flake8(tmp_path)
    assert result.returncode == 1 and [line.split(":")[0] for line in result.stdout.splitlines()] == ["./train.py"]
    (tmp_path / config_file).write_text("[flake8]\nselect = E9\nextend-select = TSL3\n")
    assert [line.split()[1] for line in _flake8(tmp_path).stdout.splitlines()] == ["TSL302"]
