"""The rule docs (rules/TSLnnn-name.md), found both in a checkout and in an installed wheel."""
from importlib import resources
from pathlib import Path
from typing import Dict, List


def _doc_dir():
    packaged = resources.files("tf_step_lint").joinpath("rule_docs")  # the wheel puts rules/ here
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "rules"  # a checkout or an editable install


def rule_docs() -> Dict[str, str]:
    """Code -> Markdown text of its doc."""
    docs = {}
    for entry in _doc_dir().iterdir():
        if entry.name.startswith("TSL") and entry.name.endswith(".md"):
            docs[entry.name.split("-", 1)[0]] = entry.read_text(encoding="utf-8")
    return docs


def rule_codes() -> List[str]:
    """The rules' codes, from the docs' file names: known without importing (and LibCST-parsing with) the rules."""
    return sorted(entry.name.split("-", 1)[0] for entry in _doc_dir().iterdir()
                  if entry.name.startswith("TSL") and entry.name.endswith(".md"))
