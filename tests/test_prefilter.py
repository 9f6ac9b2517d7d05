"""The prefilter never changes a finding: prefiltered linting equals full analysis with every rule."""
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.markers import python_blocks, strip
from tf_step_lint.codes import ALL, Selection
from tf_step_lint.docs import rule_docs
from tf_step_lint.engine import SourceError, _lint, lint_source, parse, rules_that_may_fire
from tf_step_lint.rules import ALL_RULES


def _sources():
    paths = sorted((ROOT / "tests" / "fixtures" / "patterns").glob("*.py")) + sorted((ROOT / "examples").glob("*.py"))
    sources = [(p.name, p.read_text()) for p in paths]
    for code, doc in ((c, d.text) for c, d in rule_docs().items()):
        for heading in ("Bad", "Good", "Flagged without autofix"):
            sources += [(f"{code}-{heading}-{i}", strip(b)) for i, b in enumerate(python_blocks(doc, heading))]
    return sources


def _variants(source):
    """The source, and for each required group of each rule, the source with that group's strings mangled."""
    yield "original", source
    for group in sorted({group for rule in ALL_RULES for group in rule.requires}):
        if any(token in source for token in group):
            mangled = source
            for token in group:
                mangled = mangled.replace(token, token[:-1] + "Q")
            yield f"without {group[0]}", mangled


# The default target, and one where the rules about TensorFlow 2.16 (TSL301) run too.
TARGETS = (ALL, Selection(target=(2, 16)))


def _full_analysis(source, selection):
    try:
        applicable = [rule for rule in ALL_RULES if selection.target >= rule.since]  # the target filters, not text
        return _lint(parse(source), source, applicable, frozenset(), selection.target)[1]
    except SourceError as error:
        return [error.finding]


SOURCES = _sources()


@pytest.mark.parametrize("name,source", SOURCES, ids=[n for n, _ in SOURCES])
def test_prefilter_changes_no_finding(name, source):
    for selection in TARGETS:
        for variant, text in _variants(source):
            assert lint_source(text, selection) == _full_analysis(text, selection), (variant, selection.target)


def test_the_sources_cover_every_rule():
    assert len(SOURCES) > 40
    found = {f.code for _, s in SOURCES for selection in TARGETS for f in _full_analysis(s, selection)}
    assert found >= {rule.code for rule in ALL_RULES}


def test_prefilter_skips_plain_python_and_still_reports_syntax_errors():
    assert rules_that_may_fire("import os\nprint(os.getcwd())\n") == []
    error, = lint_source("print 'python 2'\n")
    assert (error.code, error.line) == ("TSL000", 1) and "Missing parentheses" in error.message
    assert [r.code for r in rules_that_may_fire(Path(ROOT / "examples" / "custom_step_and_export.py").read_bytes())] \
        == ["TSL101", "TSL102", "TSL105", "TSL108", "TSL201", "TSL202", "TSL204", "TSL205", "TSL302"]
