"""Every rule doc's examples are executed: bad ones flagged at the marked lines and fixed into the Fixed blocks."""
import pytest

from tests.markers import expected, fixed, python_blocks, reported, strip
from tf_step_lint.codes import ALL, Selection
from tf_step_lint.docs import rule_codes, rule_docs
from tf_step_lint.engine import lint_source
from tf_step_lint.finding import SAFE, UNSAFE
from tf_step_lint.rules import ALL_RULES

DOCS = {code: doc.text for code, doc in rule_docs().items()}
LEVELS = {code: doc.fix for code, doc in rule_docs().items()}


def _selection(code):
    """A doc's examples are linted for a TensorFlow the rule is about (TSL301: 2.16)."""
    rule = next(r for r in ALL_RULES if r.code == code)
    return Selection(target=max(ALL.target, rule.since))


SECTIONS = ("What it flags", "Why", "Bad", "Good", "Fix safety")


def test_every_rule_has_a_doc_and_every_doc_a_rule():
    assert sorted(DOCS) == sorted(rule.code for rule in ALL_RULES)
    assert rule_codes() == sorted(rule.code for rule in ALL_RULES)  # what the CLI validates --select against


@pytest.mark.parametrize("code", sorted(DOCS))
def test_doc_shape(code):
    doc = DOCS[code]
    rule = next(r for r in ALL_RULES if r.code == code)
    assert doc.startswith(f"# {code} {rule.name}\n\n")
    assert rule_docs()[code].summary and "\n" not in rule_docs()[code].summary
    assert "**Fix:**" in doc and "**TF versions:**" in doc
    if "**Fix:** none" in doc:  # no autofix: the bad shapes are shown as flagged and left alone
        sections = [s for s in SECTIONS if s != "Bad"] + ["Flagged without autofix"]
        assert not python_blocks(doc, "Bad") and not python_blocks(doc, "Fixed")
    else:
        sections = SECTIONS
        assert python_blocks(doc, "Bad") and len(python_blocks(doc, "Bad")) == len(python_blocks(doc, "Fixed"))
    for section in sections:
        assert f"\n## {section}\n" in doc, f"{code} lacks ## {section}"
    assert python_blocks(doc, "Good")


def _examples(heading):
    return [pytest.param(code, i, block, id=f"{code}-{heading}-{i}")
            for code, doc in sorted(DOCS.items()) for i, block in enumerate(python_blocks(doc, heading))]


@pytest.mark.parametrize("code,index,block", _examples("Bad"))
def test_bad_example_is_flagged_at_marked_lines_and_fixes_to_fixed_example(code, index, block):
    """`--fix` (`--unsafe-fixes` where a fix is unsafe) turns it into the Fixed block; a safe-only run leaves the
    unsafe fixes alone."""
    marks = expected(block)
    assert marks and {c for _, c in marks} == {code}
    source, selection = strip(block), _selection(code)
    assert reported(source, selection) == marks
    levels = {f.fix.applicability for f in lint_source(source, selection) if f.fix}
    assert levels and levels <= ALLOWED[LEVELS[code]]
    assert fixed(source, selection, unsafe=True) == python_blocks(DOCS[code], "Fixed")[index]
    assert reported(fixed(source, selection, unsafe=True), selection) == set()
    if UNSAFE in levels:
        assert fixed(source, selection) != fixed(source, selection, unsafe=True)
    else:
        assert fixed(source, selection) == fixed(source, selection, unsafe=True)


ALLOWED = {"safe": {SAFE}, "unsafe": {UNSAFE}, "safe or unsafe": {SAFE, UNSAFE}}


@pytest.mark.parametrize("code", sorted(c for c, level in LEVELS.items() if level != "none"))
def test_the_fix_level_a_doc_states_is_the_one_its_examples_show(code):
    """A doc that says "safe or unsafe" shows both kinds; "safe" or "unsafe" only that kind (checked above)."""
    levels = {f.fix.applicability for block in python_blocks(DOCS[code], "Bad")
              for f in lint_source(strip(block), _selection(code)) if f.fix}
    assert levels == ALLOWED[LEVELS[code]]


@pytest.mark.parametrize("code,index,block", _examples("Flagged without autofix"))
def test_unfixable_example_is_flagged_and_left_alone(code, index, block):
    source, selection = strip(block), _selection(code)
    assert reported(source, selection) == expected(block) != set()
    assert fixed(source, selection) == source


@pytest.mark.parametrize("code,index,block", _examples("Good"))
def test_good_example_is_clean(code, index, block):
    assert expected(block) == set()
    assert reported(block, _selection(code)) == set()
