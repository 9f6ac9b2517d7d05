"""Standard input, as editors' plugins and formatters pipe a buffer in: `tf-step-lint --stdin-filename F -`."""
import subprocess
import sys

# A model_fn that never increments the step, and a loop that trains only once (TSL108); {noqa} is its line's end.
TRAIN = '''import tensorflow as tf


def model_fn(features, labels, mode):
    loss = tf.reduce_sum(features)
    train_op = tf.compat.v1.train.AdamOptimizer(0.1).minimize(loss){noqa}
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def main(model_dir):
    estimator = tf.estimator.Estimator(model_fn, model_dir=model_dir)
    for epoch in range(3):
        estimator.train(input_fn, max_steps=100)


def input_fn():
    return tf.data.Dataset.from_tensors(([1.0], [1.0])).repeat()
'''
STEP = "tf.compat.v1.train.get_or_create_global_step()"
FIXED = TRAIN.replace("minimize(loss)", f"minimize(loss, global_step={STEP})").format(noqa="")
BUGGY = TRAIN.format(noqa="")


def stdin_cli(*args, source, cwd):
    return subprocess.run([sys.executable, "-m", "tf_step_lint", "--no-cache", *args], cwd=cwd, capture_output=True,
                          input=source if isinstance(source, bytes) else source.encode())


def test_stdin_is_linted_as_the_named_file_with_its_configuration(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.tf-step-lint]\nper-file-ignores = {"pkg/*" = ["TSL108"]}\n')
    result = stdin_cli("--stdin-filename", "pkg/train.py", "-", source=BUGGY, cwd=tmp_path)
    assert result.returncode == 1
    assert [line.split(" ")[:2] for line in result.stdout.decode().splitlines()] == [["pkg/train.py:6:54:", "TSL101"]]
    other = stdin_cli("--stdin-filename", "other.py", "-", source=BUGGY, cwd=tmp_path)
    assert [line.split(" ")[1] for line in other.stdout.decode().splitlines()] == ["TSL101", "TSL108"]
    assert not (tmp_path / "pkg").exists()  # nothing read from or written to the named file


def test_the_target_version_of_the_named_files_project_applies(tmp_path):
    canned = "import tensorflow as tf\n\ntf.estimator.DNNClassifier([4], [], optimizer=tf.keras.optimizers.Adam())\n"
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "requirements.txt").write_text("tensorflow==2.10.0\n")
    (tmp_path / "requirements.txt").write_text("tensorflow==2.15.1\n")  # else old/'s pin would be new.py's too
    assert b"TSL109" in stdin_cli("--stdin-filename", "new.py", "-", source=canned, cwd=tmp_path).stdout
    assert stdin_cli("--stdin-filename", "old/train.py", "-", source=canned, cwd=tmp_path).stdout == b""


def test_fix_prints_the_whole_fixed_source_and_writes_nothing(tmp_path):
    (tmp_path / "train.py").write_text(BUGGY)
    result = stdin_cli("--fix", "--stdin-filename", "train.py", "-", source=BUGGY, cwd=tmp_path)
    assert result.stdout.decode() == FIXED
    assert (tmp_path / "train.py").read_text() == BUGGY
    assert result.stderr.decode().startswith("train.py:13:45: TSL108")  # what is left, on standard error
    assert result.returncode == 1
    clean = stdin_cli("--fix", "-", source=FIXED.replace("max_steps", "steps"), cwd=tmp_path)
    assert clean.stdout.decode() == FIXED.replace("max_steps", "steps") and clean.returncode == 0


def test_diff_prints_the_diff_of_the_named_file(tmp_path):
    result = stdin_cli("--diff", "--stdin-filename", "src/train.py", "-", source=BUGGY, cwd=tmp_path)
    diff = result.stdout.decode()
    assert diff.startswith("--- src/train.py\n+++ src/train.py\n")
    assert "+    train_op = tf.compat.v1.train.AdamOptimizer(0.1).minimize(loss, global_step=tf.compat.v1" in diff
    assert result.returncode == 1


def test_without_a_name_stdin_is_stdin_py_in_the_current_folder(tmp_path):
    result = stdin_cli("-", source=BUGGY, cwd=tmp_path)
    assert result.stdout.decode().splitlines()[0].startswith("stdin.py:6:54: TSL101")
    assert stdin_cli("--stdin-filename", "train.py", source=BUGGY, cwd=tmp_path).stdout.startswith(b"train.py:6:54:")


def test_undecodable_input_and_a_second_dash_are_one_clear_line_and_exit_2(tmp_path):
    result = stdin_cli("--stdin-filename", "train.py", "-", source=b"\xff\xfeimport tensorflow\n", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout.decode().startswith("train.py:1:1: TSL000 cannot decode:")
    fixing = stdin_cli("--fix", "-", source=b"x = '\xff'\n", cwd=tmp_path)
    assert fixing.returncode == 2 and fixing.stdout == b"x = '\xff'\n"  # the buffer comes back as it was
    twice = stdin_cli("-", "-", source=BUGGY, cwd=tmp_path)
    assert twice.returncode == 2 and len(twice.stderr.splitlines()) == 1 and b"standard input" in twice.stderr
    mixed = stdin_cli("-", "other.py", source=BUGGY, cwd=tmp_path)
    assert mixed.returncode == 2


def test_force_exclude_passes_an_excluded_name_through(tmp_path):
    result = stdin_cli("--force-exclude", "--fix", "--stdin-filename", "build/train.py", "-", source=BUGGY,
                       cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.decode() == BUGGY and result.stderr == b""


def test_a_source_over_the_size_limit_is_not_checked(tmp_path):
    from tf_step_lint.files import MAX_BYTES

    result = stdin_cli("-", source=b"x = 1\n" * (MAX_BYTES // 6 + 1), cwd=tmp_path)
    assert result.returncode == 2 and b"TSL000 not checked" in result.stdout
