"""Control flow inside one function: in what order its calls and names come, under which branches, and under which
``control_dependencies`` blocks.

Only what surely runs may be counted as running, so this answers one question for the double-increment rule: which
expressions surely run whenever a given expression runs.  It is computed lazily, for the rare function that needs
it, never in the module's main walk.
"""
from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterator, List, Optional, Set, Tuple

import libcst as cst

from tf_step_lint.analysis.index import child_fields

# Parts of a node that may run or not (or run later): what is in them is conditional.
_CONDITIONAL_FIELDS = {
    cst.If: ("body", "orelse"), cst.For: ("body", "orelse"), cst.While: ("body", "orelse"),
    cst.Try: ("body", "handlers", "orelse"), cst.TryStar: ("body", "handlers", "orelse"),
    cst.IfExp: ("body", "orelse"), cst.BooleanOperation: ("right",), cst.Match: ("cases",),
}
MAX_ALTERNATIVES = 64
# Names that are not reads: ``x.attr``'s attr, ``f(keyword=...)``'s keyword.
_NOT_READS = {cst.Attribute: ("attr",), cst.Arg: ("keyword",)}
# Bodies that do not run where they are written.
_DEFERRED = (cst.Lambda, cst.FunctionDef, cst.ClassDef, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


@dataclass(frozen=True)
class Place:
    order: int  # source order among the function's calls and names
    branches: Tuple[object, ...]  # the conditional parts around it, outermost first
    after: Tuple[cst.BaseExpression, ...]  # inputs of the control_dependencies blocks around it


class Flow:
    def __init__(self, function: cst.FunctionDef):
        self.places: Dict[cst.CSTNode, Place] = {}
        # name -> (target Name, its whole value, or None when the name is bound some other way)
        self.definitions: Dict[str, List[Tuple[cst.Name, Optional[cst.BaseExpression]]]] = {}
        self._memo: Dict[Tuple[cst.BaseExpression, Tuple[object, ...]], List[FrozenSet[cst.Call]]] = {}
        self._walk(function.body, (), ())

    def alternatives(self, root: cst.BaseExpression) -> List[FrozenSet[cst.Call]]:
        """What may run when ``root`` (an expression of this function) runs, one set per way the function can
        reach it: each set holds the calls that then surely run (those in ``root``, those behind the names it
        reads, and the control dependencies of each).  At most MAX_ALTERNATIVES sets; more are dropped."""
        branches = self._branches_of(root)
        return self._alternatives(root, branches) if branches is not None else []

    def _alternatives(self, expr: cst.BaseExpression, branches: Tuple[object, ...]) -> List[FrozenSet[cst.Call]]:
        key = (expr, branches)
        if key not in self._memo:
            calls: Set[cst.Call] = set()
            products: List[List[FrozenSet[cst.Call]]] = []
            for node in _unconditional_parts(expr):
                place = self.places.get(node)
                if place is None or place.branches != branches:
                    continue
                if isinstance(node, cst.Call):
                    calls.add(node)
                    for dep in place.after:
                        dep_branches = self._branches_of(dep)
                        if dep_branches is not None:
                            products.append(self._alternatives(dep, dep_branches))
                elif isinstance(node, cst.Name):
                    products.append([alternative for target, value in self._reaching(node, place) if value is not None
                                     for alternative in self._alternatives(value, self.places[target].branches)])
            result = [frozenset(calls)]
            for options in products:
                if options:
                    result = [r | o for r in result for o in options][:MAX_ALTERNATIVES]
            self._memo[key] = result
        return self._memo[key]

    def is_unconditional(self, expr: cst.BaseExpression) -> bool:
        return self._branches_of(expr) == ()

    def _branches_of(self, expr: cst.BaseExpression) -> Optional[Tuple[object, ...]]:
        place = self.places.get(expr)
        if place is None:  # a list of deps, say: the place of its first call or name
            place = next((self.places[n] for n in _unconditional_parts(expr) if n in self.places), None)
        return place.branches if place is not None else None

    def _reaching(self, name: cst.Name, place: Place) -> List[Tuple[cst.Name, Optional[cst.BaseExpression]]]:
        """The assignments ``name`` may read: those before it that no later assignment on every path overwrites
        (one that is before ``name`` and not under a branch ``name`` is not under)."""
        earlier = sorted((self.places[t].order, t, v) for t, v in self.definitions.get(name.value, ())
                         if self.places[t].order < place.order)
        reaching = []
        for order, target, value in reversed(earlier):
            reaching.append((target, value))
            branches = self.places[target].branches
            if branches == place.branches[:len(branches)]:
                break  # on every path to ``name``: nothing earlier reaches it
        return reaching

    # -- the walk ---------------------------------------------------------------------------------------
    def _walk(self, node: cst.CSTNode, branches: Tuple[object, ...], after: Tuple[cst.BaseExpression, ...]) -> None:
        if isinstance(node, (cst.Call, cst.Name)):
            self.places[node] = Place(len(self.places), branches, after)
        if isinstance(node, _DEFERRED):
            branches = (*branches, node)
        if isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            self._assignment(node, branches, after)
            return
        if isinstance(node, cst.With):
            for item in node.items:
                self._walk(item, branches, after)
            deps = tuple(arg.value for item in node.items if _is_control_dependencies(item.item)
                         for arg in item.item.args)
            self._walk(node.body, branches, (*after, *deps))
            return
        conditional = _CONDITIONAL_FIELDS.get(type(node), ())
        for name in _fields(node):
            inner = (*branches, (node, name)) if name in conditional else branches
            for child in _as_nodes(getattr(node, name)):
                self._walk(child, inner, after)
        if isinstance(node, (cst.For, cst.WithItem, cst.NamedExpr, cst.CompFor)):
            self._bind_opaque(getattr(node, "target", None) or getattr(getattr(node, "asname", None), "name", None))

    def _assignment(self, node, branches, after) -> None:
        """The value first, then the targets: ``x = f(x)`` reads the previous ``x``."""
        if node.value is not None:
            self._walk(node.value, branches, after)
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        for target in targets:
            self._walk(target, branches, after)
            if isinstance(target, cst.Name):
                whole = node.value if not isinstance(node, cst.AugAssign) else None
                self.definitions.setdefault(target.value, []).append((target, whole))
            else:
                self._bind_opaque(target)

    def _bind_opaque(self, target: Optional[cst.BaseExpression]) -> None:
        """Names bound by unpacking, loops, ``with ... as`` or a walrus: their value is not one expression."""
        if isinstance(target, cst.Name) and target in self.places:
            self.definitions.setdefault(target.value, []).append((target, None))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_opaque(element.value)
        elif isinstance(target, cst.StarredElement):
            self._bind_opaque(target.value)


def _fields(node: cst.CSTNode) -> Tuple[str, ...]:
    skipped = _NOT_READS.get(type(node))
    fields = child_fields(type(node))
    return fields if skipped is None else tuple(f for f in fields if f not in skipped)


def _as_nodes(value) -> List[cst.CSTNode]:
    if isinstance(value, cst.CSTNode):
        return [value]
    if isinstance(value, (tuple, list)):
        return [v for v in value if isinstance(v, cst.CSTNode)]
    return []


def _unconditional_parts(expr: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``expr`` and the nodes inside it, not entering lambdas and comprehensions (the caller compares branches to
    leave out the arms of ``a if c else b`` and ``a and b``)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _DEFERRED):
            for name in _fields(node):
                stack.extend(_as_nodes(getattr(node, name)))


def _is_control_dependencies(item: cst.BaseExpression) -> bool:
    return (isinstance(item, cst.Call) and isinstance(item.func, cst.Attribute)
            and item.func.attr.value == "control_dependencies")
