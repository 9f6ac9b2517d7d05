"""flake8 plugin: the CLI's findings, through the same engine, as flake8 errors.

flake8's own options (``--select``, ``--extend-select``, ``--per-file-ignores``, in ``.flake8``, ``setup.cfg`` or
``tox.ini``) choose the codes; of ``[tool.tf-step-lint]`` only ``target-version`` applies, as a fact about the project.
"""
import os
from typing import Iterator, Optional, Tuple

from tf_step_lint import __version__
from tf_step_lint.codes import ERROR_CODE, Selection
from tf_step_lint.config import ConfigError, target_for
from tf_step_lint.engine import lint_source, rules_that_may_fire
from tf_step_lint.target import Version, parse_version


class Flake8Plugin:
    name = "tf-step-lint"
    version = __version__
    target_version: Optional[Version] = None  # --tf-target-version; else found for each file as the CLI finds it

    def __init__(self, tree, filename: str, lines) -> None:  # flake8 passes these by name
        self.tree = tree  # flake8's own ``ast`` of the file: the engine analyses it without parsing again
        self.filename = filename
        self.lines = lines

    @staticmethod
    def add_options(manager) -> None:
        manager.add_option("--tf-target-version", parse_from_config=True, metavar="X.Y",
                           help="tf-step-lint: the TensorFlow version the code runs on (default: from "
                                "pyproject.toml or the project's TensorFlow pin, else 2.15)")

    @classmethod
    def parse_options(cls, options) -> None:
        value = getattr(options, "tf_target_version", None)
        cls.target_version = parse_version(value) if value else None

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        source = "".join(self.lines)
        target = self.target_version
        if target is None:
            try:
                target = target_for(os.path.dirname(self.filename) if self.filename not in ("-", "stdin") else ".")
            except ConfigError as error:
                yield 1, 0, f"{ERROR_CODE} {error}", type(self)
                return
        selection = Selection(target=target)
        if not rules_that_may_fire(source, selection):  # nothing to analyse, and flake8 has checked the syntax
            return
        for finding in lint_source(source, selection, tree=self.tree):
            yield finding.line, finding.column - 1, f"{finding.code} {finding.message}", type(self)
