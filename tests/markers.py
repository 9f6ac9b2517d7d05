"""Expected findings are written into test sources as trailing `# TSLnnn` comments."""
import re
from typing import List, Set, Tuple

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


def reported(source: str) -> Set[Tuple[int, str]]:
    return {(f.line, f.code) for f in lint_source(source)}


def fixed(source: str) -> str:
    return fix_source(source.encode()).source.decode()


def python_blocks(markdown: str, heading: str) -> List[str]:
    """The ```python blocks under ``## heading`` (up to the next ## heading)."""
    section = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, re.S | re.M)
    if section is None:
        return []
    return re.findall(r"^```python\n(.*?)^```", section.group(1), re.S | re.M)
