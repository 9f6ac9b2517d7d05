"""Every pattern of real-code-patterns.md as a fixture: findings exactly at the `# TSLnnn` markers, nowhere else."""
from pathlib import Path

import pytest

from tests.markers import expected, reported

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "patterns").glob("*.py"))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_findings_are_exactly_the_marked_ones(path):
    source = path.read_text(encoding="utf-8")
    assert reported(source) == expected(source)
