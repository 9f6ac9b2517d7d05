"""TSL103: a Keras optimizer builds the train op of an Estimator model_fn, where it breaks in one of three ways."""
import ast
from typing import Iterable, Optional

from tf_step_lint.analysis import Analysis
from tf_step_lint.analysis.optimizers import OptimizerKind
from tf_step_lint.analysis.index import argument
from tf_step_lint.api import Symbol, tf_api
from tf_step_lint.finding import SAFE, UNSAFE, Finding, Fix
from tf_step_lint.rules.base import (ESTIMATOR, TENSORFLOW, Rule, argument_index, fix_of, get_or_create_step,
                                     legacy_keras_spelling, statement_assigning)

KERAS_METHODS = ("minimize", "apply_gradients", "get_updates")
SET_ITERATIONS = ("set `{receiver}.iterations = tf.compat.v1.train.get_or_create_global_step()` right after creating "
                  "it, as the canned Estimators do")
REMEDY = {False: "use tf.keras.optimizers.legacy.{name} and " + SET_ITERATIONS,  # a 2.11+ optimizer
          True: SET_ITERATIONS}  # already a legacy one: on the target, tf.keras.optimizers.X may be it (before 2.11)


class KerasOptimizerInModelFn(Rule):
    code = "TSL103"
    name = "keras-optimizer-in-model-fn"
    requires = (TENSORFLOW, ESTIMATOR, ("optimizers",))
    since = (2, 0)  # Keras optimizers of 1.x are not something TF 2.15 can run: no claim there

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        for site in analysis.index.calls:
            call, func = site.node, site.node.func
            if not (isinstance(func, ast.Attribute) and func.attr in KERAS_METHODS):
                continue
            units = analysis.training.units_containing(site.function)
            kind = analysis.optimizers.kind(func.value, func.attr) if units else None
            if kind is None or kind.family != "keras" or kind.keras_class is None:
                continue
            legacy = kind.keras_class.info["legacy"]
            if func.attr == "get_updates" and not legacy:
                continue  # the new optimizers have no get_updates: an AttributeError any test run shows
            step_arg = next((k for k in call.keywords if k.arg == "global_step"), None)
            problem = _problem(analysis, call, kind, legacy, step_arg,
                               lambda: any(analysis.steps.increments_beside(call, unit) for unit in units))
            if problem is None:
                continue
            class_name = kind.keras_class.public_name.rsplit(".", 1)[-1]
            remedy = REMEDY[legacy].format(name=class_name, receiver=_spelled(func.value))
            if func.attr == "minimize":
                remedy = f"compute the gradients with tf.gradients and call apply_gradients; {remedy}"
            fix = _fix(analysis, call, kind.keras_class, step_arg) if func.attr != "minimize" else None
            where = step_arg if step_arg is not None else analysis.attr_position(func)
            yield self.finding(analysis, where, f"{problem}; {remedy}", fix)


def _problem(analysis: Analysis, call: ast.Call, kind: OptimizerKind, legacy: bool, step_arg: Optional[ast.keyword],
             step_moves) -> Optional[str]:
    method = call.func.attr
    signature = tf_api().methods["keras_legacy_optimizer" if legacy else "keras_optimizer"].get(method)
    what = f"`{method}()` of the Keras optimizer {kind.description}"
    if step_arg is not None and signature is not None and not signature["accepts_kwargs"]:
        return (f"{what} has no global_step parameter: raises TypeError: {signature['qualname']}() got an "
                "unexpected keyword argument 'global_step'")
    if method == "minimize" and _tensor_loss_without_tape(analysis, call):
        return (f"{what} is given a Tensor loss and no tape: raises ValueError: `tape` is required when a `Tensor` "
                "loss is passed.")
    if not legacy:
        ignored = " silently ignores global_step=, and" if step_arg is not None else ""
        return (f"{what}{ignored} is a Keras 2.11+ optimizer: in a model_fn's graph its weight updates never run, "
                "so the model does not train at all, and the global step does not move")
    if not _iterations_is_global_step(analysis, call.func.value) and not step_moves():
        return (f"{what} counts its own `iterations`, not the Estimator's global step, and nothing else increments "
                "it: Estimator.train(max_steps=...) never stops and checkpoints keep the initial weights")
    return None


def _tensor_loss_without_tape(analysis: Analysis, call: ast.Call) -> bool:
    """``minimize(loss)`` where ``loss`` surely comes from a TensorFlow op (so it is a Tensor, not a callable)."""
    if any(keyword.arg == "tape" for keyword in call.keywords):
        return False
    loss = argument(call, 0, "loss")
    origins = analysis.names.origins(loss) if loss is not None else []
    return bool(origins) and all(isinstance(o, ast.Call) and _is_tensorflow(analysis, o.func) for o in origins)


def _is_tensorflow(analysis: Analysis, func: ast.expr) -> bool:
    names = analysis.names.qualified_names(func)
    return bool(names) and all(name.split(".")[0] == "tensorflow" for name in names)


def _iterations_is_global_step(analysis: Analysis, receiver: ast.expr) -> bool:
    """Some ``opt.iterations = <the global step>`` for this optimizer."""
    built = analysis.names.origins(receiver)
    return any(attr.attr == "iterations" and analysis.names.origins(attr.value) == built
               and analysis.steps.is_global_step(value) for attr, value in analysis.index.attribute_assignments)


def _fix(analysis: Analysis, call: ast.Call, keras_class: Symbol, step_arg: Optional[ast.keyword]) -> Optional[Fix]:
    """Where the optimizer is built by ``name = <Keras class>(...)`` in the same function: the legacy class, its
    ``iterations`` set to the global step on the next line, and no ``global_step=`` argument."""
    receiver = call.func.value
    built = analysis.names.origins(receiver)
    function = analysis.names.enclosing_function(call)
    if not (isinstance(receiver, ast.Name) and len(built) == 1 and isinstance(built[0], ast.Call)
            and function is not None):
        return None
    construction = built[0]
    statement = statement_assigning(analysis, function.node, receiver.id, construction)
    legacy_class = legacy_keras_spelling(analysis, construction.func, keras_class)
    step = get_or_create_step(analysis, call)
    if statement is None or legacy_class is None or step is None:
        return None
    step_code, add_import = step
    changes, said = [], []
    swaps_class = legacy_class is not construction.func  # another implementation: arguments and slots may differ
    if swaps_class:
        changes.append(analysis.change(legacy_class, ("append_attributes", (("legacy",),))))
        said.append(f"use `{analysis.code_of(legacy_class)}.legacy.{construction.func.attr}`")
    if not _iterations_is_global_step(analysis, receiver):
        iterations = f"{receiver.id}.iterations = {step_code}"
        changes.append(analysis.change(statement, ("insert_statement_after", (iterations,)),
                                       node_type="SimpleStatementLine"))
        said.append(f"add `{iterations}`")
    else:
        add_import = None
    if step_arg is not None:
        changes.append(analysis.change(call, ("remove_argument", (argument_index(call, step_arg),))))
        said.append(f"remove `{analysis.code_of(step_arg)}`")
    return fix_of(*changes, title=", ".join(said), add_import=add_import,
                  applicability=UNSAFE if swaps_class else SAFE)


def _spelled(expr: ast.expr) -> str:
    return expr.id if isinstance(expr, ast.Name) else "optimizer"
