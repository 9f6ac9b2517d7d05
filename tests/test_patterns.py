"""Every pattern of real-code-patterns.md as a fixture: findings exactly at the `# TSLnnn` markers, nowhere else.

A fixture is linted for the default target TensorFlow unless its first line says `# target-version: X.Y`."""
import re
from pathlib import Path

import pytest

from tests.markers import expected, reported
from tf_step_lint.codes import ALL, Selection
from tf_step_lint.target import parse_version

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "patterns").glob("*.py"))
TARGET_LINE = re.compile(r"# target-version: (\S+)\n")


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_findings_are_exactly_the_marked_ones(path):
    source = path.read_text(encoding="utf-8")
    target = TARGET_LINE.match(source)
    selection = Selection(target=parse_version(target.group(1))) if target else ALL
    assert reported(source, selection) == expected(source)
