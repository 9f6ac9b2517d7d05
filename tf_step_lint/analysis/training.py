"""Training-code discovery: which functions are Estimator model_fns, and what they reach in this file.

A function is a model_fn only on evidence: it is passed to an Estimator constructor (directly, through a
builder's closure, ``functools.partial``, a method or a callable instance), or it returns an
``EstimatorSpec``; a function handed to a head as its ``train_op_fn=`` builds a model_fn's train op.  Its name is
never evidence.
"""
import ast
from functools import cached_property
from typing import Dict, FrozenSet, List, Optional, Set

from tf_step_lint.analysis.index import FUNCTION_TYPES, ClassInfo, FunctionInfo, ModuleIndex
from tf_step_lint.analysis.modules import NO_OTHER_MODULES, OtherModules
from tf_step_lint.analysis.names import UNKNOWN, Names
from tf_step_lint.analysis.index import argument
from tf_step_lint.analysis.weights import loads_weights


class Training:
    def __init__(self, index: ModuleIndex, names: Names, external_roots: FrozenSet[str] = frozenset(),
                 modules: OtherModules = NO_OTHER_MODULES):
        self.index = index
        self.names = names
        self.external_roots = external_roots  # top-level functions another module's model_fn builds its train op with
        self.modules = modules
        self._callables: Dict[ast.expr, List[FunctionInfo]] = {}
        self._lineages: Dict[ClassInfo, FrozenSet[ast.ClassDef]] = {}
        self._subclasses_of: Dict[Optional[ClassInfo], List[ClassInfo]] = {}

    # -- what a callable expression runs ---------------------------------------------------------
    def callable_functions(self, expr: ast.expr, seen: Optional[Set] = None) -> List[FunctionInfo]:
        """The functions of this file that run when ``expr`` is called; computed once per expression, since every
        model_fn's reach asks it of every call."""
        if seen is not None:
            return self._callable_functions(expr, seen)
        if expr not in self._callables:
            self._callables[expr] = self._callable_functions(expr, set())
        return self._callables[expr]

    def _callable_functions(self, expr: ast.expr, seen: Set) -> List[FunctionInfo]:
        if isinstance(expr, ast.Attribute) and not (isinstance(expr.value, ast.Name) and expr.value.id == "self"):
            return self._methods_of_instances(expr.value, expr.attr)
        passed = [value for value in self.passed_callables(expr) if value not in seen]
        if passed:  # `learning_rate_fn(global_step)`: what every caller of this file hands in
            seen.update(passed)
            return [fn for value in passed for fn in self.callable_functions(value, seen)]
        found: List[FunctionInfo] = []
        for origin in self.names.origins(expr):
            if origin is UNKNOWN or origin in seen:
                continue
            seen.add(origin)
            if isinstance(origin, FUNCTION_TYPES):
                found.append(self.index.function_of[origin])
            elif isinstance(origin, ast.ClassDef):
                found.extend(self._method(origin, "__init__"))
            elif isinstance(origin, ast.Lambda) and isinstance(origin.body, ast.Call):
                found.extend(self.callable_functions(origin.body.func, seen))
            elif isinstance(origin, ast.Call):
                found.extend(self._returned_callables(origin, seen))
        if isinstance(expr, ast.Attribute):  # `self.config_model_training(loss)`: a subclass may override it
            klass = self.names.enclosing_class(expr)
            found.extend(m for sub in self._subclasses(klass) if (m := sub.methods.get(expr.attr)) is not None)
        return found

    def overrides_another(self, first: FunctionInfo, second: FunctionInfo) -> bool:
        """``first`` and ``second`` are definitions of one method in one hierarchy of classes of this file (one
        overrides the other, or both override a base's): an instance runs one of them, never both."""
        first, second = method_of(first), method_of(second)
        if first is None or second is None or first is second or first.name != second.name:
            return False
        return bool(self._lineage(first.owner) & self._lineage(second.owner))

    def _lineage(self, klass: ClassInfo) -> FrozenSet[ast.ClassDef]:
        """``klass`` and the classes of this file it derives from (computed once a class)."""
        if klass in self._lineages:
            return self._lineages[klass]
        found: Set[ast.ClassDef] = set()
        todo = [klass.node]
        while todo:
            node = todo.pop()
            if node not in found:
                found.add(node)
                todo.extend(o for base in node.bases for o in self.names.origins(base) if isinstance(o, ast.ClassDef))
        self._lineages[klass] = frozenset(found)
        return self._lineages[klass]

    def _subclasses(self, klass: Optional[ClassInfo]) -> List[ClassInfo]:
        """The classes of this file that derive from ``klass``, directly or not (computed once a class)."""
        if klass in self._subclasses_of:
            return self._subclasses_of[klass]
        found: List[ClassInfo] = []
        bases = {klass.node} if klass is not None else set()
        for candidate in self.index.classes:  # a subclass follows its base in the file
            if any(origin in bases for base in candidate.node.bases for origin in self.names.origins(base)):
                found.append(candidate)
                bases.add(candidate.node)
        self._subclasses_of[klass] = found
        return found

    def passed_callables(self, expr: ast.expr) -> List[ast.expr]:
        """What every call of this file passes for the parameter ``expr`` names; empty where ``expr`` is no parameter
        or a caller passes nothing for it."""
        parameter = self.names.parameter(expr)
        return (self.names.passed(*parameter) or []) if parameter is not None else []

    def _returned_callables(self, call: ast.Call, seen: Set) -> List[FunctionInfo]:
        """What calling the *result* of ``call`` runs: partial's target, a builder's closure, an instance's __call__."""
        if self.names.is_qualified(call.func, "functools.partial"):
            target = argument(call, 0, "func")
            return self.callable_functions(target, seen) if target is not None else []
        found: List[FunctionInfo] = []
        for origin in self.names.origins(call.func):
            if isinstance(origin, ast.ClassDef):
                found.extend(self._method(origin, "__call__"))
            elif isinstance(origin, FUNCTION_TYPES):
                for returned in self.index.function_of[origin].returns:
                    found.extend(self.callable_functions(returned, seen))
        return found

    def _methods_of_instances(self, receiver: ast.expr, name: str) -> List[FunctionInfo]:
        """`model.build_train_op(...)`: the method, when ``model`` is an instance of a class of this file."""
        found: List[FunctionInfo] = []
        for origin in self.names.origins(receiver):
            if isinstance(origin, ast.Call):
                for klass in self.names.origins(origin.func):
                    if isinstance(klass, ast.ClassDef):
                        found.extend(self._method(klass, name))
        return found

    def _method(self, klass: ast.ClassDef, name: str) -> List[FunctionInfo]:
        method = self.index.class_of[klass].methods.get(name)
        return [method] if method is not None else []

    # -- model_fns --------------------------------------------------------------------------------
    @cached_property
    def model_fns(self) -> List[FunctionInfo]:
        roots: Dict[FunctionInfo, None] = {}
        for site in self.index.calls:
            for fn in self._model_fn_arguments(site.node, site.klass):
                roots[fn] = None
            for keyword in site.node.keywords:  # a head's train op: TF's heads and those built like them
                if keyword.arg == "train_op_fn":  # (tf-ranking's create_ranking_head) call it with the loss
                    roots.update(dict.fromkeys(self.callable_functions(keyword.value)))
                    if isinstance(keyword.value, ast.Lambda) and site.function is not None:
                        roots[site.function] = None  # a lambda's calls are its def's
        for klass in self.index.classes:  # overrides of what another module's model_fn calls on self
            for base in klass.node.bases:
                dotted = self.names.other_modules_name(base)
                trainer = self.modules.trainer(dotted) if dotted else None
                if trainer and trainer.methods & set(klass.methods) and self._driven(klass, trainer.entries):
                    roots.update(dict.fromkeys(klass.methods[name] for name in sorted(trainer.methods)
                                               if name in klass.methods))
        for fn in self.index.functions:
            if self.returns_spec(fn) or (_takes_features(fn)
                                         and any(self._is_other_modules_spec(value) for value in fn.returns)):
                roots[fn] = None
            elif fn.parent is None and fn.owner is None and fn.name in self.external_roots:
                roots[fn] = None
        return list(roots)

    def _driven(self, klass: ClassInfo, entries: FrozenSet[str]) -> bool:
        """This file calls one of ``entries`` on ``klass`` or on an instance of it (``Builder().build_estimator()``)."""
        for site in self.index.calls:
            func = site.node.func
            if isinstance(func, ast.Attribute) and func.attr in entries:
                made = [o.func if isinstance(o, ast.Call) else o for o in self.names.origins(func.value)]
                if any(klass.node in self.names.origins(m) or m is klass.node for m in made):
                    return True
        return False

    def _model_fn_arguments(self, call: ast.Call, klass) -> List[FunctionInfo]:
        symbol = self.names.symbol(call.func)
        if symbol is not None and symbol.kind == "estimator":
            params = symbol.info["init"]
            if "model_fn" not in params:
                return []
            arg = argument(call, params.index("model_fn"), "model_fn")
        elif self._is_estimator_super_init(call, klass):
            arg = argument(call, 0, "model_fn")
        else:
            return []
        return self.callable_functions(arg) if arg is not None else []

    def _is_estimator_super_init(self, call: ast.Call, klass) -> bool:
        """``super().__init__(model_fn=...)`` inside a subclass of an Estimator."""
        func = call.func
        if klass is None or not (isinstance(func, ast.Attribute) and func.attr == "__init__"):
            return False
        if not (isinstance(func.value, ast.Call) and isinstance(func.value.func, ast.Name)
                and func.value.func.id == "super"):
            return False
        return any(self.is_estimator_class(base) for base in klass.node.bases)

    def is_estimator_class(self, expr: ast.expr) -> bool:
        symbol = self.names.symbol(expr)
        return symbol is not None and symbol.kind == "estimator"

    def returns_spec(self, function: FunctionInfo) -> bool:
        return any(self._is_estimator_spec(value) for value in function.returns)

    def _is_estimator_spec(self, value: ast.expr) -> bool:
        return any(self.names.calls(origin, "estimator_spec") for origin in self.names.origins(value))

    def _is_other_modules_spec(self, value: ast.expr) -> bool:
        """``return resnet_run_loop.resnet_model_fn(...)``: what another module's model_fn body returns."""
        if not isinstance(value, ast.Call):
            return False
        dotted = self.names.other_modules_name(value.func)
        return dotted is not None and self.modules.returns_spec(dotted)

    # -- what a model_fn reaches ------------------------------------------------------------------
    @cached_property
    def units(self) -> List[FrozenSet[FunctionInfo]]:
        """One set per model_fn: it, its nested functions, and the same-file functions it calls, transitively."""
        return [self.reach(root) for root in self.model_fns]

    def reach(self, root: FunctionInfo) -> FrozenSet[FunctionInfo]:
        """``root``, its nested functions, and the same-file functions they call, transitively."""
        reached: Dict[FunctionInfo, None] = {}
        todo = [root]
        while todo:
            fn = todo.pop()
            if fn in reached:
                continue
            reached[fn] = None
            todo.extend(fn.nested)
            for call in fn.calls:
                todo.extend(self.callable_functions(call.func))
        return frozenset(reached)

    def may_load_weights(self, model_fn: ast.expr) -> bool:
        """The model_fn ``model_fn`` names may load weights itself, so it needs no checkpoint to predict with them:
        it, or a function of this file it reaches, calls a loader (see weights.py); or it is not in this file."""
        functions = self.callable_functions(model_fn)
        return not functions or any(loads_weights(self.names, call) for fn in functions for reached in self.reach(fn)
                                    for call in reached.calls)

    @cached_property
    def functions(self) -> FrozenSet[FunctionInfo]:
        """All training code: every function some model_fn reaches."""
        return frozenset(fn for unit in self.units for fn in unit)

    def units_containing(self, fn: Optional[FunctionInfo]) -> List[FrozenSet[FunctionInfo]]:
        return [unit for unit in self.units if fn in unit]


def method_of(function: Optional[FunctionInfo]) -> Optional[FunctionInfo]:
    """The method ``function`` is, or is nested in."""
    while function is not None and function.owner is None:
        function = function.parent
    return function


def _takes_features(function: FunctionInfo) -> bool:
    """An Estimator refuses a model_fn without a ``features`` parameter (``_verify_model_fn_args`` in
    tensorflow_estimator's estimator.py raises ``ValueError: model_fn ... must include features argument``): only
    such a function is worth asking other modules about."""
    args = function.node.args
    return any(a.arg == "features" for a in (*args.posonlyargs, *args.args, *args.kwonlyargs))
