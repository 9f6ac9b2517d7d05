"""Our one-walk scope model resolves every name read exactly as LibCST's ScopeProvider does (which it replaces
because it costs several times the parse)."""
import libcst as cst
import pytest
from libcst.metadata import BuiltinAssignment, MetadataWrapper, ScopeProvider

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


def _differences(source):
    module = cst.parse_module(source)
    scopes = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    index = ModuleIndex(module)
    differences, reads = [], 0
    for scope in {s for s in scopes.values() if s is not None}:
        for access in scope.accesses:
            if not isinstance(access.node, cst.Name):
                continue
            reads += 1
            name = access.node.value
            theirs = {name if isinstance(a, BuiltinAssignment) else id(a.node) for a in scope[name]}
            ours = {name if b.kind == "builtin" else id(b.node) for b in index.scope_of[access.node][name]}
            if theirs != ours:
                differences.append((name, access.node))
    return differences, reads, index


PACKAGE = [(p.name, p.read_text()) for p in sorted((ROOT / "tf_step_lint").rglob("*.py"))]


@pytest.mark.parametrize("name,source", [*_sources(), *PACKAGE])
def test_every_name_read_resolves_as_libcst_resolves_it(name, source):
    assert _differences(source)[0] == []


def test_tricky_bindings_resolve_as_python_does():
    """Equal to LibCST everywhere but where LibCST misses a binding Python makes: walrus targets, match captures
    (LibCST reads them as loads of unbound names) and the implicit ``__class__`` cell (LibCST: a builtin)."""
    differences, reads, index = _differences(TRICKY)
    assert reads > 80
    assert {name for name, _ in differences} == {"latest", "seen", "first_word", "rest", "captured", "others", "px",
                                                 "point", "__class__"}
    for name, node in differences:
        bindings = index.scope_of[node][name]
        if name == "__class__":
            assert bindings == []  # unknown: rules stay silent
        else:
            assert bindings and all(b.kind == "variable" for b in bindings)
            expected = "function" if name == "seen" else "module"  # a walrus binds outside its comprehension
            assert {b.scope.kind for b in bindings} == {expected}


def test_references_are_the_reads_of_each_binding():
    index = ModuleIndex(cst.parse_module("step = 1\ndef f(step=step):\n    return step\nprint(step)\n"))
    module_step, param_step = index.scope_of[index.functions[0].node.body].globals.bindings["step"][0], None
    param_step = next(iter(index.scope_of[index.functions[0].node.body].bindings["step"]))
    assert [n.value for n in module_step.references] == ["step", "step"]  # the default and the print
    assert len(param_step.references) == 1  # the return
