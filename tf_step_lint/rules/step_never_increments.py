"""TSL101: a v1 optimizer step in a model_fn that never moves the global step."""
from typing import Iterable

from tf_step_lint.analysis import Analysis
from tf_step_lint.analysis.index import has_star
from tf_step_lint.finding import Finding
from tf_step_lint.analysis.steps import OPTIMIZER_METHODS
from tf_step_lint.rules.base import ESTIMATOR, TENSORFLOW, Rule, step_fix


CONSEQUENCE = "Estimator.train(max_steps=...) never stops and checkpoints keep the initial weights; "
REMEDY = {
    True: "pass global_step=tf.compat.v1.train.get_or_create_global_step()",
    False: "increment it with the train op: tf.group(train_op, [global_step.assign_add(1)])",
}


class StepNeverIncrements(Rule):
    code = "TSL101"
    name = "step-never-increments"
    # A class may override the method another module's model_fn builds its train op with (Steps.trainer).
    requires = (TENSORFLOW, (*ESTIMATOR, "class "), OPTIMIZER_METHODS)

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        for site in analysis.index.calls:
            call = site.node
            kind = analysis.steps.optimizer_call(call)
            if kind is None or kind.family != "v1" or not (kind.may_increment or kind.user_class):
                continue
            units = analysis.training.units_containing(site.function)
            if not units or has_star(call):
                continue
            if kind.may_increment and analysis.steps.passed_step(call, kind) is not None:
                continue  # given the step (an explicit None is a choice: GAN code)
            if any(analysis.steps.increments_beside(call, unit) for unit in units):
                continue
            method = call.func.attr
            elsewhere = sorted({i.call.lineno for unit in units
                                for i in analysis.steps.increments_on_some_paths(call, unit)})
            nothing_else = (f"the increment on line {elsewhere[0]} does not run on every path this call runs on"
                            if elsewhere else "nothing else increments it")
            remedy = REMEDY[kind.increments_step and not elsewhere]
            if kind.increments_step:
                message = f"`{method}()` of {kind.description} is given no global_step and {nothing_else}"
                fix = None if elsewhere else step_fix(analysis, call, lambda step, call=call: [
                    analysis.change(call, ("add_keyword", ("global_step", step)))],
                    lambda step: f"pass `global_step={step}`")  # (given the step, it would
                # move twice where the other increment runs)
            elif kind.partly:
                message = (f"`{method}()` of {kind.description} is given no global_step, {kind.user_class} "
                           f"would ignore it anyway, and {nothing_else}")
                fix = None  # the step would move for some of the classes only
            else:
                message = (f"`{method}()` of {kind.description}, whose apply_gradients ignores global_step, and "
                           f"{nothing_else}")
                fix = None  # passing the step would change nothing; where to increment it is the author's call
            yield self.finding(analysis, analysis.attr_position(call.func),
                               f"{message}: {CONSEQUENCE}{remedy}", fix)
