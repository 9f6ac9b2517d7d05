"""Generate tf_step_lint/data/third_party_optimizers.json from the wheels of optimizer packages outside TensorFlow.

K-FAC's KfacOptimizer, tensorflow-recommenders-addons' DynamicEmbeddingOptimizer, Intel's extension's optimizers,
tensor2tensor's AdafactorOptimizer and tensorflow-addons' Keras optimizers decide whether a model_fn's step moves, yet
TensorFlow's data cannot know them.  Their pinned wheels are downloaded (never installed) and their Python source
read with ast (never run), as scripts/generate_tf_api.py reads TF 1.15's tf.contrib; bases resolve against the
committed TensorFlow data.

Usage:
    python scripts/generate_third_party_optimizers.py --wheels DIR [--output PATH]
        downloads the pinned wheels into DIR (``pip download --no-deps``) unless they are there, and writes the table
        (tf_step_lint/data/third_party_optimizers.json)
"""
import argparse
import ast
import json
import os
import re
import subprocess
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from generate_tf_api import public_paths, resolved_base  # noqa: E402 (a sibling script)
from tf_step_lint.api import tf_api  # noqa: E402

# The newest release of each that still has the class; the platform is fixed so that every machine reads one wheel.
# tensor2tensor 1.15.7 is its last release; tensorflow-addons 0.23.0 its last (for TF 2.13-2.15).
PINNED = ["kfac==0.2.4", "tensorflow-recommenders-addons==0.8.1", "intel-extension-for-tensorflow==2.15.0.3",
          "tensor2tensor==1.15.7", "tensorflow-addons==0.23.0"]
PLATFORM = ["--python-version", "3.11", "--platform", "manylinux2014_x86_64", "--only-binary=:all:"]
OPTIMIZER_METHODS = ("minimize", "apply_gradients")

# Not read from a wheel: horovod is on PyPI only as an sdist, and pip prepares an sdist's metadata by running its
# setup.py.  These entries were checked by hand against horovod's GitHub source (no release pinned): in
# horovod/tensorflow/__init__.py and horovod/tensorflow/keras/__init__.py, DistributedOptimizer(optimizer, ...)
# returns a wrapper whose apply_gradients(*args, **kwargs) calls the wrapped optimizer's with the same arguments.
CARRIED = {
    path: {"family": None, "increments_step": None, "wraps": {"position": 0, "keyword": "optimizer"},
           "paths": [path], "package": "horovod"}
    for path in ("horovod.tensorflow.DistributedOptimizer", "horovod.tensorflow.keras.DistributedOptimizer")
}
CARRIED_FROM = ("checked by hand against horovod's GitHub source (horovod/tensorflow/__init__.py, "
                "horovod/tensorflow/keras/__init__.py; no release pinned): PyPI has only its sdist, whose metadata pip "
                "prepares by running setup.py")


def download(directory):
    """The pinned wheels in ``directory``, fetched with pip (never installed) when missing."""
    for requirement in PINNED:
        name = requirement.split("==")[0].replace("-", "_")
        if not any(f.startswith(name + "-") and f.endswith(".whl") for f in os.listdir(directory)):
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", *PLATFORM, requirement,
                            "-d", directory], check=True, capture_output=True)
    return sorted(os.path.join(directory, f) for f in os.listdir(directory) if f.endswith(".whl"))


def generate(wheels):
    optimizers, versions = {}, {}
    for wheel in wheels:
        package, found = read_wheel(wheel)
        versions[package.split("==")[0]] = package.split("==")[1]
        optimizers.update(found)
    return {"generated_from": {**versions, "how": "the wheels' Python source read with ast, never run"},
            "carried": {"from": CARRIED_FROM, "paths": sorted(CARRIED)},
            "optimizers": dict(sorted({**optimizers, **CARRIED}.items()))}


def read_wheel(path):
    """(package==version, the wheel's optimizers by defining path) for one wheel."""
    modules, exports = {}, {}  # module -> tree; package -> [(module imported from, name, as)]
    with zipfile.ZipFile(path) as wheel:
        metadata = wheel.read(next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))).decode()
        name, version = (re.search(rf"^{field}: (\S+)$", metadata, re.M).group(1) for field in ("Name", "Version"))
        package = f"{re.sub(r'[-_.]+', '-', name).lower()}=={version}"  # the name as pip spells it
        for name in sorted(wheel.namelist()):
            if not name.endswith(".py") or re.search(r"(^|/)(tests?|examples)/|_test\.py$", name):
                continue
            module = name[:-len(".py")].replace("/", ".")
            tree = ast.parse(wheel.read(name).decode("utf-8"))
            if module.endswith(".__init__"):
                module = module[:-len(".__init__")]
                exports[module] = _exported(tree, module)
            modules[module] = tree
    found = {**_classes(modules, exports), **_pass_through_functions(modules)}
    for key, info in found.items():
        info["paths"] = sorted(public_paths(key, exports))
        info["package"] = package
    return package, found


def _aliases(tree, module):
    """What each top-level name of ``module`` stands for, through its imports."""
    aliases = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            aliases.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
        elif isinstance(node, ast.Import):
            aliases.update({a.asname or a.name.split(".")[0]: a.name if a.asname else a.name.split(".")[0]
                            for a in node.names})
    return aliases


def _exported(tree, package):
    """A package ``__init__``'s exports as (module, name, as): its ``from M import name`` and its ``Name = module.X``
    assignments (kfac's ``KfacOptimizer = optimizer.KfacOptimizer``)."""
    aliases = _aliases(tree, package)
    exported = [(node.module, a.name, a.asname or a.name) for node in tree.body
                if isinstance(node, ast.ImportFrom) and node.module and not node.level for a in node.names]
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Attribute):
            source = resolved_base(node.value, aliases, package)
            if source is not None:
                module, _, name = source.rpartition(".")
                exported.append((module, name, node.targets[0].id))
    return exported


def _classes(modules, exports):
    """Each class whose base is a TensorFlow optimizer (through its module's imports and assignments, and its
    packages' re-exports) or such a class of these wheels: its family, and for a v1 one whether minimize and
    apply_gradients move the step they are given; then the classes that build a v1 optimizer and hand it the step."""
    bases, bodies, assigned = {}, {}, {}
    for module, tree in modules.items():
        assigned.update(_assigned(tree, module, _aliases(tree, module)))
    for module, tree in modules.items():
        aliases = _aliases(tree, module)
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                key = f"{module}.{node.name}"
                paths = [resolved_base(b, aliases, module) for b in node.bases]
                bases[key] = [_meanings(p, exports, assigned) for p in paths if p is not None]
                bodies[key] = node, aliases, module
    found, api = {}, tf_api()
    changed = True
    while changed:  # a class may derive from another of the wheel's
        changed = False
        for key, parents in bases.items():
            kinds = [_base_kind(api, found, alternatives) for alternatives in parents]
            kinds = [k for k in kinds if k is not None]
            if key in found or not kinds:
                continue
            found[key] = _class_info(*bodies[key], kinds[0])
            changed = True
    for key in bases.keys() - found.keys():
        composed = _composed(*bodies[key], api)
        if composed is not None:
            found[key] = composed
    return {key: info for key, info in found.items() if info["family"] is not None}


def _assigned(tree, module, aliases):
    """What each top-level ``Name = a.b.C`` of ``module`` may stand for, in every branch of a top-level ``if`` or
    ``try``: tensorflow-addons' ``KerasLegacyOptimizer`` is ``tf.keras.optimizers.legacy.Optimizer`` or, on a
    TensorFlow before 2.11 (where that is what ``tf.keras.optimizers.Optimizer`` is), ``tf.keras.optimizers.Optimizer``
    (both Keras optimizers: a base of alternatives has a kind only where they all agree on it)."""
    assigned, todo = {}, list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.If, ast.Try, ast.ExceptHandler)):
            todo.extend([*node.body, *getattr(node, "orelse", ()), *getattr(node, "handlers", ()),
                         *getattr(node, "finalbody", ())])
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            path = resolved_base(node.value, aliases, module)
            if path is not None:
                assigned.setdefault(f"{module}.{node.targets[0].id}", []).append(path)
    return assigned


def _meanings(path, exports, assigned, seen=frozenset()):
    """The paths ``path`` may name: what a module assigns to it or a package re-exports under it, else itself."""
    if path in seen:
        return set()
    seen = seen | {path}
    if path in assigned:
        return set().union(*(_meanings(p, exports, assigned, seen) for p in assigned[path]))
    module, _, name = path.rpartition(".")
    for source, imported, alias in exports.get(module, ()):
        if alias == name and imported != "*":
            return _meanings(f"{source}.{imported}", exports, assigned, seen)
    return {path}


def _base_kind(api, found, alternatives):
    """The kind of a base that may be any of ``alternatives``: theirs, when every one has the same."""
    kinds = [found.get(p) or _tensorflow_kind(api, p) for p in sorted(alternatives)]
    return kinds[0] if kinds and None not in kinds and all(k == kinds[0] for k in kinds) else None


def _tensorflow_kind(api, path):
    symbol = api.lookup(path)
    if symbol is not None and symbol.kind == "v1_optimizer" and symbol.info["wraps_argument"] is None:
        return {"family": "v1", "increments_step": True, "wraps": None}
    if symbol is not None and symbol.kind == "keras_optimizer":
        return {"family": "keras", "increments_step": False, "wraps": None}
    return None


def _class_info(node, aliases, module, parent):
    """A subclass's kind: its parent's, unless an overridden minimize or apply_gradients does not hand the step on
    (family None: nothing known)."""
    info = {"family": parent["family"], "increments_step": parent["increments_step"], "wraps": None}
    if parent["family"] != "v1":
        return info
    for method in (f for f in node.body if isinstance(f, ast.FunctionDef) and f.name in OPTIMIZER_METHODS):
        uses_step = _uses_step(method, aliases, module)
        if uses_step is None:
            return {**info, "family": None}
        info["increments_step"] = info["increments_step"] and uses_step
    return info


def _composed(node, aliases, module, api):
    """The kind of a class of no optimizer base that builds a TensorFlow v1 optimizer in ``__init__``
    (``self._opt = tf.train.MomentumOptimizer(...)``) and whose minimize and apply_gradients hand the step they are
    given on to that one's apply_gradients (tensor2tensor's YellowFinOptimizer): a v1 optimizer that increments it."""
    methods = {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
    if not {"__init__", *OPTIMIZER_METHODS} <= methods.keys():
        return None
    built = {target.attr for n in ast.walk(methods["__init__"]) if isinstance(n, ast.Assign)
             and isinstance(n.value, ast.Call) and _is_v1_class(api, resolved_base(n.value.func, aliases, module))
             for target in n.targets if isinstance(target, ast.Attribute) and _is_self(target.value)}
    handed_on = any(isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr == "apply_gradients"
                    and isinstance(c.func.value, ast.Attribute) and _is_self(c.func.value.value)
                    and c.func.value.attr in built and any(isinstance(v, ast.Name) and v.id == "global_step"
                                                           for v in (*c.args, *(k.value for k in c.keywords)))
                    for c in ast.walk(methods["apply_gradients"]))
    if not handed_on or not all(_uses_step(methods[m], aliases, module) for m in OPTIMIZER_METHODS):
        return None
    return {"family": "v1", "increments_step": True, "wraps": None}


def _is_v1_class(api, path):
    kind = _tensorflow_kind(api, path) if path is not None else None
    return kind is not None and kind["family"] == "v1"


def _is_self(expr):
    return isinstance(expr, ast.Name) and expr.id == "self"


def _uses_step(method, aliases, module):
    """Whether an overriding minimize/apply_gradients reads the global step it is given (K-FAC's hand it to super's,
    by name or as ``*args, **kwargs``); None where it takes none, or fetches the global step itself
    (tensor2tensor's ConditionalOptimizer increments ``get_or_create_global_step()`` under TF 2, whatever it is
    given, and hands the step on under TF 1)."""
    parameters = [a.arg for a in (*method.args.posonlyargs, *method.args.args)]
    reads = {n.id for n in ast.walk(method) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    api = tf_api()
    if any(isinstance(n, ast.Call) and (path := resolved_base(n.func, aliases, module)) is not None
           and (symbol := api.lookup(path)) is not None and symbol.kind == "step_getter" for n in ast.walk(method)):
        return None
    if "global_step" in parameters:
        return "global_step" in reads
    if method.args.vararg is not None and method.args.kwarg is not None:
        return {method.args.vararg.arg, method.args.kwarg.arg} <= reads
    return None


def _pass_through_functions(modules):
    """Public functions that return, on every path, the optimizer they are given after patching it (TFRA's
    DynamicEmbeddingOptimizer): a parameter returned by each of its own returns, whose apply_gradients it reads."""
    found = {}
    for module, tree in modules.items():
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            returned = {r.value.id if isinstance(r.value, ast.Name) else None for r in _own_returns(node)}
            parameters = [a.arg for a in node.args.args]
            if len(returned) != 1 or not returned <= set(parameters):
                continue
            parameter = returned.pop()
            if any(isinstance(n, ast.Attribute) and n.attr == "apply_gradients" and isinstance(n.value, ast.Name)
                   and n.value.id == parameter for n in ast.walk(node)):
                found[f"{module}.{node.name}"] = {
                    "family": None, "increments_step": None,
                    "wraps": {"position": parameters.index(parameter), "keyword": parameter}}
    return found


def _own_returns(function):
    """The return statements of ``function`` itself, not of the functions and classes it defines."""
    todo, found = list(function.body), []
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Return):
            found.append(node)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))
    return found


def main():
    default = os.path.join(os.path.dirname(__file__), "..", "tf_step_lint", "data", "third_party_optimizers.json")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", required=True, metavar="DIR", help="where the pinned wheels are, or go")
    parser.add_argument("--output", default=default)
    args = parser.parse_args()
    os.makedirs(args.wheels, exist_ok=True)
    data = generate(download(args.wheels))
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
