"""What a rule is: a code, a name, and a check that asks the shared analysis and yields findings."""
import ast
import re
from typing import Callable, ClassVar, Iterable, List, Optional, Tuple, Union

from tf_step_lint.analysis import V1, Analysis
from tf_step_lint.analysis.names import DEFINITIONS
from tf_step_lint.api import Symbol
from tf_step_lint.finding import Change, Finding, Fix
from tf_step_lint.target import Version

# Every rule resolves names through a TensorFlow import; the step rules also need an Estimator class or spec, or a
# head's train_op_fn.
TENSORFLOW = ("tensorflow",)
ESTIMATOR = ("Estimator", "estimator", "train_op_fn")  # train_op_fn: a head builds a model_fn with it


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    # The prefilter: a file can hold a finding only if, for every group, one of its strings is in the text.
    requires: ClassVar[Tuple[Tuple[str, ...], ...]]
    # The TensorFlow versions the rule is about: it runs only when the target version is at least this.
    since: ClassVar[Version] = (0, 0)

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        raise NotImplementedError

    def finding(self, analysis: Analysis, where: Union[ast.AST, Tuple[int, int]], message: str,
                fix: Optional[Fix] = None) -> Finding:
        """A finding at ``where``: a node (its whole span), or a 1-based (line, column) of a name."""
        if isinstance(where, tuple):
            line, column = where
            name = _NAME.match(analysis.lines[line - 1], column - 1)
            end_line, end_column = line, (name.end() if name else column - 1) + 1
        else:
            line, column = analysis.position(where)
            end_line, end_column = analysis.end(where)
            end_column += 1
        return Finding(self.code, message, line, column, fix, end_line, end_column)


_NAME = re.compile(r"\w*")


# -- fixes, as changes for tf_step_lint.fixes to apply ------------------------------------------------------
def fix_of(*changes: Optional[Change], title: str, add_import: Optional[Tuple[str, str]] = None,
           **options) -> Optional[Fix]:
    """A fix of ``changes``, titled with the text it inserts (an editor shows the title before applying the fix,
    so it is spelled exactly as inserted, the import included); None if a change has no node LibCST can find."""
    if not changes or None in changes:
        return None
    if add_import is not None:
        title += f" and add `import {add_import[0]} as {add_import[1]}`"
    return Fix(tuple(changes), add_import=add_import, title=_LINE_BREAK.sub(" ", title), **options)


_LINE_BREAK = re.compile(r"\s*\n\s*")  # a title is one line: code spanning lines is shown joined


def get_or_create_step(analysis: Analysis, at: ast.AST) -> Optional[Tuple[str, Optional[Tuple[str, str]]]]:
    """``<v1>.train.get_or_create_global_step()`` spelled for ``at``, and the import it needs, if any."""
    reference = analysis.v1_reference(at)
    if reference is None:
        return None
    spelling, import_as = reference
    return f"{spelling}.train.get_or_create_global_step()", ((V1, import_as) if import_as else None)


def step_fix(analysis: Analysis, at: ast.AST, build: Callable[[str], List[Optional[Change]]],
             title: Callable[[str], str]) -> Optional[Fix]:
    """A fix of the changes ``build(step_code)`` returns, titled ``title(step_code)``, with the import the step
    needs."""
    step = get_or_create_step(analysis, at)
    if step is None:
        return None
    code, add_import = step
    return fix_of(*build(code), title=title(code), add_import=add_import)


def argument_index(call: ast.Call, argument: ast.AST) -> int:
    """The place of ``argument`` (a positional expression or a keyword) among ``call``'s arguments in source
    order, as LibCST lists them."""
    ordered = sorted([*call.args, *call.keywords], key=lambda a: (a.lineno, a.col_offset))
    return next(i for i, a in enumerate(ordered) if a is argument)


def statement_assigning(analysis: Analysis, function: ast.AST, name: str, value: ast.expr) -> Optional[ast.Assign]:
    """The statement ``name = value``, alone on its line, among ``function``'s statements, not in nested defs."""
    stack: List[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Assign):
            if (node.value is value and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id == name and analysis.alone_on_its_lines(node)):
                return node
        elif isinstance(node, ast.stmt) and not isinstance(node, DEFINITIONS):
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                for child in getattr(node, field, ()):
                    stack.extend(child.body if isinstance(child, ast.AST) and not isinstance(child, ast.stmt)
                                 else [child])
    return None


def legacy_keras_spelling(analysis: Analysis, func: ast.expr, keras_class: Symbol) -> Optional[ast.expr]:
    """For ``tf.keras.optimizers.Adam``, the module ``tf.keras.optimizers``, to append ``.legacy`` to; ``func``
    itself when already legacy; None when the legacy class cannot be spelled from ``func`` (a class imported by
    name)."""
    if keras_class.info["legacy"]:
        return func
    if not isinstance(func, ast.Attribute):
        return None
    modules = analysis.names.qualified_names(func.value) or frozenset()
    legacy = {analysis.names.api.lookup(f"{m}.legacy.{func.attr}") for m in modules}
    if len(legacy) != 1 or None in legacy or not next(iter(legacy)).info.get("legacy"):
        return None
    return func.value
