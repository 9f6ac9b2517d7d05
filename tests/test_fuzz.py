"""Fuzzing: generated programs (hypothesmith) and mutated fixtures must never break the linter or its fixes.

For every input: linting does not raise; ``--fix`` output parses; a second fix changes nothing; bytes outside the
fixed nodes are unchanged; a source with no fixable finding comes back byte-identical.  Mutations that keep the
program's meaning (renaming the ``tf`` alias, comments, CRLF, a BOM, tabs) must also keep the findings.

Notebooks are fuzzed too: seeds cut into cells, with IPython lines, markdown cells and outputs between them, in every
layout writers use, and the notebook JSON itself mutated.  Linting and fixing never raise; a fix changes only code
cells' sources, never an IPython line, and a second fix changes nothing.

The budget is TF_STEP_LINT_FUZZ_SECONDS (default 120, shared by the three fuzzers); raise it for long runs.  Each
failing input is printed; save it under tests/fixtures/fuzz/ so that it stays a regression test.
"""
import ast
import difflib
import io
import json
import os
import random
import re
import time
import tokenize
from collections import Counter
from pathlib import Path
from typing import Callable, Dict, List, Set, Tuple

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, seed, settings, strategies as st
import libcst as cst
from libcst import matchers
from libcst.metadata import MetadataWrapper, PositionProvider

from tests.markers import apply_edits, python_blocks, strip
from tf_step_lint import fixes
from tf_step_lint.engine import (_lint, _with_edits, fix_notebook, fix_source, lint_notebook, lint_source, parse,
                                 rules_that_may_fire)
from tf_step_lint.notebook import NotPython
from tf_step_lint.parsing import python_lines
from tf_step_lint.codes import ALL

ROOT = Path(__file__).resolve().parent.parent
BUDGET = float(os.environ.get("TF_STEP_LINT_FUZZ_SECONDS", "120")) / 3
TRAILER = "\n# tensorflow estimator model_fn minimize EstimatorSpec export_saved_model Saver global_step keras\n"
FUZZ_FIXTURES = sorted((Path(__file__).parent / "fixtures" / "fuzz").glob("*.py"))
STATS: Counter = Counter()  # what the inputs exercised, printed with -s


def _seeds() -> List[str]:
    """Rule fixtures, rule doc examples and the bundled examples: code the rules have something to say about."""
    sources = [strip(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "tests/fixtures/patterns").glob("*.py"))]
    for doc in sorted((ROOT / "rules").glob("TSL*.md")):
        text = doc.read_text(encoding="utf-8")
        sources += [block for heading in ("Bad", "Good", "Fixed") for block in python_blocks(text, heading)]
    sources += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.py"))]
    return sources


SEEDS = _seeds()


# -- the properties --------------------------------------------------------------------------------------------
def check(source: bytes) -> Tuple[Set[Tuple[int, str]], bool]:
    """Assert every property for ``source``; its findings as (line, code), and whether it parsed."""
    findings = lint_source(source)
    result = fix_source(source, unsafe=True)  # every fix, unsafe ones included
    parsed = not any(f.code == "TSL000" for f in findings)
    STATS.update(inputs=1, unparsed=not parsed, with_findings=parsed and bool(findings), fixed=bool(result.fixed))
    if not any(f.fixable for f in findings) or not parsed:
        assert result.source == source, "a source without a fixable finding was changed"
    if parsed and any(f.fixable for f in findings):
        _assert_edits_are_the_fixes(source)
    if result.source != source:
        ast.parse(result.source)  # Python reads the fix
        assert fix_source(result.source, unsafe=True).source == result.source, "a second --fix changed it again"
        _assert_changes_inside_fixes(source, result.source)
    return {(f.line, f.code) for f in findings}, parsed


def _assert_edits_are_the_fixes(source: bytes) -> None:
    """Analysing with ``ast`` and fixing with LibCST agree: every fix offered finds all its nodes in LibCST's tree
    and applies; its text edits (json, sarif) turn the source into what applying that fix alone prints; and what it
    changes lies inside the nodes it names (or is an import it adds)."""
    tree = parse(source)
    analysis, findings = _lint(tree, source, rules_that_may_fire(source, ALL), frozenset(), ALL.target)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return  # Python reads it and LibCST does not: every fix is refused, with a TSL000
    if module.bytes != source:
        return  # LibCST cannot print it back: every fix is refused (tested in test_hostile)
    located = fixes.Located(module)
    edited = _with_edits(analysis, [f for f in findings if f.fixable])
    for finding, with_edits in zip([f for f in findings if f.fixable], edited):
        applied, alone = fixes.apply(located, [finding])
        assert applied == [finding], f"the fix of {finding} found no node in LibCST's tree"
        edits = with_edits.fix.edits
        assert apply_edits(module.code, [(e.start, e.end, e.content) for e in edits]) == alone.code, "edits differ"
        lines = _fixed_lines([finding]) | {change.end[0] + 1 for change in finding.fix.changes}  # or just after
        for edit in edits:
            inside = set(range(edit.start[0], edit.end[0] + 1)) <= lines
            assert inside or edit.content.lstrip().startswith(("import ", "from ")), f"{edit} is outside {finding}"


def _fixed_lines(findings) -> Set[int]:
    """The lines of the nodes the fixes of ``findings`` change."""
    return {line for finding in findings for change in (finding.fix.changes if finding.fix else ())
            for line in range(change.start[0], change.end[0] + 1)}


def _assert_changes_inside_fixes(old: bytes, new: bytes) -> None:
    """Every changed line of ``old`` lies in a node a fix replaces; added lines are next to one, or imports.  No
    comment is copied, and one is dropped only with the line it is on (the removed argument's own line)."""
    tree = parse(old)
    _, findings = _lint(tree, old, rules_that_may_fire(old, ALL), frozenset(), ALL.target)
    module = cst.parse_module(old)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    fixed_lines = _fixed_lines(findings)
    old_lines, new_lines = python_lines(old.decode(module.encoding)), python_lines(new.decode(module.encoding))
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    deleted = {line for tag, i1, i2, _, _ in matcher.get_opcodes() if tag == "delete" for line in range(i1 + 1, i2 + 1)}
    old_comments = Counter(node.value for node in positions if isinstance(node, cst.Comment))
    new_comments = Counter(_comments(cst.parse_module(new)))
    assert not new_comments - old_comments, f"comments copied: {new_comments - old_comments}"
    for comment in old_comments - new_comments:
        assert any(positions[node].start.line in deleted for node in positions
                   if isinstance(node, cst.Comment) and node.value == comment), f"comment lost: {comment}"
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            outside = set(range(i1 + 1, i2 + 1)) - fixed_lines
            assert not outside, f"lines {sorted(outside)} changed outside the fixed nodes"
        if tag == "insert" and not (fixed_lines & {i1, i1 + 1}):
            added = "".join(new_lines[j1:j2])
            assert all(line.startswith(("import ", "from ")) or not line.strip()
                       for line in added.splitlines()), f"added outside the fixed nodes: {added!r}"


def _comments(module: cst.Module) -> List[str]:
    return [comment.value for comment in matchers.findall(module, matchers.Comment())]


# -- mutations ------------------------------------------------------------------------------------------------
Mutation = Callable[[str, random.Random], str]


def _rename(source: str, old: str, new: str) -> str:
    """``source`` with every NAME token ``old`` spelled ``new`` (strings and comments untouched)."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    lines = source.splitlines(keepends=True)
    for token in reversed(tokens):
        if token.type == tokenize.NAME and token.string == old and token.start[0] == token.end[0]:
            row, column = token.start
            line = lines[row - 1]
            lines[row - 1] = line[:column] + new + line[column + len(old):]
    return "".join(lines)


def rename_tf_alias(source: str, rng: random.Random) -> str:
    # Python reads identifiers in NFKC form: "ŧf𝟙" is "ŧf1", a name no fixture uses ("tf𝟙" would be "tf1")
    return _rename(source, "tf", rng.choice(["tf_", "tensor_flow", "ŧf", "тф", "ŧf𝟙"]))


def comment_every_line(source: str, rng: random.Random) -> str:
    """A comment before each NEWLINE/NL token: code lines, blank lines and bracketed continuations alike."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    lines = source.splitlines(keepends=True)
    for token in reversed(tokens):
        if token.type in (tokenize.NEWLINE, tokenize.NL) and token.start[0] <= len(lines):
            row, column = token.start
            line = lines[row - 1]
            if "#" not in line[:column] or token.type == tokenize.NL and not line[:column].strip():
                text = rng.choice(["# note", "# ünïcode ✓", "#", "# type: ignore", "# TSL"])
                lines[row - 1] = line[:column] + "  " + text + line[column:]
    return "".join(lines)


def crlf(source: str, rng: random.Random) -> str:
    return source.replace("\r\n", "\n").replace("\n", "\r\n")


def tabs(source: str, rng: random.Random) -> str:
    return re.sub(r"(?m)^((?:    )+)", lambda m: "\t" * (len(m.group(1)) // 4), source)


def blank_lines(source: str, rng: random.Random) -> str:
    return re.sub(r"(?m)^(def |class |import |from )", lambda m: "\n\n" + m.group(1), source)


def wrap_in_class(source: str, rng: random.Random) -> str:
    return "class Wrapper:\n" + _indented(source) + "\n"


def wrap_in_closure(source: str, rng: random.Random) -> str:
    return "def build():\n" + _indented(source) + "    return locals()\n\n\nTRAINING = build()\n"


def _indented(source: str) -> str:
    return "".join("    " + line if line.strip() else line for line in source.splitlines(keepends=True)) or "    pass"


def decorate_functions(source: str, rng: random.Random) -> str:
    decorator = rng.choice(["@functools.wraps(print)", "@staticmethod", "@decorator(1, key=lambda x: x)", "@d"])
    return re.sub(r"(?m)^([ \t]*)(def |async def )", lambda m: f"{m.group(1)}{decorator}\n{m.group(1)}{m.group(2)}",
                  source)


def continue_lines(source: str, rng: random.Random) -> str:
    """Break lines after commas and before ``=``, with brackets or a backslash."""
    source = re.sub(r"(?m)^(\s*\w+) = ", lambda m: f"{m.group(1)} = \\\n    ", source, count=rng.randint(1, 5))
    return re.sub(r", (?=\w)", ",\n        ", source, count=rng.randint(1, 20))


def damage(source: str, rng: random.Random) -> str:
    """Break the source: delete, duplicate or cut a line, or insert a random character."""
    lines = source.splitlines(keepends=True) or [""]
    i = rng.randrange(len(lines))
    how = rng.randrange(4)
    if how == 0:
        del lines[i]
    elif how == 1:
        lines.insert(i, lines[i])
    elif how == 2:
        lines[i] = lines[i][:rng.randrange(len(lines[i]) + 1)]
    else:
        position = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:position] + rng.choice("([{)]}:\\'\"\t\x0c\r\x00é𝟙#") + lines[i][position:]
    return "".join(lines)


MEANING_KEPT: Dict[str, Mutation] = {"rename_tf_alias": rename_tf_alias, "comment_every_line": comment_every_line,
                                     "crlf": crlf, "tabs": tabs}
MEANING_CHANGED: Dict[str, Mutation] = {"blank_lines": blank_lines, "wrap_in_class": wrap_in_class,
                                        "wrap_in_closure": wrap_in_closure, "decorate_functions": decorate_functions,
                                        "continue_lines": continue_lines, "damage": damage}


def _encode(text: str, rng: random.Random) -> bytes:
    return (b"\xef\xbb\xbf" if rng.random() < 0.2 else b"") + text.encode("utf-8")


# -- the fuzzers ----------------------------------------------------------------------------------------------
def test_mutated_fixtures_keep_every_property_and_meaning_keeping_mutations_keep_the_findings():
    deadline = time.monotonic() + BUDGET
    runs = 0
    while time.monotonic() < deadline or runs < len(SEEDS):
        rng = random.Random(runs)
        original = SEEDS[runs % len(SEEDS)]
        kept = [rng.choice(list(MEANING_KEPT)) for _ in range(rng.randint(1, 2))]
        changed = [rng.choice(list(MEANING_CHANGED)) for _ in range(rng.randint(0, 2))] if runs >= len(SEEDS) else []
        context = f"seed source {runs % len(SEEDS)}, mutations {kept + changed} (random.Random({runs}))"
        text = original
        try:
            for name in kept:
                text = MEANING_KEPT[name](text, rng)
        except (tokenize.TokenError, IndentationError, SyntaxError):  # a doc snippet tokenize cannot read
            runs += 1
            continue
        source = _encode(text, rng)
        try:
            if not changed:
                before, parsed = check(original.encode())
                after, parsed_after = check(source)
                if parsed and parsed_after:
                    assert after == before, "a mutation that keeps the meaning changed the findings"
            for name in changed:
                text = MEANING_CHANGED[name](text, rng)
            check(_encode(text, rng))
        except Exception as error:
            raise AssertionError(f"{context}: {error}\n--- source ---\n{text}") from error
        runs += 1
    print(f"\nfuzzed {runs} mutated sources from {len(SEEDS)} seeds; all inputs so far: {dict(STATS)}")


_programs = 0


def _check_generated(seed_index: int, program: str) -> None:
    global _programs
    _programs += 1
    check((SEEDS[seed_index] + "\n" + program + TRAILER).encode("utf-8", "surrogatepass"))


def test_generated_programs_next_to_training_code_keep_every_property():
    strategy = given(st.integers(0, len(SEEDS) - 1), hypothesmith.from_grammar() | hypothesmith.from_node())
    options = settings(max_examples=25, deadline=None, database=None, derandomize=False,
                       suppress_health_check=list(HealthCheck))
    deadline = time.monotonic() + BUDGET
    batch = 0
    while time.monotonic() < deadline:
        seed(batch)(options(strategy(_check_generated)))()
        batch += 1
    print(f"\nfuzzed {_programs} generated programs in {batch} batches; all inputs so far: {dict(STATS)}")
    assert _programs > 0


@pytest.mark.parametrize("path", FUZZ_FIXTURES, ids=[p.stem for p in FUZZ_FIXTURES])
def test_inputs_fuzzing_once_broke_keep_every_property(path):
    check(path.read_bytes())


# -- notebooks ------------------------------------------------------------------------------------------------
IPYTHON_LINES = ["%matplotlib inline", "!pip install -q tensorflow==1.15", "files = !ls", "tf.estimator?",
                 "%load_ext autoreload", "??tf.train", "!echo a \\\n  b"]


def _cells(source: str, rng: random.Random) -> List[dict]:
    """``source`` cut into code cells before random top-level lines, with IPython lines, cell magics and
    markdown cells between, outputs and metadata on some."""
    lines, cells, current = source.splitlines(keepends=True), [], []
    continuations = ("@", ")", "]", "}", "else", "elif", "except", "finally")
    for line in lines:
        if current and line[:1].strip() and not line.startswith(continuations) and rng.random() < 0.3:
            cells.append("".join(current))
            current = []
        current.append(line)
    cells.append("".join(current))
    notebook = []
    for text in cells:
        if rng.random() < 0.3:
            text = rng.choice(IPYTHON_LINES) + "\n" + text
        if rng.random() < 0.1:
            text = "%%time\n" + text
        source_value = text.splitlines(keepends=True) if rng.random() < 0.8 else text
        notebook.append({"cell_type": "code", "execution_count": rng.choice([None, 1, 7]), "metadata": {},
                         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["é ✓\n"]}]
                         if rng.random() < 0.3 else [], "source": source_value})
        if rng.random() < 0.2:
            notebook.append({"cell_type": rng.choice(["markdown", "raw"]), "metadata": {},
                             "source": ["optimizer.minimize(loss)  # not code\n"]})
        if rng.random() < 0.05:
            notebook.append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                             "source": ["%%bash\n", "echo hi\n"]})
    return notebook


def _written(data: dict, rng: random.Random) -> bytes:
    """``data`` as one of the writers writes it: Jupyter, Colab, compact, escaped, CRLF, with or without a newline."""
    text = json.dumps(data, indent=rng.choice([1, 2, 4, None]), ensure_ascii=rng.random() < 0.3,
                      sort_keys=rng.random() < 0.5)
    if rng.random() < 0.1:
        text = text.replace("\n", "\r\n")
    return (text + rng.choice(["\n", ""])).encode("utf-8")


def check_notebook(raw: bytes) -> None:
    """Linting and fixing never raise; a fix changes only code cells' sources (never an IPython line), keeps the
    JSON valid, and a second fix changes nothing.  A notebook of another language is passed over (NotPython)."""
    try:
        lint_notebook(raw)
    except NotPython:
        with pytest.raises(NotPython):
            fix_notebook(raw, unsafe=True)
        return
    result = fix_notebook(raw, unsafe=True)
    STATS.update(notebooks=1, notebooks_fixed=result.source != raw)
    if result.source == raw:
        return
    old, new = json.loads(raw), json.loads(result.source)
    old_sources = [c.get("source") for c in old["cells"]]
    new_sources = [c.get("source") for c in new["cells"]]
    for cell in (*old["cells"], *new["cells"]):
        cell["source"] = None
    assert old == new, "a fix changed something else than a cell's source"
    for before, after in zip(old_sources, new_sources):
        if before != after:
            before_text = "".join(before) if isinstance(before, list) else before
            after_text = "".join(after) if isinstance(after, list) else after
            kept = [line for line in before_text.split("\n") if line.lstrip().startswith(("%", "!", "?"))]
            assert all(line in after_text.split("\n") for line in kept), "a fix changed an IPython line"
    assert fix_notebook(result.source, unsafe=True).source == result.source, "a second --fix changed it again"


def _mutated_json(raw: bytes, rng: random.Random) -> bytes:
    """The notebook's JSON broken or reshaped: truncated, a byte changed, a key dropped, a value retyped."""
    choice = rng.randrange(4)
    if choice == 0:
        return raw[:rng.randrange(len(raw) + 1)]
    if choice == 1:
        position = rng.randrange(len(raw))
        return raw[:position] + bytes([rng.randrange(256)]) + raw[position + 1:]
    data = json.loads(raw)
    targets = [data, *data["cells"]]
    target = rng.choice(targets)
    key = rng.choice(list(target))
    if choice == 2:
        del target[key]
    else:
        target[key] = rng.choice([None, 3, "text", [], {}, [1, "a"], {"source": []}])
    return json.dumps(data, indent=1).encode()


def test_notebooks_of_the_seeds_in_every_layout_and_their_mutated_json_keep_every_property():
    deadline = time.monotonic() + BUDGET
    runs = 0
    while time.monotonic() < deadline or runs < len(SEEDS):
        rng = random.Random(runs)
        data = {"cells": _cells(SEEDS[runs % len(SEEDS)], rng), "metadata": {"kernelspec": {"language": "python"}},
                "nbformat": 4, "nbformat_minor": rng.choice([4, 5])}
        raw = _written(data, rng)
        context = f"seed source {runs % len(SEEDS)} (random.Random({runs}))"
        try:
            check_notebook(raw)
            check_notebook(_mutated_json(raw, rng))
        except Exception as error:
            raise AssertionError(f"{context}: {error}\n--- notebook ---\n{raw.decode(errors='replace')}") from error
        runs += 1
    print(f"\nfuzzed {runs} notebooks; all inputs so far: {dict(STATS)}")
