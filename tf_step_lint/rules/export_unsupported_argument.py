"""TSL201: an Estimator export call with an argument the method does not have (TypeError after training)."""
import ast
import difflib
from typing import Iterable


from tf_step_lint.analysis import Analysis
from tf_step_lint.finding import Finding
from tf_step_lint.rules.base import TENSORFLOW, Rule, argument_index, fix_of
from tf_step_lint.rules.exports import EXPORT_METHODS, export_calls

# Keywords whose removal is the complete fix: verified on TF 2.15, the SavedModel's variables/ already holds
# every variable, global_step included.
DROP_IS_COMPLETE_FIX = frozenset({"variables_to_save"})


class ExportUnsupportedArgument(Rule):
    code = "TSL201"
    name = "export-unsupported-argument"
    requires = (TENSORFLOW, EXPORT_METHODS)

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        for call, method, estimator in export_calls(analysis):
            spec = estimator.method(method)
            if spec is None:
                continue
            params = spec["params"]
            where = f"{estimator.display_name}.{method}{spec['signature']}"
            for arg in call.keywords:
                keyword = arg.arg
                if keyword is None or keyword in params or spec["accepts_kwargs"]:
                    continue
                hint = difflib.get_close_matches(keyword, params, n=1, cutoff=0.6)
                message = (f"`{method}()` has no parameter `{keyword}`: raises TypeError: {spec['qualname']}() got "
                           f"an unexpected keyword argument '{keyword}', after training has finished; "
                           + (f"did you mean `{hint[0]}`? " if hint else "")
                           + f"signature: {where}")
                fix = None
                if keyword in DROP_IS_COMPLETE_FIX:
                    fix = fix_of(analysis.change(call, ("remove_argument", (argument_index(call, arg),))),
                                 title=f"remove `{analysis.code_of(arg)}`")
                yield self.finding(analysis, arg, message, fix)
            positional = call.args
            star = any(isinstance(a, ast.Starred) for a in positional) or any(k.arg is None for k in call.keywords)
            if len(positional) > len(params) and not star:
                extra = positional[len(params)]
                message = (f"`{method}()` takes at most {len(params)} positional arguments but gets "
                           f"{len(positional)}: raises TypeError after training has finished; signature: {where}")
                yield self.finding(analysis, extra, message)
