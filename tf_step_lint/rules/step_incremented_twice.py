"""TSL105: the Estimator's global step incremented twice by one train op, so training stops at half the updates."""
import ast
from typing import Iterable, List, Set

from tf_step_lint.analysis import Analysis
from tf_step_lint.analysis.index import argument
from tf_step_lint.finding import Finding
from tf_step_lint.rules.base import ESTIMATOR, TENSORFLOW, Rule


class StepIncrementedTwice(Rule):
    code = "TSL105"
    name = "step-incremented-twice"
    requires = (TENSORFLOW, ESTIMATOR, ("global_step",))

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        reported: Set[ast.Call] = set()
        training = analysis.training.functions
        for function in [f for f in analysis.index.functions if f in training]:  # in source order
            for call in function.calls:
                symbol = analysis.names.symbol(call.func)
                if symbol is None or symbol.kind != "estimator_spec":
                    continue
                train_op = argument(call, symbol.param_index("train_op"), "train_op")
                if train_op is None:
                    continue
                for together in analysis.sure_increments.double_increments(train_op, function):
                    increments = sorted(together, key=analysis.position)
                    if increments[-1] in reported:
                        continue
                    reported.add(increments[-1])
                    yield self._finding(analysis, increments)

    def _finding(self, analysis: Analysis, increments: List[ast.Call]) -> Finding:
        spelled = [f"`{_spelling(c)}` (line {analysis.position(c)[0]})" for c in increments]
        places = ", ".join(spelled[:-1]) + " and " + spelled[-1]
        message = (f"the global step is incremented {len(increments)} times per training step, by {places}: "
                   f"Estimator.train(max_steps=N) stops after N/{len(increments)} updates and step-based schedules "
                   "run that much faster; keep one increment")
        return self.finding(analysis, increments[-1], message)


def _spelling(call: ast.Call) -> str:
    func = call.func
    return f"{func.attr}()" if isinstance(func, ast.Attribute) else f"{getattr(func, 'id', 'call')}()"
