"""Generate tf_step_lint/data/tf_api.json from the installed TensorFlow.

The rules must never carry hand-typed API knowledge: which classes are v1 optimizers, where
``global_step`` sits in ``minimize``, what ``export_saved_model`` accepts, which names exist only under
``tf.compat.v1``.  This script reads all of
that from a real TensorFlow install, so the data changes only when TensorFlow does.

Usage:
    python scripts/generate_tf_api.py [--output PATH]
        the API snapshot, from TF 2.15 with tensorflow-estimator (tf_step_lint/data/tf_api.json)
    python scripts/generate_tf_api.py --gone-since tf_step_lint/data/tf_api.json --output PATH
        which public names of that snapshot the installed TensorFlow no longer has, and why; run under
        TF >= 2.16 it writes tf_step_lint/data/tf_api_gone_2.16.json
    python scripts/generate_tf_api.py --tf1-wheel tensorflow_cpu-1.15.0-cp37-cp37m-manylinux2010_x86_64.whl \
            --output tf_step_lint/data/tf1_contrib.json
        the v1 optimizer classes of TF 1.15's tf.contrib (tf.contrib.opt, tf.contrib.mixed_precision), and its
        batch norm and train-op functions (tf.contrib.layers.batch_norm, optimize_loss), which no
        TensorFlow this machine can install still has: read (never run) from the real 1.15 wheel's Python source,
        its bases resolved against the TF 2.15 snapshot (``pip download --no-deps --python-version 3.7
        --only-binary=:all: --platform manylinux2010_x86_64 tensorflow-cpu==1.15.0`` fetches the wheel)
"""
import argparse
import ast
import importlib
import importlib.metadata
import inspect
import json
import os
import re
import types
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Where the public API lives.  Every class or function found below these roots is a candidate;
# what it *is* (optimizer, estimator, ...) is decided by introspection, not by its name.
API_ROOTS = {
    "tensorflow.compat.v1": ["train", "tpu", "estimator", "keras.optimizers", ""],
    "tensorflow.compat.v2": ["train", "tpu", "estimator", "keras.optimizers", "optimizers", ""],
    "tensorflow": ["train", "tpu", "estimator", "keras.optimizers", "optimizers", ""],
    "tensorflow_estimator.estimator": [""],
    "tensorflow_estimator.compat.v1.estimator": [""],
    "keras.optimizers": [""],
    "tensorflow.compat.v1.layers": [""],
    "tensorflow.keras.layers": [""],
    "tensorflow.compat.v1.keras.layers": [""],
}
# Functions whose role cannot be derived from a signature; looked up by public v1 name.
STEP_GETTERS = ["get_global_step", "get_or_create_global_step"]
STEP_CREATORS = ["create_global_step"]
VARIABLE_FACTORIES = ["Variable", "get_variable"]
ASSIGN_FUNCTIONS = ["assign", "assign_add"]
CHECKPOINT_WRITERS = {"Saver": "saver", "Scaffold": "scaffold", "CheckpointSaverHook": "checkpoint_saver_hook"}
VARIABLE_LISTS = ["trainable_variables", "global_variables", "model_variables", "local_variables",
                  "moving_average_variables", "all_variables"]
EXPORT_METHODS = ["export_saved_model", "export_savedmodel", "experimental_export_all_saved_models"]
RUN_METHODS = ["train", "evaluate", "predict"]
OPTIMIZER_METHODS = ["minimize", "apply_gradients"]


def walk(root_name, sub):
    """Yield (public_path, object) for everything reachable below root.sub."""
    top, *rest = root_name.split(".")
    obj = importlib.import_module(top)
    for part in [*rest, *filter(None, sub.split("."))]:
        obj = getattr(obj, part, None)
        if obj is None:
            return
    prefix = ".".join(filter(None, [root_name, sub]))
    seen = set()
    # A root's top level is read shallowly: tf.compat.v1 itself holds hundreds of modules we don't need.
    stack = [(prefix, obj, sub == "" and root_name.startswith("tensorflow.") or root_name == "tensorflow")]
    while stack:
        path, mod, shallow = stack.pop()
        if id(mod) in seen:
            continue
        seen.add(id(mod))
        for name in sorted(dir(mod)):
            if name.startswith("_"):
                continue
            try:
                member = getattr(mod, name)
            except Exception:  # lazy loaders raise on some attributes
                continue
            if isinstance(member, types.ModuleType):
                if not shallow:
                    stack.append((f"{path}.{name}", member, False))
            else:
                yield f"{path}.{name}", member


def params(func):
    """Parameter names after self, and whether **kwargs is accepted."""
    sig = inspect.signature(func)
    names, var_kw = [], False
    for p in sig.parameters.values():
        if p.name == "self":
            continue
        if p.kind is p.VAR_KEYWORD:
            var_kw = True
        elif p.kind is not p.VAR_POSITIONAL:
            names.append(p.name)
    shown = str(sig.replace(parameters=[p for p in sig.parameters.values() if p.name != "self"]))
    shown = re.sub(r" at 0x[0-9a-f]+>", ">", shown)  # a default's address differs from run to run
    return {"params": names, "accepts_kwargs": var_kw, "qualname": func.__qualname__, "signature": shown}


def call_params(obj):
    """Parameters of calling ``obj``: a class's are its __init__'s."""
    return params(obj.__init__ if inspect.isclass(obj) else obj)


def _includes_global_step(variable_list):
    """Whether ``variable_list()`` returns the global step, asked of a real graph that has one."""
    import tensorflow as tf

    v1 = tf.compat.v1
    with tf.Graph().as_default():
        step = v1.train.get_or_create_global_step()
        v1.get_variable("w", [1])
        return any(v is step for v in variable_list())


def private_path(obj):
    return f"{obj.__module__}.{obj.__qualname__}"


def generate():
    import keras
    import tensorflow as tf

    v1 = tf.compat.v1
    keras_bases = [keras.optimizers.Optimizer, keras.optimizers.legacy.Optimizer]
    v1_estimator_base = v1.estimator.Estimator
    found = {}  # id(obj) -> (obj, set of paths)
    for root, subs in API_ROOTS.items():
        for sub in subs:
            for path, obj in walk(root, sub):
                if callable(obj):
                    found.setdefault(id(obj), (obj, set()))[1].add(path)

    symbols = {}

    def add(obj, paths, **info):
        key = private_path(obj)
        entry = symbols.setdefault(key, {"paths": sorted(set(paths) | {key})})
        entry.update(info)

    public_v1 = {p: obj for obj, ps in found.values() for p in ps}
    for obj, paths in found.values():
        if not inspect.isclass(obj):
            continue
        if issubclass(obj, v1.train.Optimizer):
            init = params(obj.__init__)["params"]
            wraps = next((i for i, n in enumerate(init) if n in ("opt", "optimizer")), None)
            add(obj, paths, kind="v1_optimizer", base=obj is v1.train.Optimizer, wraps_argument=wraps, init=init)
        elif any(issubclass(obj, b) for b in keras_bases):
            add(obj, paths, kind="keras_optimizer", legacy=issubclass(obj, keras.optimizers.legacy.Optimizer),
                base=obj in keras_bases)
        elif issubclass(obj, v1_estimator_base):
            methods = {}
            for m in EXPORT_METHODS + RUN_METHODS:
                attr = inspect.getattr_static(obj, m, None)
                if inspect.isfunction(attr):
                    methods[m] = params(attr)
            add(obj, paths, kind="estimator", methods=methods, init=params(obj.__init__)["params"])
        elif issubclass(obj, tf.estimator.RunConfig):  # where an Estimator may be told its model_dir
            add(obj, paths, kind="run_config", **call_params(obj))
        elif "train_op" in getattr(obj, "_fields", ()):
            add(obj, paths, kind="estimator_spec", params=list(obj._fields))
        elif "receiver_tensors" in getattr(obj, "_fields", ()):
            add(obj, paths, kind="serving_receiver")
        elif obj is v1.estimator.Exporter:  # what a project's exporter subclasses: export(estimator, ...)
            add(obj, paths, kind="exporter_base")
        elif issubclass(obj, v1.estimator.Exporter):
            add(obj, paths, kind="exporter", init=params(obj.__init__)["params"])

    def by_v1_name(name):
        for path in (f"tensorflow.compat.v1.train.{name}", f"tensorflow.compat.v1.{name}"):
            if path in public_v1:
                return public_v1[path]
        raise LookupError(name)

    for kind, names in [("step_getter", STEP_GETTERS), ("step_creator", STEP_CREATORS),
                        ("variable_factory", VARIABLE_FACTORIES), ("assign_function", ASSIGN_FUNCTIONS)]:
        for name in names:
            obj = by_v1_name(name)
            paths = [p for p, o in public_v1.items() if o is obj]
            add(obj, paths, kind=kind, **call_params(obj))
    for name, kind in CHECKPOINT_WRITERS.items():
        obj = by_v1_name(name)
        add(obj, [p for p, o in public_v1.items() if o is obj], kind=kind, **call_params(obj))
    add(v1.train.Saver, [], methods={"save": params(v1.train.Saver.save)})
    for name in VARIABLE_LISTS:
        fn = getattr(v1, name, None)
        if fn is not None:
            add(fn, [p for p, o in public_v1.items() if o is fn], kind="variable_list",
                includes_global_step=_includes_global_step(fn), **params(fn))
    # tf.Variable (v2) and tf.compat.v1.Variable are distinct classes; both create a new variable.
    add(tf.Variable, [p for p, o in public_v1.items() if o is tf.Variable], kind="variable_factory",
        **call_params(tf.Variable))
    for path, obj in public_v1.items():
        if path.startswith("tensorflow.compat.v1.train.") and inspect.isfunction(obj):
            try:
                p = params(obj)
            except (TypeError, ValueError):
                continue
            if "global_step" in p["params"] and private_path(obj) not in symbols:
                add(obj, [q for q, o in public_v1.items() if o is obj], kind="step_consumer", **p)

    # The canned Estimators' optimizer factory, which model_fns call too: a name gives one of these v1 classes.
    from tensorflow_estimator.python.estimator.canned import optimizers as canned
    add(canned.get_optimizer_instance, ["tensorflow.python.estimator.canned.optimizers.get_optimizer_instance"],
        kind="optimizer_factory", **params(canned.get_optimizer_instance),
        classes={name: private_path(cls) for name, cls in canned._OPTIMIZER_CLS_NAMES.items()})

    for obj, paths in found.values():
        updates = _batch_norm_updates(obj)
        if updates is not None:
            training = _training_parameter(obj)
            add(obj, paths, kind="batch_norm", updates=updates, **training)
    add(v1.GraphKeys, [p for p, o in public_v1.items() if o is v1.GraphKeys], kind="graph_keys",
        update_ops=v1.GraphKeys.UPDATE_OPS)
    for key, info in symbols.items():
        if info["kind"] == "estimator":
            rejected = _optimizers_rejected(next(o for o, _ in found.values() if private_path(o) == key), info["init"])
            if rejected:
                info["optimizer_arguments"] = rejected

    methods = {
        "v1_optimizer": {m: params(getattr(v1.train.Optimizer, m)) for m in OPTIMIZER_METHODS},
        "keras_optimizer": {m: params(getattr(keras.optimizers.Optimizer, m)) for m in OPTIMIZER_METHODS},
        "keras_legacy_optimizer": {m: params(getattr(keras.optimizers.legacy.Optimizer, m))
                                   for m in OPTIMIZER_METHODS},
    }
    return {
        "generated_from": {"tensorflow": tf.__version__,
                           "tensorflow_estimator": importlib.metadata.version("tensorflow-estimator"),
                           "keras": keras.__version__},
        "methods": methods,
        "symbols": dict(sorted(symbols.items())),
        "v1_only": v1_only_names(tf),
        "v2_only": v2_only_names(tf),
    }


def _batch_norm_updates(obj):
    """Where a layer that keeps moving statistics puts their update ops, found by building it in a graph with
    ``training=True``: "collection" (UPDATE_OPS, which the train op must run), "layer" (only the layer's own
    ``updates``: the UPDATE_OPS collection stays empty), or None for anything else."""
    import tensorflow as tf

    v1 = tf.compat.v1
    if not callable(obj) or inspect.isclass(obj) and not issubclass(obj, tf.keras.layers.Layer):
        return None
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [4, 3])
        try:
            if inspect.isclass(obj):
                layer = obj()
                layer(x, training=True)
            else:
                layer = None
                obj(x, training=True)
        except Exception:  # needs other arguments, or takes no `training`: not a layer with moving statistics
            return None
        if v1.get_collection(v1.GraphKeys.UPDATE_OPS):
            return "collection"
        if layer is not None and layer.updates:
            return "layer"
    return None


def _training_parameter(obj):
    """Where a batch norm is told it trains: the function's ``training`` parameter, or (a layer) its call's."""
    if inspect.isclass(obj):
        return {"training_param": "training", "training_default": None, "training_at_call": True}
    parameter = inspect.signature(obj).parameters["training"]
    return {"training_param": "training", "training_default": parameter.default, "training_at_call": False,
            **params(obj)}


def _optimizers_rejected(estimator_class, init):
    """For a canned Estimator, each optimizer parameter and what training with a Keras optimizer given there raises
    ("keras": a TF 2.11+ optimizer, "keras_legacy": tf.keras.optimizers.legacy), found by training it one step.
    Empty for a class that takes no optimizer, or that this probe cannot build."""
    import numpy as np
    import tensorflow as tf

    columns = [tf.feature_column.numeric_column("x", shape=[3])]
    required = {"feature_columns": columns, "linear_feature_columns": columns, "dnn_feature_columns": columns,
                "hidden_units": [2], "dnn_hidden_units": [2], "head": tf.estimator.RegressionHead()}
    optimizers = {"keras": tf.keras.optimizers.Adam, "keras_legacy": tf.keras.optimizers.legacy.Adam}

    def input_fn():
        x = np.ones((8, 3), np.float32)
        return tf.data.Dataset.from_tensors(({"x": x}, np.ones((8, 1), np.float32))).repeat()

    signature = inspect.signature(estimator_class.__init__).parameters
    arguments = {n: v for n, v in required.items() if n in signature}
    try:  # with its default optimizers: a class this probe cannot train tells nothing about optimizers
        estimator_class(**arguments).train(input_fn, steps=1)
    except Exception:  # noqa: BLE001 (the probe's arguments do not suit it)
        return {}
    found = {}
    for name in (n for n in init if n.endswith("optimizer")):
        found[name] = {}
        for family, optimizer in optimizers.items():
            try:
                estimator_class(**arguments, **{name: optimizer(0.1)}).train(input_fn, steps=1)
            except Exception as error:  # the fact being recorded: what training raises, if anything
                message = re.sub(r" at 0x[0-9a-f]+", "", str(error).splitlines()[0])  # no addresses in the data
                found[name][family] = f"{type(error).__name__}: {message}"
            else:
                found[name][family] = None
    return found


def v2_only_names(tf):
    """``tensorflow.X`` paths of the TF2 API that ``tf.compat.v1`` does not have (tf.experimental.numpy): code that
    uses one runs on TF2.  ``tf.compat.v1`` stands in for TF 1.x, which cannot be installed here."""
    return [f"tensorflow.{path}" for path in _missing_from(tf, tf.compat.v1)]


def v1_only_names(tf):
    """``tensorflow.X`` paths that name something only under ``tf.compat.v1``: tf.train.AdamOptimizer, tf.Session,
    tf.layers (a whole module)."""
    return [f"tensorflow.{path}" for path in _missing_from(tf.compat.v1, tf)]


def _missing_from(namespace, other):
    """Public paths of ``namespace`` that ``other`` lacks, read one level into each module of ``namespace``."""
    def exists_in_other(path):
        obj = other
        for part in path.split("."):
            try:
                obj = getattr(obj, part)
            except Exception:  # AttributeError, and whatever lazy loaders raise
                return False
        return True

    found = []
    for name in sorted(n for n in dir(namespace) if not n.startswith("_") and n != "compat"):
        if not exists_in_other(name):
            found.append(name)
            continue
        member = getattr(namespace, name, None)
        if isinstance(member, types.ModuleType):
            found.extend(f"{name}.{sub}" for sub in sorted(dir(member))
                         if not sub.startswith("_") and not exists_in_other(f"{name}.{sub}"))
    return found


def gone_since(base):
    """Public paths of ``base`` (a snapshot) that do not resolve in the installed TensorFlow, with the error."""
    import keras
    import tensorflow as tf

    paths = sorted({p for info in base["symbols"].values() for p in info["paths"]
                    if ".python." not in p and ".src." not in p})
    modules = sorted({p.rsplit(".", 1)[0] for p in paths} - {"tensorflow", "keras", "tensorflow_estimator"})
    gone = {}
    for path in [*modules, *paths]:
        if any(path.startswith(m + ".") for m in gone):
            continue  # its module is gone already
        top, *rest = path.split(".")
        try:
            obj = importlib.import_module(top)
            for part in rest:
                obj = getattr(obj, part)
        except Exception as error:  # ImportError, AttributeError, and whatever lazy loaders raise
            message = re.sub(r" \(/[^)]*\)$", "", str(error).splitlines()[0])  # no install path in the data
            gone[path] = f"{type(error).__name__}: {message}"
    return {"generated_from": {"tensorflow": tf.__version__, "keras": keras.__version__},
            "base": base["generated_from"], "gone": gone}


def tf1_contrib(wheel_path, snapshot):
    """What the TF 1.x wheel's tf.contrib holds for the rules: its v1 optimizers, and its batch norm and train-op
    functions (see ``_contrib_functions``)."""
    data = tf1_contrib_optimizers(wheel_path, snapshot)
    data["symbols"] = dict(sorted({**data["symbols"], **_contrib_functions(wheel_path)}.items()))
    return data


def _contrib_functions(wheel_path):
    """tf.contrib's functions that put update ops in UPDATE_OPS (a ``updates_collections`` parameter defaulting
    to it: ``batch_norm``), and those that run that collection with the train op they build (an ``update_ops``
    parameter, and a body that reads the collection: ``optimize_loss``, ``create_train_op``).  Public paths follow
    the package ``__init__`` imports, star imports included (``slim.batch_norm``, ``slim.learning``)."""
    found, imports = {}, {}  # key -> info; package -> [(module imported from, name or "*", as)]
    with zipfile.ZipFile(wheel_path) as wheel:
        for name in sorted(wheel.namelist()):
            if not (name.startswith("tensorflow_core/contrib/") and name.endswith(".py")) or "_test" in name:
                continue
            module = "tensorflow" + name[len("tensorflow_core"):-len(".py")].replace("/", ".")
            tree = ast.parse(wheel.read(name).decode("utf-8"))
            if module.endswith(".__init__"):
                package = module[:-len(".__init__")]
                imports[package] = [(node.module, a.name, a.asname or a.name) for node in tree.body
                                    if isinstance(node, ast.ImportFrom) and node.module and not node.level
                                    for a in node.names]
                continue
            for node in tree.body:
                if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                    continue
                args = node.args.args
                defaults = dict(zip([a.arg for a in args[len(args) - len(node.args.defaults):]], node.args.defaults))
                names = [a.arg for a in args]
                reads_update_ops = "GraphKeys.UPDATE_OPS" in ast.unparse(node.body)
                info = {"params": names, "paths": [f"{module}.{node.name}"]}
                if "updates_collections" in defaults and ast.unparse(defaults["updates_collections"]).endswith(
                        "GraphKeys.UPDATE_OPS") and "is_training" in defaults:
                    found[f"{module}.{node.name}"] = {
                        **info, "kind": "batch_norm", "updates": "collection", "training_param": "is_training",
                        "training_at_call": False, "training_default": ast.literal_eval(defaults["is_training"])}
                elif "update_ops" in names and reads_update_ops:
                    found[f"{module}.{node.name}"] = {**info, "kind": "update_ops_wiring"}
    for key, info in found.items():
        info["paths"] = sorted(public_paths(key, imports))
    return found


def public_paths(key, imports):
    """``key`` and every path a package ``__init__`` gives it, through ``from M import name`` (a module or the
    symbol itself) and ``from M import *``, transitively."""
    paths, todo = {key}, [key]
    while todo:
        path = todo.pop()
        module, _, name = path.rpartition(".")
        for package, entries in imports.items():
            for source, imported, alias in entries:
                new = None
                if imported == "*" and source == module:
                    new = f"{package}.{name}"
                elif imported != "*" and f"{source}.{imported}" == path:
                    new = f"{package}.{alias}"
                elif imported != "*" and path.startswith(f"{source}.{imported}."):
                    new = f"{package}.{alias}{path[len(source) + len(imported) + 1:]}"
                if new is not None and new not in paths:
                    paths.add(new)
                    todo.append(new)
    return paths


def tf1_contrib_optimizers(wheel_path, snapshot):
    """The v1 optimizer classes of the TF 1.x wheel's tf.contrib: a class is one when a base resolves, through its
    module's imports, to a v1 optimizer of ``snapshot`` (the same private paths: tensorflow.python.training.X) or
    to another such contrib class.  Public paths follow the contrib layout: tensorflow.contrib.opt.X for a class of
    tensorflow.contrib.opt.python.training.*, when the public module's __init__ names it."""
    known = {key: info for key, info in snapshot["symbols"].items() if info["kind"] == "v1_optimizer"}
    classes, inits = {}, {}  # contrib class key -> base keys; -> its own __init__ parameters (None: inherited)
    exported = {}  # public contrib module (tensorflow.contrib.opt) -> its __init__'s source
    with zipfile.ZipFile(wheel_path) as wheel:
        metadata = wheel.read(next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))).decode()
        version = re.search(r"^Version: (\S+)$", metadata, re.M).group(1)
        for name in sorted(wheel.namelist()):
            if not (name.startswith("tensorflow_core/contrib/") and name.endswith(".py")):
                continue
            module = "tensorflow" + name[len("tensorflow_core"):-len(".py")].replace("/", ".")
            source = wheel.read(name).decode("utf-8")
            if module.endswith(".__init__"):
                exported[module[:-len(".__init__")]] = source
                continue
            tree = ast.parse(source)
            aliases = {}
            for node in tree.body:
                if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    aliases.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
                elif isinstance(node, ast.Import):
                    aliases.update({a.asname or a.name: a.name for a in node.names})
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    key = f"{module}.{node.name}"
                    classes[key] = [resolved_base(base, aliases, module) for base in node.bases]
                    init = next((f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"),
                                None)
                    inits[key] = [a.arg for a in init.args.args[1:]] if init is not None else None
    found = {}
    changed = True
    while changed:  # a contrib class may derive from another
        changed = False
        for key, bases in classes.items():
            parents = [b for b in bases if b in known or b in found]
            if key in found or not parents:
                continue
            init = inits[key] if inits[key] is not None else (known.get(parents[0]) or found[parents[0]])["init"]
            wraps = next((i for i, n in enumerate(init) if n in ("opt", "optimizer")), None)
            match = re.match(r"^(tensorflow\.contrib\.\w+)\.python(?:\.\w+)*\.(\w+)$", key)
            public = [f"{match.group(1)}.{match.group(2)}"] if match and re.search(
                rf"\b{match.group(2)}\b", exported.get(match.group(1), "")) else []
            found[key] = {"kind": "v1_optimizer", "base": False, "wraps_argument": wraps, "init": init,
                          "paths": sorted({key, *public})}
            changed = True
    return {"generated_from": {"tensorflow_wheel": os.path.basename(wheel_path), "tensorflow": version,
                               "how": "its Python source read with ast, never run"},
            "symbols": dict(sorted(found.items()))}


def resolved_base(base, aliases, module):
    """The dotted path a class's base expression names through its module's imports."""
    parts = []
    while isinstance(base, ast.Attribute):
        parts.append(base.attr)
        base = base.value
    if not isinstance(base, ast.Name):
        return None
    head = aliases.get(base.id, f"{module}.{base.id}")
    return ".".join([head, *reversed(parts)])


def main():
    default = os.path.join(os.path.dirname(__file__), "..", "tf_step_lint", "data", "tf_api.json")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=default)
    parser.add_argument("--gone-since", metavar="SNAPSHOT", help="write what the installed TF lacks of SNAPSHOT")
    parser.add_argument("--tf1-wheel", metavar="WHEEL", help="write the v1 optimizers of a TF 1.x wheel's tf.contrib")
    args = parser.parse_args()
    if args.tf1_wheel:
        with open(default, encoding="utf-8") as f:
            data = tf1_contrib(args.tf1_wheel, json.load(f))
    elif args.gone_since:
        with open(args.gone_since, encoding="utf-8") as f:
            data = gone_since(json.load(f))
    else:
        data = generate()
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
