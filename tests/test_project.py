"""Whole-project analysis in the CLI: a model_fn in one module, its train op built by a function of another."""
import json
import os
import subprocess
import sys

from tests.conftest import run_cli

RUN_CLASSIFIER = '''import tensorflow as tf

from bert import optimization


def model_fn_builder(init_lr):
    def model_fn(features, labels, mode, params):
        loss = tf.reduce_mean(features["x"])
        train_op = optimization.create_optimizer(loss, init_lr){after}
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

    return model_fn
'''
OPTIMIZATION = '''import tensorflow as tf


def create_optimizer(loss, init_lr):
    optimizer = tf.compat.v1.train.AdamOptimizer(init_lr)
    tvars = tf.compat.v1.trainable_variables()
    train_op = optimizer.apply_gradients(zip(tf.gradients(loss, tvars), tvars)){after}
    return train_op
'''
INCREMENT = ("\n    {indent}step = tf.compat.v1.train.get_global_step()"
             "\n    {indent}train_op = tf.group(train_op, step.assign_add(1))")


def _project(tmp_path, caller_increments=False, helper_increments=False):
    (tmp_path / "bert").mkdir(parents=True)
    (tmp_path / "bert" / "run_classifier.py").write_text(
        RUN_CLASSIFIER.format(after=INCREMENT.format(indent="    ") if caller_increments else ""))
    (tmp_path / "bert" / "optimization.py").write_text(
        OPTIMIZATION.format(after=INCREMENT.format(indent="") if helper_increments else ""))
    return tmp_path


def test_missing_step_in_another_modules_helper_is_reported_where_it_is(tmp_path):
    project = _project(tmp_path)
    result = run_cli("bert", cwd=project)
    assert result.returncode == 1
    assert result.stdout.startswith("bert/optimization.py:7:26: TSL101 [*] `apply_gradients()` of AdamOptimizer")
    assert run_cli("bert", "-j", "2", cwd=project).stdout == result.stdout
    assert run_cli("bert/optimization.py", cwd=project).stdout == ""  # one file: the caller is not in the run
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "TSL", "bert"], cwd=project,
                            capture_output=True, text=True)
    assert flake8.stdout == ""  # per-file, as the README says


def test_fix_applies_in_the_helpers_module(tmp_path):
    project = _project(tmp_path)
    assert run_cli("bert", "--fix", cwd=project).returncode == 0
    assert "zip(tf.gradients(loss, tvars), tvars), global_step=tf.compat.v1.train.get_or_create_global_step())" in \
        (project / "bert" / "optimization.py").read_text()


def test_an_increment_on_either_side_keeps_it_silent(tmp_path):
    assert run_cli("bert", cwd=_project(tmp_path / "caller", caller_increments=True)).stdout == ""
    assert run_cli("bert", cwd=_project(tmp_path / "helper", helper_increments=True)).stdout == ""


def test_a_module_name_shared_by_two_files_resolves_beside_the_importer(tmp_path):
    project = _project(tmp_path)
    (project / "other").mkdir()
    (project / "other" / "optimization.py").write_text(OPTIMIZATION.format(after=""))
    (project / "bert" / "run_classifier.py").write_text(
        RUN_CLASSIFIER.format(after="").replace("from bert import optimization", "import optimization"))
    result = run_cli(".", cwd=project)
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["bert/optimization.py"]


def test_a_module_name_shared_by_projects_resolves_to_the_nearest(tmp_path):
    """DeepLearningExamples: each project has its own utils/; `from utils import optimization` in one project's
    model/ is that project's."""
    for name in ("first", "second"):
        (tmp_path / name / "utils").mkdir(parents=True)
        (tmp_path / name / "model").mkdir()
        (tmp_path / name / "utils" / "optimization.py").write_text(OPTIMIZATION.format(after=""))
    (tmp_path / "first" / "model" / "run.py").write_text(
        RUN_CLASSIFIER.format(after="").replace("from bert import optimization", "from utils import optimization"))
    result = run_cli(".", cwd=tmp_path)
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["first/utils/optimization.py"]


def test_a_module_beside_the_importer_wins_over_a_copy_in_a_subfolder(tmp_path):
    """simclr: the root's `import optimization` is the root's module, not tf2/'s copy of it."""
    project = _project(tmp_path)
    (project / "bert" / "tf2").mkdir()
    (project / "bert" / "tf2" / "optimization.py").write_text(OPTIMIZATION.format(after=""))
    (project / "bert" / "run_classifier.py").write_text(
        RUN_CLASSIFIER.format(after="").replace("from bert import optimization", "import optimization"))
    result = run_cli(".", cwd=project)
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["bert/optimization.py"]


def test_a_cached_result_is_not_reused_once_a_module_it_came_from_changes(tmp_path):
    """main.py's finding depends on what utils.py's factory builds: the cache keeps it only while utils.py is the
    same."""
    (tmp_path / "main.py").write_text(
        "import tensorflow as tf\nimport utils\n\n\ndef model_fn(features, labels, mode):\n"
        "    loss = tf.reduce_mean(features['x'])\n    train_op = utils.build(0.1).minimize(loss)\n"
        "    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)\n\n\n"
        "tf.estimator.Estimator(model_fn)\n")
    factory = "import tensorflow as tf\n\n\ndef build(learning_rate):\n    return {}(learning_rate)\n"
    (tmp_path / "utils.py").write_text(factory.format("tf.compat.v1.train.AdamOptimizer"))
    first = run_cli(".", cwd=tmp_path)
    assert first.stdout.startswith("main.py:7:33: TSL101")
    assert run_cli(".", cwd=tmp_path).stdout == first.stdout
    cached = json.loads(next((tmp_path / ".tf_step_lint_cache").glob("results-*.json")).read_text())
    assert [list(entry["depends"]) for entry in cached["entries"].values() if entry["depends"]] == [
        [os.path.abspath(tmp_path / "utils.py")]]  # main.py's result is kept, with what it came from
    (tmp_path / "utils.py").write_text(factory.format("tf.keras.optimizers.Adam"))
    os.utime(tmp_path / "utils.py", (1, 1))  # even with an old mtime: the stamp has other parts, the digest decides
    assert "TSL101" not in run_cli(".", cwd=tmp_path).stdout
