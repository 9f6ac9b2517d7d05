"""Which codes a run reports, for which TensorFlow.  Free of LibCST, so that a run answered from the cache starts
fast."""
from dataclasses import dataclass
from typing import Tuple

from tf_step_lint.target import DEFAULT, Version

ERROR_CODE = "TSL000"  # a file that cannot be read, decoded or parsed


@dataclass(frozen=True)
class Selection:
    """Which codes to report, by prefix (the longest matching prefix decides, as in ruff), and the TensorFlow
    version the code targets (rules about removed or renamed APIs ask it)."""

    select: Tuple[str, ...] = ("TSL",)
    ignore: Tuple[str, ...] = ()
    target: Version = DEFAULT

    def __contains__(self, code: str) -> bool:
        selected = max((len(p) for p in self.select if code.startswith(p)), default=-1)
        ignored = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        return selected > ignored


ALL = Selection()
