"""Whether the data an input_fn yields surely never ends: only then does ``train(max_steps=N)`` reach N.

An input that ends (``num_epochs`` epochs, a dataset repeated a given count) makes every ``train()`` run to the end
of its data, so ``max_steps`` is only a cap.  The evidence of an endless input is in this file's code: a
``Dataset.repeat()`` with no count, or a canned input function told ``num_epochs=None``, that the input_fn runs on
every call (not under a condition).  Anything else (an input_fn of another module, a count or epochs passed in) is
not evidence.
"""
import ast
from typing import Iterator, Set

from tf_step_lint.analysis.index import FUNCTION_TYPES, FunctionInfo, ModuleIndex, argument, has_star
from tf_step_lint.analysis.names import UNKNOWN, Names
from tf_step_lint.analysis.training import Training

# tf.compat.v1.estimator.inputs' input functions: (last name, position of num_epochs), both (x, y, batch_size,
# num_epochs, ...); their num_epochs defaults to 1, so only an explicit None repeats forever.
_CANNED_INPUT_FUNCTIONS = {"numpy_input_fn": 3, "pandas_input_fn": 3}
_TENSORFLOW_PACKAGES = ("tensorflow", "tensorflow_estimator")
# Statements whose inner code may not run (flow.py's Flow does not see a return before a call, so is not used).
_BRANCHING = tuple(getattr(ast, name) for name in ("If", "For", "AsyncFor", "While", "Try", "TryStar", "Match")
                   if hasattr(ast, name))
_NOT_ALWAYS_EVALUATED = (ast.Lambda, ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp)


class Inputs:
    def __init__(self, index: ModuleIndex, names: Names, training: Training):
        self.index = index
        self.names = names
        self.training = training

    def endless(self, input_fn: ast.expr) -> bool:
        """``input_fn`` (what ``train()`` is given) surely yields data forever: every value it may have is a
        function, lambda or ``functools.partial`` of this file whose code always repeats its data with no count,
        or a canned input function given ``num_epochs=None``."""
        return self._endless(input_fn, set())

    def _endless(self, input_fn: ast.expr, seen: Set) -> bool:
        origins = self.names.origins(input_fn)
        return bool(origins) and all(self._endless_origin(origin, seen) for origin in origins)

    def _endless_origin(self, origin, seen: Set) -> bool:
        if origin is UNKNOWN or origin in seen:
            return False
        seen.add(origin)
        if isinstance(origin, FUNCTION_TYPES):
            return self._runs_endless(self.index.function_of[origin], seen)
        if isinstance(origin, ast.Lambda):
            return any(self._endless_call(call, seen) for call in _always_called(origin.body))
        if isinstance(origin, ast.Call):
            if self.names.is_qualified(origin.func, "functools.partial"):
                target = argument(origin, 0, "func")
                return target is not None and self._endless(target, seen)
            return self._canned_endless(origin)
        return False

    def _runs_endless(self, function: FunctionInfo, seen: Set) -> bool:
        """Some call that ``function`` makes on every run yields endless data."""
        for statement in _always_run(function.node.body):
            if any(self._endless_call(call, seen) for call in _always_called(statement)):
                return True
        return False

    def _endless_call(self, call: ast.Call, seen: Set) -> bool:
        """``call`` repeats data forever: ``<dataset>.repeat()`` with no count, a canned input function given
        ``num_epochs=None``, or a function of this file that always makes such a call."""
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "repeat" and self.names.qualified_names(func) is None:
            return not has_star(call) and _no_count(argument(call, 0, "count"), call)  # (not tf.repeat, np.repeat)
        if self._canned_endless(call):
            return True
        functions = self.training.callable_functions(func)
        return bool(functions) and all(self._endless_origin(fn.node, seen) for fn in functions)

    def _canned_endless(self, call: ast.Call) -> bool:
        for path in self.names.qualified_names(call.func) or ():
            package, name = path.split(".")[0], path.rsplit(".", 1)[-1]
            if package in _TENSORFLOW_PACKAGES and name in _CANNED_INPUT_FUNCTIONS and not has_star(call):
                epochs = argument(call, _CANNED_INPUT_FUNCTIONS[name], "num_epochs")
                return isinstance(epochs, ast.Constant) and epochs.value is None
        return False


def _no_count(count, call: ast.Call) -> bool:
    """``repeat``'s count repeats forever: absent, None or -1."""
    if count is None:
        return not call.args and not call.keywords
    if isinstance(count, ast.UnaryOp) and isinstance(count.op, ast.USub) and isinstance(count.operand, ast.Constant):
        return count.operand.value == 1
    return isinstance(count, ast.Constant) and count.value is None


def _always_run(body) -> Iterator[ast.stmt]:
    """The statements of ``body`` that run whenever it does: not inside a branch or loop, nor after one that may
    return; ``with`` blocks are entered."""
    for statement in body:
        if isinstance(statement, (ast.With, ast.AsyncWith)):
            yield statement
            yield from _always_run(statement.body)
            continue
        if isinstance(statement, _BRANCHING):
            if any(isinstance(node, (ast.Return, ast.Raise)) for node in ast.walk(statement)):
                return
            continue
        if isinstance(statement, FUNCTION_TYPES + (ast.ClassDef,)):
            continue
        yield statement
        if isinstance(statement, (ast.Return, ast.Raise)):
            return


def _always_called(node: ast.AST) -> Iterator[ast.Call]:
    """The calls of ``node`` that run whenever it is evaluated: not in a branch of ``a if c else b`` or of
    ``and``/``or``, a lambda or a comprehension."""
    if isinstance(node, ast.Call):
        yield node
    if isinstance(node, ast.IfExp):
        yield from _always_called(node.test)
        return
    if isinstance(node, ast.BoolOp):
        yield from _always_called(node.values[0])
        return
    if isinstance(node, (*_NOT_ALWAYS_EVALUATED, *FUNCTION_TYPES, ast.ClassDef)):
        return
    if isinstance(node, (ast.With, ast.AsyncWith)):  # its body is walked as statements of their own
        for item in node.items:
            yield from _always_called(item)
        return
    for child in ast.iter_child_nodes(node):
        yield from _always_called(child)
