"""flake8 plugin: the CLI's findings, through the same engine, as flake8 errors."""
from typing import Iterator, Tuple

from tf_step_lint import __version__
from tf_step_lint.engine import lint_source, rules_that_may_fire


class Flake8Plugin:
    name = "tf-step-lint"
    version = __version__

    def __init__(self, tree, filename: str, lines) -> None:  # flake8 passes these by name; tree is unused
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        source = "".join(self.lines)
        if not rules_that_may_fire(source):  # nothing to analyse, and flake8 has checked the syntax already
            return
        for finding in lint_source(source):
            yield finding.line, finding.column - 1, f"{finding.code} {finding.message}", type(self)
