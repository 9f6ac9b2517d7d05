"""TSL202: ``export_savedmodel`` on a TF2 Estimator, which raises AttributeError."""
from typing import Iterable

import libcst as cst

from tf_step_lint.analysis import Analysis
from tf_step_lint.api import tf_api
from tf_step_lint.finding import Finding, Fix
from tf_step_lint.fixes import without_arg
from tf_step_lint.rules.base import TENSORFLOW, Rule
from tf_step_lint.rules.exports import export_calls

OLD, NEW = "export_savedmodel", "export_saved_model"


class ExportSavedmodelRenamed(Rule):
    code = "TSL202"
    name = "export-savedmodel-renamed"
    requires = (TENSORFLOW, (OLD,))

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        for call, method, estimator in export_calls(analysis):
            if method != OLD or estimator.has_method(OLD) or not estimator.has_method(NEW):
                continue
            message = (f"`{estimator.display_name}` has no `{OLD}`: raises AttributeError: `Estimator.{OLD}` has been "
                       f"deprecated. Please use `{NEW}` instead.")
            yield self.finding(analysis, call.func.attr, message, Fix({call: _renamed(call)}))


def _renamed(call: cst.Call) -> cst.Call:
    """The call spelled for export_saved_model: strip_default_attrs is gone (the new method always strips)."""
    old_params = tf_api().lookup("tensorflow.compat.v1.estimator.Estimator").info["methods"][OLD]["params"]
    dropped = old_params.index("strip_default_attrs")
    positional = [a for a in call.args if a.keyword is None]
    for arg in list(call.args):
        if (arg.keyword is not None and arg.keyword.value == "strip_default_attrs") or (
                len(positional) > dropped and arg is positional[dropped]):
            call = without_arg(call, arg)
    return call.with_changes(func=call.func.with_changes(attr=cst.Name(NEW)))
