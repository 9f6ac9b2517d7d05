"""The global step: where it is passed, what counts as the Estimator's step, and what increments it.

"Increments" is read generously, because its only use is to keep rules silent: every manual form of
real-code-patterns.md section 5 counts, and so does handing a step to code this file cannot see.
"""
import sys
from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterable, List, Optional

import libcst as cst

from tf_step_lint.analysis.index import FunctionInfo
from tf_step_lint.analysis.names import Names
from tf_step_lint.analysis.optimizers import OptimizerKind, Optimizers, argument
from tf_step_lint.analysis.training import Training
from tf_step_lint.api import tf_api

OPTIMIZER_METHODS = ("minimize", "apply_gradients")


@dataclass(frozen=True)
class StepUse:
    """A call that is handed a training step: an optimizer method or a TF schedule that reads it."""

    call: cst.Call
    step: cst.BaseExpression
    optimizer: Optional[OptimizerKind]  # set for minimize/apply_gradients


@dataclass(frozen=True)
class Increment:
    call: cst.Call
    target: cst.BaseExpression  # what is incremented (the step expression)


class Steps:
    def __init__(self, names: Names, optimizers: Optimizers, training: Training):
        self.names = names
        self.optimizers = optimizers
        self.training = training
        self.v1_methods = tf_api().methods["v1_optimizer"]
        self._increments: Dict[FrozenSet[FunctionInfo], List[Increment]] = {}

    # -- what a step expression is ----------------------------------------------------------------
    def may_be_step(self, expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Call):
            return self.names.calls(expr, "step_getter")
        last = expr.attr.value if isinstance(expr, cst.Attribute) else getattr(expr, "value", "")
        if isinstance(last, str) and "step" in last.lower():
            return True
        return any(self.names.calls(o, "step_getter") for o in self.names.origins(expr))

    # -- where a step is passed ------------------------------------------------------------------
    def optimizer_call(self, call: cst.Call) -> Optional[OptimizerKind]:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in OPTIMIZER_METHODS:
            return self.optimizers.kind(func.value, func.attr.value)
        return None

    def passed_step(self, call: cst.Call, kind: OptimizerKind) -> Optional[cst.BaseExpression]:
        """The global step given to minimize/apply_gradients, by keyword or (v1 contract) by position."""
        method = call.func.attr.value
        position = self.v1_methods[method]["params"].index("global_step") if kind.family == "v1" else None
        return argument(call, position, "global_step")

    def step_uses(self, functions: Iterable[FunctionInfo]) -> List[StepUse]:
        uses = []
        for fn in functions:
            for call in fn.calls:
                kind = self.optimizer_call(call)
                if kind is not None:
                    step = self.passed_step(call, kind)
                else:
                    symbol = self.names.symbol(call.func)
                    position = symbol.param_index("global_step") if symbol and symbol.kind == "step_consumer" else None
                    step = argument(call, position, "global_step")
                if step is not None and not _is_none(step):
                    uses.append(StepUse(call, step, kind))
        return uses

    # -- what increments a step -----------------------------------------------------------------
    def increments(self, unit: FrozenSet[FunctionInfo]) -> List[Increment]:
        """Every call in ``unit`` (a model_fn and what it reaches) that may increment a step; computed once."""
        if unit not in self._increments:
            self._increments[unit] = [Increment(call, target) for fn in unit for call in fn.calls
                                      if (target := self._incremented(call)) is not None]
        return self._increments[unit]

    def _incremented(self, call: cst.Call) -> Optional[cst.BaseExpression]:
        """The step ``call`` may increment, if any."""
        kind = self.optimizer_call(call)
        if kind is not None:
            step = self.passed_step(call, kind)
            may_increment = kind.family == "unknown" or kind.increments_step
            return step if step is not None and not _is_none(step) and may_increment else None
        func = call.func
        symbol = self.names.symbol(func)
        if symbol is not None:
            if symbol.kind == "assign_function" and call.args and self.may_be_step(call.args[0].value):
                return call.args[0].value
            return None  # any other TensorFlow function only reads the step
        if isinstance(func, cst.Attribute) and func.attr.value in ("assign", "assign_add"):
            return func.value if self.may_be_step(func.value) else None
        if self._is_library(func) or self.training.callable_functions(func):
            return None  # a same-file helper is analysed on its own
        # Code this file cannot see (optimize_loss, another module's create_train_op) may increment it.
        return next((a.value for a in call.args if self.may_be_step(a.value)), None)

    def other_module_function(self, call: cst.Call) -> Optional[str]:
        """`optimization.create_optimizer(...)`: the dotted name the call runs, when it is neither TensorFlow, a
        library, nor code of this file, so possibly a function of another module of the project."""
        qualified = self.names.qualified_names(call.func)
        if not qualified or len(qualified) != 1 or self._is_library(call.func):
            return None
        return None if self.training.callable_functions(call.func) else next(iter(qualified))

    def _is_library(self, func: cst.BaseExpression) -> bool:
        qualified = self.names.qualified_names(func)
        return bool(qualified) and all(q.split(".")[0] in _READ_ONLY_PACKAGES for q in qualified)


_READ_ONLY_PACKAGES = frozenset(
    ("tensorflow", "tensorflow_estimator", "keras", "numpy", "builtins", *getattr(sys, "stdlib_module_names", ()))
)


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"
