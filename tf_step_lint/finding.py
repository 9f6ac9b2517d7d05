"""The one finding type that every output renders, and the fix it may carry."""
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Optional, Tuple

if TYPE_CHECKING:  # LibCST is not imported by a run answered from the cache
    import libcst as cst


@dataclass(frozen=True)
class Fix:
    """Node replacements in the analysed tree, plus an import the replacement text needs."""

    replacements: Mapping["cst.CSTNode", "cst.CSTNode"]
    add_import: Optional[Tuple[str, str]] = None  # (module, asname): import tensorflow.compat.v1 as tf


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    line: int
    column: int  # 1-based
    fix: Optional[Fix] = field(default=None, compare=False, repr=False)

    @property
    def fixable(self) -> bool:
        return self.fix is not None


# Stands for the fix a cached result says a finding has; applying it needs the file analysed again (cli.py does).
CACHED_FIX = Fix(replacements={})
