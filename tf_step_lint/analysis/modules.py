"""What one module may ask of the others of its project: what calling one of their functions or classes does.

A model_fn's optimizer often comes from another module's factory (``utils.build_optimizer(lr)``), its class from
another module (``optimization.AdamWeightDecayOptimizer``), and its step is handed to another module's
learning-rate schedule, which only reads it.  The analysis of that other module answers with a ``Fact``; the
engine's project (tf_step_lint/project.py) finds and analyses the module, so this layer reads no file.
"""
from dataclasses import dataclass
from typing import FrozenSet, Mapping, Optional, Tuple

Parameter = Tuple[Optional[int], Optional[str]]  # position (self excluded) and keyword


@dataclass(frozen=True)
class Fact:
    """What calling a top-level function or class of another module does, as the step rules need to know it."""

    kinds: Mapping[str, object]  # method (minimize, apply_gradients) -> the OptimizerKind of what the call builds
    wraps: Optional[Parameter]  # it forwards minimize/apply_gradients to the optimizer it is given here
    increments: bool  # its code may increment a step handed to it
    increments_itself: bool  # calling it increments the global step it gets itself (never so for a class: building
    # one runs none of its methods)
    description: str  # how a message names it


@dataclass(frozen=True)
class Trainer:
    """What a class of another module's model_fns build their train op with, for its subclasses (Steps.trainer)."""

    methods: FrozenSet[str]  # the methods its model_fns call on ``self``, incrementing no step elsewhere, so that a
    # subclass's override of one is training code ...
    entries: FrozenSet[str]  # ... when an instance of the subclass is driven through one of these


NO_TRAINER = Trainer(frozenset(), frozenset())


class OtherModules:
    """The other modules of the project, as one module sees them; this base knows none (a single source).  Each
    question is its own: what a name does as an optimizer or a step's reader (``fact``) costs far more than whether
    it returns an EstimatorSpec, and most names are asked only the cheap questions."""

    def fact(self, dotted: str) -> Optional[Fact]:
        """What ``dotted`` (an import path as this module spells it) does, if it names a function or class of
        another module of the project."""
        return self.answer(dotted, "fact")

    def returns_spec(self, dotted: str) -> bool:
        """``dotted`` names a function of another module that returns an EstimatorSpec (a model_fn's body)."""
        return bool(self.answer(dotted, "returns_spec"))

    def trainer(self, dotted: str) -> Trainer:
        """What ``dotted``, a class of another module, builds its model_fns' train op with."""
        return self.answer(dotted, "trainer") or NO_TRAINER

    def answer(self, dotted: str, question: str):
        """The answer of the module that defines ``dotted`` to ``question`` (see Analysis.offered); None where no
        module of the project defines it."""
        return None


NO_OTHER_MODULES = OtherModules()


def handed_a_reader(function: str, keyword: str) -> str:
    """How a cross-module call, and the training root it becomes, says that ``function`` is handed a callable that
    only reads a step for ``keyword`` (Analysis.cross_module_calls, project.external_roots, Steps)."""
    return f"{function}({keyword})"


def reader_of(name: str) -> Tuple[str, Optional[str]]:
    """(function, keyword) of a name ``handed_a_reader`` made; (name, None) of any other."""
    if not name.endswith(")") or "(" not in name:
        return name, None
    function, keyword = name[:-1].split("(", 1)
    return function, keyword
