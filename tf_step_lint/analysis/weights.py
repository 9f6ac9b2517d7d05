"""Where a model_fn's weights may come from other than model_dir's checkpoint: code that loads them itself.

A model_fn that builds a TF-Hub module, reads a checkpoint into its variables, or loads a Keras model or a
SavedModel predicts and evaluates with those weights even where no checkpoint exists (google-research/language's
``orqa`` encodes with ``hub.Module(path)`` and no model_dir).  Functions are known by the import path they resolve
to (``tensorflow_hub`` under any name), methods by their name, since their receiver is rarely known.
"""
import ast

from tf_step_lint.analysis.index import argument
from tf_step_lint.analysis.names import Names

_HUB_LOADERS = frozenset({"tensorflow_hub.Module", "tensorflow_hub.KerasLayer", "tensorflow_hub.load"})
_TENSORFLOW_PACKAGES = ("tensorflow", "tensorflow_estimator", "keras", "tf_keras")
# TensorFlow's and Keras's loaders, by the end of their paths (tf.compat.v1.train, tf.train in TF 1.x,
# tf.contrib.framework; tf.keras.models and keras.saving; tf.saved_model and tf.compat.v1.saved_model.loader).
_TENSORFLOW_LOADERS = (".train.init_from_checkpoint", ".framework.init_from_checkpoint", ".models.load_model",
                       ".saving.load_model", ".saved_model.load", ".saved_model.loader.load")
# A function named so, imported from anywhere (BERT's modules re-export TensorFlow's).
_LOADER_NAMES = frozenset({"init_from_checkpoint"})
_LOADING_METHODS = frozenset({"load_weights", "restore"})  # a Keras model's, a Saver's, a tf.train.Checkpoint's
# EstimatorSpec arguments that carry what may load weights: a Scaffold's init_fn, or hooks that warm-start
# (recommenders-addons' WarmStartHook).
_SPEC_LOADERS = frozenset({"scaffold", "prediction_hooks", "evaluation_hooks"})


def loads_weights(names: Names, call: ast.Call) -> bool:
    """``call`` may load weights into the model it builds, or hands the Estimator something that may."""
    func = call.func
    paths = names.qualified_names(func) or frozenset()
    for path in paths:
        if path in _HUB_LOADERS or path.rsplit(".", 1)[-1] in _LOADER_NAMES:
            return True
        if path.split(".")[0] in _TENSORFLOW_PACKAGES and (
                path.endswith(_TENSORFLOW_LOADERS) or _pretrained_application(path, call)):
            return True
    if not paths and isinstance(func, ast.Attribute) and func.attr in _LOADING_METHODS:
        return True
    return names.calls(call, "scaffold", "saver") or any(k.arg in _SPEC_LOADERS for k in call.keywords)


def _pretrained_application(path: str, call: ast.Call) -> bool:
    """``tf.keras.applications.ResNet50()``: its weights default to ImageNet's, downloaded and loaded."""
    if ".applications." not in path or not path.rsplit(".", 1)[-1][:1].isupper():
        return False  # (preprocess_input and decode_predictions load nothing)
    weights = argument(call, None, "weights")
    return not (isinstance(weights, ast.Constant) and weights.value is None)
