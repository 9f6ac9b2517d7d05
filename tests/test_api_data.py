"""The TF API data the rules use is generated from TensorFlow, never typed: regenerating it changes nothing."""
import json
import subprocess
import sys

from tests.conftest import ROOT

DATA = ROOT / "tf_step_lint" / "data" / "tf_api.json"


def test_committed_data_is_what_the_installed_tensorflow_generates(tmp_path):
    output = tmp_path / "tf_api.json"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_tf_api.py"), "--output", str(output)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    generated, committed = json.loads(output.read_text()), json.loads(DATA.read_text())
    assert generated["generated_from"]["tensorflow"] == "2.15.1"
    assert generated == committed


GONE = ROOT / "tf_step_lint" / "data" / "tf_api_gone_2.16.json"


def test_gone_data_was_generated_from_tf_2_16_plus_against_the_committed_snapshot():
    gone, snapshot = json.loads(GONE.read_text()), json.loads(DATA.read_text())
    major, minor = map(int, gone["generated_from"]["tensorflow"].split(".")[:2])
    assert (major, minor) >= (2, 16) and gone["base"] == snapshot["generated_from"]
    assert gone["gone"]["tensorflow.estimator"] == "AttributeError: module 'tensorflow' has no attribute 'estimator'"
    assert gone["gone"]["tensorflow_estimator.estimator"].startswith(
        "ImportError: cannot import name 'estimator_training' from 'tensorflow.python.distribute'")
    public = {p for info in snapshot["symbols"].values() for p in info["paths"]}
    assert all(path in public or any(p.startswith(path + ".") for p in public) for path in gone["gone"])


def test_the_gone_generator_finds_nothing_gone_in_the_tensorflow_it_was_taken_from(tmp_path):
    output = tmp_path / "gone.json"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_tf_api.py"), "--gone-since", str(DATA),
                             "--output", str(output)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(output.read_text())["gone"] == {}


TF1_WHEEL = "tensorflow-cpu==1.15.0"


def test_tf1_contrib_optimizers_are_what_the_real_1_15_wheel_holds(tmp_path):
    """TF 1.15 cannot be installed on this Python, but its wheel can be downloaded and its source read."""
    download = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--python-version", "3.7",
                               "--only-binary=:all:", "--platform", "manylinux2010_x86_64", TF1_WHEEL,
                               "-d", str(tmp_path)], capture_output=True, text=True)
    assert download.returncode == 0, download.stderr
    wheel = next(tmp_path.glob("*.whl"))
    output = tmp_path / "contrib.json"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_tf_api.py"), "--tf1-wheel", str(wheel),
                             "--output", str(output)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    generated = json.loads(output.read_text())
    assert generated == json.loads((ROOT / "tf_step_lint" / "data" / "tf1_contrib.json").read_text())
    paths = {p for info in generated["symbols"].values() for p in info["paths"]}
    assert {"tensorflow.contrib.opt.LARSOptimizer", "tensorflow.contrib.mixed_precision.LossScaleOptimizer"} <= paths
    kinds = {path: info["kind"] for info in generated["symbols"].values() for path in info["paths"]}
    assert kinds["tensorflow.contrib.layers.batch_norm"] == kinds["tensorflow.contrib.slim.batch_norm"] == "batch_norm"
    assert {kinds[p] for p in ("tensorflow.contrib.layers.optimize_loss", "tensorflow.contrib.training.create_train_op",
                               "tensorflow.contrib.slim.learning.create_train_op")} == {"update_ops_wiring"}


def test_batch_norms_and_canned_optimizers_are_what_tensorflow_did_when_probed():
    """Read back from the committed snapshot: where each batch norm's update ops go, and what a canned Estimator
    raises for a Keras optimizer, as the generator saw TF 2.15 do it."""
    symbols = {path: info for info in json.loads(DATA.read_text())["symbols"].values() for path in info["paths"]}
    assert symbols["tensorflow.compat.v1.layers.batch_normalization"]["updates"] == "collection"
    assert symbols["tensorflow.compat.v1.layers.batch_normalization"]["training_default"] is False
    assert symbols["tensorflow.keras.layers.BatchNormalization"]["updates"] == "layer"
    dnn = symbols["tensorflow.estimator.DNNRegressor"]["optimizer_arguments"]["optimizer"]
    assert dnn["keras"].startswith("ValueError: Please set your optimizer as an instance of")
    assert dnn["keras_legacy"] is None
    combined = symbols["tensorflow.estimator.DNNLinearCombinedClassifier"]["optimizer_arguments"]
    assert set(combined) == {"linear_optimizer", "dnn_optimizer"}


def test_third_party_optimizers_are_what_their_pinned_wheels_hold(tmp_path):
    """kfac, tensorflow-recommenders-addons, intel-extension-for-tensorflow, tensor2tensor and tensorflow-addons are
    downloaded (about 197 MB in all: TFRA's wheel is about 190 MB, tensor2tensor's 1.4 MB, tensorflow-addons' 0.6 MB),
    never installed: the generator reads their source with ast."""
    output = tmp_path / "third_party.json"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_third_party_optimizers.py"),
                             "--wheels", str(tmp_path / "wheels"), "--output", str(output)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    generated = json.loads(output.read_text())
    assert generated == json.loads((ROOT / "tf_step_lint" / "data" / "third_party_optimizers.json").read_text())
    by_path = {path: info for info in generated["optimizers"].values() for path in info["paths"]}
    assert by_path["kfac.KfacOptimizer"] is by_path["kfac.optimizer.KfacOptimizer"]
    assert (by_path["kfac.KfacOptimizer"]["family"], by_path["kfac.KfacOptimizer"]["increments_step"]) == ("v1", True)
    assert by_path["tensorflow_recommenders_addons.dynamic_embedding.DynamicEmbeddingOptimizer"]["wraps"] == {
        "position": 0, "keyword": "self"}
    assert by_path["intel_extension_for_tensorflow.ops.AdamWithWeightDecayOptimizer"]["family"] == "keras"
    assert by_path["kfac.KfacOptimizer"]["package"] == "kfac==0.2.4"
    t2t = "tensor2tensor.utils."
    for path in ("adafactor.AdafactorOptimizer", "multistep_optimizer.MultistepAdamOptimizer",
                 "multistep_with_adamoptimizer.MultistepAdamOptimizer", "yellowfin.YellowFinOptimizer"):
        assert (by_path[t2t + path]["family"], by_path[t2t + path]["increments_step"]) == ("v1", True), path
    assert by_path[t2t + "adafactor.AdafactorOptimizer"]["package"] == "tensor2tensor==1.15.7"
    assert t2t + "optimize.ConditionalOptimizer" not in by_path  # it fetches the step itself under TF 2
    addons = {path.rsplit(".", 1)[1]: info for path, info in by_path.items()
              if path.startswith("tensorflow_addons.optimizers.") and path.count(".") == 2}
    assert {"AdamW", "SGDW", "LAMB", "LazyAdam", "RectifiedAdam", "Lookahead", "MovingAverage", "SWA", "Yogi"} <= set(
        addons)
    assert {(info["family"], info["wraps"], info["package"]) for info in addons.values()} == {
        ("keras", None, "tensorflow-addons==0.23.0")}
    assert "CyclicalLearningRate" not in addons  # a learning-rate schedule


def test_a_third_party_finding_names_its_class():
    from tf_step_lint.codes import ALL
    from tf_step_lint.engine import lint_source

    source = (ROOT / "tests" / "fixtures" / "patterns" / "r26_third_party_optimizers.py").read_text()
    messages = {f.line: f.message for f in lint_source(source, ALL)}
    assert "`minimize()` of KfacOptimizer is given no global_step" in messages[15]
    assert "of AdamOptimizer wrapped in DynamicEmbeddingOptimizer" in messages[37]
    assert "`minimize()` of AdafactorOptimizer is given no global_step" in messages[68]
