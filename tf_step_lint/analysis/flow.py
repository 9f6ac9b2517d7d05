"""Control flow inside one function: in what order its calls and names come, under which branches, and under which
``control_dependencies`` blocks.

Only what surely runs may be counted as running, so this answers one question for the double-increment rule: which
expressions surely run whenever a given expression runs.  It is computed lazily, for the rare function that needs
it, never in the module's main walk.
"""
import ast
from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterator, List, Optional, Set, Tuple

from tf_step_lint.analysis.index import FunctionNode, child_fields, children
from tf_step_lint.analysis.index import argument_values

# Parts of a node that may run or not (or run later): what is in them is conditional.  ``a and b and c``'s values
# after the first are conditional too, each on its own (see Flow._walk).
_CONDITIONAL_FIELDS = {
    ast.If: ("body", "orelse"), ast.For: ("body", "orelse"), ast.AsyncFor: ("body", "orelse"),
    ast.While: ("body", "orelse"), ast.Try: ("body", "handlers", "orelse"), ast.IfExp: ("body", "orelse"),
    ast.Match: ("cases",),
}
if hasattr(ast, "TryStar"):  # Python 3.11+
    _CONDITIONAL_FIELDS[ast.TryStar] = ("body", "handlers", "orelse")
MAX_ALTERNATIVES = 64
# Bodies that do not run where they are written.
_DEFERRED = (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ListComp, ast.SetComp,
             ast.DictComp, ast.GeneratorExp)
# Nodes whose target binds names to something other than one expression -> the field holding the target.
_OPAQUE_TARGETS = {ast.For: "target", ast.AsyncFor: "target", ast.withitem: "optional_vars",
                   ast.NamedExpr: "target", ast.comprehension: "target"}


@dataclass(frozen=True)
class Place:
    order: int  # source order among the function's calls and names
    branches: Tuple[object, ...]  # the conditional parts around it, outermost first
    after: Tuple[ast.expr, ...]  # inputs of the control_dependencies blocks around it


class Flow:
    def __init__(self, function: FunctionNode):
        self.places: Dict[ast.AST, Place] = {}
        # name -> (target Name, its whole value, or None when the name is bound some other way)
        self.definitions: Dict[str, List[Tuple[ast.Name, Optional[ast.expr]]]] = {}
        self._memo: Dict[Tuple[ast.expr, Tuple[object, ...]], List[FrozenSet[ast.Call]]] = {}
        for statement in function.body:
            self._walk(statement, (), ())

    def alternatives(self, root: ast.expr) -> List[FrozenSet[ast.Call]]:
        """What may run when ``root`` (an expression of this function) runs, one set per way the function can
        reach it: each set holds the calls that then surely run (those in ``root``, those behind the names it
        reads, and the control dependencies of each).  At most MAX_ALTERNATIVES sets; more are dropped."""
        branches = self._branches_of(root)
        return self._alternatives(root, branches) if branches is not None else []

    def _alternatives(self, expr: ast.expr, branches: Tuple[object, ...]) -> List[FrozenSet[ast.Call]]:
        key = (expr, branches)
        if key not in self._memo:
            calls: Set[ast.Call] = set()
            products: List[List[FrozenSet[ast.Call]]] = []
            for node in _unconditional_parts(expr):
                place = self.places.get(node)
                if place is None or place.branches != branches:
                    continue
                if isinstance(node, ast.Call):
                    calls.add(node)
                    for dep in place.after:
                        dep_branches = self._branches_of(dep)
                        if dep_branches is not None:
                            products.append(self._alternatives(dep, dep_branches))
                elif isinstance(node, ast.Name):
                    products.append([alternative for target, value in self._reaching(node, place) if value is not None
                                     for alternative in self._alternatives(value, self.places[target].branches)])
            result = [frozenset(calls)]
            for options in products:
                if options:
                    result = [r | o for r in result for o in options][:MAX_ALTERNATIVES]
            self._memo[key] = result
        return self._memo[key]

    def exclusive(self, first: ast.expr, second: ast.expr) -> bool:
        """``first`` and ``second`` lie in different arms of one ``if`` (statement or expression), so one run of the
        function never reaches both."""
        a, b = self._branches_of(first), self._branches_of(second)
        if a is None or b is None:
            return False
        for outer, inner in zip(a, b):
            if outer != inner:
                return (isinstance(outer, tuple) and isinstance(inner, tuple) and len(outer) == len(inner) == 2
                        and outer[0] is inner[0] and isinstance(outer[0], (ast.If, ast.IfExp)))
        return False

    def guards(self, expr: ast.expr) -> List[Tuple[ast.expr, str]]:
        """The conditions ``expr`` runs under: the test and the arm of each ``if`` (statement or expression) around
        it."""
        return [(branch[0].test, branch[1]) for branch in self._branches_of(expr) or ()
                if isinstance(branch, tuple) and isinstance(branch[0], (ast.If, ast.IfExp))]

    def is_unconditional(self, expr: ast.expr) -> bool:
        return self._branches_of(expr) == ()

    def _branches_of(self, expr: ast.expr) -> Optional[Tuple[object, ...]]:
        place = self.places.get(expr)
        if place is None:  # a list of deps, say: the place of its first call or name
            place = next((self.places[n] for n in _unconditional_parts(expr) if n in self.places), None)
        return place.branches if place is not None else None

    def _reaching(self, name: ast.Name, place: Place) -> List[Tuple[ast.Name, Optional[ast.expr]]]:
        """The assignments ``name`` may read: those before it that no later assignment on every path overwrites
        (one that is before ``name`` and not under a branch ``name`` is not under)."""
        earlier = sorted((self.places[t].order, t, v) for t, v in self.definitions.get(name.id, ())
                         if self.places[t].order < place.order)
        reaching = []
        for order, target, value in reversed(earlier):
            reaching.append((target, value))
            branches = self.places[target].branches
            if branches == place.branches[:len(branches)]:
                break  # on every path to ``name``: nothing earlier reaches it
        return reaching

    # -- the walk ---------------------------------------------------------------------------------------
    def _walk(self, node: ast.AST, branches: Tuple[object, ...], after: Tuple[ast.expr, ...]) -> None:
        if isinstance(node, (ast.Call, ast.Name)) or _is_singleton(node):
            self.places[node] = Place(len(self.places), branches, after)
        if isinstance(node, _DEFERRED):
            branches = (*branches, node)
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            self._assignment(node, branches, after)
            return
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self._walk(item, branches, after)
            deps = tuple(dep for item in node.items if _is_control_dependencies(item.context_expr)
                         for dep in argument_values(item.context_expr))
            for statement in node.body:
                self._walk(statement, branches, (*after, *deps))
            return
        if isinstance(node, ast.BoolOp):  # each value after the first runs or not: one branch each
            for number, value in enumerate(node.values):
                self._walk(value, (*branches, (node, "values", number)) if number else branches, after)
            return
        conditional = _CONDITIONAL_FIELDS.get(type(node))
        if conditional is None:
            for child in _children(node):
                self._walk(child, branches, after)
        else:
            for name in child_fields(type(node)):
                inner = (*branches, (node, name)) if name in conditional else branches
                for child in _as_nodes(getattr(node, name, None)):
                    self._walk(child, inner, after)
        target_field = _OPAQUE_TARGETS.get(type(node))
        if target_field is not None:
            self._bind_opaque(getattr(node, target_field))

    def _assignment(self, node, branches, after) -> None:
        """The value first, then the targets: ``x = f(x)`` reads the previous ``x``."""
        if node.value is not None:
            self._walk(node.value, branches, after)
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            self._walk(target, branches, after)
            if isinstance(target, ast.Name):
                whole = node.value if not isinstance(node, ast.AugAssign) else None
                self.definitions.setdefault(target.id, []).append((target, whole))
            else:
                self._bind_opaque(target)

    def _bind_opaque(self, target: Optional[ast.expr]) -> None:
        """Names bound by unpacking, loops, ``with ... as`` or a walrus: their value is not one expression."""
        if isinstance(target, ast.Name) and target in self.places:
            self.definitions.setdefault(target.id, []).append((target, None))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind_opaque(element)
        elif isinstance(target, ast.Starred):
            self._bind_opaque(target.value)


def _as_nodes(value) -> List[ast.AST]:
    if isinstance(value, ast.AST):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, ast.AST)]
    return []


def _unconditional_parts(expr: ast.AST) -> Iterator[ast.AST]:
    """``expr`` and the nodes inside it, not entering lambdas and comprehensions (the caller compares branches to
    leave out the arms of ``a if c else b`` and ``a and b``)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _DEFERRED):
            stack.extend(_children(node))


def _children(node: ast.AST) -> List[ast.AST]:
    """The child nodes of ``node`` in source order (``ast`` holds a dict's keys apart from its values, and a call's
    keyword arguments apart from its positional ones)."""
    if isinstance(node, ast.Dict):
        return [part for pair in zip(node.keys, node.values) for part in pair if part is not None]
    if isinstance(node, ast.Call):
        return [node.func, *sorted([*node.args, *node.keywords], key=lambda a: (a.lineno, a.col_offset))]
    return children(node)


def _is_singleton(node: ast.AST) -> bool:
    """``None``, ``True`` or ``False``: placed like names, so a value that is one alone (``return None``) has a place
    too."""
    return isinstance(node, ast.Constant) and (node.value is None or node.value is True or node.value is False)


def _is_control_dependencies(item: ast.expr) -> bool:
    return (isinstance(item, ast.Call) and isinstance(item.func, ast.Attribute)
            and item.func.attr == "control_dependencies")
