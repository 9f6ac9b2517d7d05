"""Optimizer kind: which optimizer a ``.minimize``/``.apply_gradients`` receiver is, and whether it moves the step.

A call's meaning depends on the class body, not on the class name (real-code-patterns.md section 4): a subclass
of the v1 ``Optimizer`` that overrides ``apply_gradients`` and never touches ``global_step`` does not increment it.
"""
import ast
import dataclasses
from dataclasses import dataclass
from typing import List, Optional, Set, Tuple

from tf_step_lint.analysis.index import FUNCTION_TYPES, ClassInfo, FunctionInfo, FunctionNode, argument, argument_values
from tf_step_lint.analysis.modules import NO_OTHER_MODULES, Fact, OtherModules, Parameter
from tf_step_lint.analysis.names import UNKNOWN, Names, is_configuration
from tf_step_lint.api import Symbol, ThirdPartyOptimizer, third_party_optimizers


@dataclass(frozen=True)
class OptimizerKind:
    family: str  # "v1" (tf.compat.v1.train.Optimizer contract), "keras", or "unknown"
    increments_step: bool = False  # apply_gradients(..., global_step=gs) increments gs
    description: str = ""
    user_class: Optional[str] = None  # a subclass defined in the linted file
    keras_class: Optional[Symbol] = None  # the Keras optimizer class, when it is one of TensorFlow's
    partly: bool = False  # v1 classes of both behaviours: some increment a step they are given, others ignore it

    @property
    def may_increment(self) -> bool:
        """Given the step, some class it may be increments it."""
        return self.increments_step or self.partly


UNKNOWN_KIND = OptimizerKind("unknown")
MAX_STEPS = 2000  # receivers, arguments and constructions one question about an optimizer may look at


class Optimizers:
    def __init__(self, names: Names, modules: OtherModules = NO_OTHER_MODULES):
        self.names = names
        self.modules = modules
        self._budget = MAX_STEPS

    def kind(self, receiver: ast.expr, method: str) -> OptimizerKind:
        self._budget = MAX_STEPS
        return self._kind(receiver, method, set())

    def returned_kind(self, function: FunctionInfo, method: str) -> OptimizerKind:
        """The kind of optimizer ``function`` returns: what another module's ``function(...)`` builds."""
        self._budget = MAX_STEPS
        return _combined([self._origin_kind(origin, method, set())
                          for origin in self._built([function.node], set(), call_the_function=True)])

    def _kind(self, receiver: ast.expr, method: str, active: Set) -> OptimizerKind:
        """``active`` holds the constructions being resolved: `opt = CrossShardOptimizer(opt)` refers to itself,
        and that branch adds nothing beyond the others.  A question that takes more than MAX_STEPS of these has
        no answer: model code that rebinds a name through calls (``x = layer(x)`` again and again) has as many ways
        to be built as orders of its assignments."""
        if self._budget <= 0:
            return UNKNOWN_KIND
        self._budget -= 1
        parameter = self.names.parameter(receiver)
        passed = self.names.passed(*parameter) if parameter is not None else None
        if passed is not None:  # `def _build_train_op(self, optimizer, loss)`: what every call of it gives (the
            # parameter is what is being resolved: a value passed is itself its origin, `_train(loss, Adam(lr))`)
            if parameter[1] in active:
                return UNKNOWN_KIND
            active.add(parameter[1])
            kinds = [self._kind(value, method, active) for value in passed]
            active.discard(parameter[1])
            return _combined(kinds)
        kinds = []
        for origin in self._built(self.names.origins(receiver), set()):
            if origin in active:
                continue
            active.add(origin)
            kinds.append(self._origin_kind(origin, method, active))
            active.discard(origin)
        return _combined(kinds)

    def _origin_kind(self, origin, method: str, active: Set) -> OptimizerKind:
        if isinstance(origin, OptimizerKind):
            return origin
        if origin is UNKNOWN or not isinstance(origin, ast.Call):
            return UNKNOWN_KIND
        return self._constructed(origin, method, active)

    def _built(self, origins: List, factories: Set, call_the_function: bool = False) -> List:
        """``origins``, where a call of a factory of this file (``get_optimizer(params)``, ``self.create_optimizer()``)
        stands for what the factory returns (``call_the_function``: ``origins`` are factories, not calls)."""
        found = []
        for origin in origins:
            if call_the_function:
                functions = [origin]
            else:
                functions = self.names.origins(origin.func) if isinstance(origin, ast.Call) else []
            if len(functions) == 1 and isinstance(functions[0], FUNCTION_TYPES) and functions[0] not in factories:
                returns = self.names.index.function_of[functions[0]].returns
                factories.add(functions[0])
                found.extend(self._built([o for value in returns for o in self.names.origins(value)], factories)
                             if returns else [UNKNOWN])
            else:
                found.append(origin)
        return found

    def _constructed(self, call: ast.Call, method: str, seen: Set) -> OptimizerKind:
        symbol = self.names.symbol(call.func)
        if symbol is not None and symbol.kind == "v1_optimizer" and not symbol.info["base"]:
            name = symbol.public_name.rsplit(".", 1)[-1]
            wraps = symbol.info["wraps_argument"]
            if wraps is None:
                return OptimizerKind("v1", True, name)
            return self._wrapped(call, wraps, symbol.info["init"][wraps], name, method, seen)
        if symbol is not None and symbol.kind == "keras_optimizer":
            return OptimizerKind("keras", False, symbol.public_name, keras_class=symbol)
        if symbol is not None and symbol.kind == "optimizer_factory":
            return self._from_factory(call, symbol, method, seen)
        third_party = self._third_party(call.func)
        if third_party is not None and third_party.wraps is not None:
            return self._wrapped(call, *third_party.wraps, third_party.name, method, seen)
        if third_party is not None:
            return _third_party_kind(third_party)
        classes = self.names.origins(call.func)
        if len(classes) == 1 and isinstance(classes[0], ast.ClassDef):
            klass = self.names.index.class_of[classes[0]]
            wraps = self.wrapped_parameter(klass)
            kind = self._wrapped(call, *wraps, klass.name, method, seen) if wraps is not None else UNKNOWN_KIND
            return kind if kind.family != "unknown" else self._user_class(klass, method, set())
        fact = self.fact_of(call.func)
        if fact is not None and fact.wraps is not None:  # a wrapper class of another module of the project
            return self._wrapped(call, *fact.wraps, fact.description, method, seen)
        kind = self._class_kind(call.func, method, set())  # `make_optimizer_class(cls)(...)`, `optimizer_cls(lr)`,
        if kind is not None:  # another module's class or factory
            return kind
        if symbol is None and self.names.qualified_names(call.func):
            return self._unknown_wrapper(call, method, seen)
        return UNKNOWN_KIND

    def _from_factory(self, call: ast.Call, factory: Symbol, method: str, seen: Set) -> OptimizerKind:
        """``get_optimizer_instance(opt, lr)``: a name (a string, or a setting that holds one) gives one of the
        factory's v1 classes; anything else is returned as it is, an instance, or a class or callable it calls.
        It raises unless what it returns is a v1 ``Optimizer``, so even an ``opt`` nothing here resolves gives one:
        an optimizer that, given no step, moves none."""
        opt = argument(call, factory.param_index("opt"), "opt")
        if opt is None:
            return UNKNOWN_KIND
        classes = factory.info["classes"]
        origins = self.names.origins(opt)
        if all(isinstance(o, ast.Constant) and isinstance(o.value, str) for o in origins):
            names = [o.value for o in origins if o.value in classes]
        elif is_configuration(opt):
            names = sorted(classes)
        else:
            kind = self._kind(opt, method, seen)
            kind = kind if kind.family != "unknown" else self._class_kind(opt, method, seen) or UNKNOWN_KIND
            return kind if kind.family != "unknown" else OptimizerKind("v1", True, "get_optimizer_instance's result")
        return _combined([OptimizerKind("v1", True, classes[name].rsplit(".", 1)[-1]) for name in names])

    def fact_of(self, func: ast.expr) -> Optional[Fact]:
        """What another module of the project says ``func`` builds, if it names one of its functions or classes."""
        return self.names.fact(func, self.modules)

    def _third_party(self, func: ast.expr) -> Optional[ThirdPartyOptimizer]:
        """The optimizer class or wrapper of a package outside TensorFlow that ``func`` names, if every binding
        agrees on one (K-FAC's KfacOptimizer, TFRA's DynamicEmbeddingOptimizer)."""
        known = {third_party_optimizers().get(path) for path in self.names.qualified_names(func) or ()}
        return known.pop() if len(known) == 1 else None

    def _unknown_wrapper(self, call: ast.Call, method: str, seen: Set) -> OptimizerKind:
        """``Wrapper(opt, ...)`` of code this module cannot see (a third-party dynamic-embedding or loss-scaling
        wrapper, a TF 1.x contrib class, ``enable_mixed_precision_graph_rewrite(opt)``), given one v1 optimizer and
        used as an optimizer: a wrapper keeps the v1 ``minimize(loss, global_step=...)`` contract of what it wraps
        (real-code-patterns.md sections 3 and 11)."""
        kinds = [self._kind(value, method, seen) for value in argument_values(call)
                 if isinstance(value, (ast.Name, ast.Call, ast.Attribute))]
        wrapped = [k for k in kinds if k.family == "v1"]
        if len(wrapped) != 1 or any(k.family == "keras" for k in kinds):
            return UNKNOWN_KIND
        name = ".".join(sorted(self.names.qualified_names(call.func))).rsplit(".", 1)[-1]
        return dataclasses.replace(wrapped[0], description=f"{wrapped[0].description} wrapped in {name}")

    def _wrapped(self, call, position, keyword, wrapper, method, seen) -> OptimizerKind:
        inner = argument(call, position, keyword)
        if inner is None:
            return UNKNOWN_KIND
        kind = self._kind(inner, method, seen)
        if kind.family == "unknown":
            return kind
        return dataclasses.replace(kind, description=f"{kind.description} wrapped in {wrapper}")

    def wrapped_parameter(self, klass: ClassInfo) -> Optional[Parameter]:
        """The ``__init__`` parameter of a pass-through wrapper class: one that keeps an optimizer it is given
        (``self._opt = opt``) and whose own minimize/apply_gradients hand their global_step on to that optimizer's,
        as horovod's and projects' own loss-scaling wrappers do."""
        init = klass.methods.get("__init__")
        if init is None:
            return None
        params = init.positional_params()
        kept = {attribute: value.id for attribute, values in klass.attributes.items() for value in values
                if isinstance(value, ast.Name) and value.id in params[1:]
                and self.names.scopes.get(value) is not None and self.names.enclosing_function(value) is init}
        for name in ("apply_gradients", "minimize"):
            method = klass.methods.get(name)
            if method is None:
                continue
            for inner in method.calls:
                func = inner.func
                if (isinstance(func, ast.Attribute) and func.attr in ("apply_gradients", "minimize")
                        and isinstance(func.value, ast.Attribute) and isinstance(func.value.value, ast.Name)
                        and func.value.value.id == "self" and func.value.attr in kept
                        and _hands_the_step_on(method.node.args, inner)):
                    parameter = kept[func.value.attr]
                    return params.index(parameter) - 1, parameter
        return None

    def returned_parameter(self, function: FunctionInfo) -> Optional[Parameter]:
        """The parameter a function returns on every path, as a pass-through wrapper function does: tensorflow
        recommenders-addons' ``DynamicEmbeddingOptimizer(self, ...)`` patches the optimizer it is given and returns
        it."""
        returned = {self.names.parameter(value) for value in function.returns}
        if len(returned) != 1 or None in returned:
            return None
        owner, parameter = returned.pop()
        names = function.positional_params()
        if owner is not function or function.owner is not None or parameter.arg not in names:
            return None
        return names.index(parameter.arg), parameter.arg

    def user_class(self, klass: ClassInfo, method: str) -> OptimizerKind:
        """The kind of instances of ``klass``, a class of this module, decided from its body and its bases."""
        self._budget = MAX_STEPS
        return self._user_class(klass, method, set())

    def _user_class(self, klass: ClassInfo, method: str, seen: Set) -> OptimizerKind:
        if klass in seen:
            return UNKNOWN_KIND
        seen.add(klass)
        parents = [kind for base in klass.node.bases if (kind := self._class_kind(base, method, seen)) is not None]
        families = {p.family for p in parents}
        if families != {"v1"}:
            return OptimizerKind("keras", False, klass.name, klass.name) if families == {"keras"} else UNKNOWN_KIND
        overridden = klass.methods.get(method) if method != "apply_gradients" else None
        if overridden is not None and not _hands_on(overridden, ("minimize", "apply_gradients")):
            return UNKNOWN_KIND  # an overridden minimize may do anything, unless it hands the step on (K-FAC's)
        apply = klass.methods.get("apply_gradients")
        if apply is None:
            inherited = all(p.increments_step for p in parents)
            return OptimizerKind("v1", inherited, klass.name, klass.name)
        uses_step = self._apply_gradients_uses_step(apply.node)
        if uses_step is None:  # apply_gradients(self, grads_and_vars, *args, **kwargs): handed on, or unknown
            uses_step = True if _hands_on(apply, ("apply_gradients",)) else None
        if uses_step is None:
            return UNKNOWN_KIND
        return OptimizerKind("v1", uses_step, klass.name, klass.name)

    def class_kind(self, expr: ast.expr, method: str) -> OptimizerKind:
        """The kind of the instances of the class ``expr`` names."""
        self._budget = MAX_STEPS
        return self._class_kind(expr, method, set()) or UNKNOWN_KIND

    def _class_kind(self, expr: ast.expr, method: str, seen: Set) -> Optional[OptimizerKind]:
        """The kind of the instances of the class ``expr`` names: TensorFlow's, a third-party package's, one of this
        module (its body decides), one a class factory makes, or one another module of the project describes; None
        where nothing says."""
        symbol = self.names.symbol(expr)
        if symbol is not None and symbol.kind == "v1_optimizer":
            return OptimizerKind("v1", True, symbol.public_name.rsplit(".", 1)[-1])
        if symbol is not None and symbol.kind == "keras_optimizer":
            return OptimizerKind("keras", False, symbol.public_name)
        third_party = self._third_party(expr)
        if third_party is not None and third_party.wraps is None:
            return _third_party_kind(third_party)
        local = self.names.origins(expr)
        if len(local) == 1 and isinstance(local[0], ast.ClassDef):
            return self._user_class(self.names.index.class_of[local[0]], method, seen)
        if isinstance(expr, ast.Subscript):  # `_OPTIMIZERS[name]`: a class of a dict of this file, by name
            tables = self.names.origins(expr.value)
            if tables and all(isinstance(t, ast.Dict) for t in tables):
                return _combined([self._class_kind(v, method, seen) or UNKNOWN_KIND for t in tables for v in t.values])
        made = self._made_class(expr, method, seen)
        if made is not None:
            return made
        fact = self.fact_of(expr)  # a class or factory of another module of the project
        if fact is None or fact.wraps is not None:
            return None
        return fact.kinds.get(method, UNKNOWN_KIND)  # no other method (a Keras get_updates) is known

    def _made_class(self, expr: ast.expr, method: str, seen: Set) -> Optional[OptimizerKind]:
        """The kind of the instances of a class that a parameter or a class factory of this module stands for:
        ``cls`` is what every call passes (an optimizer class handed in), and ``make_optimizer_class(cls)`` the
        class it returns (tensorflow_privacy's ``class DPOptimizerClass(cls)``); None where ``expr`` is neither."""
        passed = self.names.parameter_values(expr)
        if passed is not None:
            return _combined([self._class_kind(v, method, seen) or UNKNOWN_KIND for v in passed])
        if self.names.parameter(expr) is not None:
            return None
        kinds = []
        for call in [expr] if isinstance(expr, ast.Call) else self.names.origins(expr):
            factories = self.names.origins(call.func) if isinstance(call, ast.Call) else []
            if len(factories) != 1 or not isinstance(factories[0], FUNCTION_TYPES) or call in seen:
                return None
            seen.add(call)
            returns = self.names.index.function_of[factories[0]].returns
            if not returns:
                return None
            kinds.extend(self._class_kind(value, method, seen) or UNKNOWN_KIND for value in returns)
        return _combined(kinds) if kinds else None

    def _apply_gradients_uses_step(self, node: FunctionNode) -> Optional[bool]:
        """Whether an overriding apply_gradients reads its global_step parameter; None if it has none."""
        params = [*node.args.posonlyargs, *node.args.args]
        names = [p.arg for p in params]
        step = "global_step" if "global_step" in names else names[2] if len(names) >= 3 else None
        if step is None:
            return None
        param = params[names.index(step)]
        scope = self.names.index.function_of[node].scope
        assignments = scope[step] if scope is not None else ()
        return any(self.names.index.references(a) for a in assignments if a.node is param)


def _third_party_kind(optimizer: ThirdPartyOptimizer) -> OptimizerKind:
    """The kind of a third-party optimizer class (a wrapper's is its argument's)."""
    return OptimizerKind(optimizer.family, optimizer.increments_step, optimizer.name)


def _hands_on(method: FunctionInfo, names: Tuple[str, ...]) -> bool:
    """``method`` calls one of ``names`` on ``super()`` or ``self`` with the global step it was given."""
    return any(isinstance(inner.func, ast.Attribute) and inner.func.attr in names
               and (_is_super(inner.func.value) or (isinstance(inner.func.value, ast.Name)
                                                    and inner.func.value.id == "self"))
               and _hands_the_step_on(method.node.args, inner) for inner in method.calls)


def _is_super(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "super"


def _hands_the_step_on(parameters: ast.arguments, inner: ast.Call) -> bool:
    """``inner`` is given the global step its method was given: its ``global_step`` parameter, or everything
    (``apply_gradients(self, *args, **kwargs)`` calling ``self._optimizer.apply_gradients(*args, **kwargs)``, as
    NVIDIA's FixedLossScalerOptimizer does)."""
    if "global_step" in [a.arg for a in (*parameters.posonlyargs, *parameters.args)]:
        return any(isinstance(v, ast.Name) and v.id == "global_step" for v in argument_values(inner))
    if parameters.vararg is None or parameters.kwarg is None:
        return False
    starred = {a.value.id for a in inner.args if isinstance(a, ast.Starred) and isinstance(a.value, ast.Name)}
    double = {k.value.id for k in inner.keywords if k.arg is None and isinstance(k.value, ast.Name)}
    return parameters.vararg.arg in starred and parameters.kwarg.arg in double


def _combined(kinds: List[OptimizerKind]) -> OptimizerKind:
    """One kind for the ways a receiver may be built: branches (``if use_tpu: CrossShardOptimizer(opt)``) agree
    when all are v1 and treat the step alike."""
    if not kinds:
        return UNKNOWN_KIND
    distinct = set(kinds)
    if len(distinct) == 1:
        return distinct.pop()
    if any(k.family != "v1" for k in distinct):
        return UNKNOWN_KIND
    # A user class matters only where it ignores the step (TSL101 names it then).
    ignoring = sorted({k.user_class for k in distinct if not k.increments_step and k.user_class})
    increments = {k.increments_step or k.partly for k in distinct}
    partly = len(increments) == 2 or any(k.partly for k in distinct)
    if not partly and any(not k.increments_step and not k.user_class for k in distinct):
        return UNKNOWN_KIND  # ignores the step, by no class this file shows
    return OptimizerKind("v1", not partly and increments.pop(), _either(sorted(k.description for k in distinct)),
                         " or ".join(ignoring) or None, partly=partly)


def _either(descriptions: List[str]) -> str:
    """'AdamOptimizer, possibly wrapped in CrossShardOptimizer' rather than repeating the common part."""
    bases: List[str] = []
    wrappings = []
    for description in descriptions:
        if ", possibly wrapped in " in description:
            left, right = description.split(", possibly wrapped in ", 1)
            bases.extend(left.split(" or "))
            wrappings.extend([(), tuple(right.replace(" wrapped in ", " or ").split(" or "))])
        else:
            base, *wrappers = description.split(" wrapped in ")
            bases.extend(base.split(" or "))
            wrappings.append(tuple(wrappers))
    base = " or ".join(dict.fromkeys(bases))
    if len(set(wrappings)) == 1:
        return " wrapped in ".join((base, *wrappings[0]))
    wrappers = dict.fromkeys(w for wrapping in wrappings for w in wrapping)
    return f"{base}, possibly wrapped in {' or '.join(wrappers)}"
