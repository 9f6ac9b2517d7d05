"""TSL106: ``global_step=tf.compat.v1.train.get_global_step``, the function itself instead of the step."""
import ast
from typing import Iterable, Optional

from tf_step_lint.analysis import Analysis
from tf_step_lint.analysis.index import argument
from tf_step_lint.analysis.steps import OPTIMIZER_METHODS
from tf_step_lint.api import tf_api
from tf_step_lint.finding import Finding
from tf_step_lint.rules.base import TENSORFLOW, Rule, fix_of


class GlobalStepFunctionNotCalled(Rule):
    code = "TSL106"
    name = "global-step-function-not-called"
    requires = (TENSORFLOW, tf_api().names_of_kind("step_getter"))

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        for site in analysis.index.calls:
            step = _step_argument(analysis, site.node)
            if step is None or not isinstance(step, (ast.Name, ast.Attribute)):
                continue
            symbol = analysis.names.symbol(step)
            if symbol is None or symbol.kind != "step_getter":
                continue
            name = symbol.public_name.rsplit(".", 1)[-1]
            message = (f"`{name}` is passed as the global step without being called: raises TypeError: Failed to "
                       f"convert elements of <function {name} ...> to Tensor; call it: `{name}()`")
            fix = fix_of(analysis.change(step, ("call", ())), title=f"call it: `{analysis.code_of(step)}()`")
            yield self.finding(analysis, step, message, fix)


def _step_argument(analysis: Analysis, call: ast.Call) -> Optional[ast.expr]:
    """The global_step a v1 optimizer method or a TensorFlow schedule is given; None for any other call."""
    kind = analysis.steps.optimizer_call(call)
    if kind is not None:
        return analysis.steps.passed_step(call, kind) if kind.family == "v1" else None
    if isinstance(call.func, ast.Attribute) and call.func.attr in OPTIMIZER_METHODS:
        return None
    symbol = analysis.names.symbol(call.func)
    if symbol is None or symbol.kind != "step_consumer":
        return None
    return argument(call, symbol.param_index("global_step"), "global_step")
