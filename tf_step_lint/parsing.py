"""LibCST parsing at a cost linear in the file's size.

LibCST's parser slows down more than linearly on very long files (a 100,000-line module took 27 s and 2 GB, ten
10,000-line ones 14 s), and the cyclic garbage collector rescans the growing tree while it builds it.  So the
collector is paused while parsing (a LibCST tree has no cycles), and a long file is parsed in pieces cut before
top-level statements, which are then joined into one Module.  Each piece prints back its own bytes (LibCST
round-trips), and the join only moves blank and comment lines between pieces into the next statement, so the joined
module prints back the original bytes as long as every piece was decoded and rendered with the same encoding,
newline and indentation; when they differ, the file is parsed whole.

Python's own compiler checks the source first (its symbol table, at a fourteenth of LibCST's cost).  It gives the
clearest syntax errors, and it refuses nesting deeper than about 3,000 levels.  LibCST's native parser has no such
guard: a few thousand levels take it minutes, and some more overflow the C stack and kill the process (a
segmentation fault, which no ``except`` catches).  Within Python's limits it is safe, except for ``and``/``or``
chains, which Python keeps flat and LibCST nests: those are measured when a file has many, and LibCST work runs on
one thread whose stack holds MAX_DEPTH levels.
"""
import ast
import gc
import queue
import symtable
import sys
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, List, Optional, TypeVar, Union

import libcst as cst

from tf_step_lint.files import MAX_BYTES, TooLarge

PIECE_LINES = 2000  # pieces at least this long; files shorter than two pieces are parsed whole
MAX_DEPTH = 20_000  # levels of LibCST nesting allowed; measured safe up to 100,000 on the stack below
_STACK_BYTES = 512 << 20  # address space, used only as deep as the parse goes
_RECURSION_LIMIT = 30_000  # Python frames allowed on that thread: Python's deepest nesting (3,000) analysed
_PYTHON_RECURSION_LIMIT = 1000  # Python's default, under which its parser allows about 3,000 levels
_T = TypeVar("_T")


class TooDeep(Exception):
    """The source nests too deeply to be parsed safely."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector; wrap whole lint runs in it, so that the trees are freed (by reference
    counting) before it runs again, instead of being scanned by it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def recursion_limit(limit: int) -> Iterator[None]:
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def parse_module(source: Union[str, bytes]) -> cst.Module:
    """``libcst.parse_module`` in time linear in the length of ``source``, for sources Python's parser accepts.

    Raises what ``ast.parse`` raises for a source Python rejects (SyntaxError, ValueError), TooDeep for nesting
    too deep to parse safely, TooLarge beyond MAX_BYTES, and LibCST's errors for what only LibCST rejects.
    """
    return on_big_stack(_parse_module, source)


def _parse_module(source: Union[str, bytes]) -> cst.Module:
    check_with_python(source)
    if isinstance(source, bytes) and source.count(b"\n") >= 2 * PIECE_LINES:
        module = _parse_in_pieces(source)
        if module is not None:
            return module
    return cst.parse_module(source)


def check_with_python(source: Union[str, bytes]) -> None:
    """Raise what Python's compiler raises for ``source`` (it runs nothing), and TooDeep and TooLarge.

    The check builds Python's symbol table, not an ``ast`` tree: the same parser and depth limits, at a third less
    cost, and it also catches the errors found after parsing (``nonlocal`` with no binding, ...).
    """
    if len(source) > MAX_BYTES:
        raise TooLarge(len(source))
    try:
        with recursion_limit(_PYTHON_RECURSION_LIMIT):  # the parser's depth limit follows it: keep Python's own
            symtable.symtable(source, "<source>", "exec")  # type: ignore[arg-type]  # read as Python reads files
    except (RecursionError, MemoryError):  # Python's parser gives up on deep nesting with these
        raise TooDeep("nested too deeply for Python's parser") from None
    operators = source.count("and" if isinstance(source, str) else b"and") + source.count(
        "or" if isinstance(source, str) else b"or")  # a cheap upper bound ("for" counts too)
    if operators > MAX_DEPTH // 4 and _libcst_depth(ast.parse(source)) > MAX_DEPTH:
        raise TooDeep(f"nested more than {MAX_DEPTH:,} levels deep")


def _libcst_depth(tree: ast.AST) -> int:
    """The nesting depth of ``tree`` as LibCST builds it, where ``a and b and c`` is two levels, not one."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.BoolOp):
            depth += len(node.values) - 2
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def on_big_stack(function: Callable[..., _T], *args) -> _T:
    """``function(*args)`` with the collector paused, on a thread whose stack holds MAX_DEPTH levels of LibCST's
    native parser.

    One thread serves the whole process: a new thread per file would cost LibCST its per-thread set-up each time.
    Callers hand it a whole file's work (parse, analysis, fixes), which is also walked recursively, so a file costs
    one hand-over.  After a fork the thread is gone, and is started again.
    """
    global _parser_thread
    if threading.current_thread() is _parser_thread:
        with collector_paused():
            return function(*args)
    if _parser_thread is None or not _parser_thread.is_alive():
        previous = threading.stack_size(_STACK_BYTES)
        try:
            _parser_thread = threading.Thread(target=_serve, name="tf-step-lint-parser", daemon=True)
            _parser_thread.start()
        finally:
            threading.stack_size(previous)
    answer: "queue.SimpleQueue" = queue.SimpleQueue()
    _requests.put((function, args, answer))
    succeeded, value = answer.get()
    if not succeeded:
        raise value
    return value


_requests: "queue.SimpleQueue" = queue.SimpleQueue()
_parser_thread: Optional[threading.Thread] = None


def wait_for_parser() -> None:
    """Return once the thread has finished the file it is on: after an interruption, Python must not shut down
    under LibCST's native code (it aborts the process)."""
    if _parser_thread is not None and _parser_thread.is_alive():
        on_big_stack(int)


def _serve() -> None:
    while True:
        function, args, answer = _requests.get()
        try:  # LibCST's trees are walked recursively, and this stack holds far more than Python's default allows
            with recursion_limit(_RECURSION_LIMIT), collector_paused():  # (callers wait, so only this thread runs)
                outcome = (True, function(*args))
        except BaseException as error:  # handed to the caller, whatever it is
            outcome = (False, error)
        answer.put(outcome)  # only now, with the limit and the collector restored, may the caller go on


def _parse_in_pieces(source: bytes) -> Optional[cst.Module]:
    cuts = _cut_lines(ast.parse(source))
    if not cuts:
        return None
    lines = source.splitlines(keepends=True)
    bounds = [0, *(c - 1 for c in cuts), len(lines)]
    try:
        pieces = [cst.parse_module(b"".join(lines[a:b])) for a, b in zip(bounds, bounds[1:])]
    except (cst.ParserSyntaxError, UnicodeDecodeError, LookupError, ValueError):
        return None  # the whole parse reports it properly
    indented = [p for p in pieces if any(isinstance(getattr(s, "body", None), cst.IndentedBlock) for s in p.body)]
    if (any(not piece.body for piece in pieces[1:])
            or len({(p.encoding, p.default_newline) for p in pieces}) > 1
            or len({p.default_indent for p in indented}) > 1):
        return None
    body: List[cst.BaseStatement] = list(pieces[0].body)
    carried = list(pieces[0].footer)
    for piece in pieces[1:]:  # comments between pieces belong to the next statement, as in a whole parse
        first = piece.body[0]
        body.append(first.with_changes(leading_lines=[*carried, *piece.header, *first.leading_lines]))
        body.extend(piece.body[1:])
        carried = list(piece.footer)
    return pieces[0].with_changes(body=body, footer=carried, has_trailing_newline=pieces[-1].has_trailing_newline,
                                  default_indent=(indented or pieces)[0].default_indent)


def _cut_lines(tree: ast.Module) -> List[int]:
    """1-based lines to cut before: starts of top-level statements, about PIECE_LINES apart."""
    cuts: List[int] = []
    last = 1
    for statement in tree.body:
        start = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
        if statement.col_offset == 0 and start - last >= PIECE_LINES:
            cuts.append(start)
            last = start
    return cuts
