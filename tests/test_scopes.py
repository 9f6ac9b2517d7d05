"""Our one-walk scope model resolves every name read exactly as Python's compiler does: its ``symtable`` is the
oracle (the walk replaces a scope analysis that cost several times the parse)."""
import ast
import builtins
import symtable
import sys

import pytest

from tests.conftest import ROOT
from tests.test_prefilter import _sources
from tf_step_lint.analysis.index import ModuleIndex

# Every binding construct Python has, in the shapes scope rules make tricky.
TRICKY = '''
import os, os.path as osp
import tensorflow.compat.v1 as tf
from tensorflow import estimator as est, keras
from . import sibling
from .pkg import thing as other
from math import *

counter = 0
tf = tf if os.environ.get("X") else None


def outer(a, b=counter, *args, c: "int" = len, d=lambda q=counter: q + counter, **kw):
    global counter
    counter += 1
    value = a

    def inner(x=value):
        nonlocal value
        value = value + x
        return [value for value in range(value) if value]

    total = sum(y for y in args if (seen := y) > b)
    return inner, total, seen, c, d, kw, osp, sibling, other, floor


@decorator(counter)
class Model(Base, metaclass=Meta):
    attr = counter
    other_attr = [attr for _ in range(3)]

    def method(self, attr=attr):
        self.step = tf.train.get_or_create_global_step()
        return attr, self.step, Model, __class__

    class Inner:
        def m(self):
            return Model, attr


for i, (j, *k) in enumerate([(1, 2, 3)]):
    pass
with open(__file__) as handle, open(os.devnull) as (first, second):
    pass
try:
    pass
except (ValueError, est.NotFound) as error:
    print(error, i, j, k, handle, first, second)
del i
x: int
y: "List[int]" = [z for z in range(3) for w in range(z) if (latest := w)]
print(latest, {key: val for key, val in {}.items()}, {s for s in ""}, keras)
match command:
    case [first_word, *rest]:
        print(first_word, rest)
    case {"k": captured, **others}:
        print(captured, others)
    case Point(x=px) as point:
        print(px, point)
'''


def _tables(index: ModuleIndex, source: str):
    """Our scopes paired with the compiler's symbol tables: children in source order on both sides."""
    children = {}
    for scope in {*index.scope_of.values(), *(f.scope for f in index.functions)}:
        children.setdefault(scope.parent, []).append(scope)
    pairs = {}

    def pair(ours, theirs):
        pairs[ours] = theirs
        mine = sorted(children.get(ours, []), key=lambda s: (_table_name(s), s.node.lineno, s.node.col_offset))
        tables = sorted(theirs.get_children(), key=lambda t: (t.get_name(), t.get_lineno()))  # stable: source order
        assert [(_table_name(s), s.node.lineno) for s in mine] == [(t.get_name(), t.get_lineno()) for t in tables]
        for child, table in zip(mine, tables):
            pair(child, table)

    root = symtable.symtable(source, "<source>", "exec")
    pair(index.scope_of[index.module], root)
    return pairs, root


def _table_name(scope) -> str:
    """The name Python's symbol table gives the scope of ``scope.node``."""
    names = {ast.Lambda: "lambda", ast.ListComp: "listcomp", ast.SetComp: "setcomp", ast.DictComp: "dictcomp",
             ast.GeneratorExp: "genexpr"}
    return names.get(type(scope.node)) or scope.node.name


def _resolved_by_python(table, name, root):
    """The table whose binding a read of ``name`` in ``table`` refers to, or "builtin", or "unbound"."""
    symbol = table.lookup(name)
    if symbol.is_local() and table is not root and not symbol.is_global():
        return table
    if symbol.is_free():
        parent = _parent_of(root, table)
        while parent is not None and (parent.get_type() == "class" or not parent.lookup(name).is_local()
                                      if name in parent.get_identifiers() else True):
            parent = _parent_of(root, parent)
        return parent if parent is not None else "the implicit __class__ cell"
    if _bound_globally(root, name, root):
        return root
    return "builtin" if name in dir(builtins) else "unbound"


def _bound_globally(table, name, root) -> bool:
    """``name`` is bound at module level: there, or by a ``global`` (or a walrus in a comprehension) below."""
    if name in table.get_identifiers():
        symbol = table.lookup(name)
        if (table is root or symbol.is_declared_global()) and (
                symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace()):
            return True
    return any(_bound_globally(child, name, root) for child in table.get_children())


def _parent_of(root, table):
    for child in root.get_children():
        if child is table or child.get_id() == table.get_id():
            return root
        found = _parent_of(child, table)
        if found is not None:
            return found
    return None


def _differences(source):
    index = ModuleIndex(ast.parse(source))
    pairs, root = _tables(index, source)
    differences, reads = [], 0
    for node in ast.walk(index.module):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)) or node not in index.scope_of:
            continue
        reads += 1
        scope = index.scope_of[node]
        theirs = _resolved_by_python(pairs[scope], node.id, root)
        bindings = scope[node.id]
        ours = {"builtin" if b.kind == "builtin" else pairs[b.scope].get_id() for b in bindings} or {"unbound"}
        if ours != {theirs if isinstance(theirs, str) else theirs.get_id()}:
            differences.append((node.id, node))
    return differences, reads, index


PACKAGE = [(p.name, p.read_text()) for p in sorted((ROOT / "tf_step_lint").rglob("*.py"))]


@pytest.mark.parametrize("name,source", [*_sources(), *PACKAGE])
@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.12 inlines comprehensions: no symbol table each")
def test_every_name_read_resolves_as_python_resolves_it(name, source):
    assert _differences(source)[0] == []


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.12 inlines comprehensions: no symbol table each")
def test_tricky_bindings_resolve_as_python_does():
    """Equal to Python's compiler everywhere but the implicit ``__class__`` cell, which we leave unknown."""
    differences, reads, index = _differences(TRICKY)
    assert reads > 80
    assert {name for name, _ in differences} == {"__class__"}
    for name, node in differences:
        assert index.scope_of[node][name] == []  # unknown: rules stay silent
    walrus = [n for n in ast.walk(index.module) if isinstance(n, ast.Name) and n.id in ("latest", "seen")
              and isinstance(n.ctx, ast.Load)]
    assert {b.scope.kind for n in walrus for b in index.scope_of[n][n.id]} == {"module", "function"}


def test_references_are_the_reads_of_each_binding():
    index = ModuleIndex(ast.parse("step = 1\ndef f(step=step):\n    return step\nprint(step)\n"))
    module_step = index.functions[0].scope.globals.bindings["step"][0]
    param_step = next(iter(index.functions[0].scope.bindings["step"]))
    assert [n.id for n in index.references(module_step)] == ["step", "step"]  # the default and the print
    assert len(index.references(param_step)) == 1  # the return
