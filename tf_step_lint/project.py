"""Whole-project analysis for the CLI: a model_fn in one module that builds its train op with a function of another.

Pass 1 records, for every model_fn that increments no step in its own code, the functions of other modules it calls.
Pass 2 lints each module with those functions as extra training roots, so a missing step inside
``optimization.create_optimizer`` is reported where it is, in optimization.py.  Per-file tools (the flake8 plugin)
cannot see this.
"""
from collections import defaultdict
from pathlib import Path
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from tf_step_lint.analysis import Analysis
from tf_step_lint.engine import SourceError, parse
from tf_step_lint.rules.base import ESTIMATOR, TENSORFLOW


def cross_module_calls(path: str) -> List[str]:
    """Dotted names of other-module functions called by model_fns of ``path`` that increment no step themselves."""
    try:
        source = Path(path).read_bytes()
    except OSError:
        return []
    text = source.decode("latin-1")
    if not all(any(token in text for token in group) for group in (TENSORFLOW, ESTIMATOR)):
        return []  # no model_fn can be found here
    try:
        analysis = Analysis(parse(source))
    except SourceError:
        return []
    steps = analysis.steps
    found: List[str] = []
    for unit in analysis.training.units:
        external = [name for fn in unit for call in fn.calls if (name := steps.other_module_function(call))]
        own = [i for i in steps.increments(unit) if steps.other_module_function(i.call) is None]
        if external and not own:
            found.extend(external)
    return found


class ProjectIndex:
    """Dotted module names -> files of this run, by path suffix: `bert.optimization` is bert/optimization.py."""

    def __init__(self, files: Sequence[str]):
        self._by_suffix: Dict[Tuple[str, ...], List[str]] = defaultdict(list)
        for file in files:
            parts = Path(file).resolve().with_suffix("").parts
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
            candidates = [c for c in candidates if Path(c).resolve().parent == Path(importer).resolve().parent]
        return (candidates[0], function) if len(candidates) == 1 else None


def external_roots(files: Sequence[str], map_files: Callable[[Callable, Sequence[str]], Iterable]
                   ) -> Dict[str, FrozenSet[str]]:
    """File -> the functions in it that model_fns of other files build their train op with."""
    index = ProjectIndex(files)
    roots: Dict[str, set] = defaultdict(set)
    for importer, names in zip(files, map_files(cross_module_calls, files)):
        for dotted in names:
            target = index.function(importer, dotted)
            if target is not None and target[0] != importer:
                roots[target[0]].add(target[1])
    return {file: frozenset(functions) for file, functions in roots.items()}
