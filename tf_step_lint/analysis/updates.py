"""Batch norms in training code, and whether their moving statistics' update ops reach the train op.

A v1 batch norm puts its update ops in the UPDATE_OPS collection, which nothing runs unless the train op depends on
it; a Keras ``BatchNormalization`` called in a model_fn keeps them in the layer's ``updates`` and leaves the
collection empty (both probed under TF 2.15 by scripts/generate_tf_api.py).  Where the train op is built by code
this file cannot see, that code may wire them: the analysis then says nothing.
"""
import ast
from dataclasses import dataclass
from functools import cached_property
from typing import FrozenSet, Iterator, List, Optional

from tf_step_lint.analysis.index import FunctionInfo, argument, has_star
from tf_step_lint.analysis.names import UNKNOWN, Names
from tf_step_lint.analysis.steps import Steps
from tf_step_lint.analysis.training import Training
from tf_step_lint.api import Symbol

COLLECTION, LAYER = "collection", "layer"  # where a batch norm keeps its update ops (the data's "updates")
LAYER_UPDATES = ("updates", "get_updates_for")  # a Keras layer's own list of its update ops


@dataclass(frozen=True)
class BatchNorm:
    node: ast.Call  # the call that builds it (a layer's construction, or the function's call)
    symbol: Symbol
    layer_name: Optional[str]  # a Keras layer bound to a name in its function: what its `updates` are read from

    @property
    def updates(self) -> str:
        return self.symbol.info["updates"]


class Updates:
    def __init__(self, names: Names, training: Training, steps: Steps):
        self.names = names
        self.training = training
        self.steps = steps

    @cached_property
    def _uses_arg_scope(self) -> bool:
        """slim's ``arg_scope`` may give a batch norm arguments its call does not show."""
        for site in self.names.index.calls:
            names = self.names.qualified_names(site.node.func)
            if names and any(name.endswith(".arg_scope") for name in names):
                return True
        return False

    def training_batch_norms(self, unit: FrozenSet[FunctionInfo]) -> List[BatchNorm]:
        """The batch norms the unit builds that may be in training mode."""
        found = []
        for fn in sorted(unit, key=lambda f: f.node.lineno):
            for call in fn.calls:
                symbol = self.names.symbol(call.func)
                if symbol is None or symbol.kind != "batch_norm":
                    continue
                if symbol.info["training_at_call"]:
                    calls = self._layer_calls(call, unit)
                    if calls is not None and not any(self._may_train(c, symbol, None) for c in calls):
                        continue
                    found.append(BatchNorm(call, symbol, self._bound_name(call, fn)))
                elif self._may_train(call, symbol, symbol.info["params"]) and self._collects(call, symbol):
                    found.append(BatchNorm(call, symbol, None))
        return found

    def _collects(self, call: ast.Call, symbol: Symbol) -> bool:
        """A function's update ops go to UPDATE_OPS: nothing changes where they go (``updates_collections=``), and
        no ``arg_scope`` may."""
        params = symbol.info["params"]
        if "updates_collections" not in params:
            return True
        given = argument(call, params.index("updates_collections"), "updates_collections")
        return given is None and not self._uses_arg_scope

    def _may_train(self, call: ast.Call, symbol: Symbol, params: Optional[List[str]]) -> bool:
        """The ``training`` argument of ``call`` may be true: it is given something other than a false constant, or
        its default (None at a Keras layer's call: the learning phase, which is 0 in a model_fn) is true."""
        name = symbol.info["training_param"]
        position = params.index(name) if params and name in params else None
        if has_star(call):
            return True
        value = argument(call, position, name)
        if value is None:
            return bool(symbol.info["training_default"]) and not (params and self._uses_arg_scope)
        origins = self.names.origins(value)
        return not all(isinstance(o, ast.Constant) and not o.value for o in origins)

    def _layer_calls(self, construction: ast.Call, unit: FrozenSet[FunctionInfo]) -> Optional[List[ast.Call]]:
        """The calls of a Keras layer the unit makes, where the unit is seen calling it; None when the layer goes
        into something else (a Sequential, a list): then whatever calls that model decides."""
        calls = [call for fn in unit for call in fn.calls if call.func is construction
                 or construction in self.names.origins(call.func)]
        if calls:
            return calls
        model_calls = [call for fn in unit for call in fn.calls if any(k.arg == "training" for k in call.keywords)
                       and self.names.symbol(call.func) is None]
        return model_calls or []

    @staticmethod
    def _bound_name(construction: ast.Call, fn: FunctionInfo) -> Optional[str]:
        for statement in ast.walk(fn.node):
            if (isinstance(statement, ast.Assign) and statement.value is construction and len(statement.targets) == 1
                    and isinstance(statement.targets[0], ast.Name)):
                return statement.targets[0].id
        return None

    # -- whether the update ops reach the train op ---------------------------------------------------------
    def reads_collection(self, unit: FrozenSet[FunctionInfo]) -> bool:
        """The unit reads UPDATE_OPS (``GraphKeys.UPDATE_OPS`` or its string), or calls something that runs it with
        the train op it builds (``optimize_loss``)."""
        key = self.names.api.lookup("tensorflow.compat.v1.GraphKeys").info["update_ops"]
        for node in self._nodes(unit):
            if isinstance(node, ast.Constant) and node.value == key:
                return True
            if isinstance(node, ast.Attribute) and node.attr == "UPDATE_OPS":
                symbol = self.names.symbol(node.value)
                if symbol is None or symbol.kind == "graph_keys":
                    return True
            if isinstance(node, ast.Call) and self.names.calls(node, "update_ops_wiring"):
                return True
        return False

    def reads_layer_updates(self, unit: FrozenSet[FunctionInfo]) -> bool:
        return any(isinstance(node, ast.Attribute) and node.attr in LAYER_UPDATES for node in self._nodes(unit))

    @staticmethod
    def _nodes(unit: FrozenSet[FunctionInfo]) -> Iterator[ast.AST]:
        for fn in unit:
            yield from ast.walk(fn.node)

    def train_ops(self, unit: FrozenSet[FunctionInfo]) -> List[ast.expr]:
        """The ``train_op=`` arguments of the unit's EstimatorSpecs."""
        found = []
        for fn in unit:
            for call in fn.calls:
                if self.names.calls(call, "estimator_spec"):
                    params = self.names.symbol(call.func).info["params"]
                    value = argument(call, params.index("train_op"), "train_op")
                    if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
                        found.append(value)
        return found

    def built_here(self, train_op: ast.expr, depth: int = 0) -> bool:
        """Every value the train op may be is built by this file's code from a TensorFlow optimizer or op, so
        nothing unseen can have run the update ops with it."""
        origins = [o for o in self.names.origins(train_op)
                   if not (isinstance(o, ast.Constant) and o.value is None)]
        return bool(origins) and depth < 10 and all(self._built(o, depth) for o in origins)

    def _built(self, origin, depth: int) -> bool:
        if origin is UNKNOWN or not isinstance(origin, ast.Call):
            return False
        if self.steps.optimizer_call(origin) is not None:
            return True
        symbol = self.names.symbol(origin.func)
        if symbol is not None:
            return symbol.kind != "update_ops_wiring"
        if self.names.is_library(origin.func):
            return True  # tf.group, tf.no_op: TensorFlow ops that wire nothing
        functions = self.training.callable_functions(origin.func)
        return bool(functions) and all(fn.returns and all(self.built_here(r, depth + 1) for r in fn.returns)
                                       for fn in functions)
