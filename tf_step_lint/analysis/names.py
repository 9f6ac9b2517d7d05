"""What a name denotes: the import path it is bound to, or the values assigned to it.

Resolution goes by binding, never by spelling: ``tf`` is TensorFlow only if it was imported from TensorFlow.
Anything unsure resolves to nothing (``None`` / ``UNKNOWN``), and rules stay silent on it.
"""
import ast
import sys
from functools import cached_property
from typing import Dict, FrozenSet, List, Optional, Tuple, Union

from tf_step_lint.analysis.index import Binding, ClassInfo, FunctionInfo, ModuleIndex, Scope, argument
from tf_step_lint.analysis.modules import Fact, OtherModules
from tf_step_lint.api import Symbol, tf_api


_READ_ONLY_PACKAGES = frozenset(
    ("tensorflow", "tensorflow_estimator", "keras", "numpy", "builtins", *getattr(sys, "stdlib_module_names", ()))
)


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
# What an expression may evaluate to: a value expression, a def, or UNKNOWN.
Origin = Union[ast.expr, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, _Unknown]
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def dotted(node: ast.expr) -> Optional[str]:
    """``a.b.c`` for a chain of names; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _import_target(binding: Binding) -> Optional[str]:
    """The dotted path an import binds to ``binding.name``; a relative import's starts with its dots
    (``from ..utils import build``: ``..utils.build``), which only the project's modules can resolve."""
    node = binding.node
    if isinstance(node, ast.ImportFrom):
        module = "." * node.level + (node.module or "")
        if not module:
            return None
        for alias in node.names:
            if (alias.asname or alias.name) == binding.name:
                return f"{module}{'' if module.endswith('.') else '.'}{alias.name}"
        return None
    for alias in node.names:
        if alias.asname is not None:
            if alias.asname == binding.name:
                return alias.name
        elif alias.name.split(".")[0] == binding.name:
            return binding.name
    return None


# Names that hold a run's settings: an attribute of one is a value read from flags or a file, never a variable.
_CONFIGURATION_NAMES = frozenset(("flags", "config", "cfg", "conf", "configs", "params", "hparams", "hps", "hp",
                                  "args", "opts", "options", "settings"))


def is_configuration(expr: ast.expr) -> bool:
    """``FLAGS``, ``params``, ``self.config``, ``FLAGS.model``, ``params["optimizer"]``: settings, or a part of
    them."""
    if isinstance(expr, ast.Subscript):
        return is_configuration(expr.value)
    text = dotted(expr)
    return text is not None and any(part.lower() in _CONFIGURATION_NAMES for part in text.split("."))


class Names:
    def __init__(self, index: ModuleIndex, target: Optional[Tuple[int, int]] = None):
        """``target``: the TensorFlow the code runs on, which decides what a path names (see TfApi.lookup)."""
        self.index = index
        self.target = target
        self.scopes = index.scope_of
        self.api = tf_api()
        self._qualified: Dict[ast.AST, Optional[FrozenSet[str]]] = {}
        self._symbols: Dict[ast.AST, Optional[Symbol]] = {}
        self._resolving: set = set()  # expressions whose import paths are being computed (cycle guard)

    # -- import paths -------------------------------------------------------------------------
    def qualified_names(self, expr: ast.expr) -> Optional[FrozenSet[str]]:
        """Every dotted import path ``expr`` may denote, or None if any binding is not an import alias."""
        if expr in self._qualified:
            return self._qualified[expr]
        self._resolving.add(expr)
        result: Optional[FrozenSet[str]] = None
        if isinstance(expr, ast.Name):
            scope = self.scopes.get(expr)
            result = self.name_in_scope(scope, expr.id) if scope is not None else None
        elif isinstance(expr, ast.Attribute):
            base = self.qualified_names(expr.value)
            if base:
                result = frozenset(f"{b}.{expr.attr}" for b in base)
        self._resolving.discard(expr)
        self._qualified[expr] = result
        return result

    def name_in_scope(self, scope: Scope, name: str) -> Optional[FrozenSet[str]]:
        assignments = scope[name]
        if not assignments:
            return None
        paths = set()
        for assignment in assignments:
            if assignment.kind == "import":
                path = _import_target(assignment)
                if path is None:
                    return None
                paths.add(path)
            elif assignment.kind == "variable" and isinstance(assignment.node, ast.Name):
                value = self.index.assigned_value.get(assignment.node)
                if value in self._resolving:
                    continue  # `tf = tf.compat.v1` seen from inside itself: the other bindings decide
                inner = self.qualified_names(value) if value is not None else None
                if inner is None:
                    return None
                paths |= inner
            elif assignment.kind == "builtin":
                paths.add(f"builtins.{name}")
            else:
                return None
        return frozenset(paths)

    def symbol(self, expr: ast.expr) -> Optional[Symbol]:
        """The TensorFlow symbol ``expr`` names, if every binding agrees on one (asked of every call by most rules,
        so computed once per expression)."""
        if expr not in self._symbols:
            paths = self.qualified_names(expr)
            symbols = {self.api.lookup(p, self.target) for p in paths} if paths else set()
            self._symbols[expr] = symbols.pop() if len(symbols) == 1 else None
        return self._symbols[expr]

    def calls(self, origin: "Origin", *kinds: str) -> bool:
        """``origin`` is a call of a TensorFlow symbol of one of ``kinds`` (e.g. "step_getter")."""
        if not isinstance(origin, ast.Call):
            return False
        symbol = self.symbol(origin.func)
        return symbol is not None and symbol.kind in kinds

    def is_library(self, func: ast.expr) -> bool:
        """``func`` is TensorFlow's, NumPy's, the standard library's: code that only reads a step handed to it, and
        that no module of the project defines."""
        qualified = self.qualified_names(func)
        return bool(qualified) and all(q.split(".")[0] in _READ_ONLY_PACKAGES for q in qualified)

    def fact(self, expr: ast.expr, modules: OtherModules) -> Optional[Fact]:
        """What another module of the project says of the function or class ``expr`` names, if it names one."""
        dotted = self.other_modules_name(expr)
        return modules.fact(dotted) if dotted else None

    def other_modules_name(self, expr: ast.expr) -> Optional[str]:
        """The one import path ``expr`` names, unless it is a library's: a name another module may define."""
        qualified = self.qualified_names(expr)
        if not qualified or len(qualified) != 1 or self.is_library(expr):
            return None
        return next(iter(qualified))

    def is_qualified(self, expr: ast.expr, *paths: str) -> bool:
        names = self.qualified_names(expr)
        return bool(names) and all(n in paths for n in names)

    # -- values ---------------------------------------------------------------------------------
    def origins(self, expr: ast.expr) -> List[Origin]:
        """What ``expr`` may evaluate to, following plain assignments (flow-insensitive)."""
        return self._origins(expr, set())

    def _origins(self, expr: ast.expr, seen: set) -> List[Origin]:
        if expr in seen:
            return [UNKNOWN]
        seen.add(expr)
        if isinstance(expr, ast.Name):
            scope = self.scopes.get(expr)
            if scope is None:
                return [UNKNOWN]
            assignments = scope[expr.id]
            if not assignments:
                return [UNKNOWN]
            result: List[Origin] = []
            for assignment in assignments:
                node = assignment.node
                if assignment.kind != "variable":
                    result.append(UNKNOWN)
                elif isinstance(node, DEFINITIONS):
                    result.append(node)
                elif isinstance(node, ast.Name) and node in self.index.assigned_value:
                    result.extend(self._origins(self.index.assigned_value[node], seen))
                else:
                    result.append(UNKNOWN)
            return result
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
            klass = self.enclosing_class(expr)
            if klass is None:
                return [UNKNOWN]
            attr = expr.attr
            if attr in klass.methods:
                return [klass.methods[attr].node]
            values = klass.attributes.get(attr)
            if not values:
                return [UNKNOWN]
            return [o for v in values for o in self._origins(v, seen)]
        if isinstance(expr, (ast.Attribute, ast.Subscript)):
            return [UNKNOWN]
        return [expr]

    # -- parameters -------------------------------------------------------------------------------
    def parameter(self, expr: ast.expr) -> Optional[Tuple[FunctionInfo, ast.arg]]:
        """(function, parameter) when ``expr`` is a name bound only as a parameter of a def of this file."""
        scope = self.scopes.get(expr) if isinstance(expr, ast.Name) else None
        bindings = scope[expr.id] if scope is not None else []
        if len(bindings) != 1 or not isinstance(bindings[0].node, ast.arg):
            return None
        function = self.index.function_of.get(bindings[0].scope.node)
        return (function, bindings[0].node) if function is not None else None

    def passed(self, function: FunctionInfo, parameter: ast.arg) -> Optional[List[ast.expr]]:
        """What every call of ``function`` in this file passes for ``parameter``, its default where a call passes
        nothing (an ``__init__``'s calls are those of its class; ``functools.partial(function, name=value)``
        passes ``value``); None where a call passes nothing and there is no default, for ``self``, or where there
        is no call."""
        names = function.positional_params()
        position = names.index(parameter.arg) if parameter.arg in names else None
        if position is not None and function.owner is not None:
            if position == 0:
                return None  # self: the instance the method is called on, not an argument
            position -= 1  # called on an instance: self is not an argument
        default = _default(function.node.args, parameter)
        values = []
        for call, shift in self._calls_of(function):
            value = argument(call, None if position is None else position + shift, parameter.arg) or default
            if value is None:
                return None
            values.append(value)
        return values or None

    def _calls_of(self, function: FunctionInfo) -> List[Tuple[ast.Call, int]]:
        """The calls of ``function`` in this file, each with where its arguments start (1 in a partial's)."""
        found = list(self._callers.get(function.node, ()))
        if function.owner is not None and function.name == "__init__":
            found += self._callers.get(function.owner.node, ())
        return sorted(found, key=lambda pair: (pair[0].lineno, pair[0].col_offset))

    @cached_property
    def _callers(self) -> Dict[ast.AST, List[Tuple[ast.Call, int]]]:
        """Each def or class of this file -> its calls (and ``functools.partial``'s of it), found in one pass over
        the calls: asking it again for every parameter was quadratic in the calls of a file."""
        callers: Dict[ast.AST, List[Tuple[ast.Call, int]]] = {}
        for site in self.index.calls:
            call = site.node
            origins = self.origins(call.func)
            if len(origins) == 1 and isinstance(origins[0], DEFINITIONS):
                callers.setdefault(origins[0], []).append((call, 0))
            elif call.args and self.is_qualified(call.func, "functools.partial"):
                targets = self.origins(call.args[0])
                if len(targets) == 1 and isinstance(targets[0], DEFINITIONS):
                    callers.setdefault(targets[0], []).append((call, 1))
        return callers

    def parameter_values(self, expr: ast.expr) -> Optional[List[ast.expr]]:
        """What ``expr`` holds when it is a parameter, or an attribute of ``self`` set only from parameters
        (``self._optimizer_fn = optimizer_fn``): what every call passes for them (see ``passed``), or, where this
        file calls the function nowhere, the parameter's default; a ``None`` replaced by a later assignment
        (``if optimizer_fn is None: optimizer_fn = AdamOptimizer``) gives way to what is assigned."""
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
            klass = self.enclosing_class(expr)
            kept = klass.attributes.get(expr.attr) if klass is not None else None
            if not kept:
                return None
            values = [self.parameter_values(value) for value in kept]
            return None if None in values else [v for found in values for v in found]
        scope = self.scopes.get(expr) if isinstance(expr, ast.Name) else None
        bindings = scope[expr.id] if scope is not None else []
        parameters = [b for b in bindings if isinstance(b.node, ast.arg)]
        assigned = [self.index.assigned_value.get(b.node) for b in bindings if b not in parameters]
        if len(parameters) != 1 or None in assigned:
            return None
        function = self.index.function_of.get(parameters[0].scope.node)
        if function is None:
            return None
        passed = self.passed(function, parameters[0].node)
        if passed is None and not self._calls_of(function):
            default = _default(function.node.args, parameters[0].node)
            passed = [default] if default is not None else None
        if passed is None:
            return None
        if assigned:
            passed = [value for value in passed if not (isinstance(value, ast.Constant) and value.value is None)]
        return passed + assigned

    # -- where a node is --------------------------------------------------------------------------
    def enclosing_function(self, node: ast.AST) -> Optional[FunctionInfo]:
        """The innermost def around ``node`` (lambdas and comprehensions belong to their def)."""
        scope = self.scopes.get(node)
        while scope is not None and scope is not scope.globals:
            if scope.kind == "function":
                return self.index.function_of.get(scope.node)
            scope = scope.parent
        return None

    def enclosing_class(self, node: ast.AST) -> Optional[ClassInfo]:
        function = self.enclosing_function(node)
        while function is not None:
            if function.owner is not None:
                return function.owner
            function = function.parent
        return None

    def is_module_level(self, name: ast.Name) -> bool:
        """True when every binding of ``name`` (seen from its use) is at module level."""
        scope = self.scopes.get(name)
        if scope is None:
            return False
        assignments = scope[name.id]
        return bool(assignments) and all(a.scope is a.scope.globals for a in assignments)


def _default(args: ast.arguments, parameter: ast.arg) -> Optional[ast.expr]:
    """The default value of ``parameter`` in ``args``, if it has one."""
    positional = [*args.posonlyargs, *args.args]
    if parameter in positional:
        index = positional.index(parameter) - (len(positional) - len(args.defaults))
        return args.defaults[index] if index >= 0 else None
    if parameter in args.kwonlyargs:
        return args.kw_defaults[args.kwonlyargs.index(parameter)]
    return None
