"""Shared analysis of one module.  Every rule asks this object; no rule re-derives any of it."""
import ast
import re
from functools import cached_property
from typing import FrozenSet, List, Optional, Tuple, Union

from tf_step_lint.analysis.estimators import Estimators, Lifecycles
from tf_step_lint.analysis.index import FUNCTION_TYPES, ModuleIndex
from tf_step_lint.analysis.inputs import Inputs
from tf_step_lint.analysis.modules import NO_OTHER_MODULES, Fact, OtherModules, handed_a_reader
from tf_step_lint.analysis.names import Names
from tf_step_lint.analysis.optimizers import Optimizers
from tf_step_lint.analysis.steps import OPTIMIZER_METHODS, Steps
from tf_step_lint.analysis.sure_increments import SureIncrements
from tf_step_lint.analysis.training import Training
from tf_step_lint.analysis.updates import Updates
from tf_step_lint.finding import Change, Operation, Position
from tf_step_lint.parsing import python_lines, source_text
from tf_step_lint.target import DEFAULT, Version

V1 = "tensorflow.compat.v1"
# A name bound to one of these modules, and what to append to it to reach tensorflow.compat.v1; best first.
_V1_SPELLINGS = ((V1, ""), ("tensorflow", ".compat.v1"), ("tensorflow.compat", ".v1"))
# The LibCST node type a change to an ``ast`` expression finds again (same span, parentheses excluded in both).
_LIBCST_TYPES = {ast.Call: "Call", ast.Name: "Name", ast.Attribute: "Attribute", ast.Subscript: "Subscript"}
_NAME_AT_END = re.compile(r"[^\W\d][\w\u0300-\u036f\u00b7]*$")  # an identifier ending the text


class Analysis:
    def __init__(self, tree: ast.Module, source: Union[str, bytes], external_roots: FrozenSet[str] = frozenset(),
                 target: Version = DEFAULT, modules: OtherModules = NO_OTHER_MODULES):
        """``tree``: ``source`` parsed by ``ast``; ``external_roots``: top-level functions that model_fns of other
        modules of the project call; ``target``: the TensorFlow version the code is meant to run on; ``modules``:
        what the other modules of the project say their functions and classes do."""
        self.external_roots = external_roots
        self.target = target
        self.modules = modules
        self.tree = tree
        self.source = source
        self.index = ModuleIndex(tree)

    @cached_property
    def names(self) -> Names:
        return Names(self.index, self.target)

    @cached_property
    def optimizers(self) -> Optimizers:
        return Optimizers(self.names, self.modules)

    @cached_property
    def training(self) -> Training:
        return Training(self.index, self.names, self.external_roots, self.modules)

    @cached_property
    def inputs(self) -> Inputs:
        return Inputs(self.index, self.names, self.training)

    @cached_property
    def estimators(self) -> Estimators:
        return Estimators(self.names)

    @cached_property
    def steps(self) -> Steps:
        return Steps(self.names, self.optimizers, self.training)

    @cached_property
    def sure_increments(self) -> SureIncrements:
        return SureIncrements(self.steps)

    @cached_property
    def lifecycles(self) -> Lifecycles:
        return Lifecycles(self.names, self.estimators)

    @cached_property
    def updates(self) -> Updates:
        return Updates(self.names, self.training, self.steps)

    def offered(self, name: str, question: str = "fact"):
        """This module's answer to ``question`` about its top-level function or class ``name``, for the modules
        that import it; ``name`` may go on through a module this one imports (``utils.batch_execute``).
        Questions: "fact" (a Fact: what calling it does), "returns_spec" (a function returning an EstimatorSpec),
        "trainer" (a Trainer: what a class's model_fns build their train op with)."""
        name, _, rest = name.partition(".")
        bindings = self.index.scope_of[self.tree].bindings.get(name, [])
        if len(bindings) != 1:
            return None
        node = bindings[0].node
        if bindings[0].kind == "import":  # a package's __init__ re-exporting it: what the defining module says
            paths = self.names.name_in_scope(self.index.scope_of[self.tree], name)
            if not paths or len(paths) != 1:
                return None
            return self.modules.answer(".".join(filter(None, (next(iter(paths)), rest))), question)
        if rest:
            return None
        value = self.index.assigned_value.get(node) if isinstance(node, ast.Name) else None
        if value is not None:
            qualified = self.names.qualified_names(value)
            if qualified:  # `build_optimizer = efficientnet_utils.build_optimizer`: what that module says
                return self.modules.answer(next(iter(qualified)), question) if len(qualified) == 1 else None
            if question != "fact":
                return None
            # `DPAdamOptimizer = make_optimizer_class(AdamOptimizer)`, or a name for it: a class made here
            kinds = {method: self.optimizers.class_kind(value, method) for method in OPTIMIZER_METHODS}
            return Fact(kinds, None, True, False, name)
        if isinstance(node, ast.ClassDef):
            return self._offered_class(self.index.class_of[node], question)
        if isinstance(node, FUNCTION_TYPES):
            return self._offered_function(self.index.function_of[node], question)
        return None

    def _offered_class(self, klass, question: str):
        if question == "trainer":
            return self.steps.trainer(klass)
        if question != "fact":
            return None
        wraps = self.optimizers.wrapped_parameter(klass)
        kinds = {method: self.optimizers.user_class(klass, method) for method in OPTIMIZER_METHODS}
        increments = any(self.steps.increments_when_called(method)[0] for method in klass.methods.values())
        return Fact(kinds, wraps, increments, False, klass.name)

    def _offered_function(self, function, question: str):
        if question == "returns_spec":
            return self.training.returns_spec(function)
        if question != "fact":
            return None
        wraps = self.optimizers.returned_parameter(function)
        kinds = {method: self.optimizers.returned_kind(function, method) for method in OPTIMIZER_METHODS}
        increments, itself = self.steps.increments_when_called(function)
        return Fact(kinds, wraps, increments, itself, function.name)

    def cross_module_calls(self) -> List[str]:
        """Dotted names of other-module functions called by model_fns that increment no step in their own code:
        where their train op may really be built (see project.py); and ``name(keyword)`` where such a call hands
        that keyword a callable that only reads a step (a learning-rate schedule the other module calls on it)."""
        found: List[str] = []
        for unit in self.training.units:
            if self.steps.increments_in_own_code(unit):
                continue
            for call in (call for fn in unit for call in fn.calls):
                name = self.steps.other_module_function(call)
                if name:
                    found.append(name)
                    found.extend(handed_a_reader(name, keyword) for keyword in self.steps.readers_handed(call))
        return found

    # -- text and positions ------------------------------------------------------------------------------
    @cached_property
    def text(self) -> str:
        return source_text(self.source)

    @cached_property
    def lines(self) -> List[str]:
        """The source's lines as Python numbers them, each with its newline."""
        return python_lines(self.text)

    def _column(self, line: int, offset: int) -> int:
        """The 0-based character column of ``ast``'s UTF-8 byte ``offset`` on ``line``."""
        if line > len(self.lines):
            return offset
        text = self.lines[line - 1]
        if text.isascii():
            return offset
        return len(text.encode("utf-8")[:offset].decode("utf-8", "replace"))

    def start(self, node: ast.AST) -> Position:
        """Line (1-based) and character column (0-based) of the start of ``node``."""
        return node.lineno, self._column(node.lineno, node.col_offset)

    def end(self, node: ast.AST) -> Position:
        return node.end_lineno, self._column(node.end_lineno, node.end_col_offset)

    def position(self, node: ast.AST) -> Tuple[int, int]:
        """1-based line and column of the start of ``node``."""
        line, column = self.start(node)
        return line, column + 1

    def attr_position(self, attribute: ast.Attribute) -> Tuple[int, int]:
        """1-based line and column of the name after the dot of ``attribute`` (``ast`` has no node for it).  Read
        from the text: ``ast`` holds the name in NFKC form, which may be shorter or longer than its spelling."""
        line, column = self.end(attribute)
        spelled = _NAME_AT_END.search(self.lines[line - 1][:column])
        return line, column - (len(spelled.group()) if spelled else len(attribute.attr)) + 1

    def code_of(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ""

    def alone_on_its_lines(self, statement: ast.stmt) -> bool:
        """Nothing but indentation before ``statement`` and nothing but a comment after it: LibCST then holds it
        as a line of its own, which a fix can replace or follow."""
        before = self.lines[statement.lineno - 1][:self.start(statement)[1]]
        after = self.lines[statement.end_lineno - 1][self.end(statement)[1]:]
        return not before.strip() and (not after.strip() or after.lstrip().startswith("#"))

    # -- changes, for fixes ---------------------------------------------------------------------------------
    def change(self, node: ast.AST, *operations: Operation, node_type: Optional[str] = None) -> Optional[Change]:
        """A change applying ``operations`` to ``node`` (see tf_step_lint.fixes), or None when LibCST holds no node
        of that span for it (a rule then offers no fix: every fix offered must apply)."""
        node_type = node_type or _LIBCST_TYPES.get(type(node))
        if node_type is None:
            return None
        return Change(node_type, self.start(node), self.end(node), tuple(operations))

    def v1_reference(self, at: ast.AST) -> Optional[Tuple[str, Optional[str]]]:
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
