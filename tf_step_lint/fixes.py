"""Building blocks for autofixes: edits to call arguments that keep the surrounding formatting."""
from typing import List, Optional, Tuple

import libcst as cst

from tf_step_lint.analysis import Analysis
from tf_step_lint.finding import Fix

Import = Tuple[str, str]  # (module, asname)
_STATEMENT_CONTAINERS = (cst.BaseSuite, cst.BaseStatement, cst.Else, cst.ExceptHandler, cst.Finally)


def with_keyword(call: cst.Call, keyword: str, value: cst.BaseExpression) -> cst.Call:
    """``call`` with ``keyword=value`` appended, on its own line if the call puts each argument on one."""
    new = cst.Arg(value=value, keyword=cst.Name(keyword),
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


def without_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """``call`` without ``arg``; a removed last argument hands its comma (or its absence) to the one before.

    A comment after the comma before it stays: it is about the argument that stays.
    """
    args = list(call.args)
    position = args.index(arg)
    del args[position]
    if position == len(args) and args:
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


def _has_comment(whitespace) -> bool:
    return isinstance(whitespace, cst.ParenthesizedWhitespace) and (
        whitespace.first_line.comment is not None or any(line.comment for line in whitespace.empty_lines))


def _comment_then(comment: cst.ParenthesizedWhitespace, rest: cst.BaseParenthesizableWhitespace
                  ) -> cst.ParenthesizedWhitespace:
    """``comment``'s line, then ``rest``'s lines and indentation if it has any (else ``comment``'s own)."""
    if isinstance(rest, cst.ParenthesizedWhitespace):
        return rest.with_changes(first_line=comment.first_line, empty_lines=[*comment.empty_lines, *rest.empty_lines])
    return comment


def get_or_create_step(analysis: Analysis, at: cst.CSTNode) -> Optional[Tuple[cst.BaseExpression, Optional[Import]]]:
    """``<v1>.train.get_or_create_global_step()`` spelled for ``at``, and the import it needs, if any."""
    reference = analysis.v1_reference(at)
    if reference is None:
        return None
    spelling, import_as = reference
    expr = cst.parse_expression(f"{spelling}.train.get_or_create_global_step()")
    return expr, (("tensorflow.compat.v1", import_as) if import_as else None)


def step_fix(analysis: Analysis, at: cst.CSTNode, build) -> Optional[Fix]:
    """A fix whose replacements ``build(step_expression)`` returns, with the import the step needs."""
    step = get_or_create_step(analysis, at)
    if step is None:
        return None
    expr, add_import = step
    return Fix(build(expr), add_import)


def statement_assigning(function: cst.FunctionDef, name: str, value: cst.BaseExpression
                        ) -> Optional[cst.SimpleStatementLine]:
    """The line ``name = value`` (nothing else on it) among ``function``'s statements, not in nested defs."""
    stack: List[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.SimpleStatementLine):
            body = node.body
            if (len(body) == 1 and isinstance(body[0], cst.Assign) and body[0].value is value
                    and len(body[0].targets) == 1 and isinstance(body[0].targets[0].target, cst.Name)
                    and body[0].targets[0].target.value == name):
                return node
        elif not isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            stack.extend(child for child in node.children if isinstance(child, _STATEMENT_CONTAINERS))
    return None
