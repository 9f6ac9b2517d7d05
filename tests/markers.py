"""Expected findings are written into test sources as trailing `# TSLnnn` comments."""
import re
from typing import List, Optional, Set, Tuple

from tf_step_lint.codes import ALL, Selection
from tf_step_lint.engine import fix_source, lint_source

MARKER = re.compile(r"\s*#\s*(TSL\d{3}(?:\s*,\s*TSL\d{3})*)\s*$")


def expected(source: str) -> Set[Tuple[int, str]]:
    found = set()
    for number, line in enumerate(source.splitlines(), 1):
        match = MARKER.search(line)
        if match:
            found |= {(number, code.strip()) for code in match.group(1).split(",")}
    return found


def strip(source: str) -> str:
    return "".join(MARKER.sub("", line[:-1] if line.endswith("\n") else line) + ("\n" if line.endswith("\n") else "")
                   for line in source.splitlines(keepends=True))


def reported(source: str, selection: Selection = ALL) -> Set[Tuple[int, str]]:
    return {(f.line, f.code) for f in lint_source(source, selection)}


def fixed(source: str, selection: Selection = ALL, unsafe: bool = False) -> str:
    return fix_source(source.encode(), selection, unsafe=unsafe).source.decode()


def apply_edits(text: str, edits: List[Tuple[Tuple[int, int], Tuple[int, int], str]]) -> str:
    """``edits`` ((line, column) start, end exclusive, 1-based, and the new text) applied to ``text``."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def offset(position: Tuple[int, int]) -> int:
        return starts[position[0] - 1] + position[1] - 1

    for start, end, content in sorted(edits, key=lambda e: offset(e[0]), reverse=True):
        text = text[:offset(start)] + content + text[offset(end):]
    return text


def python_blocks(markdown: str, heading: str) -> List[str]:
    """The ```python blocks under ``## heading`` (up to the next ## heading)."""
    return [block for block, _ in claimed_blocks(markdown, heading)]


def claimed_blocks(markdown: str, heading: str) -> List[Tuple[str, Optional[Tuple[str, str]]]]:
    """(block, claim) pairs; the claim is (TF version, what TF does) from `<!-- tf-2.15: ... -->` right after the
    block."""
    section = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, re.S | re.M)
    if section is None:
        return []
    return [(m.group(1), (m.group(2), m.group(3)) if m.group(2) else None) for m in
            re.finditer(r"^```python\n(.*?)^```\n(?:<!-- tf-(\d+\.\d+): (.*?) -->\n)?", section.group(1),
                        re.S | re.M)]
