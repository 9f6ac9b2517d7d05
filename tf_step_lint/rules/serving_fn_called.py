"""TSL204: the serving input function called where an export wants the function itself."""
import ast
from typing import Iterable, Iterator, Optional, Tuple

from tf_step_lint.analysis import Analysis
from tf_step_lint.analysis.index import FunctionInfo
from tf_step_lint.analysis.index import argument
from tf_step_lint.finding import Finding
from tf_step_lint.rules.base import TENSORFLOW, Rule, fix_of
from tf_step_lint.rules.exports import export_calls

PARAMETER = "serving_input_receiver_fn"


class ServingFnCalled(Rule):
    code = "TSL204"
    name = "serving-fn-called"
    requires = (TENSORFLOW, ("ServingInputReceiver",))
    since = (2, 0)  # the claim is TF2's eager error; 1.x fails later, with another

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        for where, passed in _serving_arguments(analysis):
            if not (isinstance(passed, ast.Call) and not passed.args and not passed.keywords
                    and _returns_a_receiver(analysis, passed)):
                continue
            name = passed.func.id
            message = (f"`{name}()` is called, so {where} gets a receiver where it expects the function that builds "
                       f"one; the call runs eagerly in TF2 and raises RuntimeError: tf.placeholder() is not "
                       f"compatible with eager execution.; pass the function itself: `{name}`")
            fix = fix_of(analysis.change(passed, ("unwrap_call", ())), title=f"pass `{name}` itself")
            yield self.finding(analysis, passed, message, fix)


def _serving_arguments(analysis: Analysis) -> Iterator[Tuple[str, ast.expr]]:
    """(what takes it, the argument) for every serving_input_receiver_fn given to an Estimator export or exporter."""
    for call, method, estimator in export_calls(analysis):
        spec = estimator.method(method)
        if spec is not None and PARAMETER in spec["params"]:
            passed = argument(call, spec["params"].index(PARAMETER), PARAMETER)
            if passed is not None:
                yield f"`{method}()`", passed
    for site in analysis.index.calls:
        symbol = analysis.names.symbol(site.node.func)
        if symbol is not None and symbol.kind == "exporter" and PARAMETER in symbol.info["init"]:
            passed = argument(site.node, symbol.info["init"].index(PARAMETER), PARAMETER)
            if passed is not None:
                yield f"`{symbol.public_name}`", passed


def _returns_a_receiver(analysis: Analysis, call: ast.Call) -> bool:
    """``call`` runs a function of this file that takes no argument and only ever returns a ServingInputReceiver
    (or TensorServingInputReceiver).  A factory returning a function, or anything unsure, is not."""
    function = _only_function(analysis, call.func)
    if function is None or not function.returns or not _callable_without_arguments(function.node.args):
        return False
    for value in function.returns:
        origins = analysis.names.origins(value)
        if not origins or not all(analysis.names.calls(origin, "serving_receiver") for origin in origins):
            return False
    return True


def _only_function(analysis: Analysis, func: ast.expr) -> Optional[FunctionInfo]:
    if not isinstance(func, ast.Name):
        return None
    origins = analysis.names.origins(func)
    if len(origins) != 1 or not isinstance(origins[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    return analysis.index.function_of[origins[0]]


def _callable_without_arguments(params: ast.arguments) -> bool:
    """Every positional and keyword-only parameter has a default (the defaults go to the last positional ones)."""
    return len(params.defaults) == len(params.posonlyargs) + len(params.args) and all(
        default is not None for default in params.kw_defaults)
