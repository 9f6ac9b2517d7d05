"""The target TensorFlow version: flag, pyproject config, the project's own pin, else 2.15; and what it changes."""
import re
import subprocess
import sys

import pytest

from tests.conftest import run_cli
from tf_step_lint.config import _nearest, target_for
from tf_step_lint.detect import declared, detect, forget_detected
from tf_step_lint.target import DEFAULT, parse_version

USES_ESTIMATOR = "import tensorflow as tf\n\nESTIMATOR = tf.estimator.Estimator\n"
TF1_NAME = "import tensorflow as tf\n\nSAVER = tf.train.Saver\n"


@pytest.fixture(autouse=True)
def fresh_detection():
    forget_detected()
    _nearest.cache_clear()


@pytest.mark.parametrize("text,version", [("2.15", (2, 15)), ("2.16.1", (2, 16)), (" 1.15 ", (1, 15))])
def test_versions_parse(text, version):
    assert parse_version(text) == version


@pytest.mark.parametrize("text", ["2", "2.x", "latest", ""])
def test_bad_versions_are_refused(text):
    with pytest.raises(ValueError, match="not a TensorFlow version"):
        parse_version(text)


@pytest.mark.parametrize("requirement,version", [
    ("tensorflow==2.16.1", (2, 16)),
    ("tensorflow-cpu>=2.4,<2.16", (2, 15)),
    ("tensorflow-gpu~=1.15.0", (1, 15)),
    ("tensorflow<2", (1, 15)),
    ("tensorflow[and-cuda]==2.17.* ; python_version >= '3.9'", (2, 17)),
    ("tensorflow<=2.12.1", (2, 12)),
    ("tensorflow>=2.0,<3.0", (2, 21)),  # the newest release the data knows (2.21), not a 2.59 that never was
    ("tensorflow>=2.4", DEFAULT),  # a lower bound says what the code needs, not what it runs on
    ("tensorflow-datasets==4.9", DEFAULT),
])
def test_a_requirements_pin_sets_the_target(tmp_path, requirement, version):
    (tmp_path / "requirements.txt").write_text(f"numpy>=1.20\n{requirement}\n")
    assert detect(str(tmp_path))[0] == version


@pytest.mark.parametrize("requirement,version", [
    ("tensorflow-gpu>=1.14,<2.0", (1, 15)),
    ("tensorflow[and-cuda]~=2.15.0", (2, 15)),
    ("tensorflow==1.15.5 ; python_version < '3.8'", (1, 15)),
    ("tensorflow-gpu==2.0.0rc1", (2, 0)),
    ("tensorflow!=2.1.0", DEFAULT),  # excludes one release, bounds nothing
])
def test_requirement_specifiers_are_read_as_pip_reads_them(tmp_path, requirement, version):
    (tmp_path / "requirements-gpu.txt").write_text(f"-r requirements.txt\n# a comment\n{requirement}  # why\n")
    assert detect(str(tmp_path))[0] == version


@pytest.mark.parametrize("name,content,version", [
    ("Dockerfile", "FROM tensorflow/tensorflow:1.15.0-gpu-py3\nRUN pip install numpy\n", (1, 15)),
    ("Dockerfile", "FROM nvcr.io/nvidia/tensorflow:20.06-tf1-py3\n", (1, 15)),
    ("Dockerfile", "ARG FROM_IMAGE_NAME=nvcr.io/nvidia/tensorflow:20.06-tf1-py3\nFROM ${FROM_IMAGE_NAME}\n", (1, 15)),
    ("Dockerfile", 'ARG BASE="tensorflow/tensorflow:1.14.0-gpu-py3"\nFROM $BASE AS build\n', (1, 14)),
    ("Dockerfile.gpu", "FROM nvcr.io/nvidia/tensorflow:22.01-tf2-py3 AS build\n", DEFAULT),
    ("Dockerfile", "FROM --platform=linux/amd64 tensorflow/tensorflow:2.4.1\n", (2, 4)),
    ("Dockerfile", "FROM python:3.7\nRUN pip install --no-cache-dir tensorflow-gpu==1.14.0 pandas\n", (1, 14)),
    ("Dockerfile", 'FROM python:3.7\nRUN pip3 install "tensorflow==1.15.0" && pip3 install numpy\n', (1, 15)),
    ("Dockerfile", "FROM tensorflow/tensorflow:latest-gpu\n", None),
    ("environment.yml", "name: x\ndependencies:\n  - python=3.7\n  - tensorflow-gpu=1.15\n", (1, 15)),
    ("environment.yml", "dependencies:\n  - pip\n  - pip:\n    - tensorflow==2.3.0\n", (2, 3)),
    ("environment.yaml", "dependencies:\n  - 'tensorflow>=1.13,<1.14'\n", (1, 13)),
    ("setup.cfg", "[metadata]\nname = x\n\n[options]\ninstall_requires =\n    numpy\n    tensorflow>=1.14,<2.0\n",
     (1, 15)),
    ("setup.cfg", "[options.extras_require]\ngpu = tensorflow-gpu==1.12.0\n", (1, 12)),
    ("Pipfile", '[packages]\nnumpy = "*"\ntensorflow = "==1.15.2"\n', (1, 15)),
    ("Pipfile", '[packages]\ntensorflow-gpu = {version = "<2.0", index = "pypi"}\n', (1, 15)),
    ("Pipfile", '[packages]\ntensorflow = "*"\n', None),
    ("pyproject.toml", '[tool.poetry.dependencies]\npython = "^3.7"\ntensorflow = "^1.15"\n', (1, 15)),
    ("pyproject.toml", '[tool.poetry.dependencies]\ntensorflow = "~2.4"\n', (2, 4)),
    ("pyproject.toml", '[tool.poetry.group.train.dependencies]\ntensorflow = {version = "2.10.*"}\n', (2, 10)),
])
def test_every_place_projects_declare_tensorflow_in(tmp_path, name, content, version):
    (tmp_path / name).write_text(content)
    found = detect(str(tmp_path))
    if version is None:
        assert found == (DEFAULT, "default")
    else:
        image = re.search(r"(?:FROM |ARG \w+=\"?)\S*tensorflow[:/]", content.replace("--platform=linux/amd64 ", ""))
        assert found == (version, f"{tmp_path / name}: its TensorFlow {'base image' if image else 'pin'}")


def test_the_pyproject_setting_wins_and_is_found_from_a_subfolder(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["tensorflow==2.12"]\n\n'
                                             '[tool.tf-step-lint]\ntarget-version = "2.16"\n')
    (tmp_path / "requirements.txt").write_text("tensorflow==1.15\n")
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "train.py").write_text(USES_ESTIMATOR)
    assert target_for(str(tmp_path / "src" / "pkg")) == (2, 16)
    assert detect(str(tmp_path / "src" / "pkg"))[0] == (2, 12)  # the pin, which the setting overrides


def test_pins_in_pyproject_dependencies_and_setup_py(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "pyproject.toml").write_text('[project]\nname = "a"\ndependencies = ["tensorflow<2.16"]\n')
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "setup.py").write_text("setup(install_requires=['numpy', 'tensorflow-cpu==1.15.5'])\n")
    assert detect(str(tmp_path / "a"))[0] == (2, 15)
    assert detect(str(tmp_path / "b"))[0] == (1, 15)


def test_the_search_stops_at_the_repository_root(tmp_path):
    (tmp_path / "requirements.txt").write_text("tensorflow==2.16\n")
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    assert detect(str(tmp_path / "repo")) == (DEFAULT, "default")


def test_the_cli_follows_the_pin_and_the_flag_overrides_it(tmp_path):
    (tmp_path / "requirements.txt").write_text("tensorflow==2.16.1\n")
    (tmp_path / "train.py").write_text(USES_ESTIMATOR)
    pinned = run_cli("--no-cache", "train.py", cwd=tmp_path)
    assert pinned.returncode == 1 and "train.py:3:13: TSL301" in pinned.stdout
    assert "TensorFlow 2.16 (the target)" in pinned.stdout
    overridden = run_cli("--no-cache", "--target-version", "2.15", "train.py", cwd=tmp_path)
    assert (overridden.returncode, overridden.stdout) == (0, "")


def test_a_tf1_target_silences_the_tf2_namespace_rule(tmp_path):
    (tmp_path / "train.py").write_text(TF1_NAME)
    (tmp_path / "requirements.txt").write_text("tensorflow==2.15.1\n")
    assert "TSL302" in run_cli("--no-cache", "train.py", cwd=tmp_path).stdout
    (tmp_path / "requirements.txt").write_text("tensorflow==1.15.5\n")
    assert run_cli("--no-cache", "train.py", cwd=tmp_path).stdout == ""


def test_undeclared_tf1_code_is_linted_as_tf1_and_the_run_says_so_once(tmp_path):
    """A project of consistent TF1 code that declares no TensorFlow: its TF1 names are its API, not mistakes."""
    (tmp_path / ".git").mkdir()
    for name in ("a.py", "b.py", "sub/c.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(TF1_NAME)
    result = run_cli("--no-cache", ".", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "")
    notice = [line for line in result.stderr.splitlines() if "declares no TensorFlow version" in line]
    assert notice == [f"tf-step-lint: {tmp_path} declares no TensorFlow version, and no file uses tf.compat.v2 or a "
                      "TF2-only name, so its code is linted as TensorFlow 1.15 code (TF1 names are its API: TSL302 is "
                      "off); set target-version under [tool.tf-step-lint] (or pass --target-version) to choose"]
    assert "declares no" not in run_cli("--no-cache", "-q", ".", cwd=tmp_path).stderr
    assert "declares no" not in run_cli("--no-cache", "--target-version", "1.15", ".", cwd=tmp_path).stderr


@pytest.mark.parametrize("evidence", ["x = tf.experimental.numpy.ones(3)\n", "opt = tf.optimizers.SGD(0.1)\n"])
def test_undeclared_code_that_runs_on_tf2_keeps_the_tf2_namespace_rule(tmp_path, evidence):
    """A TF1 name left in the TF2 namespace of a project that uses a name only TF2 has is a real AttributeError."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "train.py").write_text(TF1_NAME)
    (tmp_path / "migrated.py").write_text("import tensorflow as tf\n" + evidence)
    result = run_cli("--no-cache", ".", cwd=tmp_path)
    assert "train.py:3:9: TSL302" in result.stdout
    assert result.stderr == ""  # the default target: nothing to say
    assert f"{tmp_path}/migrated.py:2 uses `" in detect(str(tmp_path))[1]


@pytest.mark.parametrize("evidence", ["tf2 = tf.compat.v2\n", "from tensorflow.compat import v2 as tf2\n"])
def test_tf_compat_v2_beside_tf1_only_names_is_tf1_code(tmp_path, evidence):
    """TF 1.14 and 1.15 have tf.compat.v2 too: beside tf.train.Saver through a plain `tf`, only TF 1.x runs both."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "train.py").write_text(TF1_NAME)
    (tmp_path / "migrated.py").write_text("import tensorflow as tf\n" + evidence)
    version, source = detect(str(tmp_path))
    assert version == (1, 15)
    assert (f"{tmp_path}/train.py:3 uses `tf.train.Saver`, which no TF 2 has; beside it {tmp_path}/migrated.py:2"
            in source)
    result = run_cli("--no-cache", ".", cwd=tmp_path)
    assert result.stdout == "" and "only TF 1.x runs both" in result.stderr


@pytest.mark.parametrize("probe", [
    "if hasattr(tf.compat, 'v2'):\n  tf.compat.v2.enable_v2_behavior()\n",
    "try:\n    tf2 = tf.compat.v2\nexcept AttributeError:\n    tf2 = tf\n",
    "if tf.__version__ >= '2':\n    x = tf.experimental.numpy.ones(3)\n",
])
def test_a_tf2_name_read_only_inside_a_version_probe_is_no_evidence(tmp_path, probe):
    """Code that asks whether TF2's API is there tolerates TF2; it does not say that it runs on it."""
    for name, after in (("probing", ""), ("unguarded", "x = tf.experimental.numpy.ones(3)\n")):
        project = tmp_path / name
        (project / ".git").mkdir(parents=True)
        (project / "train.py").write_text(TF1_NAME)
        (project / "run.py").write_text("import tensorflow as tf\n" + probe + after)
    assert detect(str(tmp_path / "probing"))[0] == (1, 15)
    assert detect(str(tmp_path / "unguarded"))[0] == DEFAULT  # a use outside the probe


def test_code_without_tensorflow_is_no_evidence(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "util.py").write_text("import os\n")
    assert detect(str(tmp_path)) == (DEFAULT, "default")


def test_a_bad_target_is_a_usage_error(tmp_path):
    (tmp_path / "train.py").write_text(TF1_NAME)
    flag = run_cli("--target-version", "two", "train.py", cwd=tmp_path)
    assert flag.returncode == 2 and "--target-version: not a TensorFlow version" in flag.stderr
    (tmp_path / "pyproject.toml").write_text('[tool.tf-step-lint]\ntarget-version = "latest"\n')
    config = run_cli("train.py", cwd=tmp_path)
    assert config.returncode == 2 and "not a TensorFlow version" in config.stderr


def test_flake8_takes_the_target_from_its_option_or_from_the_project(tmp_path):
    (tmp_path / "train.py").write_text(USES_ESTIMATOR)

    def flake8(*args):
        return subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "TSL", *args, "train.py"],
                              cwd=tmp_path, capture_output=True, text=True).stdout

    assert flake8() == ""
    assert "train.py:3:13: TSL301" in flake8("--tf-target-version", "2.16")
    (tmp_path / "requirements.txt").write_text("tensorflow>=2.10,<2.17\n")
    assert "train.py:3:13: TSL301" in flake8()


V1_EXPORT = '''import tensorflow as tf


def main(model_fn, input_fn, serving_input_fn):
    classifier = tf.estimator.Estimator(model_fn=model_fn, model_dir="/tmp/m")
    classifier.train(input_fn, max_steps=10)
    classifier.export_savedmodel("/tmp/e", serving_input_fn, strip_default_attrs=True)
    classifier.export_savedmodel("/tmp/e", serving_input_fn, variables_to_save={})
'''


def test_on_tf1_the_estimator_is_the_v1_one_whose_export_savedmodel_is_valid(tmp_path):
    """tensorflow/tensorflow#27345's call, valid on TF 1.15: tf.estimator.Estimator is TF 2.15's tf.compat.v1 one."""
    (tmp_path / "export.py").write_text(V1_EXPORT)
    tf2 = run_cli("--no-cache", "--target-version", "2.15", "export.py", cwd=tmp_path).stdout
    assert tf2.count("TSL202") == 2
    tf1 = run_cli("--no-cache", "--target-version", "1.15", "export.py", cwd=tmp_path).stdout.splitlines()
    assert len(tf1) == 1 and tf1[0].startswith("export.py:8:62: TSL201 [*] `export_savedmodel()` has no parameter "
                                               "`variables_to_save`")
    assert tf1[0].endswith("strip_default_attrs=False)")  # the v1 signature, where strip_default_attrs is valid


KERAS_IN_MODEL_FN = '''import tensorflow as tf


def model_fn(features, labels, mode):
    loss = tf.reduce_sum(features)
    optimizer = tf.keras.optimizers.Adam(0.1)
    variables = tf.compat.v1.trainable_variables()
    train_op = optimizer.apply_gradients(zip(tf.gradients(loss, variables), variables))
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


estimator = tf.estimator.Estimator(model_fn)
'''


def test_before_2_11_tf_keras_optimizers_are_the_legacy_ones(tmp_path):
    """The 2.11+ claim (weights never update) holds only from 2.11; before, the class is the legacy one, whose
    `iterations` is not the global step."""
    (tmp_path / "train.py").write_text(KERAS_IN_MODEL_FN)
    new = run_cli("--no-cache", "--target-version", "2.15", "train.py", cwd=tmp_path).stdout
    assert "is a Keras 2.11+ optimizer" in new and "use tf.keras.optimizers.legacy.Adam" in new
    old = run_cli("--no-cache", "--target-version", "2.10", "train.py", cwd=tmp_path).stdout
    assert "2.11+" not in old and "counts its own `iterations`" in old and "legacy.Adam and" not in old
    fixed = run_cli("--no-cache", "--target-version", "2.10", "--diff", "train.py", cwd=tmp_path).stdout
    assert "+    optimizer.iterations = tf.compat.v1.train.get_or_create_global_step()" in fixed
    assert "legacy" not in fixed  # the class stays: it already is the legacy one


def test_a_subproject_without_a_pin_is_read_with_its_repository(tmp_path):
    """tensorflow/estimator's tools/pip_package has a setup.py without TensorFlow: its code is still the TF2
    repository's, not a TF1 project of its own (whose code, showing no TF2 evidence, would be TF 1.15)."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "migrated.py").write_text("import tensorflow as tf\nx = tf.experimental.numpy.ones(3)\n")
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "setup.py").write_text("setup(name='tools', install_requires=['numpy'])\n")
    (tmp_path / "tools" / "train.py").write_text(USES_ESTIMATOR)
    version, source = detect(str(tmp_path / "tools"))
    assert version == DEFAULT and f"{tmp_path}/migrated.py:2 uses `tf.experimental.numpy`" in source


@pytest.mark.parametrize("use", [
    "tf1 = tf.compat.v1\n",
    "from tensorflow.compat import v1 as tf1\n",
    "node = tf.compat.v1.NodeDef()\nsession = tf.Session()\n",  # tensorflow/minigo's, whose every pin is 1.15
    "if hasattr(tf.compat, 'v1'):\n  tf.compat.v1.disable_eager_execution()\n",  # NVIDIA OpenSeq2Seq's run.py
])
def test_tf_compat_v1_is_no_evidence_of_tf2(tmp_path, use):
    """TF 1.13 to 1.15 have tf.compat.v1 too: TF1 code spells names through it to run on either."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "train.py").write_text(TF1_NAME)
    (tmp_path / "graph.py").write_text("import tensorflow as tf\n" + use)
    assert detect(str(tmp_path))[0] == (1, 15)
    assert run_cli("--no-cache", ".", cwd=tmp_path).stdout == ""


def test_code_written_against_tf_compat_v2_is_tf2(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "train.py").write_text("import tensorflow.compat.v1 as tf\n\nSAVER = tf.train.Saver\n")
    (tmp_path / "model.py").write_text("import tensorflow.compat.v2 as tf\n\nLAYER = tf.keras.layers.Dense\n")
    assert detect(str(tmp_path))[0] == DEFAULT
    forget_detected()
    (tmp_path / "train.py").write_text(TF1_NAME)  # a TF1-only name through the plain `tf`: TF 1.x code
    assert detect(str(tmp_path))[0] == (1, 15)


def _minigo_like(root):
    """tensorflow/minigo's shape: TF1 code that reaches one name through tf.compat.v1, every pin in a folder that
    holds no code."""
    (root / ".git").mkdir(parents=True)
    (root / "model.py").write_text("import tensorflow as tf\n\nnode = tf.compat.v1.NodeDef()\nsession = tf.Session()\n"
                                   "SAVER = tf.train.Saver\n")
    (root / "testing").mkdir()
    (root / "testing" / "Dockerfile").write_text('FROM python:3.7\nRUN pip3 install --upgrade pip && \\\n'
                                                 '    pip3 install "tensorflow==1.15.0"\n')


def test_a_declaration_outside_the_codes_folders_sets_the_target_and_the_run_says_which(tmp_path):
    _minigo_like(tmp_path)
    dockerfile = tmp_path / "testing" / "Dockerfile"
    assert detect(str(tmp_path))[0] == (1, 15)
    result = run_cli("--no-cache", ".", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "")  # no TSL302
    assert result.stderr == (f"tf-step-lint: no folder holding {tmp_path} declares a TensorFlow version, so "
                             f"{dockerfile}: its TensorFlow pin decides (the project's only declaration): its code is "
                             "linted as TensorFlow 1.15 code (TF1 names are its API: TSL302 is off); set "
                             "target-version under [tool.tf-step-lint] (or pass --target-version) to choose\n")


def test_a_declaration_in_a_folder_above_wins_over_one_elsewhere(tmp_path):
    _minigo_like(tmp_path / "repo")
    (tmp_path / "repo" / "requirements.txt").write_text("tensorflow==2.15.1\n")
    assert detect(str(tmp_path / "repo")) == ((2, 15), f"{tmp_path / 'repo' / 'requirements.txt'}: its TensorFlow pin")


@pytest.mark.parametrize("path,content", [
    (".github/workflows/test.yml",
     "jobs:\n  test:\n    steps:\n      - run: python -m pip install 'tensorflow-gpu==1.15.0' pytest\n"),
    ("cloudbuild.yaml", "steps:\n- name: python\n  args: ['bash', '-c', 'pip install tensorflow~=1.14.0']\n"),
    ("docker/gpu.Dockerfile", "FROM tensorflow/tensorflow:1.15.5-gpu-py3\n"),
    ("ci/requirements-test.txt", "pytest\ntensorflow<2\n"),
])
def test_ci_configurations_docker_folders_and_sibling_requirements_are_read(tmp_path, path, content):
    (tmp_path / ".git").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(TF1_NAME)
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text(content)
    version, source = detect(str(tmp_path / "src"))
    assert version[0] == 1 and f"{tmp_path / path}: its TensorFlow" in source


def test_disagreeing_declarations_elsewhere_are_chosen_deterministically_and_the_note_says_why(tmp_path):
    (tmp_path / ".git").mkdir()
    for folder, pin in (("docker", "tensorflow==1.15.0"), ("testing", "tensorflow-gpu==1.15.0"),
                        ("tools", "tensorflow==2.4.1"), ("research/other", "tensorflow==2.8.0")):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "requirements.txt").write_text(pin + "\n")
    (tmp_path / "research" / "mine").mkdir()
    (tmp_path / "src").mkdir()
    version, source = detect(str(tmp_path / "src"))  # nothing nearer: the version most declarations pin
    assert version == (1, 15)
    assert (f"{tmp_path / 'docker' / 'requirements.txt'}: its TensorFlow pin decides (2 of the project's 4 "
            f"declarations agree; {tmp_path / 'tools' / 'requirements.txt'} says 2.4; "
            f"{tmp_path / 'research' / 'other' / 'requirements.txt'} says 2.8 disagree)") in source
    version, source = detect(str(tmp_path / "research" / "mine"))  # a sibling subproject's is the nearest
    assert version == (2, 8) and "decides (the nearest to the code;" in source


def test_the_project_root_bounds_the_search_elsewhere(tmp_path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "requirements.txt").write_text("tensorflow==1.15.0\n")
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "train.py").write_text("import tensorflow as tf\nx = tf.experimental.numpy.ones(3)\n")
    (tmp_path / "repo" / "vendored" / ".git").mkdir(parents=True)  # a nested repository is another project
    (tmp_path / "repo" / "vendored" / "requirements.txt").write_text("tensorflow==1.15.0\n")
    assert detect(str(tmp_path / "repo"))[0] == DEFAULT


# -- what decides when nothing is declared: each top-level folder's code, TF1-only code, code not text ---------
TF1_EXAMPLE = "import tensorflow as tf\n\nX = tf.placeholder(tf.float32)\nwith tf.Session() as sess:\n    pass\n"
TF2_EXAMPLE = "import tensorflow as tf\n\noptimizer = tf.optimizers.SGD(0.01)\n"


def test_each_top_level_folder_is_decided_by_its_own_code_and_the_run_says_which_got_what(tmp_path):
    """aymericdamien/TensorFlow-Examples' shape: a TF2 copy of the examples beside the TF1 ones, nothing pinned."""
    (tmp_path / ".git").mkdir()
    for path, text in (("tensorflow_v1/basic/linear.py", TF1_EXAMPLE), ("tensorflow_v1/gan.py", TF1_EXAMPLE),
                       ("examples/linear.py", TF1_EXAMPLE), ("tensorflow_v2/basic/linear.py", TF2_EXAMPLE),
                       ("tensorflow_v2/session.py", TF1_EXAMPLE),  # a TF1 name in the TF2 folder: still reported
                       ("tensorflow_v2/util.py", USES_ESTIMATOR), ("setup_tools/run.py", USES_ESTIMATOR)):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    assert detect(str(tmp_path / "tensorflow_v1" / "basic"))[0] == (1, 15)
    assert detect(str(tmp_path / "examples"))[0] == (1, 15)
    assert detect(str(tmp_path / "tensorflow_v2"))[0] == DEFAULT
    assert detect(str(tmp_path / "setup_tools"))[0] == DEFAULT  # no evidence of its own: the project's
    result = run_cli("--no-cache", ".", cwd=tmp_path)
    assert {line.split(":")[0] for line in result.stdout.splitlines()} == {"tensorflow_v2/session.py"}
    notes = result.stderr.splitlines()
    assert notes == [
        f"tf-step-lint: {tmp_path} declares no TensorFlow version, and its top-level folders' code disagrees: "
        "examples/ (examples/linear.py:3 uses `tf.placeholder`, which no TF 2 has), tensorflow_v1/ "
        "(tensorflow_v1/gan.py:3 uses `tf.placeholder`, which no TF 2 has): their code is linted as "
        "TensorFlow 1.15 code (TF1 names are its API: TSL302 is off); set target-version under [tool.tf-step-lint] "
        "(or pass --target-version) to choose",
        f"tf-step-lint: {tmp_path} declares no TensorFlow version, and its top-level folders' code disagrees: "
        "setup_tools/ (no evidence of its own: the project's), tensorflow_v2/ (tensorflow_v2/basic/linear.py:3 uses "
        "`tf.optimizers.SGD`): their code is linted as TensorFlow 2.15 code; set target-version under "
        "[tool.tf-step-lint] (or pass --target-version) to choose"]


def test_files_at_the_root_are_decided_by_the_roots_own_code(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "train.py").write_text(TF1_EXAMPLE)
    (tmp_path / "tf2").mkdir()
    (tmp_path / "tf2" / "train.py").write_text(TF2_EXAMPLE)
    assert detect(str(tmp_path))[0] == (1, 15) and detect(str(tmp_path / "tf2"))[0] == DEFAULT
    assert "the files at its root (train.py:3 uses `tf.placeholder`" in detect(str(tmp_path))[1]


@pytest.mark.parametrize("tf1", ["from tensorflow.contrib import image as contrib_image\n",
                                 "import tensorflow as tf\n\nROTATE = tf.contrib.image.rotate\n"])
def test_tensorflow_contrib_outweighs_compat_v2_and_the_note_says_so(tmp_path, tf1):
    """google-research/noisystudent's shape: TF 1.15 code borrowing TF2's summary API as `tf2`; contrib is TF1-only."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "augment.py").write_text(tf1)
    (tmp_path / "utils.py").write_text("import tensorflow as tf\nimport tensorflow.compat.v2 as tf2\n\n"
                                       "def log(x):\n    tf2.summary.scalar('x', x, step=0)\n    return tf.cast(x, "
                                       "tf.float32)\n")
    version, source = detect(str(tmp_path))
    assert version == (1, 15)
    assert f"{tmp_path}/augment.py:" in source and "contrib`, which no TF 2 has; beside it " \
        f"{tmp_path}/utils.py:2 uses `compat.v2`, which TF 1.14 and 1.15 have too (only TF 1.x runs both)" in source


@pytest.mark.parametrize("text", [
    'import argparse  # tensorflow benchmarks\nP = argparse.ArgumentParser()\n'
    'P.add_argument("--gelu", help="use tf.nn.gelu as opposed to basic math ops")\n',
    "import tensorflow as tf\n# Unlike tensorflow.compat.v2, tf.compat.v1 exists in 1.15 as well.\n",
    'import tensorflow as tf\nDOC = """Runs on TF2 (tf.compat.v2, tf.experimental.numpy)."""\n',
    'import tensorflow as tf\nNAME = f"tf.optimizers.{\'SGD\'}"\n',
])
def test_a_tf2_name_in_a_string_or_a_comment_is_no_evidence(tmp_path, text):
    """IntelAI/models' evidence was `tf.nn.gelu` in an argparse help string."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "model.py").write_text(TF1_NAME)
    (tmp_path / "flags.py").write_text(text)
    assert detect(str(tmp_path))[0] == (1, 15)
    (tmp_path / "flags.py").write_text(text + "LAYER = tf.experimental.numpy.ones(3)\n")
    forget_detected()
    assert detect(str(tmp_path))[0] == DEFAULT  # in code, it still counts


def test_code_evidence_is_read_where_the_file_stops_being_python_3(tmp_path):
    """A file tokenize cannot finish (a dedent to no level before): what follows the point it stops at still
    counts, as before."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "model.py").write_text(TF1_NAME)
    (tmp_path / "old.py").write_text("import tensorflow as tf\nif x:\n        a = 1\n"
                                     "    b = tf.experimental.numpy.ones(3)\n")
    assert detect(str(tmp_path))[0] == DEFAULT


# -- declarations: NGC images before 20.01, and ties elsewhere ---------------------------------------------
@pytest.mark.parametrize("image,version", [
    ("nvcr.io/nvidia/tensorflow:19.06-py3", (1, 15)),  # TF 1.13.1, read as the 1.x the tool knows
    ("nvcr.io/nvidia/tensorflow:18.09-py2", (1, 15)),
    ("nvcr.io/nvidia/tensorflow:19.12-py3", (1, 15)),
    ("nvcr.io/nvidia/tensorflow:20.01-tf1-py3", (1, 15)),
    ("nvcr.io/nvidia/tensorflow:21.05-tf2-py3", DEFAULT),
    ("nvcr.io/nvidia/tensorflow:20.06-py3", None),  # no such tag: from 20.01 on every tag says tf1 or tf2
    ("nvcr.io/nvidia/pytorch:19.06-py3", None),
])
def test_ngc_images_before_the_tf1_tf2_split_are_tf1(tmp_path, image, version):
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(f"ARG FROM_IMAGE_NAME={image}\nFROM ${{FROM_IMAGE_NAME}}\n")
    assert (declared(str(tmp_path)) or (None,))[0] == version


def test_sibling_declarations_that_tie_do_not_decide_the_code_does(tmp_path):
    """huawei-noah/Pretrained-Language-Model's shape: a PyTorch project's frozen pip list (2.13) ties with a TF1
    sibling's pin (1.14); the path order must not pick one for a third project's code."""
    (tmp_path / ".git").mkdir()
    for folder, pin in (("jaber_torch", "torch==2.0.1\ntensorflow==2.13.0\n"), ("ternary_tf1", "tensorflow==1.14.0\n")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "requirements.txt").write_text(pin)
    (tmp_path / "nezha_tf").mkdir()
    (tmp_path / "nezha_tf" / "create_data.py").write_text("import tensorflow as tf\n\nflags = tf.flags\n")
    version, source = detect(str(tmp_path / "nezha_tf"))
    assert version == (1, 15)
    assert source == (f"from the project's other folders: no folder holding {tmp_path / 'nezha_tf'} declares a "
                      "TensorFlow version, and the project's other declarations nearest to it tie "
                      f"({tmp_path / 'jaber_torch' / 'requirements.txt'} says 2.13; "
                      f"{tmp_path / 'ternary_tf1' / 'requirements.txt'} says 1.14), so none decides but its code: "
                      "no file uses tf.compat.v2 or a TF2-only name, so its code is linted as TensorFlow 1.15 code "
                      "(TF1 names are its API: TSL302 is off)")
    assert run_cli("--no-cache", ".", cwd=tmp_path).stdout == ""
    (tmp_path / "nezha_tf" / "migrated.py").write_text("import tensorflow as tf\nx = tf.experimental.numpy.ones(3)\n")
    forget_detected()
    assert detect(str(tmp_path / "nezha_tf"))[0] == DEFAULT


def test_a_declaration_elsewhere_is_said_once_for_all_the_folders_it_decides(tmp_path):
    """mlcommons/training printed the same decision once per folder (134 lines)."""
    _minigo_like(tmp_path)
    for folder in ("a", "b", "c/d"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "train.py").write_text(TF1_NAME)
    result = run_cli("--no-cache", ".", cwd=tmp_path)
    assert result.stdout == ""
    assert result.stderr == (f"tf-step-lint: no folder holding {tmp_path}, {tmp_path / 'a'} or 2 other folders "
                             f"declares a TensorFlow version, so {tmp_path / 'testing' / 'Dockerfile'}: its TensorFlow "
                             "pin decides (the project's only declaration): its code is linted as TensorFlow 1.15 code "
                             "(TF1 names are its API: TSL302 is off); set target-version under [tool.tf-step-lint] (or "
                             "pass --target-version) to choose\n")
