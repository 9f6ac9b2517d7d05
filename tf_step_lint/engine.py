"""The engine: one function to lint a source, one to fix it.  The CLI and the flake8 plugin both call these."""
import ast
import re
from dataclasses import dataclass
from typing import FrozenSet, Iterable, List, Optional, Sequence, Tuple, Type, Union

import libcst as cst
from libcst.metadata import PositionProvider

from tf_step_lint.analysis import Analysis
from tf_step_lint.codes import ALL, ERROR_CODE, Selection
from tf_step_lint.finding import Finding, Fix
from tf_step_lint.parsing import collector_paused, parse_module
from tf_step_lint.rules import ALL_RULES
from tf_step_lint.rules.base import ESTIMATOR, TENSORFLOW, Rule
from tf_step_lint.target import Version

MAX_FIX_PASSES = 5
_NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)


class SourceError(Exception):
    """The source cannot be parsed; carries the finding that says where."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


def parse(source: Union[str, bytes]) -> cst.Module:
    try:
        return parse_module(source)
    except cst.ParserSyntaxError as error:
        raise SourceError(_syntax_error(source, error)) from None
    except (UnicodeDecodeError, LookupError, SyntaxError, ValueError) as error:
        raise SourceError(Finding(ERROR_CODE, f"cannot decode: {error}", 1, 1)) from None


def _syntax_error(source: Union[str, bytes], error: cst.ParserSyntaxError) -> Finding:
    """Where and why the source does not parse: Python's own parser says it best (and runs nothing)."""
    python_error = _python_syntax_error(source)
    if python_error is not None:
        return python_error
    message = " ".join(error.message.split())
    return Finding(ERROR_CODE, f"cannot parse: {message}", error.raw_line, error.raw_column + 1)


def _python_syntax_error(source: Union[str, bytes]) -> Optional[Finding]:
    """A TSL000 finding from Python's own parser (cheap, and it runs nothing), or None if the source parses."""
    try:
        ast.parse(source)
    except SyntaxError as error:
        if "decod" in str(error.msg):  # "(unicode error) 'utf-8' codec can't decode byte ..."
            return Finding(ERROR_CODE, f"cannot decode: {error.msg}", 1, 1)
        return Finding(ERROR_CODE, f"cannot parse: {error.msg}", error.lineno or 1, max(error.offset or 1, 1))
    except (ValueError, UnicodeDecodeError) as error:
        return Finding(ERROR_CODE, f"cannot decode: {error}", 1, 1)
    except (RecursionError, MemoryError):
        return None
    return None


def lint_source(source: Union[str, bytes], selection: Selection = ALL, roots: FrozenSet[str] = frozenset()
                ) -> List[Finding]:
    """Every finding in ``source``, sorted, with `# noqa` honoured.  Parse errors come back as TSL000.

    A file whose text cannot hold a finding of the selected rules is only checked for syntax, never analysed.
    ``roots``: functions of this file that model_fns of other files build their train op with (see project.py).
    """
    with collector_paused():
        return _lint_source(source, selection, roots, collect_calls=False)[0]


def lint_for_project(source: Union[str, bytes], selection: Selection = ALL) -> Tuple[List[Finding], List[str]]:
    """``lint_source``, plus the other-module functions this file's model_fns build their train op with."""
    with collector_paused():
        return _lint_source(source, selection, frozenset(), collect_calls=True)


def _lint_source(source: Union[str, bytes], selection: Selection, roots: FrozenSet[str], collect_calls: bool
                 ) -> Tuple[List[Finding], List[str]]:
    rules = rules_that_may_fire(source, selection, roots)
    collect_calls = collect_calls and _contains_all(source, (TENSORFLOW, ESTIMATOR))  # a model_fn may be here
    if not rules and not collect_calls:
        error = _python_syntax_error(source)
        return ([error] if error else []), []
    try:
        module = parse(source)
    except SourceError as error:
        return [error.finding], []
    analysis, findings = _lint(module, rules, roots, selection.target)
    return findings, (analysis.cross_module_calls() if collect_calls else [])


def rules_that_may_fire(source: Union[str, bytes], selection: Selection = ALL, roots: FrozenSet[str] = frozenset()
                        ) -> List[Type[Rule]]:
    """The prefilter: the selected rules whose required strings all occur in ``source``.  With ``roots``, the
    Estimator is in another file, so the Estimator strings are not required here."""
    return [rule for rule in ALL_RULES if rule.code in selection and selection.target >= rule.since
            and _contains_all(source, [group for group in rule.requires if not (roots and group is ESTIMATOR)])]


def _contains_all(source: Union[str, bytes], groups: Sequence[Tuple[str, ...]]) -> bool:
    """For every group, one of its strings occurs in ``source``."""
    text = source.decode("latin-1") if isinstance(source, bytes) else source
    return all(any(token in text for token in group) for group in groups)


def _lint(module: cst.Module, rules: Sequence[Type[Rule]], roots: FrozenSet[str], target: Version
          ) -> Tuple[Analysis, List[Finding]]:
    findings: List[Finding] = []
    analysis = Analysis(module, roots, target)
    for rule in rules:
        try:
            findings.extend(rule().check(analysis))
        except RecursionError:
            return analysis, [Finding(ERROR_CODE, "too deeply nested to analyse", 1, 1)]
    return analysis, sorted(_without_noqa(findings, module), key=lambda f: (f.line, f.column, f.code))


def _without_noqa(findings: Sequence[Finding], module: cst.Module) -> Iterable[Finding]:
    if not findings:
        return findings
    lines = module.code.splitlines()
    kept = []
    for finding in findings:
        match = _NOQA.search(lines[finding.line - 1]) if finding.line <= len(lines) else None
        if match is None:
            kept.append(finding)
            continue
        codes = match.group("codes")
        if codes and not any(finding.code.startswith(c.upper()) for c in re.split(r"[,\s]+", codes) if c):
            kept.append(finding)
    return kept


@dataclass(frozen=True)
class FixResult:
    source: bytes
    fixed: int  # findings fixed
    findings: List[Finding]  # what remains in the fixed source


def fix_source(source: bytes, selection: Selection = ALL, roots: FrozenSet[str] = frozenset()) -> FixResult:
    """Apply every available fix, re-linting between passes, and return the new bytes and what remains.

    The output always parses and differs from the input only inside fixed nodes (LibCST round-trips the rest).
    """
    with collector_paused():
        return _fix_source(source, selection, roots)


def _fix_source(source: bytes, selection: Selection, roots: FrozenSet[str]) -> FixResult:
    rules = rules_that_may_fire(source, selection, roots)
    if not rules:
        return FixResult(source, 0, lint_source(source, selection, roots))
    try:
        module = parse(source)
    except SourceError as error:
        return FixResult(source, 0, [error.finding])
    fixed = 0
    analysis, findings = _lint(module, rules, roots, selection.target)
    if module.bytes != source:  # e.g. lone CR newlines: rewriting would change bytes outside the fixes
        refusal = Finding(ERROR_CODE, "not fixed: rewriting this file would not keep its bytes (newlines?)", 1, 1)
        return FixResult(source, 0, [refusal, *findings])
    for _ in range(MAX_FIX_PASSES):
        fixes = [f.fix for f in findings if f.fix is not None]
        if not fixes:
            break
        applied, new_module = _apply(analysis, fixes)
        try:
            module = parse(new_module.bytes)
        except SourceError:  # never write what does not parse
            break
        fixed += applied
        analysis, findings = _lint(module, rules_that_may_fire(module.bytes, selection, roots), roots,
                                   selection.target)
    return FixResult(module.bytes, fixed, findings)


def _apply(analysis: Analysis, fixes: List[Fix]) -> Tuple[int, cst.Module]:
    """Apply fixes whose nodes do not overlap an earlier fix's; the rest wait for the next pass."""
    positions = analysis.wrapper.resolve(PositionProvider)
    taken: List[Tuple[Tuple[int, int], Tuple[int, int]]] = []
    replacements = {}
    imports = set()
    applied = 0
    for fix in fixes:
        spans = [_span(positions[node]) for node in fix.replacements]
        if any(start < other_end and other_start < end for start, end in spans for other_start, other_end in taken):
            continue
        taken.extend(spans)
        replacements.update(fix.replacements)
        if fix.add_import:
            imports.add(fix.add_import)
        applied += 1
    module = analysis.module.visit(_Replace(replacements))
    if imports:
        from libcst.codemod import CodemodContext  # costs a third of a second to import: only when needed
        from libcst.codemod.visitors import AddImportsVisitor

        context = CodemodContext()
        for name, asname in sorted(imports):
            AddImportsVisitor.add_needed_import(context, name, asname=asname)
        module = AddImportsVisitor(context).transform_module(module)
    return applied, module


def _span(position) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    return (position.start.line, position.start.column), (position.end.line, position.end.column)


class _Replace(cst.CSTTransformer):
    def __init__(self, replacements):
        super().__init__()
        self.replacements = replacements

    def on_leave(self, original_node, updated_node):
        return self.replacements.get(original_node, updated_node)
