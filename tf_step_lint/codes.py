"""Which codes a run reports, for which TensorFlow.  Free of LibCST, so that a run answered from the cache starts
fast."""
from dataclasses import dataclass
from typing import Optional, Tuple

from tf_step_lint.target import DEFAULT, Version

ERROR_CODE = "TSL000"  # a file that cannot be read, decoded or parsed: always reported


@dataclass(frozen=True)
class Selection:
    """The rule codes to report (None: every rule), as config.py resolves them for a file, and the TensorFlow
    version the code targets (rules about removed or renamed APIs ask it)."""

    codes: Optional[Tuple[str, ...]] = None  # sorted, so that its repr keys the cache
    target: Version = DEFAULT

    def __contains__(self, code: str) -> bool:
        return self.codes is None or code in self.codes


ALL = Selection()
