"""The engine: one function to lint a source, one to fix it.  The CLI and the flake8 plugin both call these.

It reads code with Python's own ``ast`` (one parse, in C, that also gives the syntax errors), and changes it with
LibCST, which prints back every byte it does not change: LibCST parses only a file that has a fix to apply or to
print (tf_step_lint/fixes.py).
"""
import ast
import bisect
import functools
import os
import re
from dataclasses import dataclass, replace
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple, Type, Union

from tf_step_lint.analysis import Analysis
from tf_step_lint.analysis.modules import NO_OTHER_MODULES, OtherModules
from tf_step_lint.codes import ALL, ERROR_CODE, Selection
from tf_step_lint.files import MAX_BYTES, TooLarge, is_notebook
from tf_step_lint.finding import Edit, Finding
from tf_step_lint.parsing import (NewerSyntax, TooDeep, check_syntax, on_big_stack, parse_for_fix, parse_python,
                                  python_lines)
from tf_step_lint.rules import ALL_RULES
from tf_step_lint.rules.base import ESTIMATOR, TENSORFLOW, Rule
from tf_step_lint.target import Version

MAX_FIX_PASSES = 5
# What Python's parser (or our size and depth limits) raise for a source it will not read.
_REJECTED = (SyntaxError, ValueError, UnicodeDecodeError, LookupError, TooDeep, TooLarge, NewerSyntax)
# The analyses walk trees recursively: a file Python parses can still be too deep for them.
TOO_DEEP_TO_ANALYSE = Finding(ERROR_CODE, "cannot analyse: nested too deeply", 1, 1)
NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)


class SourceError(Exception):
    """The source cannot be parsed; carries the finding that says where."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


def parse(source: Union[str, bytes]) -> ast.Module:
    """Python's tree of ``source``; SourceError with a TSL000 finding if Python does not read it."""
    try:
        return parse_python(source)
    except _REJECTED as error:
        raise SourceError(_source_error(error)) from None


def _source_error(error: Exception) -> Finding:
    """TSL000 for a source that Python's own parser rejects (it runs nothing), or that is too deep or too large."""
    if isinstance(error, TooLarge):
        return Finding(ERROR_CODE, f"not checked: {error}", 1, 1)
    if isinstance(error, TooDeep):
        return Finding(ERROR_CODE, f"cannot parse: {error}", 1, 1)
    if isinstance(error, NewerSyntax):
        return Finding(ERROR_CODE, f"cannot parse: {error}", error.lineno or 1, max(error.offset or 1, 1))
    if isinstance(error, SyntaxError) and "decod" not in str(error.msg):
        return Finding(ERROR_CODE, f"cannot parse: {error.msg}", error.lineno or 1, max(error.offset or 1, 1))
    message = error.msg if isinstance(error, SyntaxError) else str(error)  # "(unicode error) 'utf-8' codec ..."
    return Finding(ERROR_CODE, f"cannot decode: {message}", 1, 1)


def _syntax_errors(source: Union[str, bytes]) -> List[Finding]:
    """What Python says of ``source`` (no finding, or one TSL000), without building a tree."""
    try:
        check_syntax(source)
    except _REJECTED as error:
        return [_source_error(error)]
    return []


def lint_source(source: Union[str, bytes], selection: Selection = ALL, roots: FrozenSet[str] = frozenset(),
                tree: Optional[ast.Module] = None) -> List[Finding]:
    """Every finding in ``source``, sorted, with `# noqa` honoured.  Parse errors come back as TSL000.

    A file whose text cannot hold a finding of the selected rules is only checked for syntax, never analysed.
    ``roots``: functions of this file that model_fns of other files build their train op with (see project.py);
    ``tree``: ``source`` already parsed by ``ast`` (flake8 hands it over), so it is not parsed again.
    """
    return on_big_stack(_lint_source, source, selection, roots, False, False, tree).findings


@dataclass(frozen=True)
class Linted:
    findings: List[Finding]
    calls: List[str]  # other-module functions this file's model_fns build their train op with (if asked)
    analysed: bool  # False: the prefilter found no rule that may fire, so only the syntax was checked
    note: str = ""  # what to say of the file besides its findings (a Python 2 notebook's cells left out)


def lint_file(source: Union[str, bytes], selection: Selection = ALL, roots: FrozenSet[str] = frozenset(),
              collect_calls: bool = False, edits: bool = False, modules: OtherModules = NO_OTHER_MODULES) -> Linted:
    """``lint_source`` for the CLI: optionally with the calls project.py follows, with each fix's text ``edits``
    (the outputs that print fixes ask for them), and with what the project's other ``modules`` say."""
    return on_big_stack(_lint_source, source, selection, roots, collect_calls, edits, None, modules)


def _lint_source(source: Union[str, bytes], selection: Selection, roots: FrozenSet[str], collect_calls: bool,
                 edits: bool = False, tree: Optional[ast.Module] = None, modules: OtherModules = NO_OTHER_MODULES
                 ) -> Linted:
    rules = rules_that_may_fire(source, selection, roots)
    collect_calls = collect_calls and _contains_all(_text(source), (TENSORFLOW, ESTIMATOR))  # a model_fn may be here
    if not rules and not collect_calls:
        return Linted(_syntax_errors(source) if tree is None else [], [], False)  # (flake8 has checked its tree)
    try:
        if tree is None:
            tree = parse(source)
        analysis, findings = _lint(tree, source, rules, roots, selection.target, modules)
        if edits and any(f.fixable for f in findings):
            findings = _with_edits(analysis, findings)
        return Linted(findings, analysis.cross_module_calls() if collect_calls else [], True)
    except SourceError as error:
        return Linted([error.finding], [], True)
    except RecursionError:
        return Linted([TOO_DEEP_TO_ANALYSE], [], True)


def rules_that_may_fire(source: Union[str, bytes], selection: Selection = ALL, roots: FrozenSet[str] = frozenset()
                        ) -> List[Type[Rule]]:
    """The prefilter: the selected rules whose required strings all occur in ``source``.  With ``roots``, the
    Estimator is in another file, so the Estimator strings are not required here."""
    text = _text(source)
    return [rule for rule in ALL_RULES if rule.code in selection and selection.target >= rule.since
            and _contains_all(text, [g for g in rule.requires if not (roots and set(ESTIMATOR) <= set(g))])]


def _text(source: Union[str, bytes]) -> str:
    """``source`` as text for the prefilter's substring tests; latin-1 maps every byte, so nothing can fail."""
    return source.decode("latin-1") if isinstance(source, bytes) else source


def _contains_all(text: str, groups: Sequence[Tuple[str, ...]]) -> bool:
    """For every group, one of its strings occurs in ``text``.  A long group (TSL302's 649 names) is looked up by
    the identifiers the text holds, found in one scan, instead of scanning the text once per string."""
    words: Optional[FrozenSet[str]] = None
    for group in groups:
        if len(group) <= _SHORT_GROUP:
            found = any(token in text for token in group)
        else:
            words = frozenset(_WORD.findall(text)) if words is None else words
            found = any(token in text for word, tokens in _by_last_word(group).items() if word in words
                        for token in tokens)
        if not found:
            return False
    return True


_SHORT_GROUP = 16
_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=None)
def _by_last_word(group: Tuple[str, ...]) -> Dict[str, Tuple[str, ...]]:
    """A group's strings by the identifier each ends with (``train.Saver``: ``Saver``).  Only the strings whose
    identifier the text holds as a whole word are searched: a finding needs that name itself (the prefilter tests
    check that this never loses one)."""
    found: Dict[str, List[str]] = {}
    for token in group:
        found.setdefault(_WORD.findall(token)[-1], []).append(token)
    return {word: tuple(tokens) for word, tokens in found.items()}


def _lint(tree: ast.Module, source: Union[str, bytes], rules: Sequence[Type[Rule]], roots: FrozenSet[str],
          target: Version, modules: OtherModules = NO_OTHER_MODULES) -> Tuple[Analysis, List[Finding]]:
    findings: List[Finding] = []
    analysis = Analysis(tree, source, roots, target, modules)
    for rule in rules:
        findings.extend(rule().check(analysis))
    return analysis, sorted(_without_noqa(findings, analysis), key=lambda f: (f.line, f.column, f.code))


def _without_noqa(findings: Sequence[Finding], analysis: Analysis) -> Iterable[Finding]:
    if not findings:
        return findings
    lines = analysis.lines
    kept = []
    for finding in findings:
        match = NOQA.search(lines[finding.line - 1]) if finding.line <= len(lines) else None
        if match is None:
            kept.append(finding)
            continue
        codes = match.group("codes")
        if codes and not any(finding.code.startswith(c.upper()) for c in re.split(r"[,\s]+", codes) if c):
            kept.append(finding)
    return kept


# -- fixing -----------------------------------------------------------------------------------------------
def _with_edits(analysis: Analysis, findings: List[Finding]) -> List[Finding]:
    """``findings``, each fix carrying the text edits that applying it alone makes.  A file LibCST cannot take
    (see ``_libcst_tree``) keeps its fixes without edits."""
    from tf_step_lint import fixes

    source = analysis.source if isinstance(analysis.source, bytes) else analysis.source.encode("utf-8")
    module = _libcst_tree(source, analysis.tree)
    if not isinstance(module, Finding):
        located = fixes.Located(module)
        findings = [_edited(located, f) if f.fixable else f for f in findings]
    return findings


def _edited(located, finding: Finding) -> Finding:
    from tf_step_lint import fixes

    applied, fixed = fixes.apply(located, [finding])
    if not applied:
        return finding
    return replace(finding, fix=replace(finding.fix, edits=text_edits(located.module.code, fixed.code)))


def text_edits(old: str, new: str) -> Tuple[Edit, ...]:
    """The fewest-character replacements, line block by line block, that turn ``old`` into ``new``."""
    import difflib

    old_lines, new_lines = python_lines(old), python_lines(new)
    starts = [0]
    for line in old_lines:
        starts.append(starts[-1] + len(line))

    def position(offset: int) -> Tuple[int, int]:
        line = bisect.bisect_right(starts, offset) - 1
        return line + 1, offset - starts[line] + 1

    edits = []
    opcodes = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            continue
        before, after = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        prefix = len(os.path.commonprefix([before, after]))
        suffix = len(os.path.commonprefix([before[prefix:][::-1], after[prefix:][::-1]]))
        edits.append(Edit(position(starts[i1] + prefix), position(starts[i1] + len(before) - suffix),
                          after[prefix:len(after) - suffix]))
    return tuple(edits)


def _libcst_tree(source: bytes, tree: ast.Module):
    """LibCST's tree of ``source``, or the TSL000 finding that says why the file cannot be fixed."""
    import libcst as cst

    try:
        module = parse_for_fix(source, tree)
    except TooDeep as error:
        return Finding(ERROR_CODE, f"not fixed: {error}", 1, 1)
    except cst.ParserSyntaxError as error:  # Python reads it, LibCST does not
        message = " ".join(error.message.split())
        return Finding(ERROR_CODE, f"not fixed: LibCST cannot parse it: {message}", error.raw_line,
                       error.raw_column + 1)
    if module.bytes != source:  # rewriting would change bytes outside the fixes
        return Finding(ERROR_CODE, "not fixed: LibCST does not print this file back byte for byte (a form feed "
                                   "before code, or a last lone CR?)", 1, 1)
    return module


@dataclass(frozen=True)
class FixResult:
    source: bytes
    fixed: List[Finding]  # the findings whose fixes were applied
    findings: List[Finding]  # what remains in the fixed source
    note: str = ""  # as Linted.note


def fix_source(source: bytes, selection: Selection = ALL, roots: FrozenSet[str] = frozenset(), unsafe: bool = False,
               modules: OtherModules = NO_OTHER_MODULES) -> FixResult:
    """Apply every safe fix (with ``unsafe``, every fix), re-linting between passes; the new bytes and what remains.

    The output always parses and differs from the input only inside fixed nodes (LibCST round-trips the rest).
    """
    return on_big_stack(_fix_source, source, selection, roots, unsafe, modules)


def _fix_source(source: bytes, selection: Selection, roots: FrozenSet[str], unsafe: bool, modules: OtherModules
                ) -> FixResult:
    rules = rules_that_may_fire(source, selection, roots)
    if not rules:
        return FixResult(source, [], _lint_source(source, selection, roots, False, modules=modules).findings)
    if b"\r" in source and b"\n" not in source:  # old Mac newlines, which LibCST reads but prints as "\n"
        result = _fix_source(source.replace(b"\r", b"\n"), selection, roots, unsafe, modules)  # the same program
        return FixResult(result.source.replace(b"\n", b"\r"), result.fixed, result.findings)
    try:
        tree = parse(source)
        analysis, findings = _lint(tree, source, rules, roots, selection.target, modules)
        if not any(f.fixable_at(unsafe) for f in findings):
            return FixResult(source, [], findings)
        return _fixed(tree, source, findings, selection, roots, unsafe, modules)
    except SourceError as error:
        return FixResult(source, [], [error.finding])
    except RecursionError:
        return FixResult(source, [], [TOO_DEEP_TO_ANALYSE])


def _fixed(tree: ast.Module, source: bytes, findings: List[Finding], selection: Selection, roots: FrozenSet[str],
           unsafe: bool, modules: OtherModules) -> FixResult:
    from tf_step_lint import fixes

    module = _libcst_tree(source, tree)
    if isinstance(module, Finding):
        return FixResult(source, [], [module, *findings])
    fixed: List[Finding] = []
    for _ in range(MAX_FIX_PASSES):
        to_fix = [f for f in findings if f.fixable_at(unsafe)]
        if not to_fix:
            break
        applied, new_module = fixes.apply(fixes.Located(module), to_fix)
        if not applied:
            break
        new_source = new_module.bytes  # printing a tree is LibCST's dearest step: once per pass
        try:
            tree = parse(new_source)
        except SourceError:  # never write what does not parse
            break
        module, source = new_module, new_source
        fixed.extend(applied)
        _, findings = _lint(tree, source, rules_that_may_fire(source, selection, roots), roots, selection.target,
                            modules)
    return FixResult(source, fixed, findings)


def linters(path: str) -> Tuple[Callable[..., Linted], Callable[..., "FixResult"]]:
    """(lint_file, fix_source), or for a notebook (lint_notebook, fix_notebook): the same signatures."""
    return (lint_notebook, fix_notebook) if is_notebook(path) else (lint_file, fix_source)


# -- notebooks ------------------------------------------------------------------------------------------------
def lint_notebook(raw: bytes, selection: Selection = ALL, roots: FrozenSet[str] = frozenset(),
                  collect_calls: bool = False, edits: bool = False, modules: OtherModules = NO_OTHER_MODULES
                  ) -> Linted:
    """``lint_file`` for a notebook's bytes: its code cells linted as one module (see notebook.py), each finding
    and fix edit located in its cell.  NotPython for a notebook of another language."""
    from tf_step_lint.notebook import NotebookError, read_notebook

    try:
        notebook = read_notebook(raw)
    except NotebookError as error:
        return Linted([Finding(ERROR_CODE, str(error), 1, 1)], [], True)
    if len(notebook.module) > MAX_BYTES:
        return Linted([Finding(ERROR_CODE, f"not checked: its code is {TooLarge(len(notebook.module))}", 1, 1)],
                      [], True)
    linted = lint_file(notebook.module, selection, roots, collect_calls, edits, modules)
    return replace(linted, findings=_in_cells(notebook, linted.findings), note=notebook.note)


def _in_cells(notebook, findings: Iterable[Finding]) -> List[Finding]:
    """``findings`` of the notebook's module located in its cells, with those of the cells left out unread."""
    located = [Finding(ERROR_CODE, why, line, column, cell=cell) for cell, why, line, column in notebook.unreadable
               if not notebook.python_2]
    for finding in findings:
        start = notebook.cell_at(finding.line)
        if start is None:  # (the module's own TSL000 at its line 1, with no code in it)
            located.append(finding)
            continue
        cell, line = start
        end_line = finding.end_line - cell.module_start + 1 if finding.end_line is not None else None
        end_column = (cell.column(end_line, finding.end_column) if end_line is not None and finding.end_column
                      is not None else finding.end_column)
        fix = finding.fix
        if fix is not None and fix.edits:
            by_cell = notebook.edits_by_cell(fix.edits)
            fix = replace(fix, edits=tuple(replace(e, cell=index) for index, cell_edits in (by_cell or {}).items()
                                           for e in cell_edits))
        located.append(replace(finding, line=line, column=cell.column(line, finding.column), end_line=end_line,
                               end_column=end_column, cell=cell.index, fix=fix))
    return sorted(located, key=lambda f: (f.cell or 0, f.line, f.column, f.code))


def fix_notebook(raw: bytes, selection: Selection = ALL, roots: FrozenSet[str] = frozenset(), unsafe: bool = False,
                 modules: OtherModules = NO_OTHER_MODULES) -> FixResult:
    """``fix_source`` for a notebook: the fixes applied to its module are written back into the cells they change,
    and nothing else of the file changes; where that cannot be done, the file stays as it was, with a TSL000."""
    from tf_step_lint.notebook import NotebookError, read_notebook

    try:
        notebook = read_notebook(raw)
    except NotebookError as error:
        return FixResult(raw, [], [Finding(ERROR_CODE, str(error), 1, 1)])
    if len(notebook.module) > MAX_BYTES:
        return FixResult(raw, [], lint_notebook(raw, selection, roots, modules=modules).findings)
    result = fix_source(notebook.module.encode("utf-8", "surrogatepass"), selection, roots, unsafe, modules)
    if not result.fixed:
        return FixResult(raw, [], _in_cells(notebook, result.findings), notebook.note)
    fixed = _in_cells(notebook, result.fixed)
    sources = notebook.edited_sources(text_edits(notebook.module, result.source.decode("utf-8", "surrogatepass")))
    try:
        if sources is None:
            raise NotebookError("not fixed: a fix would change IPython syntax or span two cells")
        new = notebook.with_cell_sources(sources, raw)
    except NotebookError as error:
        return FixResult(raw, [], [Finding(ERROR_CODE, str(error), 1, 1), *_in_cells(
            notebook, lint_file(notebook.module, selection, roots, modules=modules).findings)], notebook.note)
    return FixResult(new, [f for f in fixed if f.code != ERROR_CODE],
                     lint_notebook(new, selection, roots, modules=modules).findings, notebook.note)
