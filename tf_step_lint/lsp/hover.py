"""Hover on a finding: the rule's summary, what goes wrong and its fix, from the doc `tf-step-lint explain CODE`
prints, so that the explanation is where the cursor is."""
from typing import List, Optional, Sequence

from tf_step_lint.docs import rule_docs
from tf_step_lint.finding import Finding
from tf_step_lint.lsp.diagnostics import doc_link


def covering(findings: Sequence[Finding], line: int, column: int) -> List[Finding]:
    """The findings whose range holds 1-based ``line`` and ``column`` (the end included: the cursor just after a
    name is still on it)."""
    def holds(finding: Finding) -> bool:
        end = (finding.end_line, finding.end_column) if finding.end_line is not None else (finding.line, 1 << 30)
        return (finding.line, finding.column) <= (line, column) <= end

    return [finding for finding in findings if holds(finding)]


def hover_text(findings: Sequence[Finding]) -> Optional[str]:
    """Markdown for ``findings``: each rule's explanation once; None where no finding has a rule doc."""
    parts = []
    for code in dict.fromkeys(finding.code for finding in findings):
        doc = rule_docs().get(code)
        if doc is None:
            continue
        link = doc_link(code)
        title = f"**{doc.code} {doc.name}**" + (f" ([rule doc]({link}))" if link else "")
        fix = doc.section("Fix safety") or ""
        parts.append("\n\n".join(filter(None, [f"{title}: {doc.summary}", f"**Why:** {doc.section('Why')}",
                                               f"**Fix:** {doc.fix_line}", fix])))
    return "\n\n---\n\n".join(parts) or None
