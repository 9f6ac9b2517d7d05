"""What a rule is: a code, a name, and a check that asks the shared analysis and yields findings."""
from typing import ClassVar, Iterable, Optional, Tuple

import libcst as cst

from tf_step_lint.analysis import Analysis
from tf_step_lint.finding import Finding, Fix
from tf_step_lint.target import Version


# Every rule resolves names through a TensorFlow import; the step rules also need an Estimator class or spec.
TENSORFLOW = ("tensorflow",)
ESTIMATOR = ("Estimator", "estimator")


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    # The prefilter: a file can hold a finding only if, for every group, one of its strings is in the text.
    requires: ClassVar[Tuple[Tuple[str, ...], ...]]
    # The TensorFlow versions the rule is about: it runs only when the target version is at least this.
    since: ClassVar[Version] = (0, 0)

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        raise NotImplementedError

    def finding(self, analysis: Analysis, node: cst.CSTNode, message: str, fix: Optional[Fix] = None) -> Finding:
        line, column = analysis.position(node)
        return Finding(self.code, message, line, column, fix)
