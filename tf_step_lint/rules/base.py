"""What a rule is: a code, a name, and a check that asks the shared analysis and yields findings."""
from typing import ClassVar, Iterable, Optional

import libcst as cst

from tf_step_lint.analysis import Analysis
from tf_step_lint.finding import Finding, Fix


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]

    def check(self, analysis: Analysis) -> Iterable[Finding]:
        raise NotImplementedError

    def finding(self, analysis: Analysis, node: cst.CSTNode, message: str, fix: Optional[Fix] = None) -> Finding:
        line, column = analysis.position(node)
        return Finding(self.code, message, line, column, fix)
