"""The one traversal of a module: functions, classes, calls, assignments and scopes, recorded in a single walk.

The walk runs over Python's own ``ast`` (parsed in C, about fourteen times faster than LibCST) and reads each node
type's fields directly; the scope model keeps only what the analyses ask: which bindings a name may refer to, and
which names read each binding.
"""
import ast
import builtins
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Set, Tuple, Union

from tf_step_lint.parsing import asks_for_version, catches_missing_api

BUILTIN_NAMES = frozenset(dir(builtins))
FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]
ImportNode = Union[ast.Import, ast.ImportFrom]
_SKIPPED_FIELDS = frozenset({"ctx", "op", "ops", "type_comment", "type_ignores"})  # never a name or call
_FIELDS: Dict[type, Tuple[str, ...]] = {}


def child_fields(node_type: type) -> Tuple[str, ...]:
    """The fields of an ``ast`` node type that may hold nodes (the expression context never matters here)."""
    fields = _FIELDS.get(node_type)
    if fields is None:
        fields = _FIELDS[node_type] = tuple(f for f in node_type._fields if f not in _SKIPPED_FIELDS)
    return fields


def children(node: ast.AST) -> List[ast.AST]:
    """The direct child nodes of ``node``, in field order."""
    found: List[ast.AST] = []
    for name in child_fields(type(node)):
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            found.append(value)
        elif isinstance(value, list):
            found.extend(item for item in value if isinstance(item, ast.AST))
    return found


def argument(call: ast.Call, position: Optional[int], keyword: Optional[str]) -> Optional[ast.expr]:
    """The expression bound to a parameter, or None when absent or hidden behind *args/**kwargs."""
    for arg in call.keywords:
        if arg.arg is not None and arg.arg == keyword:
            return arg.value
    positional = call.args
    if (position is not None and 0 <= position < len(positional)
            and not any(isinstance(a, ast.Starred) for a in positional[: position + 1])):
        return positional[position]
    return None


def has_star(call: ast.Call) -> bool:
    """``*args`` or ``**kwargs`` among ``call``'s arguments: which parameter gets what is then unknown."""
    return any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords)


def argument_values(call: ast.Call) -> List[ast.expr]:
    """The values of ``call``'s arguments in source order, positional or keyword (``*x`` and ``**x`` give ``x``)."""
    arguments = sorted([*call.args, *call.keywords], key=lambda a: (a.lineno, a.col_offset))
    return [a.value if isinstance(a, (ast.Starred, ast.keyword)) else a for a in arguments]


class Scope:
    """A module, class, function, lambda or comprehension scope and the names bound in it."""

    __slots__ = ("kind", "node", "parent", "globals", "bindings", "declared_global", "declared_nonlocal")

    def __init__(self, kind: str, node: ast.AST, parent: Optional["Scope"]):
        self.kind = kind  # module, class, function, lambda, comprehension
        self.node = node
        self.parent = parent
        self.globals: Scope = parent.globals if parent is not None else self
        self.bindings: Dict[str, List["Binding"]] = {}
        self.declared_global: Set[str] = set()
        self.declared_nonlocal: Set[str] = set()

    def __getitem__(self, name: str) -> List["Binding"]:
        """Every binding ``name`` may refer to when read in this scope (flow-insensitive, as Python resolves it)."""
        if name in self.declared_global:
            return self.globals._own_or_builtin(name)
        if name in self.bindings and name not in self.declared_nonlocal:
            return self.bindings[name]
        scope = self.parent
        while scope is not None:
            if scope.kind != "class":  # class bodies are not visible from the scopes nested in them
                if name in scope.declared_global:
                    return self.globals._own_or_builtin(name)
                if name in scope.bindings:
                    return scope.bindings[name]
            scope = scope.parent
        return self.globals._own_or_builtin(name)

    def _own_or_builtin(self, name: str) -> List["Binding"]:
        if name in self.bindings:
            return self.bindings[name]
        if name in BUILTIN_NAMES:
            return [Binding(name, None, self, "builtin")]
        return []

    def binding_scope(self, name: str) -> "Scope":
        """Where an assignment to ``name`` made in this scope binds it (``global`` / ``nonlocal`` honoured)."""
        if name in self.declared_global:
            return self.globals
        if name in self.declared_nonlocal:
            scope = self.parent
            while scope is not None and scope.kind != "module":
                if scope.kind != "class" and name in scope.bindings:
                    return scope
                scope = scope.parent
        return self


@dataclass(eq=False)
class Binding:
    """One binding of a name: an import (node: the Import/ImportFrom), a variable (node: the target Name, the
    parameter's ``arg``, the FunctionDef or ClassDef, or the statement that binds it otherwise), or a builtin
    (node: None)."""

    name: str
    node: Optional[ast.AST]
    scope: Scope
    kind: str  # import, variable, builtin
    references: List[ast.Name] = field(default_factory=list)  # the Name nodes that read it: ModuleIndex.references


@dataclass(eq=False)
class ClassInfo:
    node: ast.ClassDef
    methods: Dict[str, "FunctionInfo"] = field(default_factory=dict)
    # self.<attr> = <value> anywhere in the class's methods
    attributes: Dict[str, List[ast.expr]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.node.name


@dataclass(eq=False)
class FunctionInfo:
    node: FunctionNode
    parent: Optional["FunctionInfo"]  # the function this one is nested in
    owner: Optional[ClassInfo]  # the class this is a method of
    scope: Optional[Scope] = None  # the function's own scope
    calls: List[ast.Call] = field(default_factory=list)  # calls in its body (lambdas included, nested defs not)
    returns: List[ast.expr] = field(default_factory=list)
    nested: List["FunctionInfo"] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.node.name

    def positional_params(self) -> List[str]:
        args = self.node.args
        return [a.arg for a in (*args.posonlyargs, *args.args)]


@dataclass(frozen=True)
class CallSite:
    node: ast.Call
    function: Optional[FunctionInfo]  # None at module level
    klass: Optional[ClassInfo]  # innermost enclosing class


class ModuleIndex:
    """Records functions, classes, calls, returns, simple assignments and scopes in a single walk of ``module``."""

    def __init__(self, module: ast.Module) -> None:
        self.module = module
        self.functions: List[FunctionInfo] = []
        self.classes: List[ClassInfo] = []
        self.calls: List[CallSite] = []
        self.function_of: Dict[ast.AST, FunctionInfo] = {}
        self.class_of: Dict[ast.ClassDef, ClassInfo] = {}
        # Name node that is an assignment target -> the assigned value (single-name targets only)
        self.assigned_value: Dict[ast.Name, ast.expr] = {}
        self.attribute_assignments: List[Tuple[ast.Attribute, ast.expr]] = []  # x.attr = value
        self.attributes: List[ast.Attribute] = []  # every attribute read, in source order
        # those read where the code checks the TensorFlow version: `try: ... except AttributeError`, `if tf2: ...`
        self.version_guarded: Set[ast.AST] = set()  # attributes and imports inside a version probe
        self._guarded = 0
        self.imports: List[ImportNode] = []
        self.names_used: Set[str] = set()
        self.scope_of: Dict[ast.AST, Scope] = {}  # every node -> the scope it is evaluated in
        self._function: Optional[FunctionInfo] = None
        self._class: Optional[ClassInfo] = None
        self._scope = Scope("module", module, None)
        self._reads: List[Tuple[ast.Name, Scope]] = []
        self.scope_of[module] = self._scope
        self._walk_all(module.body)

    def references(self, binding: Binding) -> List[ast.Name]:
        """The Name nodes that read ``binding``; every binding's are found on the first call, which few files need."""
        if self._reads:
            for name, scope in self._reads:
                for each in scope[name.id]:
                    each.references.append(name)
            self._reads = []
        return binding.references

    # -- the walk -------------------------------------------------------------------------------------
    def _walk(self, node: ast.AST) -> None:
        self.scope_of[node] = self._scope
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node)
        else:
            self._walk_fields(node)

    def _walk_fields(self, node: ast.AST) -> None:
        for name in child_fields(type(node)):
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                self._walk(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self._walk(item)

    def _walk_all(self, *nodes) -> None:
        """Walk each of ``nodes``: a node, a list of nodes (None in it skipped), or None."""
        for node in nodes:
            if isinstance(node, list):
                for item in node:
                    if item is not None:
                        self._walk(item)
            elif node is not None:
                self._walk(node)

    def _in_scope(self, scope: Scope, walk: Callable[[], None]) -> None:
        outer, self._scope = self._scope, scope
        try:
            walk()
        finally:
            self._scope = outer

    # -- bindings ---------------------------------------------------------------------------------------
    def _bind(self, name: str, node: ast.AST, kind: str = "variable", scope: Optional[Scope] = None) -> None:
        self.names_used.add(name)
        scope = (scope or self._scope).binding_scope(name)
        scope.bindings.setdefault(name, []).append(Binding(name, node, scope, kind))

    def _bind_target(self, target: ast.expr, value: Optional[ast.expr] = None, scope: Optional[Scope] = None) -> None:
        """Bind the names an assignment target stores to; ``value`` when it is the whole value of a name."""
        self.scope_of[target] = self._scope
        if isinstance(target, ast.Name):
            self._bind(target.id, target, scope=scope)
            if value is not None:
                self.assigned_value[target] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind_target(element, scope=scope)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, scope=scope)
        else:  # attribute or subscript: reads its base
            self._walk(target)
            if value is not None and isinstance(target, ast.Attribute):
                self.attribute_assignments.append((target, value))
            if (value is not None and isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                    and target.value.id == "self" and self._class is not None):
                self._class.attributes.setdefault(target.attr, []).append(value)

    # -- node handlers ------------------------------------------------------------------------------------
    def _name(self, node: ast.Name) -> None:
        self.names_used.add(node.id)
        if isinstance(node.ctx, ast.Store):  # a target no handler below binds (del, match, ...)
            self._bind(node.id, node)
        else:
            self._reads.append((node, self._scope))

    def _attribute(self, node: ast.Attribute) -> None:
        self.names_used.add(node.attr)
        self.attributes.append(node)
        self._note_guarded(node)
        self._walk(node.value)

    def _keyword(self, node: ast.keyword) -> None:
        if node.arg is not None:
            self.names_used.add(node.arg)
        self._walk(node.value)

    def _call(self, node: ast.Call) -> None:
        if self._function is not None:
            self._function.calls.append(node)
        self.calls.append(CallSite(node, self._function, self._class))
        self._walk(node.func)
        self._walk_all(node.args, node.keywords)

    def _try(self, node) -> None:
        """A body whose AttributeError (or ImportError) is caught is probing for an API, as version fallbacks do."""
        probing = any(catches_missing_api(handler.type) for handler in node.handlers)
        self._guarded += probing
        try:
            self._walk_all(node.body)
        finally:
            self._guarded -= probing
        self._walk_all(node.handlers, node.orelse, node.finalbody)

    def _if(self, node: Union[ast.If, ast.IfExp]) -> None:
        """Both branches of an `if` (statement or expression) that asks for the TensorFlow version or for an
        attribute's existence."""
        self._walk(node.test)
        probing = asks_for_version(node.test, children)
        self._guarded += probing
        try:
            self._walk_all(node.body, node.orelse)
        finally:
            self._guarded -= probing

    def _return(self, node: ast.Return) -> None:
        if self._function is not None and node.value is not None:
            self._function.returns.append(node.value)
        self._walk_all(node.value)

    def _assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._bind_target(target, node.value)
        self._walk(node.value)

    def _ann_assign(self, node: ast.AnnAssign) -> None:
        if node.value is not None or not isinstance(node.target, ast.Name):
            self._bind_target(node.target, node.value)
        elif self._scope.kind != "class":  # `x: int` alone binds nothing, but makes x local to a function
            self._bind_target(node.target)
        self._walk_all(node.annotation, node.value)

    def _aug_assign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            self.names_used.add(node.target.id)
            self._reads.append((node.target, self._scope))
        self._bind_target(node.target)
        self._walk(node.value)

    def _for(self, node: Union[ast.For, ast.AsyncFor]) -> None:
        self._bind_target(node.target)
        self._walk_all(node.iter, node.body, node.orelse)

    def _with_item(self, node: ast.withitem) -> None:
        self._walk(node.context_expr)
        if node.optional_vars is not None:
            self._bind_target(node.optional_vars)

    def _except_handler(self, node: ast.ExceptHandler) -> None:
        self._walk_all(node.type)
        if node.name is not None:
            self._bind(node.name, node)
        self._walk_all(node.body)

    def _named_expr(self, node: ast.NamedExpr) -> None:
        scope = self._scope
        while scope.kind == "comprehension":  # the walrus binds in the scope around comprehensions
            scope = scope.parent
        self._bind_target(node.target, node.value, scope=scope)
        self._walk(node.value)

    def _global(self, node: ast.Global) -> None:
        self._scope.declared_global.update(node.names)

    def _nonlocal(self, node: ast.Nonlocal) -> None:
        self._scope.declared_nonlocal.update(node.names)

    def _note_guarded(self, node: ast.AST) -> None:
        if self._guarded:
            self.version_guarded.add(node)

    def _import(self, node: ast.Import) -> None:
        self.imports.append(node)
        self._note_guarded(node)
        for alias in node.names:
            dotted = alias.name.split(".")
            self.names_used.update(dotted)
            self._bind(alias.asname if alias.asname is not None else dotted[0], node, "import")

    def _import_from(self, node: ast.ImportFrom) -> None:
        self.imports.append(node)
        self._note_guarded(node)
        if node.module is not None:
            self.names_used.update(node.module.split("."))
        for alias in node.names:
            if alias.name == "*":
                return
            self.names_used.add(alias.name)
            self._bind(alias.asname if alias.asname is not None else alias.name, node, "import")

    def _match_capture(self, node) -> None:
        self._walk_all(getattr(node, "pattern", None))
        if node.name is not None:
            self._bind(node.name, node)

    def _match_mapping(self, node: ast.MatchMapping) -> None:
        self._walk_all(node.keys, node.patterns)
        if node.rest is not None:
            self._bind(node.rest, node)

    def _parameters(self, args: ast.arguments) -> None:
        """Defaults and annotations, evaluated in the enclosing scope."""
        self._walk_all(args.defaults, args.kw_defaults, [a.annotation for a in all_params(args)])

    def _bind_parameters(self, args: ast.arguments) -> None:
        for param in all_params(args):
            self.scope_of[param] = self._scope
            self._bind(param.arg, param)

    def _function_def(self, node: FunctionNode) -> None:
        self._walk_all(node.decorator_list, node.returns)
        self._parameters(node.args)
        self._bind(node.name, node)
        parent = self._function
        owner = self._class if self._class is not None and self._scope.node is self._class.node else None
        scope = Scope("function", node, self._scope)
        info = FunctionInfo(node, parent, owner, scope)
        if owner is not None:
            owner.methods[info.name] = info
        if parent is not None:
            parent.nested.append(info)
        self.functions.append(info)
        self.function_of[node] = info

        def body() -> None:
            self._bind_parameters(node.args)
            self._walk_all(node.body)

        self._function = info
        try:
            self._in_scope(scope, body)
        finally:
            self._function = parent

    def _lambda(self, node: ast.Lambda) -> None:
        self._parameters(node.args)

        def body() -> None:
            self._bind_parameters(node.args)
            self._walk(node.body)

        self._in_scope(Scope("lambda", node, self._scope), body)

    def _class_def(self, node: ast.ClassDef) -> None:
        self._walk_all(node.decorator_list, node.bases, node.keywords)
        self._bind(node.name, node)
        info = ClassInfo(node)
        self.classes.append(info)
        self.class_of[node] = info
        outer, self._class = self._class, info
        try:
            self._in_scope(Scope("class", node, self._scope), lambda: self._walk_all(node.body))
        finally:
            self._class = outer

    def _comprehension(self, node) -> None:
        """The first iterable is evaluated outside; everything else in the comprehension's own scope."""
        self._walk(node.generators[0].iter)
        parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]

        def body() -> None:
            for number, generator in enumerate(node.generators):
                self.scope_of[generator] = self._scope
                self._bind_target(generator.target)
                if number:
                    self._walk(generator.iter)
                self._walk_all(generator.ifs)
            self._walk_all(parts)

        self._in_scope(Scope("comprehension", node, self._scope), body)


def all_params(args: ast.arguments) -> List[ast.arg]:
    """Every parameter of a def or lambda, in order."""
    star = [args.vararg] if args.vararg is not None else []
    kwargs = [args.kwarg] if args.kwarg is not None else []
    return [*args.posonlyargs, *args.args, *star, *args.kwonlyargs, *kwargs]


_HANDLERS: Dict[type, Callable[[ModuleIndex, ast.AST], None]] = {
    # The commonest nodes, walked without looking up their fields: a leaf, and nodes with fixed children.
    ast.Constant: lambda index, node: None,
    ast.Expr: lambda index, node: index._walk(node.value),
    ast.List: lambda index, node: index._walk_all(node.elts),
    ast.Tuple: lambda index, node: index._walk_all(node.elts),
    ast.BinOp: lambda index, node: index._walk_all(node.left, node.right),
    ast.Subscript: lambda index, node: index._walk_all(node.value, node.slice),
    ast.Compare: lambda index, node: index._walk_all(node.left, node.comparators),
    ast.UnaryOp: lambda index, node: index._walk(node.operand),
    ast.Name: ModuleIndex._name,
    ast.Attribute: ModuleIndex._attribute,
    ast.keyword: ModuleIndex._keyword,
    ast.Call: ModuleIndex._call,
    ast.Return: ModuleIndex._return,
    ast.Try: ModuleIndex._try,
    ast.If: ModuleIndex._if,
    ast.IfExp: ModuleIndex._if,
    ast.Assign: ModuleIndex._assign,
    ast.AnnAssign: ModuleIndex._ann_assign,
    ast.AugAssign: ModuleIndex._aug_assign,
    ast.For: ModuleIndex._for,
    ast.AsyncFor: ModuleIndex._for,
    ast.withitem: ModuleIndex._with_item,
    ast.ExceptHandler: ModuleIndex._except_handler,
    ast.NamedExpr: ModuleIndex._named_expr,
    ast.Global: ModuleIndex._global,
    ast.Nonlocal: ModuleIndex._nonlocal,
    ast.Import: ModuleIndex._import,
    ast.ImportFrom: ModuleIndex._import_from,
    ast.FunctionDef: ModuleIndex._function_def,
    ast.AsyncFunctionDef: ModuleIndex._function_def,
    ast.Lambda: ModuleIndex._lambda,
    ast.ClassDef: ModuleIndex._class_def,
    ast.ListComp: ModuleIndex._comprehension,
    ast.SetComp: ModuleIndex._comprehension,
    ast.GeneratorExp: ModuleIndex._comprehension,
    ast.DictComp: ModuleIndex._comprehension,
}
for _name in ("TryStar",):  # Python 3.11+
    if hasattr(ast, _name):
        _HANDLERS[getattr(ast, _name)] = ModuleIndex._try
for _name, _handler in (("MatchAs", ModuleIndex._match_capture), ("MatchStar", ModuleIndex._match_capture),
                        ("MatchMapping", ModuleIndex._match_mapping)):  # Python 3.10+
    if hasattr(ast, _name):
        _HANDLERS[getattr(ast, _name)] = _handler
