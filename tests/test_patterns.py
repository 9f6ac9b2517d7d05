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


PROJECTS = sorted(p for p in (Path(__file__).parent / "fixtures" / "projects").iterdir() if p.is_dir())


@pytest.mark.parametrize("project", PROJECTS, ids=[p.name for p in PROJECTS])
def test_projects_findings_are_exactly_the_marked_ones(project, monkeypatch):
    """Shapes that cross modules, linted as the CLI lints a project: each file's findings at its own markers."""
    from tf_step_lint.cli import lint_paths

    monkeypatch.chdir(project)
    files = sorted(str(p.relative_to(project)) for p in project.rglob("*.py"))
    outcomes = lint_paths(files, [ALL] * len(files), 1)
    found = {(path, f.line, f.code) for path, outcome in zip(files, outcomes) for f in outcome.findings}
    marked = {(path, line, code) for path in files for line, code in expected(Path(path).read_text())}
    assert found == marked
