"""LibCST parsing at a cost linear in the file's size.

LibCST's parser slows down more than linearly on very long files (a 100,000-line module took 27 s and 2 GB, ten
10,000-line ones 14 s), and the cyclic garbage collector rescans the growing tree while it builds it.  So the
collector is paused while parsing (a LibCST tree has no cycles), and a long file is parsed in pieces cut before
top-level statements, which are then joined into one Module.  Each piece prints back its own bytes (LibCST
round-trips), and the join only moves blank and comment lines between pieces into the next statement, so the joined
module prints back the original bytes as long as every piece was decoded and rendered with the same encoding,
newline and indentation; when they differ, the file is parsed whole.
"""
import ast
import gc
from contextlib import contextmanager
from typing import Iterator, List, Union

import libcst as cst

PIECE_LINES = 2000  # pieces at least this long; files shorter than two pieces are parsed whole


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


def parse_module(source: Union[str, bytes]) -> cst.Module:
    """``libcst.parse_module``, with the same result and errors, in time linear in the length of ``source``."""
    with collector_paused():
        if isinstance(source, bytes) and source.count(b"\n") >= 2 * PIECE_LINES:
            module = _parse_in_pieces(source)
            if module is not None:
                return module
        return cst.parse_module(source)


def _parse_in_pieces(source: bytes) -> Union[cst.Module, None]:
    cuts = _cut_lines(source)
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


def _cut_lines(source: bytes) -> List[int]:
    """1-based lines to cut before: starts of top-level statements, about PIECE_LINES apart."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    cuts: List[int] = []
    last = 1
    for statement in tree.body:
        start = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
        if statement.col_offset == 0 and start - last >= PIECE_LINES:
            cuts.append(start)
            last = start
    return cuts
