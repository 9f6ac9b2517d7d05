"""TSL202: ``export_savedmodel`` on a TF2 Estimator, which raises AttributeError."""
import ast
from typing import Iterable, Optional

from tf_step_lint.analysis import Analysis
from tf_step_lint.api import tf_api
from tf_step_lint.finding import Change, Finding
from tf_step_lint.rules.base import TENSORFLOW, Rule, argument_index, fix_of
from tf_step_lint.rules.exports import export_calls

OLD, NEW = "export_savedmodel", "export_saved_model"


class ExportSavedmodelRenamed(Rule):
    code = "TSL202"
    name = "export-savedmodel-renamed"
    requires = (TENSORFLOW, (OLD,))
    since = (2, 0)  # on 1.x, tf.estimator.Estimator is the v1 class, which has export_savedmodel

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        for call, method, estimator in export_calls(analysis):
            if method != OLD or estimator.has_method(OLD) or not estimator.has_method(NEW):
                continue
            message = (f"`{estimator.display_name}` has no `{OLD}`: raises AttributeError: `Estimator.{OLD}` has been "
                       f"deprecated. Please use `{NEW}` instead.")
            fix = fix_of(_renamed(analysis, call), title=TITLE)
            yield self.finding(analysis, analysis.attr_position(call.func), message, fix)


TITLE = f"call `{NEW}` instead (it always strips default attrs)"


def _renamed(analysis: Analysis, call: ast.Call) -> Optional[Change]:
    """The call spelled for export_saved_model: strip_default_attrs is gone (the new method always strips)."""
    old_params = tf_api().lookup("tensorflow.compat.v1.estimator.Estimator").info["methods"][OLD]["params"]
    dropped = old_params.index("strip_default_attrs")
    # the arguments without a keyword, as LibCST lists them: `**kwargs` (always after the others) among them
    positional = [*call.args, *(k for k in call.keywords if k.arg is None)]
    removed = tuple(sorted(argument_index(call, arg) for arg in [*call.args, *call.keywords]
                           if (isinstance(arg, ast.keyword) and arg.arg == "strip_default_attrs")
                           or (len(positional) > dropped and arg is positional[dropped])))
    return analysis.change(call, ("remove_arguments", (removed,)), ("rename_method", (NEW,)))
