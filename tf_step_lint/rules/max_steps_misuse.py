"""TSL108: ``Estimator.train`` told a ``max_steps`` that a loop repeats, on an input that never ends, or given both
``steps`` and ``max_steps``."""
import ast
from typing import Iterable, Optional

from tf_step_lint.analysis import Analysis
from tf_step_lint.analysis.estimators import attributes_assigned_in, names_bound_in
from tf_step_lint.analysis.index import argument, has_star
from tf_step_lint.finding import UNSAFE, Finding, Fix
from tf_step_lint.rules.base import TENSORFLOW, Rule, fix_of

BOTH = ("`train()` is given both `steps` and `max_steps`: raises ValueError: Can not provide both steps and "
        "max_steps.; keep one")
REPEATED = ("`train(max_steps={value})` in a loop, with the same value every time: max_steps is the total step "
            "count, so from the second call on training is skipped (logged only at INFO: \"Skipping training "
            "since max_steps has already saved\"); `steps=` trains that many more each time, which is what the loop "
            "means")
_PURE_BUILTINS = frozenset({"int", "float", "min", "max", "round", "abs", "len"})
_NUMBERS = tuple(f"builtins.{name}" for name in _PURE_BUILTINS)  # what they return is never None


class MaxStepsMisuse(Rule):
    code = "TSL108"
    name = "max-steps-misuse"
    requires = (TENSORFLOW, ("max_steps",))

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        for site in analysis.index.calls:
            call, func = site.node, site.node.func
            if not (isinstance(func, ast.Attribute) and func.attr == "train"):
                continue
            estimator = analysis.estimators.instance_of(func.value)
            spec = estimator.method("train") if estimator is not None else None
            if spec is None or has_star(call):
                continue
            params = spec["params"]
            steps = _given(argument(call, params.index("steps"), "steps"))
            max_steps = _given(argument(call, params.index("max_steps"), "max_steps"))
            if max_steps is None:
                continue
            if steps is not None:
                if _surely_given(analysis, steps) and _surely_given(analysis, max_steps):
                    yield self.finding(analysis, call, BOTH)
            elif (_surely_given(analysis, max_steps) and _reaches_max_steps(analysis, call, params)
                  and _repeated(analysis, call, max_steps, site.function or analysis.tree)):  # (a notebook's loop
                # is the module's own code)
                yield self.finding(analysis, max_steps, REPEATED.format(value=analysis.code_of(max_steps)),
                                   _fix(analysis, call))


def _given(value: Optional[ast.expr]) -> Optional[ast.expr]:
    """The argument, unless absent or a literal None."""
    return None if value is None or (isinstance(value, ast.Constant) and value.value is None) else value


def _surely_given(analysis: Analysis, value: ast.expr) -> bool:
    """``value`` cannot be None: every value it may have is seen, and none is None (a parameter or a flag may be
    None, and a helper given either one of the two is right); arithmetic and ``int(...)`` never give None."""
    origins = analysis.names.origins(value)
    return bool(origins) and all(
        isinstance(o, ast.BinOp) or (isinstance(o, ast.Constant) and o.value is not None)
        or (isinstance(o, ast.Call) and analysis.names.is_qualified(o.func, *_NUMBERS)) for o in origins)


def _reaches_max_steps(analysis: Analysis, call: ast.Call, params) -> bool:
    """The first call trains up to max_steps: its input never ends.  A finite input (``num_epochs`` epochs) ends
    every call at the end of its data, and max_steps is only a cap (TensorFlow's official resnet run loop)."""
    input_fn = argument(call, params.index("input_fn"), "input_fn")
    return input_fn is not None and analysis.inputs.endless(input_fn)


def _repeated(analysis: Analysis, call: ast.Call, max_steps: ast.expr, function) -> bool:
    """Some loop around ``call`` repeats it with the same ``max_steps`` on the same Estimator: nothing in the value
    is bound or assigned in the loop, no call in it may answer differently, and the Estimator is not rebuilt
    there."""
    receiver = call.func.value
    for loop in analysis.lifecycles.loops_around(call, function):
        bound, assigned = names_bound_in(loop), attributes_assigned_in(loop)
        if isinstance(receiver, ast.Name) and receiver.id in bound:
            continue  # a new Estimator (maybe a new model_dir) each time
        if _constant_across(max_steps, bound, assigned):
            return True
    return False


def _constant_across(value: ast.expr, bound, assigned) -> bool:
    for node in ast.walk(value):
        if isinstance(node, ast.Name) and node.id in bound:
            return False
        if isinstance(node, ast.Attribute) and ast.unparse(node) in assigned:
            return False
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in _PURE_BUILTINS):
            return False  # a call may answer differently each time (the step read from the checkpoint)
        if isinstance(node, (ast.NamedExpr, ast.Await, ast.Yield)):
            return False
    return True


def _fix(analysis: Analysis, call: ast.Call) -> Optional[Fix]:
    """``max_steps=`` renamed ``steps=``; unsafe: run again on the same model_dir, the program trains further than
    the total it trained to before."""
    if not any(k.arg == "max_steps" for k in call.keywords):
        return None  # given by position: renaming is not enough
    return fix_of(analysis.change(call, ("rename_keyword", ("max_steps", "steps"))), title="pass `steps=` instead",
                  applicability=UNSAFE)
