"""TSL102: a variable of the model's own used as the training step instead of the Estimator's global step."""
import ast
from typing import Iterable, List, Optional, Set, Tuple

from tf_step_lint.analysis import Analysis
from tf_step_lint.analysis.index import argument
from tf_step_lint.analysis.steps import StepUse
from tf_step_lint.finding import Finding
from tf_step_lint.analysis.steps import OPTIMIZER_METHODS
from tf_step_lint.api import tf_api
from tf_step_lint.rules.base import ESTIMATOR, TENSORFLOW, Rule, step_fix

VARIABLE = "variable_factory"
CONSEQUENCE = (
    "the Estimator stops on its own global_step, which never moves: train(max_steps=...) never ends and "
    "checkpoints keep the initial weights; use tf.compat.v1.train.get_or_create_global_step()"
)
ALREADY_EXISTS = (
    "raises ValueError: Variable global_step already exists, disallowed. Did you mean to set reuse=True or "
    "reuse=tf.AUTO_REUSE in VarScope?; use tf.compat.v1.train.get_or_create_global_step()"
)
MODULE_LEVEL = (
    "is created outside the model_fn and used as its global_step: in TF2 this raises AttributeError: Tensor.op is "
    "undefined when eager execution is enabled (or RuntimeError: Attempting to capture an EagerTensor); create it "
    "inside the model_fn with tf.compat.v1.train.get_or_create_global_step()"
)


class CustomStepVariable(Rule):
    code = "TSL102"
    name = "custom-step-variable"
    requires = (TENSORFLOW, ESTIMATOR, ("global_step", *OPTIMIZER_METHODS, *tf_api().names_of_kind("step_consumer")))

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        uses = [u for u in analysis.steps.step_uses(analysis.training.functions)
                if u.optimizer is None or u.optimizer.family == "v1"]
        step_nodes = {u.step for u in uses}
        reported: Set[ast.AST] = set()
        for use in uses:
            variable = self._variable(analysis, use.step)
            if variable is None:
                continue
            if variable.where != "module":  # a module-level step breaks every use; others are reported once
                if variable.creation in reported:
                    continue
                itself, others = self._increments(analysis, use, variable.creations)
                if others:
                    continue  # the real step moves elsewhere: this is a second counter (GAN-style)
                if itself and use.optimizer is None:
                    continue  # a separate, hand-incremented counter driving a schedule: legitimate
                reported.add(variable.creation)
            yield self._report(analysis, use, variable, step_nodes)

    def _variable(self, analysis: Analysis, step: ast.expr) -> Optional["_StepVariable"]:
        if isinstance(step, ast.Call):
            return _StepVariable.of([step], analysis, "inline") if analysis.names.calls(step, VARIABLE) else None
        origins = analysis.names.origins(step)
        if not origins or not all(isinstance(o, ast.Call) for o in origins):
            return None
        if isinstance(step, ast.Name) and analysis.names.is_module_level(step):
            if all(analysis.names.calls(o, VARIABLE, "step_getter", "step_creator") for o in origins):
                return _StepVariable.of(origins, analysis, "module")
            return None
        if not all(analysis.names.calls(o, VARIABLE) for o in origins):
            return None
        return _StepVariable.of(origins, analysis, "attribute" if isinstance(step, ast.Attribute) else "local")

    @staticmethod
    def _increments(analysis: Analysis, use: StepUse, creations: List[ast.Call]) -> Tuple[bool, bool]:
        """(this variable is incremented, something else is), in the model_fns that make ``use``."""
        itself = others = False
        for unit in analysis.training.units_containing(analysis.names.enclosing_function(use.call)):
            for increment in analysis.steps.increments(unit):
                origins = analysis.names.origins(increment.target)
                if origins and all(o in creations for o in origins):
                    itself = True
                else:
                    others = True
        return itself, others

    def _report(self, analysis: Analysis, use: StepUse, variable: "_StepVariable", step_nodes) -> Finding:
        where = variable.where
        if where == "module":
            message = f"`{analysis.code_of(use.step)}` {MODULE_LEVEL}"
            fix = None
            if self._only_used_as_step(analysis, use.step, step_nodes):
                fix = step_fix(analysis, use.step, lambda step: [analysis.change(use.step, ("replace", (step,)))],
                               lambda step: f"replace `{analysis.code_of(use.step)}` with `{step}`")
            return self.finding(analysis, use.step, message, fix)
        message = variable.describe(analysis)
        fix = None
        if where == "inline" or (where == "local" and len(variable.creations) == 1
                                 and self._only_used_as_step(analysis, use.step, step_nodes)):
            creation = variable.creation
            fix = step_fix(analysis, creation, lambda step: [analysis.change(creation, ("replace", (step,)))],
                           lambda step: f"replace `{analysis.code_of(creation)}` with `{step}`")
        return self.finding(analysis, variable.creation if where != "attribute" else use.step, message, fix)

    @staticmethod
    def _only_used_as_step(analysis: Analysis, name: ast.expr, step_nodes) -> bool:
        """Every read of the variable is a global_step argument, so swapping it changes nothing else."""
        if not isinstance(name, ast.Name):
            return False
        scope = analysis.names.scopes.get(name)
        assignments = scope[name.id] if scope is not None else ()
        references = [ref for a in assignments for ref in analysis.index.references(a)]
        if assignments and all(a.scope is a.scope.globals for a in assignments):
            references = [r for r in references if analysis.names.enclosing_function(r) in analysis.training.functions]
        return bool(references) and all(r in step_nodes for r in references)


class _StepVariable:
    def __init__(self, creations: List[ast.Call], where: str, name: Optional[str]):
        self.creations = creations
        self.creation = creations[0]
        self.where = where  # inline, local, attribute, module
        self.name = name

    @classmethod
    def of(cls, creations, analysis: Analysis, where: str) -> "_StepVariable":
        return cls(list(creations), where, _variable_name(analysis, creations[0]))

    def describe(self, analysis: Analysis) -> str:
        call = self.creation
        symbol = analysis.names.symbol(call.func)
        text = f"`{symbol.public_name}({'...' if call.args or call.keywords else ''})`"
        if self.name == "global_step" and "get_variable" in symbol.key:
            return f"{text} creating \"global_step\" inside a model_fn {ALREADY_EXISTS}"
        if self.name == "global_step":
            return (f"{text} named \"global_step\" is not the Estimator's global step (TensorFlow silently renames it "
                    f"\"global_step_1\"): {CONSEQUENCE}")
        if _is_float(analysis, call):
            return (f"{text} is a float variable used as the training step, not the Estimator's global step: "
                    f"{CONSEQUENCE}")
        named = f" (\"{self.name}\")" if self.name else ""
        return f"{text}{named} is used as the training step but is not the Estimator's global step: {CONSEQUENCE}"


def _variable_name(analysis: Analysis, call: ast.Call) -> Optional[str]:
    symbol = analysis.names.symbol(call.func)
    position = symbol.param_index("name") if symbol else None
    value = argument(call, position, "name")
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    return None


def _is_float(analysis: Analysis, call: ast.Call) -> bool:
    symbol = analysis.names.symbol(call.func)
    initial = argument(call, symbol.param_index("initial_value"), "initial_value")
    if isinstance(initial, ast.Constant) and isinstance(initial.value, float):
        return True
    dtype = argument(call, symbol.param_index("dtype"), "dtype")
    return dtype is not None and any(q.rsplit(".", 1)[-1].startswith("float")
                                     for q in analysis.names.qualified_names(dtype) or ())
