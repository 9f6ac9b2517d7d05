"""Whole-project analysis for the CLI: a model_fn in one module that builds its train op with a function of another.

The first pass, which lints every file anyway, also records for every model_fn that increments no step in its own
code the functions of other modules it calls.  The files those functions are in are linted again with them as extra
training roots, so a missing step inside ``optimization.create_optimizer`` is reported where it is, in
optimization.py.  Per-file tools (the flake8 plugin) cannot see this.
"""
import os
from collections import defaultdict
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple


class ProjectIndex:
    """Dotted module names -> files of this run, by path suffix: `bert.optimization` is bert/optimization.py."""

    def __init__(self, files: Sequence[str]):
        self._by_suffix: Dict[Tuple[str, ...], List[str]] = defaultdict(list)
        for file in files:  # absolute, as imports see the folders (resolving every symlink cost a warm run half)
            parts = Path(os.path.splitext(os.path.abspath(file))[0]).parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            for start in range(len(parts)):
                self._by_suffix[parts[start:]].append(file)

    def function(self, importer: str, dotted: str) -> Optional[Tuple[str, str]]:
        """(file, function name) for ``dotted``; a name shared by several files resolves only beside the importer."""
        module, _, function = dotted.rpartition(".")
        candidates = self._by_suffix.get(tuple(module.split("."))) if module else None
        if not candidates:
            return None
        if len(candidates) > 1:
            folder = os.path.dirname(os.path.abspath(importer))
            candidates = [c for c in candidates if os.path.dirname(os.path.abspath(c)) == folder]
        return (candidates[0], function) if len(candidates) == 1 else None


def external_roots(files: Sequence[str], calls: Sequence[Sequence[str]]) -> Dict[str, FrozenSet[str]]:
    """File -> the functions in it that model_fns of other files build their train op with.

    ``calls[i]``: the cross-module calls of ``files[i]`` (``Analysis.cross_module_calls``).
    """
    if not any(calls):
        return {}
    index = ProjectIndex(files)
    roots: Dict[str, set] = defaultdict(set)
    for importer, names in zip(files, calls):
        for dotted in names:
            target = index.function(importer, dotted)
            if target is not None and target[0] != importer:
                roots[target[0]].add(target[1])
    return {file: frozenset(functions) for file, functions in roots.items()}
