"""TensorFlow API facts, read from data generated from a real TensorFlow install.

The data (``data/tf_api.json``, and ``data/tf1_contrib.json`` from the TF 1.15 wheel's source) is written
by ``scripts/generate_tf_api.py``, and that of optimizers outside TensorFlow (``data/third_party_optimizers.json``)
by ``scripts/generate_third_party_optimizers.py``; nothing here is typed by hand except where TensorFlow 2.15 cannot
tell us: module layouts of TF 1.x that no longer exist.
"""
import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Dict, FrozenSet, Mapping, Optional, Tuple

# TF 1.x spellings that TF 2.15 no longer has, and where the same symbol lives now.  Tried in order.
_RELOCATED = (
    ("tensorflow.contrib.tpu.", ("tensorflow.compat.v1.tpu.", "tensorflow.compat.v1.estimator.tpu.")),
    ("tensorflow.contrib.framework.", ("tensorflow.compat.v1.train.",)),
    ("tensorflow.python.estimator.", ("tensorflow_estimator.python.estimator.",)),
    # TF 1.x code reaches v1-only names through the top-level module (tf.train.AdamOptimizer).
    ("tensorflow.", ("tensorflow.compat.v1.",)),
)

# TF 1.x's tensorflow.contrib.tpu.python.tpu.tpu_optimizer.CrossShardOptimizer is tensorflow.contrib.tpu's
# CrossShardOptimizer: a contrib module's internal path names what its public module exports.
_CONTRIB_INTERNAL = re.compile(r"^tensorflow\.contrib\.(\w+)\.python(?:\.\w+)*\.(\w+)$")
# tf.compat.v2.compat.v1.X is tf.compat.v1.X: only the innermost compat version counts.
_NESTED_COMPAT = re.compile(r"^tensorflow(?:\.compat\.v[12])+\.compat\.(v[12])\.")


@dataclass(frozen=True, eq=False)  # one instance per symbol: identity is equality
class Symbol:
    """One TensorFlow class or function, under all the paths that name it."""

    key: str  # defining module + qualname, e.g. tensorflow.python.training.adam.AdamOptimizer
    kind: str  # v1_optimizer, keras_optimizer, estimator, estimator_spec, step_getter, ...
    info: Mapping

    @property
    def public_name(self) -> str:
        """The shortest public path, spelled the way users write it (``tf.`` prefix)."""
        public = [p for p in self.info["paths"] if "._" not in p and ".python." not in p]
        best = min(public or self.info["paths"], key=lambda p: (not p.startswith("tensorflow."), len(p), p))
        return "tf." + best[len("tensorflow."):] if best.startswith("tensorflow.") else best

    def param_index(self, name: str) -> Optional[int]:
        params = self.info.get("params", [])
        return params.index(name) if name in params else None


class TfApi:
    def __init__(self, data: Mapping):
        self.generated_from = data["generated_from"]
        self.methods: Mapping[str, Mapping] = data["methods"]
        # tensorflow.X paths that exist only as tensorflow.compat.v1.X (tf.train.AdamOptimizer, tf.layers)
        self.v1_only: FrozenSet[str] = frozenset(data["v1_only"])
        self.v1_only_last_names: FrozenSet[str] = frozenset(path.rsplit(".", 1)[-1] for path in self.v1_only)
        # tensorflow.X paths of the TF2 API that tf.compat.v1 lacks (tf.experimental.numpy): code using one is TF2
        self.v2_only: FrozenSet[str] = frozenset(data["v2_only"])
        self._by_path: Dict[str, Symbol] = {}
        self._lookups: Dict[str, Optional[Symbol]] = {}
        for key, info in data["symbols"].items():
            symbol = Symbol(key, info["kind"], info)
            for path in info["paths"]:
                self._by_path[path] = symbol

    def names_of_kind(self, kind: str) -> Tuple[str, ...]:
        """The last parts of every path of every symbol of ``kind``: what its uses must spell somewhere."""
        return tuple(sorted({path.rsplit(".", 1)[-1] for symbol in self._by_path.values() if symbol.kind == kind
                             for path in symbol.info["paths"]}))

    def lookup(self, qualified_name: str, target: Optional[Tuple[int, int]] = None) -> Optional[Symbol]:
        """The symbol a dotted path names on the ``target`` TensorFlow (memoised: every file asks for the same few
        hundred paths).  Where the TF 2.15 data cannot hold an older layout, the path is read as that TensorFlow
        reads it first: ``tf.X`` on TF 1.x is what TF 2.15 calls ``tf.compat.v1.X`` (the v1 Estimator, with
        ``export_savedmodel``), and ``tf.keras.optimizers.X`` before 2.11 is what 2.11+ calls
        ``tf.keras.optimizers.legacy.X`` (TensorFlow 2.11's release notes)."""
        for path in _as_the_target_reads(qualified_name, target):
            try:
                symbol = self._lookups[path]
            except KeyError:
                symbol = self._lookups[path] = self._lookup(path)
            if symbol is not None:
                return symbol
        return None

    def _lookup(self, qualified_name: str) -> Optional[Symbol]:
        qualified_name = _NESTED_COMPAT.sub(r"tensorflow.compat.\1.", qualified_name)
        qualified_name = _CONTRIB_INTERNAL.sub(r"tensorflow.contrib.\1.\2", qualified_name)
        symbol = self._by_path.get(qualified_name)
        if symbol is not None:
            return symbol
        for old, new_prefixes in _RELOCATED:
            if qualified_name.startswith(old):
                rest = qualified_name[len(old):]
                for new in new_prefixes:
                    symbol = self._by_path.get(new + rest)
                    if symbol is not None:
                        return symbol
        return None


_KERAS_OPTIMIZERS = ("tensorflow.keras.optimizers.", "keras.optimizers.")


def _as_the_target_reads(path: str, target: Optional[Tuple[int, int]]) -> Tuple[str, ...]:
    """``path`` as the ``target`` TensorFlow would resolve it, best first, then ``path`` itself."""
    if target is None:
        return (path,)
    if target < (2, 0) and path.startswith("tensorflow.") and not path.startswith("tensorflow.compat."):
        return "tensorflow.compat.v1." + path[len("tensorflow."):], path
    if target < (2, 11):
        for prefix in _KERAS_OPTIMIZERS:
            if path.startswith(prefix) and not path.startswith(prefix + "legacy."):
                return prefix + "legacy." + path[len(prefix):], path
    return (path,)


@functools.lru_cache(maxsize=None)
def newest_known_release() -> Tuple[int, int]:
    """The newest TensorFlow this tool's data was generated from (the one the 2.16+ data comes from)."""
    major, minor = json.loads(_data_file("tf_api_gone_2.16.json"))["generated_from"]["tensorflow"].split(".")[:2]
    return int(major), int(minor)


@functools.lru_cache(maxsize=None)
def gone_in_216() -> Mapping[str, str]:
    """Public paths of the TF 2.15 snapshot that TensorFlow 2.16+ no longer has, with the error it raises
    (generated by ``scripts/generate_tf_api.py --gone-since``)."""
    return json.loads(_data_file("tf_api_gone_2.16.json"))["gone"]


@functools.lru_cache(maxsize=None)
def tf_api() -> TfApi:
    """TF 2.15's API, with the v1 optimizers of TF 1.15's tf.contrib that 2.15 no longer has (read from the 1.15
    wheel's source: see scripts/generate_tf_api.py)."""
    data = json.loads(_data_file("tf_api.json"))
    data["symbols"] = {**json.loads(_data_file("tf1_contrib.json"))["symbols"], **data["symbols"]}
    return TfApi(data)


@dataclass(frozen=True)
class ThirdPartyOptimizer:
    """An optimizer of a package outside TensorFlow, as its wheel's source shows it (see
    scripts/generate_third_party_optimizers.py)."""

    name: str  # the class or function name, for messages: KfacOptimizer
    family: Optional[str]  # "v1" or "keras"; None for a pass-through wrapper, whose argument decides
    increments_step: bool  # a v1 one: minimize/apply_gradients(..., global_step=gs) increment gs
    wraps: Optional[Tuple[int, str]]  # (position, keyword) of the optimizer a wrapper hands everything on to
    package: str  # the package==version the entry came from


@functools.lru_cache(maxsize=None)
def third_party_optimizers() -> Mapping[str, ThirdPartyOptimizer]:
    """Each public path of a third-party optimizer class or wrapper, read once from the generated table."""
    found = {}
    for key, info in json.loads(_data_file("third_party_optimizers.json"))["optimizers"].items():
        wraps = info["wraps"]
        optimizer = ThirdPartyOptimizer(key.rsplit(".", 1)[-1], info["family"], bool(info["increments_step"]),
                                        (wraps["position"], wraps["keyword"]) if wraps else None, info["package"])
        found.update(dict.fromkeys(info["paths"], optimizer))
    return found


def _data_file(name: str) -> str:
    return resources.files("tf_step_lint").joinpath("data", name).read_text(encoding="utf-8")
