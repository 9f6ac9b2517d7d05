"""How a run's findings are printed: text, json, sarif or github, plus statistics, fixes and the terminal summary.

Every format renders the same ``(path, Finding)`` pairs.  TSL000 (a file not checked) is a finding in text, json and
github output; SARIF reports it as a tool execution notification, since it is no rule's result.
"""
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Dict, Sequence, TextIO, Tuple

from tf_step_lint import __version__
from tf_step_lint.codes import ERROR_CODE
from tf_step_lint.finding import Finding

FORMATS = ("text", "json", "sarif", "github")
JSON_SCHEMA_VERSION = 1  # docs/json-output.schema.json; bumped only by an incompatible change
ERROR_NAME = "file-not-checked"  # TSL000's name: a file that could not be read, parsed or fixed
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
Result = Tuple[str, Finding]


def rule_names() -> Dict[str, str]:
    from tf_step_lint.docs import rule_docs

    return {ERROR_CODE: ERROR_NAME, **{code: doc.name for code, doc in rule_docs().items()}}


def render(results: Sequence[Result], fmt: str, unsafe: bool, out: TextIO) -> None:
    """``results`` in ``fmt``; ``unsafe``: unsafe fixes count as available (`--unsafe-fixes`)."""
    if fmt == "json":
        names = rule_names()
        json.dump([_json_finding(path, f, names) for path, f in results], out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif fmt == "sarif":
        json.dump(sarif(results), out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif fmt == "github":
        for path, f in results:  # every finding is an error: each one breaks training or export
            properties = f"title={_escape_property(f'tf-step-lint ({f.code})')},file={_escape_property(path)}"
            if f.cell is None:  # a notebook cell's lines are not the file's: the notebook itself is annotated
                properties += f",line={f.line},col={f.column}"
            out.write(f"::error {properties}::{_escape_data(_line(path, f, unsafe))}\n")
    else:
        for path, f in results:
            out.write(_line(path, f, unsafe) + "\n")


def _line(path: str, f: Finding, unsafe: bool) -> str:
    return f"{located(path, f)}:{f.line}:{f.column}: {f.code} {'[*] ' if f.fixable_at(unsafe) else ''}{f.message}"


def located(path: str, f: Finding) -> str:
    """``path``, or for a finding in a notebook cell ``path:cell N``, as ruff writes it."""
    return path if f.cell is None else f"{path}:cell {f.cell}"


def _escape_data(text: str) -> str:
    """A GitHub workflow command's message: %, CR and LF escaped (see @actions/core's command.ts)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _json_finding(path: str, f: Finding, names: Dict[str, str]) -> dict:
    fix = None
    if f.fix is not None:
        fix = {"applicability": f.fix.applicability,
               "edits": [{"start": {"line": e.start[0], "column": e.start[1]},
                          "end": {"line": e.end[0], "column": e.end[1]}, "content": e.content,
                          **({"cell": e.cell} if e.cell is not None else {})} for e in f.fix.edits]}
    found = {"path": path, "line": f.line, "column": f.column, "code": f.code, "name": names.get(f.code, ""),
             "message": f.message, "fixable": f.fixable, "fix": fix}
    if f.end_line is not None:
        found.update(end_line=f.end_line, end_column=f.end_column)
    if f.cell is not None:
        found["cell"] = f.cell
    return found


# -- SARIF 2.1.0 ---------------------------------------------------------------------------------------
def sarif(results: Sequence[Result]) -> dict:
    """A SARIF 2.1.0 log: rule metadata from the rule docs, results with their fixes, TSL000 as notifications."""
    from tf_step_lint.docs import rule_docs

    docs = list(rule_docs().values())
    index = {doc.code: i for i, doc in enumerate(docs)}
    rules = [{"id": doc.code, "name": doc.name, "shortDescription": {"text": doc.summary},
              "fullDescription": {"text": doc.summary}, "help": {"text": doc.text, "markdown": doc.text},
              "defaultConfiguration": {"level": "error"}, "properties": {"fix": doc.fix}} for doc in docs]
    sarif_results, notifications = [], []
    for path, f in results:
        region = {"startLine": f.line, "startColumn": f.column}
        if f.end_line is not None:
            region.update(endLine=f.end_line, endColumn=f.end_column)
        location = {"physicalLocation": {"artifactLocation": _artifact(path), "region": region}}
        if f.cell is not None:  # the region counts lines within the cell's source
            location.update(logicalLocations=[{"name": f"cell {f.cell}", "fullyQualifiedName": located(path, f),
                                               "kind": "module"}], properties={"cell": f.cell})
        if f.code == ERROR_CODE:
            notifications.append({"level": "error", "message": {"text": f.message}, "locations": [location],
                                  "descriptor": {"id": ERROR_CODE}})
            continue
        result = {"ruleId": f.code, "ruleIndex": index[f.code], "level": "error", "message": {"text": f.message},
                  "locations": [location]}
        if f.fix is not None and f.fix.edits:
            result["fixes"] = [{
                "description": {"text": f"{f.fix.applicability} fix"},
                "artifactChanges": [{"artifactLocation": _artifact(path), "replacements": [
                    {"deletedRegion": {"startLine": e.start[0], "startColumn": e.start[1],
                                       "endLine": e.end[0], "endColumn": e.end[1],
                                       **({"properties": {"cell": e.cell}} if e.cell is not None else {})},
                     "insertedContent": {"text": e.content}} for e in f.fix.edits]}]}]
        sarif_results.append(result)
    run = {"tool": {"driver": {"name": "tf-step-lint", "version": __version__, "semanticVersion": __version__,
                               "rules": rules}},
           "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}},
           "columnKind": "unicodeCodePoints",
           "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
           "results": sarif_results}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _artifact(path: str) -> dict:
    """A path under the current folder as a URI relative to %SRCROOT% (what GitHub code scanning maps to the
    repository), anything else as an absolute file URI."""
    from urllib.parse import quote  # only SARIF needs it

    absolute = Path(os.path.abspath(path))
    try:
        return {"uri": quote(absolute.relative_to(Path.cwd()).as_posix()), "uriBaseId": "%SRCROOT%"}
    except ValueError:
        return {"uri": absolute.as_uri()}


# -- statistics and fixes ------------------------------------------------------------------------------
def render_statistics(results: Sequence[Result], fmt: str, unsafe: bool, out: TextIO) -> None:
    """Findings counted per code, most frequent first, as ruff's --statistics: count, code, [*] if fixable, name."""
    names = rule_names()
    counts = Counter(f.code for _, f in results)
    fixable = Counter(f.code for _, f in results if f.fixable_at(unsafe))
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if fmt == "json":
        json.dump([{"code": code, "name": names.get(code, ""), "count": count, "fixable": fixable[code]}
                   for code, count in rows], out, indent=2)
        out.write("\n")
        return
    width = max((len(str(count)) for _, count in rows), default=1)
    for code, count in rows:
        out.write(f"{count:>{width}}\t{code}\t{'[*]' if fixable[code] else '[ ]'} {names.get(code, '')}\n")


def render_fixes(fixed: Sequence[Result], would: bool, out: TextIO) -> None:
    """What was fixed (``would``: what --diff would fix), per file and code, as ruff's --show-fixes."""
    names = rule_names()
    if not fixed:
        out.write("No findings would be fixed.\n" if would else "No findings were fixed.\n")
        return
    out.write(f"{'Would fix' if would else 'Fixed'} {_count(len(fixed), 'finding')}:\n")
    by_file: Dict[str, Counter] = {}
    for path, f in fixed:
        by_file.setdefault(path, Counter())[f.code] += 1
    for path, codes in by_file.items():
        out.write(f"- {path}:\n")
        for code, count in sorted(codes.items()):
            out.write(f"    {count} × {code} ({names.get(code, '')})\n")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# -- an interactive terminal ---------------------------------------------------------------------------
class Progress:
    """Files done / total on one rewritten stderr line, at most ten times a second; only on a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.done = self.total = 0
        self.started = time.monotonic()
        self._shown = 0.0

    def add(self, files: int) -> None:
        self.total += files

    def advance(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.enabled and (now - self._shown >= 0.1 or self.done == self.total):
            self._shown = now
            sys.stderr.write(f"\rtf-step-lint: {self.done}/{self.total} files")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled and self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def summary(files: int, analysed: int, cached: int, results: Sequence[Result], fixed: int, unsafe: bool,
            fix_asked: bool, seconds: float) -> str:
    """The line a terminal run ends with: what was linted, what was found and fixed, how long it took."""
    found = [f for _, f in results]
    safe = sum(f.fixable_at(False) for f in found)
    hidden = sum(f.fixable_at(True) for f in found) - safe
    parts = [f"{_count(files, 'file')} linted ({analysed} analysed, {files - analysed} skipped by the prefilter"
             + (f", {cached} from the cache" if cached else "") + ")",
             _count(len(found), "finding")]
    if fix_asked:
        parts.append(f"{fixed} fixed")
    available = safe + (hidden if unsafe else 0)
    if available and not fix_asked:
        parts.append(f"{available} fixable with --fix" + (" --unsafe-fixes" if unsafe and hidden else ""))
    if hidden and not unsafe:
        parts.append(f"{hidden} more with --unsafe-fixes")
    return f"tf-step-lint: {', '.join(parts)}, in {seconds:.1f} s"
