"""Which Estimator class an expression is an instance of, so export calls are checked only on Estimators.

Many unrelated functions are also called ``export_saved_model`` (Keras, YOLO exporters, project helpers), so an
unresolved receiver is never assumed to be an Estimator.
"""
import ast
from dataclasses import dataclass
from typing import List, Mapping, Optional, Set, Tuple, Union

from tf_step_lint.analysis.index import FunctionInfo, argument, has_star
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

    def instance_of(self, receiver: ast.expr, depth: int = 0) -> Optional[EstimatorClass]:
        """The Estimator class ``receiver`` is surely an instance of: built here, kept in an attribute, or received
        as a parameter that every call of its function in this file gives one (or as ``Exporter.export``'s)."""
        parameter = self.names.parameter(receiver)
        if parameter is not None:
            return self._passed(*parameter, depth) if depth < 5 else None
        classes = set()
        for origin in self.names.origins(receiver):
            if not isinstance(origin, ast.Call):
                return None
            klass = self.class_of(origin.func)
            if klass is None:
                return None
            classes.add(klass)
        return classes.pop() if len(classes) == 1 else None

    def _passed(self, function: FunctionInfo, parameter: ast.arg, depth: int) -> Optional[EstimatorClass]:
        if self._is_exporter_export(function, parameter):  # tensorflow/tensorflow#27345's exporter
            symbol = self.names.api.lookup("tensorflow.estimator.Estimator", self.names.target)
            return EstimatorClass(symbol, frozenset()) if symbol is not None else None
        classes = {self.instance_of(value, depth + 1) for value in self.names.passed(function, parameter) or [None]}
        return classes.pop() if len(classes) == 1 else None

    def _is_exporter_export(self, function: FunctionInfo, parameter: ast.arg) -> bool:
        """``parameter`` is the estimator ``export`` is called with, in a subclass of ``tf.estimator.Exporter``."""
        if function.owner is None or function.name != "export":
            return False
        bases = [self.names.symbol(base) for base in function.owner.node.bases]
        base = next((b for b in bases if b is not None and b.kind == "exporter_base"), None)
        return base is not None and function.positional_params()[1:2] == [parameter.arg]  # export(self, estimator, ..)

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


# -- an Estimator object's life in one function: where it was built, what it was told, what was done to it ------
LOOPS = (ast.For, ast.AsyncFor, ast.While)


@dataclass(frozen=True)
class Construction:
    """An Estimator built by one call in the function that uses it."""

    call: ast.Call
    estimator: EstimatorClass
    name: str  # the variable it is bound to


class Lifecycles:
    """What a function does to an Estimator it builds itself: the loops around a call, and the other uses of the
    object.  Only a name bound once, in the same function, to one constructor call counts: an Estimator passed in
    from elsewhere may have been trained there."""

    def __init__(self, names: Names, estimators: Estimators):
        self.names = names
        self.estimators = estimators

    def construction(self, receiver: ast.expr) -> Optional[Construction]:
        if not isinstance(receiver, ast.Name):
            return None
        scope = self.names.scopes.get(receiver)
        bindings = scope[receiver.id] if scope is not None else []
        if len(bindings) != 1 or bindings[0].scope.kind != "function" or not isinstance(bindings[0].node, ast.Name):
            return None
        value = self.names.index.assigned_value.get(bindings[0].node)
        if not isinstance(value, ast.Call):
            return None
        estimator = self.estimators.class_of(value.func)
        return Construction(value, estimator, receiver.id) if estimator is not None else None

    def argument(self, construction: Construction, name: str) -> Tuple[bool, Optional[ast.expr]]:
        """(whether the constructor can be read, the value it gives parameter ``name``); unreadable behind
        ``*args``/``**kwargs``."""
        call = construction.call
        if has_star(call):
            return False, None
        params = construction.estimator.symbol.info["init"]
        return True, argument(call, params.index(name) if name in params else None, name)

    def model_dir_of_config(self, config: ast.expr) -> Tuple[bool, Optional[ast.expr]]:
        """(whether ``config`` is surely a RunConfig built here, the model_dir it is given)."""
        origins = self.names.origins(config)
        if len(origins) != 1 or not self.names.calls(origins[0], "run_config"):
            return False, None
        call = origins[0]
        if has_star(call):
            return False, None
        params = self.names.symbol(call.func).info["params"]
        return True, argument(call, params.index("model_dir") if "model_dir" in params else None, "model_dir")

    def loops_around(self, node: ast.AST, function: Union[FunctionInfo, ast.Module]) -> List[ast.stmt]:
        """The loops of ``function`` (or of a module's own code; not of nested defs) that contain ``node``,
        outermost first."""
        found: List[ast.stmt] = []

        def visit(statements) -> bool:
            for statement in statements:
                if _contains(statement, node):
                    if isinstance(statement, LOOPS):
                        found.append(statement)
                    for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                        blocks = getattr(statement, field, None) or []
                        visit([s for b in blocks for s in (b.body if not isinstance(b, ast.stmt) else [b])])
                    return True
            return False

        visit(function.body if isinstance(function, ast.Module) else function.node.body)
        return found

    def other_uses(self, construction: Construction, function: FunctionInfo, methods: Tuple[str, ...]
                   ) -> List[ast.Name]:
        """Reads of the Estimator's name in ``function`` other than calls of ``methods`` on it: training, handing it
        to a helper or to train_and_evaluate, anything that may give it a checkpoint."""
        uses = []
        for node in ast.walk(function.node):
            if isinstance(node, ast.Name) and node.id == construction.name and isinstance(node.ctx, ast.Load):
                uses.append(node)
        calls_of_methods = {call.func.value for call in function.calls if isinstance(call.func, ast.Attribute)
                            and call.func.attr in methods and isinstance(call.func.value, ast.Name)}
        return [use for use in uses if use not in calls_of_methods]


def names_bound_in(loop: ast.stmt) -> Set[str]:
    """Names a loop's target or body binds: what may change from one iteration to the next."""
    bound: Set[str] = set()
    for node in ast.walk(loop):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
    return bound


def attributes_assigned_in(loop: ast.stmt) -> Set[str]:
    """Attribute targets (``self.step``) a loop's body assigns, spelled as written."""
    return {ast.unparse(node) for node in ast.walk(loop) if isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)}


def _contains(outer: ast.AST, node: ast.AST) -> bool:
    return (outer.lineno, outer.col_offset) <= (node.lineno, node.col_offset) and \
        (node.end_lineno, node.end_col_offset) <= (outer.end_lineno, outer.end_col_offset)
