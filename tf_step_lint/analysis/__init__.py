"""Shared analysis of one module.  Every rule asks this object; no rule re-derives any of it."""
from functools import cached_property
from typing import FrozenSet, List, Optional, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from tf_step_lint.analysis.estimators import Estimators
from tf_step_lint.analysis.index import ModuleIndex
from tf_step_lint.analysis.names import Names
from tf_step_lint.analysis.optimizers import Optimizers
from tf_step_lint.analysis.steps import Steps
from tf_step_lint.analysis.training import Training
from tf_step_lint.target import DEFAULT, Version

V1 = "tensorflow.compat.v1"
# A name bound to one of these modules, and what to append to it to reach tensorflow.compat.v1; best first.
_V1_SPELLINGS = ((V1, ""), ("tensorflow", ".compat.v1"), ("tensorflow.compat", ".v1"))


class Analysis:
    def __init__(self, module: cst.Module, external_roots: FrozenSet[str] = frozenset(), target: Version = DEFAULT):
        """``external_roots``: top-level functions that model_fns of other modules of the project call;
        ``target``: the TensorFlow version the code is meant to run on."""
        self.external_roots = external_roots
        self.target = target
        self.wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.module = self.wrapper.module
        self.index = ModuleIndex(self.module)

    @cached_property
    def names(self) -> Names:
        return Names(self.index)

    @cached_property
    def optimizers(self) -> Optimizers:
        return Optimizers(self.names)

    @cached_property
    def training(self) -> Training:
        return Training(self.index, self.names, self.external_roots)

    @cached_property
    def estimators(self) -> Estimators:
        return Estimators(self.names)

    @cached_property
    def steps(self) -> Steps:
        return Steps(self.names, self.optimizers, self.training)

    def cross_module_calls(self) -> List[str]:
        """Dotted names of other-module functions called by model_fns that increment no step in their own code:
        where their train op may really be built (see project.py)."""
        found: List[str] = []
        for unit in self.training.units:
            external = [name for fn in unit for call in fn.calls if (name := self.steps.other_module_function(call))]
            own = [i for i in self.steps.increments(unit) if self.steps.other_module_function(i.call) is None]
            if external and not own:
                found.extend(external)
        return found

    def position(self, node: cst.CSTNode) -> Tuple[int, int]:
        """1-based line and column of the start of ``node``."""
        start = self.wrapper.resolve(PositionProvider)[node].start
        return start.line, start.column + 1

    def v1_reference(self, at: cst.CSTNode) -> Optional[Tuple[str, Optional[str]]]:
        """How to spell ``tensorflow.compat.v1`` at ``at`` with this module's own aliases.

        Returns (spelling, name to import it as, if an import must be added), or None if no spelling is safe.
        """
        scope = self.names.scopes.get(at)
        if scope is None:
            return None
        chain, s = [], scope
        while True:
            chain.append(s)
            if s is s.globals:
                break
            s = s.parent
        candidates = []
        for name in sorted({name for s in chain for name in s.bindings}):
            paths = self.names.name_in_scope(scope, name)
            if paths is None or len(paths) != 1:
                continue
            path = next(iter(paths))
            for rank, (target, suffix) in enumerate(_V1_SPELLINGS):
                if path == target:
                    candidates.append((rank, len(name), name + suffix))
        if candidates:
            return min(candidates)[2], None
        for free in ("tf", "tf_v1"):
            if free not in self.index.names_used:
                return free, free
        return None
