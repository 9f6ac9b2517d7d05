"""TSL109: a canned Estimator given a Keras optimizer its training rejects."""
import ast
from typing import Iterable, Optional, Tuple

from tf_step_lint.analysis import Analysis
from tf_step_lint.analysis.index import FUNCTION_TYPES, argument
from tf_step_lint.analysis.names import UNKNOWN
from tf_step_lint.api import Symbol
from tf_step_lint.finding import UNSAFE, Finding, Fix
from tf_step_lint.rules.base import TENSORFLOW, Rule, fix_of, legacy_keras_spelling

MESSAGE = ("`{estimator}` is given {optimizer} as `{parameter}`: train() raises {error}; {remedy}")
REMEDY = {"keras": "use tf.keras.optimizers.legacy.{name}, or the optimizer's name as a string",
          "keras_legacy": "the v1 canned Estimators take a tf.compat.v1.train optimizer or the optimizer's name as a "
                          "string"}


class CannedEstimatorKerasOptimizer(Rule):
    code = "TSL109"
    name = "canned-estimator-keras-optimizer"
    requires = (TENSORFLOW, ("optimizer",), ("optimizers",))
    since = (2, 11)  # before 2.11, tf.keras.optimizers.X is the legacy class the v2 canned Estimators take

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        for site in analysis.index.calls:
            call = site.node
            estimator = analysis.estimators.class_of(call.func)
            rejected = estimator.symbol.info.get("optimizer_arguments") if estimator is not None else None
            if not rejected or estimator.overridden:
                continue
            init = estimator.symbol.info["init"]
            for parameter, errors in rejected.items():
                value = argument(call, init.index(parameter), parameter)
                found = _keras_optimizer(analysis, value, 0) if value is not None else None
                if found is None:
                    continue
                construction, keras_class = found
                family = "keras_legacy" if keras_class.info["legacy"] else "keras"
                error = errors.get(family)
                if error is None:
                    continue
                name = keras_class.public_name.rsplit(".", 1)[-1]
                yield self.finding(analysis, value, MESSAGE.format(
                    estimator=estimator.display_name, optimizer=f"the Keras optimizer {keras_class.public_name}",
                    parameter=parameter, error=error, remedy=REMEDY[family].format(name=name)),
                    _fix(analysis, construction, keras_class) if family == "keras" else None)


def _keras_optimizer(analysis: Analysis, value: ast.expr, depth: int) -> Optional[Tuple[ast.Call, Symbol]]:
    """The construction and class of the Keras optimizer ``value`` surely is, or surely returns when called with
    no argument (a lambda, a function)."""
    origins = analysis.names.origins(value)
    if len(origins) != 1 or origins[0] is UNKNOWN or depth > 5:
        return None
    origin = origins[0]
    if isinstance(origin, ast.Call):
        symbol = analysis.names.symbol(origin.func)
        return (origin, symbol) if symbol is not None and symbol.kind == "keras_optimizer" else None
    if isinstance(origin, ast.Lambda):
        return _keras_optimizer(analysis, origin.body, depth + 1) if not _has_parameters(origin) else None
    if isinstance(origin, FUNCTION_TYPES):
        function = analysis.index.function_of[origin]
        if _has_parameters(origin) or len(function.returns) != 1:
            return None
        return _keras_optimizer(analysis, function.returns[0], depth + 1)
    return None


def _has_parameters(function) -> bool:
    args = function.args
    return bool(args.posonlyargs or args.args or args.vararg or args.kwonlyargs or args.kwarg)


def _fix(analysis: Analysis, construction: ast.Call, keras_class: Symbol) -> Optional[Fix]:
    """The legacy class of the same name; unsafe, as TSL103's: another implementation, whose slots and defaults
    may differ."""
    module = legacy_keras_spelling(analysis, construction.func, keras_class)
    if module is None or module is construction.func:
        return None
    return fix_of(analysis.change(module, ("append_attributes", (("legacy",),))),
                  title=f"use `{analysis.code_of(module)}.legacy.{construction.func.attr}`",
                  applicability=UNSAFE)
