"""Which Estimator class an expression is an instance of, so export calls are checked only on Estimators.

Many unrelated functions are also called ``export_saved_model`` (Keras, YOLO exporters, project helpers), so an
unresolved receiver is never assumed to be an Estimator.
"""
import ast
from dataclasses import dataclass
from typing import Mapping, Optional

from tf_step_lint.analysis.names import Names
from tf_step_lint.api import Symbol


@dataclass(frozen=True)
class EstimatorClass:
    symbol: Symbol  # the TensorFlow Estimator class (the base, for a user subclass)
    overridden: frozenset  # methods a user subclass defines itself

    @property
    def display_name(self) -> str:
        return self.symbol.public_name

    def method(self, name: str) -> Optional[Mapping]:
        """The generated signature of ``name``; None when absent (or overridden, so unknown)."""
        return None if name in self.overridden else self.symbol.info["methods"].get(name)

    def has_method(self, name: str) -> bool:
        return name in self.overridden or name in self.symbol.info["methods"]


class Estimators:
    def __init__(self, names: Names):
        self.names = names

    def instance_of(self, receiver: ast.expr) -> Optional[EstimatorClass]:
        classes = set()
        for origin in self.names.origins(receiver):
            if not isinstance(origin, ast.Call):
                return None
            klass = self.class_of(origin.func)
            if klass is None:
                return None
            classes.add(klass)
        return classes.pop() if len(classes) == 1 else None

    def class_of(self, expr: ast.expr, depth: int = 0) -> Optional[EstimatorClass]:
        symbol = self.names.symbol(expr)
        if symbol is not None:
            return EstimatorClass(symbol, frozenset()) if symbol.kind == "estimator" else None
        local = self.names.origins(expr)
        if depth > 10 or len(local) != 1 or not isinstance(local[0], ast.ClassDef):
            return None
        klass = self.names.index.class_of[local[0]]
        bases = {self.class_of(base, depth + 1) for base in klass.node.bases}
        if len(bases) != 1 or None in bases:
            return None
        base = bases.pop()
        return EstimatorClass(base.symbol, base.overridden | frozenset(klass.methods))
