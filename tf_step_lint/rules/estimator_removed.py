"""TSL301: the Estimator API in code that targets TensorFlow 2.16 or later, where it no longer exists."""
import ast
from typing import Iterable, Iterator, Optional, Tuple

from tf_step_lint.analysis import Analysis
from tf_step_lint.api import gone_in_216
from tf_step_lint.finding import Finding
from tf_step_lint.rules.base import Rule
from tf_step_lint.target import spelled

# Where the Estimator API lived, and the path of the generated data that says how each fails on 2.16+.
ESTIMATOR_MODULES = {
    "tensorflow.estimator": "tensorflow.estimator",
    "tensorflow.compat.v1.estimator": "tensorflow.compat.v1.estimator",
    "tensorflow.compat.v2.estimator": "tensorflow.compat.v2.estimator",
    "tensorflow_estimator": "tensorflow_estimator.estimator",
}


class EstimatorRemoved(Rule):
    code = "TSL301"
    name = "estimator-removed"
    requires = (("estimator",),)
    since = (2, 16)

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        uses = [*_imports(analysis), *_attributes(analysis)]
        if not uses:
            return
        node, module = min(uses, key=lambda use: analysis.position(use[0]))
        error = gone_in_216()[ESTIMATOR_MODULES[module]]
        shown = "tf." + module[len("tensorflow."):] if module.startswith("tensorflow.") else module
        message = (f"`{shown}`: TensorFlow {spelled(analysis.target)} (the target) has no Estimator API, so this "
                   f"file fails on import or first use: {error}; pin tensorflow<2.16 (and set target-version), or "
                   "migrate to Keras (reported once per file)")
        yield self.finding(analysis, node, message)


def _module_of(path: str) -> Optional[str]:
    return next((m for m in ESTIMATOR_MODULES if path == m or path.startswith(m + ".")), None)


def _imports(analysis: Analysis) -> Iterator[Tuple[ast.AST, str]]:
    for node in analysis.index.imports:
        if node in analysis.index.version_guarded:
            continue  # `try: from tensorflow import estimator / except ImportError:` handles 2.16 itself
        if isinstance(node, ast.Import):
            paths = [alias.name for alias in node.names]
        elif node.level or node.module is None:
            continue
        else:
            base = node.module
            names = [alias.name for alias in node.names if alias.name != "*"]
            paths = [base, *(f"{base}.{name}" for name in names)]
        module = next((m for m in map(_module_of, paths) if m is not None), None)
        if module is not None:
            yield node, module


def _attributes(analysis: Analysis) -> Iterator[Tuple[ast.AST, str]]:
    for attribute in analysis.index.attributes:
        if attribute.attr != "estimator" or attribute in analysis.index.version_guarded:
            continue
        names = analysis.names.qualified_names(attribute)
        if names and len(names) == 1:
            module = _module_of(next(iter(names)))
            if module is not None:
                yield attribute, module
