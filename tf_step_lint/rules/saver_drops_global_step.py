"""TSL203: a checkpoint saver whose var_list leaves out the global step, writing what an Estimator restores."""
import ast
from typing import Iterable, List, Optional, Set

from tf_step_lint.analysis import Analysis
from tf_step_lint.analysis.index import Binding, children
from tf_step_lint.analysis.index import argument
from tf_step_lint.finding import UNSAFE, Finding, Fix
from tf_step_lint.rules.base import ESTIMATOR, TENSORFLOW, Rule, argument_index, fix_of

MESSAGE = (
    "the checkpoint saver's var_list leaves out global_step: training runs, but its checkpoints lack it, so "
    "Estimator predict/evaluate raise NotFoundError: ... Key global_step not found in checkpoint, export raises "
    "ValueError: Could not load all requested variables from checkpoint, and the next train() raises RuntimeError: "
    "Init operations did not make model ready; use tf.compat.v1.train.Saver() with its default var_list"
)
RESTORED = (
    "this Saver's var_list leaves out global_step, and the checkpoint it writes is restored by an Estimator "
    "(line {line}): train, predict and evaluate raise NotFoundError: ... Key global_step not found in checkpoint, "
    "export raises ValueError: Could not load all requested variables from checkpoint; save a step created with "
    "tf.compat.v1.train.get_or_create_global_step() too, or repair the file with "
    "`tf-step-lint checkpoint add-global-step`"
)
# Where a checkpoint-writing saver is handed over: Scaffold(saver=...) and CheckpointSaverHook(saver=...).
SAVER_TAKERS = ("scaffold", "checkpoint_saver_hook")


class SaverDropsGlobalStep(Rule):
    code = "TSL203"
    name = "saver-drops-global-step"
    requires = (TENSORFLOW, ESTIMATOR, ("Saver",))

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        names = analysis.names
        reported = set()
        for function in analysis.training.functions:
            for call in function.calls:
                taker = names.symbol(call.func)
                if taker is None or taker.kind not in SAVER_TAKERS:
                    continue
                saver_arg = argument(call, taker.param_index("saver"), "saver")
                origins = names.origins(saver_arg) if saver_arg is not None else []
                for saver in origins:
                    var_list = self._stepless_var_list(analysis, saver) if names.calls(saver, "saver") else None
                    if var_list is not None and var_list not in reported:
                        reported.add(var_list)
                        yield self.finding(analysis, var_list, MESSAGE, self._fix(analysis, saver, var_list))
        yield from self._restored_elsewhere(analysis, reported)

    def _restored_elsewhere(self, analysis: Analysis, reported: Set) -> Iterable[Finding]:
        """A Saver outside the model_fn whose saved path an Estimator restores: linked by the same variable
        (model_dir=, checkpoint_path=), never by spelling."""
        restores = [(path, _bindings(analysis, path)) for path in self._restore_paths(analysis)]
        if not restores:
            return
        names = analysis.names
        for site in analysis.index.calls:
            call, func = site.node, site.node.func
            if site.function in analysis.training.functions or not (
                    isinstance(func, ast.Attribute) and func.attr == "save"):
                continue
            savers = names.origins(func.value)
            if not savers or not all(names.calls(s, "saver") for s in savers):
                continue
            save = names.symbol(savers[0].func).info["methods"]["save"]["params"]
            path = argument(call, save.index("save_path"), "save_path")
            if path is None:
                continue
            linked = _bindings(analysis, path)
            for restore, bindings in restores:
                if not (linked & bindings or call in names.origins(restore)):
                    continue
                for saver in savers:
                    var_list = self._stepless_var_list(analysis, saver)
                    if var_list is not None and var_list not in reported:
                        reported.add(var_list)
                        yield self.finding(analysis, var_list, RESTORED.format(line=analysis.position(restore)[0]))
                break

    @staticmethod
    def _restore_paths(analysis: Analysis) -> List[ast.expr]:
        """What Estimators restore from: their model_dir=, and checkpoint_path= of their methods."""
        paths = []
        for site in analysis.index.calls:
            call, func = site.node, site.node.func
            klass = analysis.estimators.class_of(func)
            if klass is not None:
                init = klass.symbol.info["init"]
                position = init.index("model_dir") if "model_dir" in init and not klass.overridden else None
                paths.append(argument(call, position, "model_dir"))
            elif isinstance(func, ast.Attribute) and analysis.estimators.instance_of(func.value) is not None:
                paths.append(argument(call, None, "checkpoint_path"))
        return [p for p in paths if p is not None]

    def _stepless_var_list(self, analysis: Analysis, saver: ast.Call) -> Optional[ast.expr]:
        """The var_list of a Saver(...) call, when it surely leaves out the global step."""
        var_list = argument(saver, analysis.names.symbol(saver.func).param_index("var_list"), "var_list")
        return var_list if var_list is not None and self._leaves_out_step(analysis, var_list) else None

    def _leaves_out_step(self, analysis: Analysis, var_list: ast.expr) -> bool:
        """Surely without the global step: a TF variable list that excludes it, or a literal of other variables."""
        names = analysis.names
        if isinstance(var_list, (ast.List, ast.Tuple, ast.Set)):
            return bool(var_list.elts) and all(self._other_variable(analysis, e) for e in var_list.elts)
        if isinstance(var_list, ast.Dict):  # a None key is `**other`
            return bool(var_list.values) and all(
                key is not None and self._other_variable(analysis, value)
                for key, value in zip(var_list.keys, var_list.values))
        origins = names.origins(var_list)
        return bool(origins) and all(
            names.calls(o, "variable_list") and not names.symbol(o.func).info["includes_global_step"]
            for o in origins)

    def _other_variable(self, analysis: Analysis, value: ast.expr) -> bool:
        """A list element (or dict value) that is a variable created here under another name than global_step."""
        if isinstance(value, ast.Starred):
            return False
        if analysis.steps.may_be_step(value):
            return False
        origins = analysis.names.origins(value)
        return bool(origins) and all(analysis.names.calls(o, "variable_factory") for o in origins)

    @staticmethod
    def _fix(analysis: Analysis, saver: ast.Call, var_list: ast.expr) -> Optional[Fix]:
        """Drop var_list, when no positional argument after it would shift into its place."""
        arg = next((k for k in saver.keywords if k.value is var_list), var_list)
        # the arguments without a keyword, as LibCST lists them: `**kwargs` (always after the others) among them
        positional = [*saver.args, *(k for k in saver.keywords if k.arg is None)]
        if not isinstance(arg, ast.keyword) and positional[-1] is not arg:
            return None
        # it saves what var_list left out
        return fix_of(analysis.change(saver, ("remove_argument", (argument_index(saver, arg),))),
                      title=f"remove `{analysis.code_of(arg)}`", applicability=UNSAFE)


def _bindings(analysis: Analysis, expr: ast.expr) -> Set[Binding]:
    """The variables (not modules) an expression reads, as bindings: the same binding is the same value."""
    found: Set[Binding] = set()
    stack: List[ast.AST] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            scope = analysis.names.scopes.get(node)
            if scope is not None:
                found.update(a for a in scope[node.id] if a.kind == "variable")
        else:  # `os.path.join`: only `os` is a name read here (an attribute's name is no node)
            stack.extend(children(node))
    return found
