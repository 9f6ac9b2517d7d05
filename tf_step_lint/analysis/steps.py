"""The global step: where it is passed, what counts as the Estimator's step, and what increments it.

"Increments" is read generously, because its only use is to keep rules silent: every manual form of
real-code-patterns.md section 5 counts, and so does handing a step to code this file cannot see.
"""
import ast
from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from tf_step_lint.analysis.flow import Flow
from tf_step_lint.analysis.index import ClassInfo, FunctionInfo
from tf_step_lint.analysis.modules import Trainer, handed_a_reader
from tf_step_lint.analysis.names import Names, dotted, is_configuration
from tf_step_lint.analysis.optimizers import OptimizerKind, Optimizers
from tf_step_lint.analysis.index import argument, argument_values
from tf_step_lint.analysis.training import Training, method_of
from tf_step_lint.api import tf_api

OPTIMIZER_METHODS = ("minimize", "apply_gradients")
ASSIGN_METHODS = ("assign", "assign_add")  # of a variable: what increments it by hand


@dataclass(frozen=True)
class StepUse:
    """A call that is handed a training step: an optimizer method or a TF schedule that reads it."""

    call: ast.Call
    step: ast.expr
    optimizer: Optional[OptimizerKind]  # set for minimize/apply_gradients


@dataclass(frozen=True)
class Increment:
    call: ast.Call
    target: ast.expr  # what is incremented (the step expression)


class Steps:
    def __init__(self, names: Names, optimizers: Optimizers, training: Training):
        self.names = names
        self.optimizers = optimizers
        self.training = training
        self.v1_methods = tf_api().methods["v1_optimizer"]
        self._increments: Dict[FrozenSet[FunctionInfo], List[Increment]] = {}
        self._flows: Dict[FunctionInfo, Flow] = {}

    # -- what a step expression is ----------------------------------------------------------------
    def may_be_step(self, expr: ast.expr) -> bool:
        """``expr`` is, or may be, a step variable: got from a step getter, or named like one.  A count of steps
        (``warmup_steps``, ``NUM_TRAIN_STEPS``) and a string are not: handing one to other code moves no step."""
        if isinstance(expr, ast.Call):
            return self.names.calls(expr, "step_getter")
        if isinstance(expr, ast.Attribute) and is_configuration(expr.value):
            return False  # FLAGS.update_with_prev_timestep, params.ema_step: a setting, not a variable
        origins = self.names.origins(expr)
        name = expr.attr if isinstance(expr, ast.Attribute) else expr.id if isinstance(expr, ast.Name) else None
        if name is not None and _names_a_step(name):
            return not all(isinstance(o, ast.Constant) for o in origins)  # `first_step = 10` is a number
        return any(self.names.calls(o, "step_getter") for o in origins)

    # -- where a step is passed ------------------------------------------------------------------
    def optimizer_call(self, call: ast.Call) -> Optional[OptimizerKind]:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in OPTIMIZER_METHODS:
            return self.optimizers.kind(func.value, func.attr)
        return None

    def passed_step(self, call: ast.Call, kind: OptimizerKind) -> Optional[ast.expr]:
        """The global step given to minimize/apply_gradients, by keyword or (v1 contract) by position."""
        method = call.func.attr
        position = self.v1_methods[method]["params"].index("global_step") if kind.family == "v1" else None
        return argument(call, position, "global_step")

    def step_uses(self, functions: Iterable[FunctionInfo]) -> List[StepUse]:
        uses = []
        for fn in functions:
            for call in fn.calls:
                kind = self.optimizer_call(call)
                if kind is not None:
                    step = self.passed_step(call, kind)
                else:
                    symbol = self.names.symbol(call.func)
                    position = symbol.param_index("global_step") if symbol and symbol.kind == "step_consumer" else None
                    step = argument(call, position, "global_step")
                if step is not None and not _is_none(step):
                    uses.append(StepUse(call, step, kind))
        return uses

    # -- what increments a step -----------------------------------------------------------------
    def increments(self, unit: FrozenSet[FunctionInfo]) -> List[Increment]:
        """Every call in ``unit`` (a model_fn and what it reaches) that may increment a step; computed once."""
        if unit not in self._increments:
            self._increments[unit] = [Increment(call, target) for fn in unit for call in fn.calls
                                      if (target := self._incremented(call)) is not None
                                      and not self._another_variable(target)]
        return self._increments[unit]

    def _another_variable(self, target: ast.expr) -> bool:
        """``target`` is surely a variable of the code's own, not the global step: every value it may hold is made
        by ``tf.get_variable("global_step_disc", ...)`` or ``tf.Variable(...)`` under another name (a GAN's
        discriminator step)."""
        values = self.names.parameter_values(target) or [target]
        origins = [origin for value in values for origin in self.names.origins(value)]
        return bool(origins) and all(self._names_another_variable(origin) for origin in origins)

    def _names_another_variable(self, origin) -> bool:
        if not self.names.calls(origin, "variable_factory"):
            return False
        symbol = self.names.symbol(origin.func)
        name = argument(origin, symbol.param_index("name"), "name")
        return isinstance(name, ast.Constant) and isinstance(name.value, str) and name.value != "global_step"

    def increments_in_own_code(self, unit: FrozenSet[FunctionInfo]) -> bool:
        """Whether a call of ``unit`` other than one into another module may increment a step (the calls into other
        modules are not asked about: that would read those modules, and the answer leaves them out)."""
        return any(self.other_module_function(call) is None and self._incremented(call) is not None
                   for fn in unit for call in fn.calls)

    def increments_beside(self, call: ast.Call, unit: FrozenSet[FunctionInfo]) -> List[Increment]:
        """The increments of ``unit`` that run whenever ``call`` does: not those in another arm of an ``if`` that
        holds ``call`` (``if fp16: opt.minimize(loss) else: opt.minimize(loss, global_step=gs)``), nor those under a
        condition that ``call`` does not run under (``if FLAGS.log_steps: train_op = tf.group(train_op, inc)``)."""
        return [i for i in self.increments(unit) if not self._exclusive(i, call) and self._runs_whenever(i, call)]

    def increments_on_some_paths(self, call: ast.Call, unit: FrozenSet[FunctionInfo]) -> List[Increment]:
        """The increments of ``unit`` that may run with ``call``, but not whenever it does."""
        return [i for i in self.increments(unit) if not self._exclusive(i, call) and not self._runs_whenever(i, call)]

    def _exclusive(self, increment: Increment, call: ast.Call) -> bool:
        """No run reaches both: they lie in two arms of one ``if``, or one in a method and one in its override."""
        function, where = self.names.enclosing_function(call), self.names.enclosing_function(increment.call)
        if function is None or where is None:
            return False
        if function is where:
            return self.flow(function).exclusive(call, increment.call)
        return self.training.overrides_another(function, where)

    def _runs_whenever(self, increment: Increment, call: ast.Call) -> bool:
        """Conditions are matched by their text: the same test written twice is taken to give the same answer.  A
        condition on the training mode (``mode == ModeKeys.TRAIN``, ``FLAGS.do_train``) or on the step itself
        (``if global_step is not None``) holds wherever the train op runs, and code after ``if mode == TRAIN:
        return ...`` never runs while training."""
        if self._after_the_training_return(increment.call):
            return False
        held = {(ast.dump(test), arm) for test, arm in self._guards(call)}
        step = _dotted_names(increment.target)
        return all((ast.dump(test), arm) in held or _holds_while_training(test, step)
                   for test, arm in self._guards(increment.call))

    def _after_the_training_return(self, node: ast.AST) -> bool:
        """``node`` comes after a statement of its def that returns in training mode (``if mode == TRAIN: return
        spec``): an increment there, a head's ``train_op_fn`` for the evaluation spec, never runs in training."""
        function = self._outermost_def(node)
        if function is None:
            return False
        for statement in function.node.body:
            if statement.lineno > node.lineno:
                return False
            if (isinstance(statement, ast.If) and statement.end_lineno < node.lineno and statement.body
                    and isinstance(statement.body[-1], ast.Return) and _tests_training_mode(statement.test)):
                return True
        return False

    def _guards(self, call: ast.Call) -> List[Tuple[ast.expr, str]]:
        """The ``if`` arms ``call`` runs under, those around the defs it is nested in included (a helper defined
        in one arm): read in the flow of the outermost def, which holds its nested defs' calls."""
        function = self._outermost_def(call)
        return self.flow(function).guards(call) if function is not None else []

    def _outermost_def(self, node: ast.AST) -> Optional[FunctionInfo]:
        function = self.names.enclosing_function(node)
        while function is not None and function.parent is not None:
            function = function.parent
        return function

    def _incremented(self, call: ast.Call) -> Optional[ast.expr]:
        """The step ``call`` may increment, if any."""
        kind = self.optimizer_call(call)
        if kind is not None:
            step = self.passed_step(call, kind)
            may_increment = kind.family == "unknown" or kind.may_increment
            return step if step is not None and not _is_none(step) and may_increment else None
        func = call.func
        symbol = self.names.symbol(func)
        if symbol is not None:
            values = argument_values(call) if symbol.kind == "assign_function" else []
            if values and self.may_be_step(values[0]):
                return values[0]
            return None  # any other TensorFlow function only reads the step
        if isinstance(func, ast.Attribute) and func.attr in ASSIGN_METHODS:
            return func.value if self.may_be_step(func.value) else None
        handed = next((value for value in argument_values(call) if self.may_be_step(value)), None)
        passed = self.training.passed_callables(func)
        if passed:  # a callable parameter: each function of this file handed in is in the model_fn's reach
            reads = all(self.training.callable_functions(value) or self._only_reads(value) for value in passed)
            return None if reads else handed
        if self._handed_readers_only(func):
            return None
        maker = self._maker(func)
        if self.names.is_library(maker or func) or self.training.callable_functions(func):
            return None  # TensorFlow's (a Keras schedule called on the step, say) only reads it; a same-file helper
            # is analysed on its own
        fact = self.optimizers.fact_of(maker or func)
        if fact is not None:  # another module of the project says whether it increments (it may get the step itself)
            if handed is not None:
                return handed if fact.increments else None
            return call if fact.increments_itself else None
        # Code this file cannot see (optimize_loss, another module's create_train_op) may increment it.
        return handed

    def readers_handed(self, call: ast.Call) -> List[str]:
        """The keywords of ``call`` given a callable whose code increments no step handed to it."""
        return [k.arg for k in call.keywords if k.arg is not None and self._reader(k.value)]

    def _reader(self, value: ast.expr) -> bool:
        functions = self.training.callable_functions(value)
        if functions:
            return not any(self.increments_when_called(fn)[0] for fn in functions)
        return self._only_reads(value)

    def _handed_readers_only(self, func: ast.expr) -> bool:
        """``func`` is a parameter of a function that model_fns of other modules call, each handing it a callable
        that only reads a step (see Analysis.cross_module_calls)."""
        parameter = self.names.parameter(func)
        return (parameter is not None
                and handed_a_reader(parameter[0].name, parameter[1].arg) in self.training.external_roots)

    def _only_reads(self, value: ast.expr) -> bool:
        """Calling ``value`` (what a caller hands in for a callable parameter) increments no step handed to it: a
        lambda whose calls increment none, or what a library or another module of the project says only reads."""
        if isinstance(value, ast.Lambda):
            return not any(self._incremented(call) is not None for call in ast.walk(value.body)
                           if isinstance(call, ast.Call))
        if isinstance(value, ast.Name):  # `learning_rate_fn = schedules.with_decay(0.1)`
            origins = self.names.origins(value)
            return bool(origins) and all(isinstance(o, (ast.Call, ast.Lambda)) and self._only_reads(o) for o in origins)
        maker = value.func if isinstance(value, ast.Call) else value  # a factory's product, or a function
        if self.names.is_library(maker):
            return True
        fact = self.optimizers.fact_of(maker)
        return fact is not None and not fact.increments

    def _maker(self, func: ast.expr) -> Optional[ast.expr]:
        """For an object called (``Schedule(lr)(step)``, or a name bound to ``Schedule(lr)``), the callable that
        made it: its class's methods decide what calling it does."""
        origins = [func] if isinstance(func, ast.Call) else self.names.origins(func)
        if len(origins) != 1 or not isinstance(origins[0], ast.Call):
            return None
        return None if self.names.is_qualified(origins[0].func, "functools.partial") else origins[0].func  # runs
        # what it wraps

    def increments_when_called(self, function: FunctionInfo) -> Tuple[bool, bool]:
        """Whether calling ``function`` may increment a step handed to it (something it reaches in this file
        increments one, or hands one on to code that may), and whether it increments the global step it gets itself
        (``tf.train.get_or_create_global_step().assign_add(1)``), which moves the step even when nothing is handed
        to it."""
        handed = itself = False
        for fn in self.training.reach(function):
            for call in fn.calls:
                target = self._incremented(call)
                if target is not None:
                    handed = True
                    itself = itself or target is call or self.is_global_step(target)
        return handed, itself

    def trainer(self, klass: ClassInfo) -> Trainer:
        """The methods a model_fn of ``klass`` calls on ``self`` where nothing outside that method's definitions
        increments a step, so that whether the step moves is up to the method, and to a subclass that overrides it
        in another module; and the entry methods that lead to those model_fns (the one a model_fn is, or is nested
        in, and the methods that call it on ``self``), through which a subclass is trained."""
        trained: Set[str] = set()
        entries: Set[str] = set()
        for unit, root in zip(self.training.units, self.training.model_fns):
            called = {call.func.attr for fn in unit if (method := method_of(fn)) is not None and method.owner is klass
                      for call in fn.calls if _is_self_method(call.func) and call.func.attr in klass.methods}
            elsewhere = {method.name if (method := method_of(self.names.enclosing_function(i.call))) else None
                         for i in self.increments(unit)}
            found = {name for name in called if not elsewhere - {name}}
            entry = method_of(root)
            if found and entry is not None and entry.owner is klass:
                trained |= found
                entries |= self._callers_on_self(klass, entry.name)
        return Trainer(frozenset(trained), frozenset(entries))

    @staticmethod
    def _callers_on_self(klass: ClassInfo, name: str) -> Set[str]:
        """``name`` and the methods of ``klass`` that call it on ``self``, directly or through each other."""
        found = {name}
        while True:
            more = {method.name for method in klass.methods.values() if method.name not in found
                    and any(_is_self_method(c.func) and c.func.attr in found for c in method.calls)}
            if not more:
                return found
            found |= more

    def flow(self, function: FunctionInfo) -> Flow:
        if function not in self._flows:
            self._flows[function] = Flow(function.node)
        return self._flows[function]

    def is_global_step(self, expr: ast.expr) -> bool:
        origins = self.names.origins(expr)
        return bool(origins) and all(self.names.calls(origin, "step_getter") for origin in origins)

    def other_module_function(self, call: ast.Call) -> Optional[str]:
        """`optimization.create_optimizer(...)`: the dotted name the call runs, when it is neither TensorFlow, a
        library, nor code of this file, so possibly a function of another module of the project."""
        qualified = self.names.qualified_names(call.func)
        if not qualified or len(qualified) != 1 or self.names.is_library(call.func):
            return None
        return None if self.training.callable_functions(call.func) else next(iter(qualified))


def _names_a_step(name: str) -> bool:
    """``global_step``, ``step``, ``self.train_step``: yes; ``warmup_steps``, ``MAX_STEP`` (a constant): no."""
    lowered = name.lower()
    return "step" in lowered and not lowered.endswith("steps") and not name.isupper()


def _holds_while_training(test: ast.expr, step: Set[str]) -> bool:
    """``test`` is of the mode or a training flag, or of the step: true wherever the train op runs."""
    words = _dotted_names(test)
    return bool(words & step) or any("train" in word.lower() for word in words) or any(
        isinstance(node, ast.Constant) and isinstance(node.value, str) and "train" in node.value.lower()
        for node in ast.walk(test))


def _tests_training_mode(test: ast.expr) -> bool:
    """``mode == tf.estimator.ModeKeys.TRAIN`` (or ``"train"``), either way round."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = (test.left, test.comparators[0])
    return any((dotted(side) or "").endswith("ModeKeys.TRAIN") or (isinstance(side, ast.Constant) and side.value ==
                                                                   "train") for side in sides)


def _dotted_names(expr: ast.AST) -> Set[str]:
    """The names and attribute chains in ``expr`` (``global_step``, ``tf.estimator.ModeKeys.TRAIN``)."""
    return {text for node in ast.walk(expr) if isinstance(node, (ast.Name, ast.Attribute))
            and (text := dotted(node)) is not None}


def _is_self_method(func: ast.expr) -> bool:
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self"


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None
