"""TSL302: a name that exists only under ``tf.compat.v1``, reached through the TF2 namespace."""
import ast
from typing import Iterable, Optional

from tf_step_lint.analysis import Analysis
from tf_step_lint.api import tf_api
from tf_step_lint.finding import Finding, Fix
from tf_step_lint.rules.base import TENSORFLOW, Rule, fix_of
from tf_step_lint.target import spelled


class Tf1NameInTf2Namespace(Rule):
    code = "TSL302"
    name = "tf1-name-in-tf2-namespace"
    # tf.train.Saver spells "train.Saver"; tf.placeholder spells ".placeholder"
    requires = (TENSORFLOW, tuple(sorted(path[len("tensorflow"):].lstrip(".") if path.count(".") > 1
                                         else path[len("tensorflow"):] for path in tf_api().v1_only)))
    since = (2, 0)

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        if "contrib" in analysis.index.names_used:
            return  # tf.contrib has no TF2 form at all: this file is TF 1.x code, to migrate as a whole
        api = tf_api()
        for attribute in analysis.index.attributes:
            if attribute.attr not in api.v1_only_last_names or attribute in analysis.index.version_guarded:
                continue
            path = _tf2_path(analysis, attribute)
            if path is None or path not in api.v1_only or _tf2_path(analysis, attribute.value) in api.v1_only:
                continue  # not a v1-only name, or the module before it is already reported
            message = (f"`tf.{path[len('tensorflow.'):]}` exists only in the TF1 API: on TensorFlow "
                       f"{spelled(analysis.target)} it raises AttributeError: {_missing(path)}; use "
                       f"`tf.compat.v1.{path[len('tensorflow.'):]}`")
            yield self.finding(analysis, attribute, message, _fix(analysis, attribute))


def _missing(path: str) -> str:
    """TensorFlow's own words for the missing name: the TF2 API modules live in tensorflow._api.v2."""
    module, name = path.rsplit(".", 1)
    module = module if module == "tensorflow" else "tensorflow._api.v2." + module[len("tensorflow."):]
    return f"module '{module}' has no attribute '{name}'"


def _tf2_path(analysis: Analysis, expr: ast.expr) -> Optional[str]:
    """``tensorflow.X.Y`` when ``expr`` surely names X.Y of the TF2 top-level module."""
    names = analysis.names.qualified_names(expr)
    if not names or len(names) != 1:
        return None
    path = next(iter(names))
    return path if path.startswith("tensorflow.") and not path.startswith("tensorflow.compat.") else None


def _fix(analysis: Analysis, attribute: ast.Attribute) -> Optional[Fix]:
    """``tf.train.AdamOptimizer`` → ``tf.compat.v1.train.AdamOptimizer``: ``.compat.v1`` right after the name bound
    to ``tensorflow``.  Not offered when the chain starts elsewhere (``from tensorflow import train``)."""
    innermost = attribute
    while isinstance(innermost.value, ast.Attribute):
        innermost = innermost.value
    if not isinstance(innermost.value, ast.Name) or analysis.names.qualified_names(innermost.value) != {"tensorflow"}:
        return None
    spelled = analysis.code_of(attribute)
    name = analysis.code_of(innermost.value)
    return fix_of(analysis.change(innermost.value, ("append_attributes", (("compat", "v1"),))),
                  title=f"use `{name}.compat.v1{spelled[len(name):]}`")
