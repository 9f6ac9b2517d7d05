"""The engine: one function to lint a source, one to fix it.  The CLI and the flake8 plugin both call these."""
import bisect
import os
import re
from dataclasses import dataclass, replace
from typing import FrozenSet, Iterable, List, Sequence, Tuple, Type, Union

import libcst as cst
from libcst.metadata import PositionProvider

from tf_step_lint.analysis import Analysis
from tf_step_lint.codes import ALL, ERROR_CODE, Selection
from tf_step_lint.finding import Edit, Finding
from tf_step_lint.files import TooLarge
from tf_step_lint.parsing import TooDeep, check_with_python, on_big_stack, parse_module
from tf_step_lint.rules import ALL_RULES
from tf_step_lint.rules.base import ESTIMATOR, TENSORFLOW, Rule
from tf_step_lint.target import Version

MAX_FIX_PASSES = 5
# What Python's compiler (or our size and depth limits) raise for a source it will not read.
_REJECTED = (SyntaxError, ValueError, UnicodeDecodeError, LookupError, TooDeep, TooLarge)
# LibCST's trees, and the analysis, are walked recursively: a file Python parses can still be too deep for them.
TOO_DEEP_TO_ANALYSE = Finding(ERROR_CODE, "cannot analyse: nested too deeply", 1, 1)
_LINE_END = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")  # after each newline Python's tokenizer knows: LF, CRLF, CR
_NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)


class SourceError(Exception):
    """The source cannot be parsed; carries the finding that says where."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


def parse(source: Union[str, bytes]) -> cst.Module:
    try:
        return parse_module(source)
    except cst.ParserSyntaxError as error:  # Python accepts it, LibCST does not
        message = " ".join(error.message.split())
        raise SourceError(Finding(ERROR_CODE, f"cannot parse: {message}", error.raw_line, error.raw_column + 1)
                          ) from None
    except _REJECTED as error:
        raise SourceError(_source_error(error)) from None


def _source_error(error: Exception) -> Finding:
    """TSL000 for a source that Python's own parser rejects (it runs nothing), or that is too deep or too large."""
    if isinstance(error, TooLarge):
        return Finding(ERROR_CODE, f"not checked: {error}", 1, 1)
    if isinstance(error, TooDeep):
        return Finding(ERROR_CODE, f"cannot parse: {error}", 1, 1)
    if isinstance(error, SyntaxError) and "decod" not in str(error.msg):
        return Finding(ERROR_CODE, f"cannot parse: {error.msg}", error.lineno or 1, max(error.offset or 1, 1))
    message = error.msg if isinstance(error, SyntaxError) else str(error)  # "(unicode error) 'utf-8' codec ..."
    return Finding(ERROR_CODE, f"cannot decode: {message}", 1, 1)


def _python_check(source: Union[str, bytes]) -> List[Finding]:
    """What Python's parser says of ``source``: no finding, or one TSL000."""
    try:
        check_with_python(source)
    except _REJECTED as error:
        return [_source_error(error)]
    return []


def lint_source(source: Union[str, bytes], selection: Selection = ALL, roots: FrozenSet[str] = frozenset()
                ) -> List[Finding]:
    """Every finding in ``source``, sorted, with `# noqa` honoured.  Parse errors come back as TSL000.

    A file whose text cannot hold a finding of the selected rules is only checked for syntax, never analysed.
    ``roots``: functions of this file that model_fns of other files build their train op with (see project.py).
    """
    return on_big_stack(_lint_source, source, selection, roots, False).findings


@dataclass(frozen=True)
class Linted:
    findings: List[Finding]
    calls: List[str]  # other-module functions this file's model_fns build their train op with (if asked)
    analysed: bool  # False: the prefilter found no rule that may fire, so only the syntax was checked


def lint_file(source: Union[str, bytes], selection: Selection = ALL, roots: FrozenSet[str] = frozenset(),
              collect_calls: bool = False, edits: bool = False) -> Linted:
    """``lint_source`` for the CLI: optionally with the calls project.py follows, and with each fix's text
    ``edits`` (the outputs that print fixes ask for them)."""
    return on_big_stack(_lint_source, source, selection, roots, collect_calls, edits)


def _lint_source(source: Union[str, bytes], selection: Selection, roots: FrozenSet[str], collect_calls: bool,
                 edits: bool = False) -> Linted:
    rules = rules_that_may_fire(source, selection, roots)
    collect_calls = collect_calls and _contains_all(_text(source), (TENSORFLOW, ESTIMATOR))  # a model_fn may be here
    if not rules and not collect_calls:
        return Linted(_python_check(source), [], False)
    try:
        module = parse(source)
        analysis, findings = _lint(module, rules, roots, selection.target)
        if edits and any(f.fixable for f in findings):
            findings = [_with_edits(analysis, f) if f.fixable else f for f in findings]
        return Linted(findings, analysis.cross_module_calls() if collect_calls else [], True)
    except SourceError as error:
        return Linted([error.finding], [], True)
    except RecursionError:
        return Linted([TOO_DEEP_TO_ANALYSE], [], True)


def _with_edits(analysis: Analysis, finding: Finding) -> Finding:
    """``finding`` whose fix carries the text edits that applying it alone makes."""
    _, fixed = _apply(analysis, [finding])
    return replace(finding, fix=replace(finding.fix, edits=text_edits(analysis.module.code, fixed.code)))


def text_edits(old: str, new: str) -> Tuple[Edit, ...]:
    """The fewest-character replacements, line block by line block, that turn ``old`` into ``new``."""
    import difflib

    old_lines, new_lines = _LINE_END.split(old), _LINE_END.split(new)
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


def rules_that_may_fire(source: Union[str, bytes], selection: Selection = ALL, roots: FrozenSet[str] = frozenset()
                        ) -> List[Type[Rule]]:
    """The prefilter: the selected rules whose required strings all occur in ``source``.  With ``roots``, the
    Estimator is in another file, so the Estimator strings are not required here."""
    text = _text(source)
    return [rule for rule in ALL_RULES if rule.code in selection and selection.target >= rule.since
            and _contains_all(text, [group for group in rule.requires if not (roots and group is ESTIMATOR)])]


def _text(source: Union[str, bytes]) -> str:
    """``source`` as text for the prefilter's substring tests; latin-1 maps every byte, so nothing can fail."""
    return source.decode("latin-1") if isinstance(source, bytes) else source


def _contains_all(text: str, groups: Sequence[Tuple[str, ...]]) -> bool:
    """For every group, one of its strings occurs in ``text``."""
    return all(any(token in text for token in group) for group in groups)


def _lint(module: cst.Module, rules: Sequence[Type[Rule]], roots: FrozenSet[str], target: Version
          ) -> Tuple[Analysis, List[Finding]]:
    findings: List[Finding] = []
    analysis = Analysis(module, roots, target)
    for rule in rules:
        findings.extend(rule().check(analysis))
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
    fixed: List[Finding]  # the findings whose fixes were applied
    findings: List[Finding]  # what remains in the fixed source


def fix_source(source: bytes, selection: Selection = ALL, roots: FrozenSet[str] = frozenset(), unsafe: bool = False
               ) -> FixResult:
    """Apply every safe fix (with ``unsafe``, every fix), re-linting between passes; the new bytes and what remains.

    The output always parses and differs from the input only inside fixed nodes (LibCST round-trips the rest).
    """
    return on_big_stack(_fix_source, source, selection, roots, unsafe)


def _fix_source(source: bytes, selection: Selection, roots: FrozenSet[str], unsafe: bool) -> FixResult:
    rules = rules_that_may_fire(source, selection, roots)
    if not rules:
        return FixResult(source, [], _lint_source(source, selection, roots, collect_calls=False).findings)
    if b"\r" in source and b"\n" not in source:  # old Mac newlines, which LibCST reads but prints as "\n"
        result = _fix_source(source.replace(b"\r", b"\n"), selection, roots, unsafe)  # the same program to Python
        return FixResult(result.source.replace(b"\n", b"\r"), result.fixed, result.findings)
    try:
        return _fixed(parse(source), source, rules, selection, roots, unsafe)
    except SourceError as error:
        return FixResult(source, [], [error.finding])
    except RecursionError:
        return FixResult(source, [], [TOO_DEEP_TO_ANALYSE])


def _fixed(module: cst.Module, source: bytes, rules: Sequence[Type[Rule]], selection: Selection,
           roots: FrozenSet[str], unsafe: bool) -> FixResult:
    fixed: List[Finding] = []
    analysis, findings = _lint(module, rules, roots, selection.target)
    if module.bytes != source:  # rewriting would change bytes outside the fixes
        refusal = Finding(ERROR_CODE, "not fixed: LibCST does not print this file back byte for byte (a form feed "
                                      "before code, or a last lone CR?)", 1, 1)
        return FixResult(source, [], [refusal, *findings])
    for _ in range(MAX_FIX_PASSES):
        to_fix = [f for f in findings if f.fixable_at(unsafe)]
        if not to_fix:
            break
        applied, new_module = _apply(analysis, to_fix)
        try:
            module = parse(new_module.bytes)
        except SourceError:  # never write what does not parse
            break
        fixed.extend(applied)
        analysis, findings = _lint(module, rules_that_may_fire(module.bytes, selection, roots), roots,
                                   selection.target)
    return FixResult(module.bytes, fixed, findings)


def _apply(analysis: Analysis, findings: List[Finding]) -> Tuple[List[Finding], cst.Module]:
    """Apply the fixes of ``findings`` whose nodes do not overlap an earlier fix's; the rest wait for the next pass.
    The findings fixed, and the new tree."""
    positions = analysis.wrapper.resolve(PositionProvider)
    taken: List[Tuple[Tuple[int, int], Tuple[int, int]]] = []
    replacements = {}
    imports = set()
    applied = []
    for finding in findings:
        fix = finding.fix
        spans = [_span(positions[node]) for node in fix.replacements]
        if any(start < other_end and other_start < end for start, end in spans for other_start, other_end in taken):
            continue
        taken.extend(spans)
        replacements.update(fix.replacements)
        if fix.add_import:
            imports.add(fix.add_import)
        applied.append(finding)
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
