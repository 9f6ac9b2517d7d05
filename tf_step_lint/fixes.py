"""Applying fixes with LibCST, which prints back every byte it does not change.

Rules describe a fix as data (``finding.Change``): a node's LibCST type and span, and operations named after the
functions below.  Only a run that fixes (or prints a fix's edits) imports this module: it parses the file with
LibCST, finds each change's node again by type and span, and applies the operations to it.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from tf_step_lint.finding import Change, Finding

Span = Tuple[Tuple[int, int], Tuple[int, int]]


# -- operations: each takes the node (as rewritten so far) and returns its replacement ---------------------------
def add_keyword(call: cst.Call, keyword: str, code: str) -> cst.Call:
    """``call`` with ``keyword=code`` appended, on its own line if the call puts each argument on one."""
    new = cst.Arg(value=cst.parse_expression(code), keyword=cst.Name(keyword),
                  equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                        whitespace_after=cst.SimpleWhitespace("")))
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    if isinstance(last.comma, cst.Comma):  # trailing comma: keep it, after the new argument
        before_args = call.whitespace_before_args  # the new line starts as the first argument's does
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        if isinstance(before_args, cst.ParenthesizedWhitespace):  # (without the comment after the "(")
            separator = cst.Comma(whitespace_after=before_args.with_changes(
                first_line=cst.TrailingWhitespace(newline=before_args.first_line.newline), empty_lines=[]))
        args[-1] = last.with_changes(comma=separator)
        new = new.with_changes(comma=last.comma)
    else:  # the space before ")" belongs to the last argument: it moves to the new last one
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
                                     whitespace_after_arg=cst.SimpleWhitespace(""))
        new = new.with_changes(whitespace_after_arg=last.whitespace_after_arg)
    return call.with_changes(args=[*args, new])


def remove_argument(call: cst.Call, index: int) -> cst.Call:
    """``call`` without its ``index``-th argument (in source order); a removed last argument hands its comma (or its
    absence) to the one before.  A comment after the comma before it stays: it is about the argument that stays."""
    args = list(call.args)
    arg = args.pop(index)
    if index == len(args) and args:
        previous = args[-1]
        kept = previous.comma.whitespace_after if isinstance(previous.comma, cst.Comma) else None
        if not _has_comment(kept):
            args[-1] = previous.with_changes(comma=arg.comma)
        elif isinstance(arg.comma, cst.Comma):  # a trailing comma: it follows the comment's line
            args[-1] = previous.with_changes(comma=arg.comma.with_changes(
                whitespace_after=_comment_then(kept, arg.comma.whitespace_after)))
        else:
            args[-1] = previous.with_changes(comma=arg.comma,
                                             whitespace_after_arg=_comment_then(kept, arg.whitespace_after_arg))
    return call.with_changes(args=args)


def remove_arguments(call: cst.Call, indices: Sequence[int]) -> cst.Call:
    """``call`` without the arguments at ``indices`` (source order)."""
    for index in sorted(indices, reverse=True):
        call = remove_argument(call, index)
    return call


def replace(node: cst.BaseExpression, code: str) -> cst.BaseExpression:
    """``code`` in place of ``node``, keeping the parentheses around it."""
    new = cst.parse_expression(code)
    return new.with_changes(lpar=node.lpar, rpar=node.rpar) if node.lpar else new


def rename_attribute(attribute: cst.Attribute, name: str) -> cst.Attribute:
    return attribute.with_changes(attr=attribute.attr.with_changes(value=name))


def rename_keyword(call: cst.Call, old: str, new: str) -> cst.Call:
    """``call`` with its ``old=`` argument given as ``new=``, spacing and comments kept."""
    return call.with_changes(args=[arg.with_changes(keyword=arg.keyword.with_changes(value=new))
                                   if arg.keyword is not None and arg.keyword.value == old else arg
                                   for arg in call.args])


def rename_method(call: cst.Call, name: str) -> cst.Call:
    return call.with_changes(func=rename_attribute(call.func, name))


def append_attributes(node: cst.BaseExpression, names: Sequence[str]) -> cst.BaseExpression:
    """``node.a.b`` for ``names`` ("a", "b"); the parentheses around ``node`` move outside."""
    result = node.with_changes(lpar=[], rpar=[])
    for name in names:
        result = cst.Attribute(value=result, attr=cst.Name(name))
    return result.with_changes(lpar=node.lpar, rpar=node.rpar)


def call(node: cst.BaseExpression) -> cst.Call:
    """``node()``."""
    return cst.Call(func=node.with_changes(lpar=[], rpar=[]), lpar=node.lpar, rpar=node.rpar)


def unwrap_call(node: cst.Call) -> cst.BaseExpression:
    """``f`` for ``f()``."""
    return node.func.with_changes(lpar=node.lpar, rpar=node.rpar) if node.lpar else node.func


def insert_statement_after(line: cst.SimpleStatementLine, code: str) -> cst.FlattenSentinel:
    """``line``, then the statement ``code`` on a line of its own, with the file's indentation and newline."""
    statement = cst.parse_statement(code)
    return cst.FlattenSentinel([line, cst.SimpleStatementLine(body=statement.body)])


OPERATIONS = {function.__name__: function for function in (
    add_keyword, remove_argument, remove_arguments, replace, rename_attribute, rename_method, append_attributes,
    call, rename_keyword, unwrap_call, insert_statement_after)}


def _has_comment(whitespace) -> bool:
    return isinstance(whitespace, cst.ParenthesizedWhitespace) and (
        whitespace.first_line.comment is not None or any(line.comment for line in whitespace.empty_lines))


def _comment_then(comment: cst.ParenthesizedWhitespace, rest: cst.BaseParenthesizableWhitespace
                  ) -> cst.ParenthesizedWhitespace:
    """``comment``'s line, then ``rest``'s lines and indentation if it has any (else ``comment``'s own)."""
    if isinstance(rest, cst.ParenthesizedWhitespace):
        return rest.with_changes(first_line=comment.first_line, empty_lines=[*comment.empty_lines, *rest.empty_lines])
    return comment


# -- applying ------------------------------------------------------------------------------------------------
class Located:
    """LibCST's tree with every node findable by its type name and span."""

    def __init__(self, module: cst.Module):
        self.module = module
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        self._nodes: Dict[Tuple[str, Span], cst.CSTNode] = {}
        for node, where in positions.items():
            key = (type(node).__name__, ((where.start.line, where.start.column), (where.end.line, where.end.column)))
            self._nodes.setdefault(key, node)

    def node(self, change: Change) -> Optional[cst.CSTNode]:
        return self._nodes.get((change.node_type, (change.start, change.end)))


def apply(located: Located, findings: Sequence[Finding]) -> Tuple[List[Finding], cst.Module]:
    """Apply the fixes of ``findings`` whose nodes do not overlap an earlier fix's; the rest wait for the next pass.
    Changes of one fix may nest (a statement and a call in it): they compose.  The findings fixed, and the new tree.
    A fix whose nodes are not all found is not applied."""
    taken: List[Span] = []
    operations: Dict[cst.CSTNode, list] = {}
    imports = set()
    applied = []
    for finding in findings:
        changes = finding.fix.changes
        nodes = [located.node(change) for change in changes]
        spans = [(change.start, change.end) for change in changes]
        if not changes or None in nodes or any(start < other_end and other_start < end for start, end in spans
                                               for other_start, other_end in taken):
            continue
        taken.extend(spans)
        for node, change in zip(nodes, changes):
            operations.setdefault(node, []).extend(change.operations)
        if finding.fix.add_import:
            imports.add(finding.fix.add_import)
        applied.append(finding)
    module = located.module.visit(_Rewrite(operations)) if operations else located.module
    if imports:
        from libcst.codemod import CodemodContext  # costs a third of a second to import: only when needed
        from libcst.codemod.visitors import AddImportsVisitor

        context = CodemodContext()
        for name, asname in sorted(imports):
            AddImportsVisitor.add_needed_import(context, name, asname=asname)
        module = AddImportsVisitor(context).transform_module(module)
    return applied, module


class _Rewrite(cst.CSTTransformer):
    def __init__(self, operations: Dict[cst.CSTNode, list]):
        super().__init__()
        self.operations = operations

    def on_leave(self, original_node, updated_node):
        for name, arguments in self.operations.get(original_node, ()):
            updated_node = OPERATIONS[name](updated_node, *arguments)
        return updated_node
