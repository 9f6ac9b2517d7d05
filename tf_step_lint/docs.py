"""The rule docs (rules/TSLnnn-name.md), found both in a checkout and in an installed wheel.

They are the one source of each rule's name, one-line summary and fix safety for every output (`explain`, SARIF
rule metadata, `--statistics`), read without importing the rules (and LibCST).
"""
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from tf_step_lint import __version__

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

    @property
    def fix_line(self) -> str:
        """What follows ``**Fix:**``: the fix's safety, and the TF versions the rule is about."""
        return self.text.split("**Fix:** ", 1)[1].split("\n", 1)[0]

    def section(self, heading: str) -> str:
        """The text under ``## heading``, up to the next heading ("" if the doc has none)."""
        match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", self.text, re.S | re.M)
        return match.group(1).strip() if match else ""


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


def rule_doc_url(code: str) -> Optional[str]:
    """The link an editor shows for rule ``code``: its doc in the project's repository at this version, when the
    installed package names a repository (``[project.urls]``), else the doc installed with the package."""
    path = rule_doc_path(code)
    if path is None:
        return None
    repository = _repository_url()
    return f"{repository}/blob/v{__version__}/rules/{path.name}" if repository else path.as_uri()


@functools.lru_cache(maxsize=1)
def _repository_url() -> Optional[str]:
    from importlib import metadata

    try:
        urls = metadata.metadata("tf-step-lint").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    named = dict(url.split(", ", 1) for url in urls if ", " in url)
    found = next((named[name] for name in ("Repository", "Source", "Homepage") if name in named), None)
    return found.rstrip("/") if found else None


def rule_codes() -> List[str]:
    """The rules' codes, from the docs' file names: known without reading (or parsing) the docs."""
    return [entry.name.split("-", 1)[0] for entry in _doc_files()]
