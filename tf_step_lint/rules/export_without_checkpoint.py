"""TSL205: export, predict or evaluate on an Estimator that cannot have a checkpoint to read."""
import ast
from typing import Iterable, Optional

from tf_step_lint.analysis import Analysis
from tf_step_lint.analysis.estimators import Construction
from tf_step_lint.analysis.index import argument
from tf_step_lint.finding import Finding
from tf_step_lint.rules.base import TENSORFLOW, Rule
from tf_step_lint.rules.exports import EXPORT_METHODS

READERS = ("predict", "evaluate", *EXPORT_METHODS)  # the methods that read the newest checkpoint of model_dir
OUTCOME = {"predict": "silently predicts with randomly initialised weights (logged only at INFO)",
           "evaluate": "silently evaluates randomly initialised weights (logged only at INFO)"}
RAISES = "raises ValueError: Couldn't find trained model at <the temporary folder>"
NO_CHECKPOINT = ("`{method}()` on `{name}`, which has no model_dir and is not trained before: its checkpoints would be "
                 "in a fresh temporary folder, so there is none, and it {outcome}; give the Estimator the model_dir "
                 "it was trained in, or pass checkpoint_path=")
EXPORT_DIR = ("`model_dir=` is given what `{method}()` returned: an export folder holds a SavedModel, not checkpoints, "
              "so this Estimator starts untrained (and the bytes path raises TypeError: Can't mix strings and bytes "
              "in path components); give it the model_dir the exported Estimator was trained in")


class ExportWithoutCheckpoint(Rule):
    code = "TSL205"
    name = "export-without-checkpoint"
    requires = (TENSORFLOW, ("Estimator", "estimator", "Regressor", "Classifier"), READERS)

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        if "TF_CONFIG" in analysis.text:
            return  # RunConfig reads model_dir from the TF_CONFIG environment variable too
        lifecycles = analysis.lifecycles
        for site in analysis.index.calls:
            call, func = site.node, site.node.func
            if site.function is None:
                continue
            if isinstance(func, ast.Attribute) and func.attr in READERS:
                construction = lifecycles.construction(func.value)
                if (construction is not None and _cannot_have_checkpoint(analysis, construction, call, site.function)
                        and (func.attr not in OUTCOME or not _may_load_weights(analysis, construction))):
                    outcome = OUTCOME.get(func.attr, RAISES)
                    yield self.finding(analysis, analysis.attr_position(func), NO_CHECKPOINT.format(
                        method=func.attr, name=construction.name, outcome=outcome))
            estimator = analysis.estimators.class_of(func)
            if estimator is not None:
                readable, model_dir = lifecycles.argument(Construction(call, estimator, ""), "model_dir")
                method = _export_returned(analysis, model_dir) if readable and model_dir is not None else None
                if method is not None:
                    yield self.finding(analysis, model_dir, EXPORT_DIR.format(method=method))


def _cannot_have_checkpoint(analysis: Analysis, construction: Construction, call: ast.Call, function) -> bool:
    lifecycles = analysis.lifecycles
    estimator = construction.estimator
    spec = estimator.method(call.func.attr)
    if spec is None or "checkpoint_path" not in spec["params"]:
        return False
    if any(k.arg is None for k in call.keywords) or argument(
            call, spec["params"].index("checkpoint_path"), "checkpoint_path") is not None:
        return False
    for parameter in ("model_dir", "warm_start_from", "config"):
        readable, value = lifecycles.argument(construction, parameter)
        if not readable:
            return False
        if parameter == "config" and value is not None:
            readable, value = lifecycles.model_dir_of_config(value)
            if not readable:
                return False
        if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
            return False
    loops = lifecycles.loops_around(call, function)
    for use in lifecycles.other_uses(construction, function, READERS):
        if use.lineno < call.lineno or any(lifecycles.loops_around(use, function)[:1] == [loop] for loop in loops):
            return False  # trained, or handed to code that may train it, before the call (or in its loop)
    return True


def _may_load_weights(analysis: Analysis, construction: Construction) -> bool:
    """The Estimator's model_fn may load weights itself, so predict and evaluate need no checkpoint (a TF-Hub module,
    BERT's ``init_from_checkpoint``, a Scaffold, hooks that warm-start), or it is not in this file.  A canned
    Estimator has no model_fn of its own."""
    readable, model_fn = analysis.lifecycles.argument(construction, "model_fn")
    if not readable:
        return True
    if model_fn is None:
        return "model_fn" in construction.estimator.symbol.info["init"]
    return analysis.training.may_load_weights(model_fn)


def _export_returned(analysis: Analysis, value: ast.expr) -> Optional[str]:
    """The export method whose return value ``value`` is (an Estimator's export_saved_model)."""
    for origin in analysis.names.origins(value):
        if isinstance(origin, ast.Call) and isinstance(origin.func, ast.Attribute) and origin.func.attr == "decode":
            return _export_returned(analysis, origin.func.value)
        call = origin
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in EXPORT_METHODS
                and analysis.estimators.instance_of(call.func.value) is not None):
            return call.func.attr
    return None
