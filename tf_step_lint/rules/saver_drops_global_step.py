"""TSL203: a model_fn's checkpoint saver whose var_list leaves out the global step."""
from typing import Iterable, Optional

import libcst as cst

from tf_step_lint.analysis import Analysis
from tf_step_lint.analysis.optimizers import argument
from tf_step_lint.finding import Finding, Fix
from tf_step_lint.fixes import without_arg
from tf_step_lint.rules.base import Rule

MESSAGE = (
    "the checkpoint saver's var_list leaves out global_step: training runs, but its checkpoints lack it, so "
    "Estimator predict/evaluate raise NotFoundError: ... Key global_step not found in checkpoint, export raises "
    "ValueError: Could not load all requested variables from checkpoint, and the next train() raises RuntimeError: "
    "Init operations did not make model ready; use tf.compat.v1.train.Saver() with its default var_list"
)
# Where a checkpoint-writing saver is handed over: Scaffold(saver=...) and CheckpointSaverHook(saver=...).
SAVER_TAKERS = ("scaffold", "checkpoint_saver_hook")


class SaverDropsGlobalStep(Rule):
    code = "TSL203"
    name = "saver-drops-global-step"

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        names = analysis.names
        reported = set()
        for function in analysis.training.functions:
            for call in function.calls:
                taker = names.symbol(call.func)
                if taker is None or taker.kind not in SAVER_TAKERS:
                    continue
                saver_arg = argument(call, taker.param_index("saver"), "saver")
                origins = names.origins(saver_arg) if saver_arg is not None else []
                for saver in origins:
                    if not names.calls(saver, "saver"):
                        continue
                    symbol = names.symbol(saver.func)
                    var_list = argument(saver, symbol.param_index("var_list"), "var_list")
                    if var_list is not None and var_list not in reported and self._leaves_out_step(analysis, var_list):
                        reported.add(var_list)
                        yield self.finding(analysis, var_list, MESSAGE, self._fix(saver, var_list))

    def _leaves_out_step(self, analysis: Analysis, var_list: cst.BaseExpression) -> bool:
        """Surely without the global step: a TF variable list that excludes it, or a literal of other variables."""
        names = analysis.names
        if isinstance(var_list, (cst.List, cst.Tuple, cst.Set)):
            return bool(var_list.elements) and all(self._other_variable(analysis, e) for e in var_list.elements)
        if isinstance(var_list, cst.Dict):
            return bool(var_list.elements) and all(
                isinstance(e, cst.DictElement) and self._other_variable(analysis, e) for e in var_list.elements)
        origins = names.origins(var_list)
        return bool(origins) and all(
            names.calls(o, "variable_list") and not names.symbol(o.func).info["includes_global_step"]
            for o in origins)

    def _other_variable(self, analysis: Analysis, element) -> bool:
        """A list element that is a variable created here under another name than global_step."""
        if isinstance(element, cst.StarredElement) or isinstance(element, cst.StarredDictElement):
            return False
        value = element.value
        if analysis.steps.may_be_step(value):
            return False
        origins = analysis.names.origins(value)
        return bool(origins) and all(analysis.names.calls(o, "variable_factory") for o in origins)

    @staticmethod
    def _fix(saver: cst.Call, var_list: cst.BaseExpression) -> Optional[Fix]:
        """Drop var_list, when no positional argument after it would shift into its place."""
        arg = next(a for a in saver.args if a.value is var_list)
        positional = [a for a in saver.args if a.keyword is None]
        if arg.keyword is None and positional[-1] is not arg:
            return None
        return Fix({saver: without_arg(saver, arg)})
