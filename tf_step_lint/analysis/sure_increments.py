"""What surely increments the Estimator's step, for the double-increment rule (TSL105): the strict counterpart of
Steps.increments, which is generous because it only keeps rules silent."""
import ast
from typing import Dict, FrozenSet, List, Set

from tf_step_lint.analysis.flow import MAX_ALTERNATIVES
from tf_step_lint.analysis.index import FunctionInfo, argument
from tf_step_lint.analysis.steps import ASSIGN_METHODS, Steps


class SureIncrements:
    def __init__(self, steps: Steps):
        self.steps = steps
        self._sets_memo: Dict[tuple, List[FrozenSet[ast.Call]]] = {}
        self._surely: Dict[ast.Call, bool] = {}

    def double_increments(self, train_op: ast.expr, function: FunctionInfo) -> List[FrozenSet[ast.Call]]:
        """For each way ``function`` can build ``train_op``, the calls that then surely increment the Estimator's
        global step whenever it runs, where they are two or more; helpers of this file with a single unconditional
        return are followed. Strict where ``increments`` is generous: these sets make a rule speak, so dropping
        some beyond MAX_ALTERNATIVES only keeps it silent."""
        if not self._has_two_increments(function):
            return []  # the usual case, decided without building any flow
        return [calls for calls in self._increment_sets(train_op, function)
                if len(calls) >= 2 and not self._contradict(calls)]

    def _contradict(self, calls: FrozenSet[ast.Call]) -> bool:
        """Two of ``calls`` lie in opposite arms of one condition written twice (``if wd > 0:`` choosing the
        optimizer, and again choosing the increment), so no run reaches both."""
        arms: Dict[str, Set[str]] = {}
        for call in calls:
            function = self.steps.names.enclosing_function(call)
            for test, arm in self.steps.flow(function).guards(call) if function is not None else ():
                arms.setdefault(ast.dump(test), set()).add(arm)
        return any(len(seen) > 1 for seen in arms.values())

    def _has_two_increments(self, function: FunctionInfo) -> bool:
        """Whether ``function`` and the functions of this file it calls hold two calls that surely increment."""
        seen: Set[FunctionInfo] = set()
        stack, found = [function], 0
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            for call in current.calls:
                found += self._surely_increments(call)
                if found >= 2:
                    return True
                stack.extend(self.steps.training.callable_functions(call.func))
        return False

    def _increment_sets(self, train_op: ast.expr, function: FunctionInfo,
                        seen: FrozenSet[FunctionInfo] = frozenset()) -> List[FrozenSet[ast.Call]]:
        """Every set of surely incrementing calls, one per way through ``function`` and its helpers: distinct sets
        only, in a stable order, computed once."""
        key = (train_op, function, seen)
        if key not in self._sets_memo:
            seen = seen | {function}
            result: Dict[FrozenSet[ast.Call], None] = {}  # an ordered set
            for alternative in self.steps.flow(function).alternatives(train_op):
                combined = [frozenset(call for call in alternative if self._surely_increments(call))]
                for call in alternative:
                    helper = self._only_return(call, seen)
                    inner = self._increment_sets(*helper, seen) if helper is not None else []
                    if inner:
                        combined = list(dict.fromkeys(c | i for c in combined for i in inner))[:MAX_ALTERNATIVES]
                result.update(dict.fromkeys(combined))
            self._sets_memo[key] = list(result)[:MAX_ALTERNATIVES]
        return self._sets_memo[key]

    def _only_return(self, call: ast.Call, seen: Set[FunctionInfo]):
        """(value, helper) when ``call`` runs one function of this file that has a single, unconditional return."""
        functions = self.steps.training.callable_functions(call.func)
        if len(functions) != 1 or functions[0] in seen or len(functions[0].returns) != 1:
            return None
        helper = functions[0]
        value = helper.returns[0]
        return (value, helper) if self.steps.flow(helper).is_unconditional(value) else None

    def _surely_increments(self, call: ast.Call) -> bool:
        if call not in self._surely:
            self._surely[call] = self._compute_surely_increments(call)
        return self._surely[call]

    def _compute_surely_increments(self, call: ast.Call) -> bool:
        kind = self.steps.optimizer_call(call)
        if kind is not None:
            step = self.steps.passed_step(call, kind)
            return kind.family == "v1" and kind.increments_step and step is not None and self.steps.is_global_step(step)
        symbol = self.steps.names.symbol(call.func)
        if symbol is not None and symbol.kind == "assign_function":
            method = symbol.public_name.rsplit(".", 1)[-1]
            target = argument(call, symbol.param_index("ref"), "ref")
            value = argument(call, symbol.param_index("value"), "value")
        elif symbol is None and isinstance(call.func, ast.Attribute) and call.func.attr in ASSIGN_METHODS:
            method, target, value = call.func.attr, call.func.value, argument(call, 0, "value")
        else:
            return False
        if target is None or value is None or not self.steps.is_global_step(target):
            return False
        return method == "assign_add" or any(self._adds_to_step(origin) for origin in self.steps.names.origins(value))

    def _adds_to_step(self, value) -> bool:
        """``global_step + 1``."""
        return (isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add)
                and (self.steps.is_global_step(value.left) or self.steps.is_global_step(value.right)))
