"""Findings as LSP diagnostics, as plain JSON: the fast start publishes them before pygls and lsprotocol are
imported (a third of a second), and the server sends the same dictionaries afterwards."""
import functools
from typing import List, Optional, Sequence

from tf_step_lint.codes import ERROR_CODE
from tf_step_lint.finding import Finding

SOURCE = "tf-step-lint"
ERROR, WARNING = 1, 2  # DiagnosticSeverity
ENCODINGS = ("utf-8", "utf-16", "utf-32")  # what pygls supports; "utf-16" is LSP's default


def choose_encoding(capabilities: Optional[dict]) -> str:
    """The first position encoding the client lists that the server supports, else UTF-16 (pygls's rule)."""
    listed = ((capabilities or {}).get("general") or {}).get("positionEncodings") or ()
    return next((encoding for encoding in listed if encoding in ENCODINGS), "utf-16")


def units(text: str, encoding: str) -> int:
    """The length of ``text`` in the client's position units."""
    if encoding == "utf-32":
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def position(lines: Sequence[str], line: int, column: int, encoding: str) -> dict:
    """The LSP position of 1-based ``line`` and ``column`` (in characters)."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return {"line": line - 1, "character": units(text[:column - 1], encoding)}


def diagnostic(finding: Finding, lines: Sequence[str], encoding: str) -> dict:
    """A finding is an error; a TSL000 (a file that cannot be parsed or read) a warning, over the rest of its line."""
    if finding.end_line is not None:
        end = (finding.end_line, finding.end_column)
    else:
        end = (finding.line, len(lines[finding.line - 1].rstrip("\r\n")) + 1 if finding.line <= len(lines) else 1)
    result = {"range": {"start": position(lines, finding.line, finding.column, encoding),
                        "end": position(lines, *end, encoding)},
              "severity": WARNING if finding.code == ERROR_CODE else ERROR, "code": finding.code,
              "source": SOURCE, "message": finding.message}
    link = doc_link(finding.code)
    if link is not None:
        result["codeDescription"] = {"href": link}
    return result


def diagnostics(findings: List[Finding], lines: Sequence[str], encoding: str) -> List[dict]:
    return [diagnostic(finding, lines, encoding) for finding in findings]


@functools.lru_cache(maxsize=None)
def doc_link(code: str) -> Optional[str]:
    """Where the rule's doc is shown (see docs.rule_doc_url)."""
    from tf_step_lint.docs import rule_doc_url

    return rule_doc_url(code)
