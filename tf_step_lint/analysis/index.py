"""The one traversal of a module: functions, classes, calls, assignments and scopes, recorded in a single walk.

The walk reads the tree's fields directly instead of going through LibCST's visitor machinery and its
ScopeProvider, which together cost several times the parse; the scope model keeps only what the analyses ask:
which bindings a name may refer to, and which names read each binding.
"""
import builtins
import dataclasses
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Set, Tuple, Union

import libcst as cst

BUILTIN_NAMES = frozenset(dir(builtins))

# Fields that hold only punctuation, whitespace or comments: never a name or a call.
_TOKEN_FIELDS = frozenset({
    "lpar", "rpar", "comma", "semicolon", "colon", "equal", "dot", "star", "arrow", "operator", "asynchronous",
    "lbracket", "rbracket", "lbrace", "rbrace", "header", "footer", "leading_lines", "lines_after_decorators",
    "trailing_whitespace", "newline", "indent", "encoding", "default_indent", "default_newline", "relative",
})
_FIELDS: Dict[type, Tuple[str, ...]] = {}


def child_fields(node_type: type) -> Tuple[str, ...]:
    fields = _FIELDS.get(node_type)
    if fields is None:
        fields = _FIELDS[node_type] = tuple(
            f.name for f in dataclasses.fields(node_type)
            if f.name not in _TOKEN_FIELDS and "whitespace" not in f.name)
    return fields


class Scope:
    """A module, class, function, lambda or comprehension scope and the names bound in it."""

    __slots__ = ("kind", "node", "parent", "globals", "bindings", "declared_global", "declared_nonlocal")

    def __init__(self, kind: str, node: cst.CSTNode, parent: Optional["Scope"]):
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
    """One binding of a name: an import (node: the Import/ImportFrom), a variable (node: the target Name, Param,
    FunctionDef or ClassDef), or a builtin (node: None)."""

    name: str
    node: Optional[cst.CSTNode]
    scope: Scope
    kind: str  # import, variable, builtin
    references: List[cst.Name] = field(default_factory=list)  # the Name nodes that read it


@dataclass(eq=False)
class ClassInfo:
    node: cst.ClassDef
    methods: Dict[str, "FunctionInfo"] = field(default_factory=dict)
    # self.<attr> = <value> anywhere in the class's methods
    attributes: Dict[str, List[cst.BaseExpression]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.node.name.value


@dataclass(eq=False)
class FunctionInfo:
    node: cst.FunctionDef
    parent: Optional["FunctionInfo"]  # the function this one is nested in
    owner: Optional[ClassInfo]  # the class this is a method of
    calls: List[cst.Call] = field(default_factory=list)  # calls in its body (lambdas included, nested defs not)
    returns: List[cst.BaseExpression] = field(default_factory=list)
    nested: List["FunctionInfo"] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.node.name.value

    def positional_params(self) -> List[str]:
        params = self.node.params
        return [p.name.value for p in (*params.posonly_params, *params.params)]


@dataclass(frozen=True)
class CallSite:
    node: cst.Call
    function: Optional[FunctionInfo]  # None at module level
    klass: Optional[ClassInfo]  # innermost enclosing class


class ModuleIndex:
    """Records functions, classes, calls, returns, simple assignments and scopes in a single walk of ``module``."""

    def __init__(self, module: cst.Module) -> None:
        self.functions: List[FunctionInfo] = []
        self.classes: List[ClassInfo] = []
        self.calls: List[CallSite] = []
        self.function_of: Dict[cst.FunctionDef, FunctionInfo] = {}
        self.class_of: Dict[cst.ClassDef, ClassInfo] = {}
        # Name node that is an assignment target -> the assigned value (single-name targets only)
        self.assigned_value: Dict[cst.Name, cst.BaseExpression] = {}
        self.attribute_assignments: List[Tuple[cst.Attribute, cst.BaseExpression]] = []  # x.attr = value
        self.attributes: List[cst.Attribute] = []  # every attribute read, in source order
        # those read where the code checks the TensorFlow version: `try: ... except AttributeError`, `if tf2: ...`
        self.version_guarded: Set[cst.CSTNode] = set()  # attributes and imports inside a version probe
        self._guarded = 0
        self.imports: List[Union[cst.Import, cst.ImportFrom]] = []
        self.names_used: Set[str] = set()
        self.scope_of: Dict[cst.CSTNode, Scope] = {}  # every node -> the scope it is evaluated in
        self._function: Optional[FunctionInfo] = None
        self._class: Optional[ClassInfo] = None
        self._scope = Scope("module", module, None)
        self._reads: List[Tuple[cst.Name, Scope]] = []
        self.scope_of[module] = self._scope
        self._walk_fields(module)
        for name, scope in self._reads:
            for binding in scope[name.value]:
                binding.references.append(name)

    # -- the walk -------------------------------------------------------------------------------------
    def _walk(self, node: cst.CSTNode) -> None:
        self.scope_of[node] = self._scope
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node)
        else:
            self._walk_fields(node)

    def _walk_fields(self, node: cst.CSTNode) -> None:
        for name in child_fields(type(node)):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                self._walk(value)
            elif isinstance(value, (tuple, list)):
                for item in value:
                    if isinstance(item, cst.CSTNode):
                        self._walk(item)

    def _walk_all(self, *nodes) -> None:
        for node in nodes:
            if isinstance(node, cst.CSTNode):
                self._walk(node)
            elif isinstance(node, (tuple, list)):
                self._walk_all(*node)

    def _in_scope(self, scope: Scope, walk: Callable[[], None]) -> None:
        outer, self._scope = self._scope, scope
        try:
            walk()
        finally:
            self._scope = outer

    # -- bindings ---------------------------------------------------------------------------------------
    def _bind(self, name: str, node: cst.CSTNode, kind: str = "variable", scope: Optional[Scope] = None) -> None:
        self.names_used.add(name)
        scope = (scope or self._scope).binding_scope(name)
        scope.bindings.setdefault(name, []).append(Binding(name, node, scope, kind))

    def _bind_target(self, target: cst.BaseExpression, value: Optional[cst.BaseExpression] = None,
                     scope: Optional[Scope] = None) -> None:
        """Bind the names an assignment target stores to; ``value`` when it is the whole value of a name."""
        self.scope_of[target] = self._scope
        if isinstance(target, cst.Name):
            self._bind(target.value, target, scope=scope)
            if value is not None:
                self.assigned_value[target] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_target(element.value, scope=scope)
        elif isinstance(target, cst.StarredElement):
            self._bind_target(target.value, scope=scope)
        else:  # attribute or subscript: reads its base
            self._walk(target)
            if value is not None and isinstance(target, cst.Attribute):
                self.attribute_assignments.append((target, value))
            if (value is not None and isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)
                    and target.value.value == "self" and self._class is not None):
                self._class.attributes.setdefault(target.attr.value, []).append(value)

    # -- node handlers ------------------------------------------------------------------------------------
    def _name(self, node: cst.Name) -> None:
        self.names_used.add(node.value)
        self._reads.append((node, self._scope))

    def _attribute(self, node: cst.Attribute) -> None:
        self.names_used.add(node.attr.value)
        self.attributes.append(node)
        self._note_guarded(node)
        self._walk(node.value)

    def _arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.names_used.add(node.keyword.value)
        self._walk(node.value)

    def _call(self, node: cst.Call) -> None:
        if self._function is not None:
            self._function.calls.append(node)
        self.calls.append(CallSite(node, self._function, self._class))
        self._walk_fields(node)

    def _try(self, node) -> None:
        """A body whose AttributeError (or ImportError) is caught is probing for an API, as version fallbacks do."""
        probing = any(_catches_missing_api(handler.type) for handler in node.handlers)
        self._guarded += probing
        try:
            self._walk(node.body)
        finally:
            self._guarded -= probing
        self._walk_all(node.handlers, node.orelse, node.finalbody)

    def _if(self, node: Union[cst.If, cst.IfExp]) -> None:
        """Both branches of an `if` (statement or expression) that asks for the TensorFlow version or for an
        attribute's existence."""
        self._walk(node.test)
        probing = _asks_for_version(node.test)
        self._guarded += probing
        try:
            self._walk_all(node.body, node.orelse)
        finally:
            self._guarded -= probing

    def _return(self, node: cst.Return) -> None:
        if self._function is not None and node.value is not None:
            self._function.returns.append(node.value)
        self._walk_fields(node)

    def _assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind_target(target.target, node.value)
        self._walk(node.value)

    def _ann_assign(self, node: cst.AnnAssign) -> None:
        self._bind_target(node.target, node.value)
        self._walk_all(node.annotation, node.value)

    def _aug_assign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            self._name(node.target)
        self._bind_target(node.target)
        self._walk(node.value)

    def _for(self, node: cst.For) -> None:
        self._bind_target(node.target)
        self._walk_all(node.iter, node.body, node.orelse)

    def _with_item(self, node: cst.WithItem) -> None:
        self._walk(node.item)
        if node.asname is not None:
            self._bind_target(node.asname.name)

    def _except_handler(self, node) -> None:
        self._walk_all(node.type)
        if node.name is not None:
            self._bind_target(node.name.name)
        self._walk(node.body)

    def _named_expr(self, node: cst.NamedExpr) -> None:
        scope = self._scope
        while scope.kind == "comprehension":  # the walrus binds in the scope around comprehensions
            scope = scope.parent
        self._bind_target(node.target, node.value, scope=scope)
        self._walk(node.value)

    def _global(self, node: cst.Global) -> None:
        self._scope.declared_global.update(item.name.value for item in node.names)

    def _nonlocal(self, node: cst.Nonlocal) -> None:
        self._scope.declared_nonlocal.update(item.name.value for item in node.names)

    def _note_guarded(self, node: cst.CSTNode) -> None:
        if self._guarded:
            self.version_guarded.add(node)

    def _import(self, node: cst.Import) -> None:
        self.imports.append(node)
        self._note_guarded(node)
        for alias in node.names:
            dotted = _dotted_parts(alias.name)
            self.names_used.update(dotted)
            bound = alias.asname.name.value if alias.asname is not None else dotted[0]
            self._bind(bound, node, "import")

    def _import_from(self, node: cst.ImportFrom) -> None:
        self.imports.append(node)
        self._note_guarded(node)
        if node.module is not None:
            self.names_used.update(_dotted_parts(node.module))
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            self.names_used.update(_dotted_parts(alias.name))
            bound = alias.asname.name.value if alias.asname is not None else _dotted_parts(alias.name)[0]
            self._bind(bound, node, "import")

    def _match_capture(self, node) -> None:
        self._walk_all(getattr(node, "pattern", None))
        if node.name is not None:
            self._bind_target(node.name)

    def _match_mapping(self, node: cst.MatchMapping) -> None:
        self._walk_all(node.elements)
        if node.rest is not None:
            self._bind_target(node.rest)

    def _parameters(self, params: cst.Parameters) -> None:
        """Defaults and annotations, evaluated in the enclosing scope."""
        for param in _all_params(params):
            self._walk_all(param.default, param.annotation)

    def _bind_parameters(self, params: cst.Parameters) -> None:
        for param in _all_params(params):
            self.scope_of[param] = self.scope_of[param.name] = self._scope
            self._bind(param.name.value, param)

    def _function_def(self, node: cst.FunctionDef) -> None:
        self._walk_all(node.decorators, node.returns)
        self._parameters(node.params)
        self.names_used.add(node.name.value)
        self._bind(node.name.value, node)
        parent = self._function
        owner = self._class if self._class is not None and self._scope.node is self._class.node else None
        info = FunctionInfo(node, parent, owner)
        if owner is not None:
            owner.methods[info.name] = info
        if parent is not None:
            parent.nested.append(info)
        self.functions.append(info)
        self.function_of[node] = info

        def body() -> None:
            self._bind_parameters(node.params)
            self._walk(node.body)

        self._function = info
        try:
            self._in_scope(Scope("function", node, self._scope), body)
        finally:
            self._function = parent

    def _lambda(self, node: cst.Lambda) -> None:
        self._parameters(node.params)

        def body() -> None:
            self._bind_parameters(node.params)
            self._walk(node.body)

        self._in_scope(Scope("lambda", node, self._scope), body)

    def _class_def(self, node: cst.ClassDef) -> None:
        self._walk_all(node.decorators, node.bases, node.keywords)
        self.names_used.add(node.name.value)
        self._bind(node.name.value, node)
        info = ClassInfo(node)
        self.classes.append(info)
        self.class_of[node] = info
        outer, self._class = self._class, info
        try:
            self._in_scope(Scope("class", node, self._scope), lambda: self._walk(node.body))
        finally:
            self._class = outer

    def _comprehension(self, node) -> None:
        """The first iterable is evaluated outside; everything else in the comprehension's own scope."""
        self._walk(node.for_in.iter)
        parts = [node.key, node.value] if isinstance(node, cst.DictComp) else [node.elt]

        def body() -> None:
            comp_for: Optional[cst.CompFor] = node.for_in
            first = True
            while comp_for is not None:
                self.scope_of[comp_for] = self._scope
                self._bind_target(comp_for.target)
                if not first:
                    self._walk(comp_for.iter)
                self._walk_all(comp_for.ifs)
                comp_for, first = comp_for.inner_for_in, False
            self._walk_all(parts)

        self._in_scope(Scope("comprehension", node, self._scope), body)


_MISSING_API_ERRORS = frozenset({"AttributeError", "ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_VERSION_WORDS = ("version", "tf2", "tf1", "hasattr")


def _catches_missing_api(caught: Optional[cst.BaseExpression]) -> bool:
    if caught is None:  # a bare except
        return True
    if isinstance(caught, cst.Tuple):
        return any(_catches_missing_api(element.value) for element in caught.elements)
    name = caught.attr.value if isinstance(caught, cst.Attribute) else getattr(caught, "value", None)
    return name in _MISSING_API_ERRORS


def _asks_for_version(test: cst.BaseExpression) -> bool:
    """`tf.__version__ < "2"`, `_IS_TF2`, `hasattr(tf, "contrib")`, `LooseVersion(tf.VERSION) ...`."""
    stack: List[cst.CSTNode] = [test]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name) and any(word in node.value.lower() for word in _VERSION_WORDS):
            return True
        stack.extend(node.children)
    return False


def _all_params(params: cst.Parameters) -> List[cst.Param]:
    star = [params.star_arg] if isinstance(params.star_arg, cst.Param) else []
    kwargs = [params.star_kwarg] if params.star_kwarg is not None else []
    return [*params.posonly_params, *params.params, *star, *params.kwonly_params, *kwargs]


def _dotted_parts(node: cst.BaseExpression) -> List[str]:
    if isinstance(node, cst.Attribute):
        return [*_dotted_parts(node.value), node.attr.value]
    return [node.value] if isinstance(node, cst.Name) else []


_HANDLERS: Dict[type, Callable[[ModuleIndex, cst.CSTNode], None]] = {
    cst.Name: ModuleIndex._name,
    cst.Attribute: ModuleIndex._attribute,
    cst.Arg: ModuleIndex._arg,
    cst.Call: ModuleIndex._call,
    cst.Return: ModuleIndex._return,
    cst.Try: ModuleIndex._try,
    cst.TryStar: ModuleIndex._try,
    cst.If: ModuleIndex._if,
    cst.IfExp: ModuleIndex._if,
    cst.Assign: ModuleIndex._assign,
    cst.AnnAssign: ModuleIndex._ann_assign,
    cst.AugAssign: ModuleIndex._aug_assign,
    cst.For: ModuleIndex._for,
    cst.WithItem: ModuleIndex._with_item,
    cst.ExceptHandler: ModuleIndex._except_handler,
    cst.ExceptStarHandler: ModuleIndex._except_handler,
    cst.NamedExpr: ModuleIndex._named_expr,
    cst.Global: ModuleIndex._global,
    cst.Nonlocal: ModuleIndex._nonlocal,
    cst.Import: ModuleIndex._import,
    cst.ImportFrom: ModuleIndex._import_from,
    cst.MatchAs: ModuleIndex._match_capture,
    cst.MatchStar: ModuleIndex._match_capture,
    cst.MatchMapping: ModuleIndex._match_mapping,
    cst.FunctionDef: ModuleIndex._function_def,
    cst.Lambda: ModuleIndex._lambda,
    cst.ClassDef: ModuleIndex._class_def,
    cst.ListComp: ModuleIndex._comprehension,
    cst.SetComp: ModuleIndex._comprehension,
    cst.GeneratorExp: ModuleIndex._comprehension,
    cst.DictComp: ModuleIndex._comprehension,
}
