"""Which calls are Estimator exports, shared by the export rules."""
import ast
from typing import Iterator, Tuple

from tf_step_lint.analysis import Analysis
from tf_step_lint.analysis.estimators import EstimatorClass

EXPORT_METHODS = ("export_saved_model", "export_savedmodel", "experimental_export_all_saved_models")


def export_calls(analysis: Analysis) -> Iterator[Tuple[ast.Call, str, EstimatorClass]]:
    """(call, method, estimator class) for every export call whose receiver is surely an Estimator."""
    for site in analysis.index.calls:
        func = site.node.func
        if isinstance(func, ast.Attribute) and func.attr in EXPORT_METHODS:
            estimator = analysis.estimators.instance_of(func.value)
            if estimator is not None:
                yield site.node, func.attr, estimator
