"""The one finding type that every output renders, and the fix it may carry."""
from dataclasses import dataclass, field
from typing import Optional, Tuple

SAFE, UNSAFE = "safe", "unsafe"  # a fix's applicability, as ruff names it: `--fix` applies only safe ones

Position = Tuple[int, int]  # 1-based line, 0-based column in characters (LibCST's convention)
Operation = Tuple[str, tuple]  # the name of a function of tf_step_lint.fixes, and its arguments after the node


@dataclass(frozen=True)
class Edit:
    """One text replacement of a fix: 1-based (line, column) positions in characters, the end exclusive."""

    start: Tuple[int, int]
    end: Tuple[int, int]
    content: str
    cell: Optional[int] = None  # in a notebook: the cell whose source the positions are in


@dataclass(frozen=True)
class Change:
    """One node of the analysed source to rewrite.  The analysis reads Python's ``ast``; the fixer finds the same
    node again in LibCST's tree by its LibCST type and span, and applies ``operations`` to it in order.

    Plain data, so a finding crosses process boundaries and nothing of LibCST is imported to decide ``[*]``.
    """

    node_type: str  # LibCST class name: "Call", "Attribute", "Name", "SimpleStatementLine", ...
    start: Position
    end: Position
    operations: Tuple[Operation, ...]


@dataclass(frozen=True)
class Fix:
    """The changes that fix a finding, plus an import the new text needs, and a title that says what it inserts.

    A fix read back from the cache has no changes (applying it needs the file analysed again); ``edits``, the
    same change as text, are computed only for the outputs that print fixes (json, sarif).
    """

    changes: Tuple[Change, ...] = ()
    add_import: Optional[Tuple[str, str]] = None  # (module, asname): import tensorflow.compat.v1 as tf
    applicability: str = SAFE  # UNSAFE: fixes the bug but may change something the author wanted (see rule docs)
    edits: Tuple[Edit, ...] = ()
    title: str = ""  # "pass `global_step=tf.train.get_or_create_global_step()`": the new text as it is spelled


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    line: int
    column: int  # 1-based
    fix: Optional[Fix] = field(default=None, compare=False, repr=False)
    # Where the reported node ends (1-based, the column exclusive), for editors' ranges; None: a point.
    end_line: Optional[int] = None
    end_column: Optional[int] = None
    cell: Optional[int] = None  # in a notebook: the cell (1-based, all cells counted) whose source the lines are in

    @property
    def fixable(self) -> bool:
        return self.fix is not None

    def fixable_at(self, unsafe: bool) -> bool:
        """A fix that `--fix` applies (with ``unsafe``: `--fix --unsafe-fixes`)."""
        return self.fix is not None and (unsafe or self.fix.applicability == SAFE)
