"""Which calls are Estimator exports, shared by the export rules."""
from typing import Iterator, Tuple

import libcst as cst

from tf_step_lint.analysis import Analysis
from tf_step_lint.analysis.estimators import EstimatorClass

EXPORT_METHODS = ("export_saved_model", "export_savedmodel", "experimental_export_all_saved_models")


def export_calls(analysis: Analysis) -> Iterator[Tuple[cst.Call, str, EstimatorClass]]:
    """(call, method, estimator class) for every export call whose receiver is surely an Estimator."""
    for site in analysis.index.calls:
        func = site.node.func
        if isinstance(func, cst.Attribute) and func.attr.value in EXPORT_METHODS:
            estimator = analysis.estimators.instance_of(func.value)
            if estimator is not None:
                yield site.node, func.attr.value, estimator
