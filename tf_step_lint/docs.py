"""The rule docs (rules/TSLnnn-name.md), found both in a checkout and in an installed wheel.

They are the one source of each rule's name, one-line summary and fix safety for every output (`explain`, SARIF
rule metadata, `--statistics`), read without importing the rules (and LibCST).
"""
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

FIX_LEVELS = ("safe or unsafe", "unsafe", "safe", "none")  # what a doc's `**Fix:**` line starts with
_HEAD = re.compile(r"# (?P<code>TSL\d{3}) (?P<name>[a-z0-9-]+)\n\n(?P<summary>[^\n]+(?:\n[^\n]+)*)\n\n"
                   r"\*\*Fix:\*\* (?P<fix>[^\n]*)")


@dataclass(frozen=True)
class RuleDoc:
    code: str
    name: str
    summary: str  # the paragraph after the title, on one line
    fix: str  # one of FIX_LEVELS
    text: str  # the whole Markdown doc


def _doc_dir() -> Path:
    """Plain paths, not importlib.resources (10 ms to import, and every run needs the codes): pip unpacks wheels."""
    here = Path(__file__).resolve().parent
    packaged = here / "rule_docs"  # the wheel puts rules/ here
    return packaged if packaged.is_dir() else here.parent / "rules"  # else a checkout or an editable install


def _doc_files() -> List[Path]:
    """rules/TSLnnn-name.md, in code order."""
    return sorted((entry for entry in _doc_dir().iterdir() if entry.name.startswith("TSL") and entry.name.endswith(
        ".md")), key=lambda entry: entry.name)


@functools.lru_cache(maxsize=1)
def rule_docs() -> Dict[str, RuleDoc]:
    """Code -> its doc, in code order; a doc without the header every doc has raises ValueError."""
    docs = {}
    for entry in _doc_files():
        text = entry.read_text(encoding="utf-8")
        head = _HEAD.match(text)
        if head is None:
            raise ValueError(f"{entry.name}: no '# CODE name', summary paragraph and '**Fix:**' line")
        fix = next((level for level in FIX_LEVELS if head["fix"].startswith(level)), None)
        if fix is None:
            raise ValueError(f"{entry.name}: '**Fix:**' must start with one of {', '.join(FIX_LEVELS)}")
        docs[head["code"]] = RuleDoc(head["code"], head["name"], " ".join(head["summary"].split()), fix, text)
    return docs


def rule_doc_path(code: str) -> Optional[Path]:
    """The Markdown file of rule ``code`` (an editor links to it); None for a code without a doc (TSL000)."""
    return next((entry for entry in _doc_files() if entry.name.startswith(f"{code}-")), None)


def rule_codes() -> List[str]:
    """The rules' codes, from the docs' file names: known without reading (or parsing) the docs."""
    return [entry.name.split("-", 1)[0] for entry in _doc_files()]
