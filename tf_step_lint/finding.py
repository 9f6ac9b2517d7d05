"""The one finding type that every output renders, and the fix it may carry."""
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Optional, Tuple

if TYPE_CHECKING:  # LibCST is not imported by a run answered from the cache
    import libcst as cst

SAFE, UNSAFE = "safe", "unsafe"  # a fix's applicability, as ruff names it: `--fix` applies only safe ones


@dataclass(frozen=True)
class Edit:
    """One text replacement of a fix: 1-based (line, column) positions in characters, the end exclusive."""

    start: Tuple[int, int]
    end: Tuple[int, int]
    content: str


@dataclass(frozen=True)
class Fix:
    """Node replacements in the analysed tree, plus an import the replacement text needs.

    A fix read back from the cache has no replacements (applying it needs the file analysed again); ``edits``, the
    same change as text, are computed only for the outputs that print fixes (json, sarif).
    """

    replacements: Mapping["cst.CSTNode", "cst.CSTNode"] = field(default_factory=dict)
    add_import: Optional[Tuple[str, str]] = None  # (module, asname): import tensorflow.compat.v1 as tf
    applicability: str = SAFE  # UNSAFE: fixes the bug but may change something the author wanted (see rule docs)
    edits: Tuple[Edit, ...] = ()


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

    def fixable_at(self, unsafe: bool) -> bool:
        """A fix that `--fix` applies (with ``unsafe``: `--fix --unsafe-fixes`)."""
        return self.fix is not None and (unsafe or self.fix.applicability == SAFE)
