"""TSL107: a batch norm trains in a model_fn whose train op never runs its update ops."""
import ast
from typing import FrozenSet, Iterable, List, Optional

from tf_step_lint.analysis import V1, Analysis
from tf_step_lint.analysis.index import FunctionInfo
from tf_step_lint.analysis.updates import COLLECTION, BatchNorm
from tf_step_lint.api import tf_api
from tf_step_lint.finding import Finding, Fix
from tf_step_lint.rules.base import ESTIMATOR, TENSORFLOW, Rule, fix_of

CONSEQUENCE = ("its moving mean and variance keep their initial values, so evaluation and serving normalise with "
               "them")
REMEDY = {COLLECTION: "run the UPDATE_OPS with the train op: "
                      "tf.group(train_op, *tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS))",
          "layer": "run the layer's own updates with the train op: tf.group(train_op, *layer.updates) (a Keras layer "
                   "leaves UPDATE_OPS empty, so wiring that collection does nothing)"}


class UpdateOpsNotInTrainOp(Rule):
    code = "TSL107"
    name = "update-ops-not-in-train-op"
    requires = (TENSORFLOW, ESTIMATOR, tf_api().names_of_kind("batch_norm"))

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        updates = analysis.updates
        reported = set()
        for unit in analysis.training.units:
            norms = [n for n in updates.training_batch_norms(unit) if n.node not in reported]
            if not norms:
                continue
            train_ops = updates.train_ops(unit)
            if not train_ops or not all(updates.built_here(t) for t in train_ops):
                continue  # no train op here, or one built where this file cannot see
            if updates.reads_layer_updates(unit):
                continue  # some layer's `updates` are run: the author wires them by hand
            for kind in (COLLECTION, "layer"):
                of_kind = [n for n in norms if n.updates == kind]
                if not of_kind or (kind == COLLECTION and updates.reads_collection(unit)):
                    continue
                reported.update(n.node for n in of_kind)
                first = of_kind[0]
                count = f" (and {len(of_kind) - 1} more)" if len(of_kind) > 1 else ""
                message = (f"`{first.symbol.public_name}`{count} trains here, but the train op does not run its "
                           f"update ops: {CONSEQUENCE}; {REMEDY[kind]}")
                yield self.finding(analysis, first.node, message, _fix(analysis, unit, train_ops, of_kind))


def _fix(analysis: Analysis, unit: FrozenSet[FunctionInfo], train_ops: List[ast.expr], norms: List[BatchNorm]
         ) -> Optional[Fix]:
    """``train_op=X`` becomes ``train_op=tf.group(X, *<the update ops>)`` in every EstimatorSpec of the unit: the
    update ops then run in every training step.  For Keras layers, only where each is bound to a name in the
    function that builds the spec."""
    reference = analysis.v1_reference(train_ops[0])
    if reference is None or any(isinstance(o, ast.Constant) for t in train_ops for o in analysis.names.origins(t)):
        return None  # a train op that may be None (another mode) cannot be grouped
    v1, import_as = reference
    if norms[0].updates == COLLECTION:
        extra = f"*{v1}.get_collection({v1}.GraphKeys.UPDATE_OPS)"
    else:
        names = [n.layer_name for n in norms]
        functions = {analysis.names.enclosing_function(n.node) for n in norms}
        spec_functions = {analysis.names.enclosing_function(t) for t in train_ops}
        if None in names or len(functions) != 1 or functions != spec_functions:
            return None
        extra = ", ".join(f"*{name}.updates" for name in names)
    changes = [analysis.change(t, ("replace", (f"{v1}.group({analysis.code_of(t)}, {extra})",)))
               for t in train_ops]
    grouped = f"{v1}.group({analysis.code_of(train_ops[0])}, {extra})"
    title = f"make the train op `{grouped}`" + (f" (and {len(train_ops) - 1} more)" if len(train_ops) > 1 else "")
    return fix_of(*changes, title=title, add_import=((V1, import_as) if import_as else None))
