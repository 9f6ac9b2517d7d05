"""TSL104: ``create_global_step()`` in a model_fn, where the Estimator has created the step already."""
import ast
from typing import Iterable, Optional

from tf_step_lint.analysis import Analysis
from tf_step_lint.api import tf_api
from tf_step_lint.finding import Finding, Fix
from tf_step_lint.rules.base import ESTIMATOR, TENSORFLOW, Rule, fix_of, step_fix

MESSAGE = ("`create_global_step()` in a model_fn: the Estimator has created the global step before calling it, so "
           "this raises ValueError: \"global_step\" already exists.; use get_or_create_global_step()")
REPLACEMENT = "get_or_create_global_step"


class CreateGlobalStepInModelFn(Rule):
    code = "TSL104"
    name = "create-global-step-in-model-fn"
    requires = (TENSORFLOW, ESTIMATOR, tf_api().names_of_kind("step_creator"))

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        for site in analysis.index.calls:
            if site.function not in analysis.training.functions or not analysis.names.calls(site.node, "step_creator"):
                continue
            yield self.finding(analysis, site.node, MESSAGE, _fix(analysis, site.node))


def _fix(analysis: Analysis, call: ast.Call) -> Optional[Fix]:
    """Rename the function where it is spelled through its module (``tf.compat.v1.train.create_global_step``);
    otherwise (a name imported by itself) spell the getter through this module's v1 alias.  Both functions take
    the same single ``graph`` argument, so the arguments stay."""
    func = call.func
    if isinstance(func, ast.Attribute):
        module = analysis.names.qualified_names(func.value) or frozenset()
        if module and all(analysis.names.api.lookup(f"{m}.{REPLACEMENT}") is not None for m in module):
            return fix_of(analysis.change(func, ("rename_attribute", (REPLACEMENT,))),
                          title=f"call `{analysis.code_of(func.value)}.{REPLACEMENT}` instead")
    # the getter's call spelled through v1, without its "()": the call keeps its own arguments
    return step_fix(analysis, call, lambda step: [analysis.change(func, ("replace", (step[:-len("()")],)))],
                    lambda step: f"call `{step[:-len('()')]}` instead")
