"""The one traversal of a module: everything the analyses need, recorded once."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import libcst as cst


@dataclass(eq=False)
class ClassInfo:
    node: cst.ClassDef
    methods: Dict[str, "FunctionInfo"] = field(default_factory=dict)
    # self.<attr> = <value> anywhere in the class's methods
    attributes: Dict[str, List[cst.BaseExpression]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.node.name.value


@dataclass(eq=False)
class FunctionInfo:
    node: cst.FunctionDef
    parent: Optional["FunctionInfo"]  # the function this one is nested in
    owner: Optional[ClassInfo]  # the class this is a method of
    calls: List[cst.Call] = field(default_factory=list)  # calls in its body (lambdas included, nested defs not)
    returns: List[cst.BaseExpression] = field(default_factory=list)
    nested: List["FunctionInfo"] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.node.name.value

    def positional_params(self) -> List[str]:
        params = self.node.params
        return [p.name.value for p in (*params.posonly_params, *params.params)]


@dataclass(frozen=True)
class CallSite:
    node: cst.Call
    function: Optional[FunctionInfo]  # None at module level
    klass: Optional[ClassInfo]  # innermost enclosing class


class ModuleIndex(cst.CSTVisitor):
    """Records functions, classes, calls, returns and simple assignments in a single pass."""

    def __init__(self) -> None:
        self.functions: List[FunctionInfo] = []
        self.classes: List[ClassInfo] = []
        self.calls: List[CallSite] = []
        self.function_of: Dict[cst.FunctionDef, FunctionInfo] = {}
        self.class_of: Dict[cst.ClassDef, ClassInfo] = {}
        # Name node that is an assignment target -> the assigned value (single-name targets only)
        self.assigned_value: Dict[cst.Name, cst.BaseExpression] = {}
        self.names_used: set = set()
        self._functions: List[FunctionInfo] = []
        self._classes: List[ClassInfo] = []
        self._scopes: List[object] = []  # FunctionInfo or ClassInfo, innermost last

    # structure
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        info = ClassInfo(node)
        self.classes.append(info)
        self.class_of[node] = info
        self._classes.append(info)
        self._scopes.append(info)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()
        self._scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        parent = self._functions[-1] if self._functions else None
        owner = self._scopes[-1] if self._scopes and isinstance(self._scopes[-1], ClassInfo) else None
        info = FunctionInfo(node, parent, owner)
        if owner is not None:
            owner.methods[info.name] = info
        if parent is not None:
            parent.nested.append(info)
        self.functions.append(info)
        self.function_of[node] = info
        self._functions.append(info)
        self._scopes.append(info)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()
        self._scopes.pop()

    # facts
    def visit_Call(self, node: cst.Call) -> None:
        function = self._functions[-1] if self._functions else None
        if function is not None:
            function.calls.append(node)
        self.calls.append(CallSite(node, function, self._classes[-1] if self._classes else None))

    def visit_Return(self, node: cst.Return) -> None:
        if self._functions and node.value is not None:
            self._functions[-1].returns.append(node.value)

    def visit_Name(self, node: cst.Name) -> None:
        self.names_used.add(node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._record_target(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._record_target(node.target, node.value)

    def _record_target(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.assigned_value[target] = value
        elif (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value == "self"
            and self._classes
        ):
            self._classes[-1].attributes.setdefault(target.attr.value, []).append(value)
