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
    trained_methods: FrozenSet[str] = frozenset()  # for a class: the methods its model_fns call on ``self`` to
    # build the train op, incrementing no step elsewhere, so that a subclass's override is training code ...
    entry_methods: FrozenSet[str] = frozenset()  # ... when an instance of the subclass is driven through one of these
    returns_spec: bool = False  # for a function: it returns an EstimatorSpec (a model_fn's body, called by others')


class OtherModules:
    """The other modules of the project, as one module sees them; this base knows none (a single source)."""

    def fact(self, dotted: str) -> Optional[Fact]:
        """What ``dotted`` (an import path as this module spells it) does, if it names a function or class of
        another module of the project."""
        return None


NO_OTHER_MODULES = OtherModules()
