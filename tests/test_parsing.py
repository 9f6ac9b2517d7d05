"""LibCST parsing in pieces (for long files, when fixing) gives the same module as parsing whole: same bytes,
positions, fixes."""
import ast

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

import tf_step_lint.parsing
from tests.test_prefilter import _sources
from tf_step_lint.engine import fix_source
from tf_step_lint.parsing import parse_for_fix


def parse_module(source):
    return parse_for_fix(source, ast.parse(source))


TRICKY_JOINS = b'''# -*- coding: utf-8 -*-
"""Docstring."""
import tensorflow as tf


# a comment between pieces

@decorator
# a comment inside the decorator list
@other(1)
def f(x):
    return x
    # a trailing comment in the block

x = 1; y = 2
if x:
    pass
else:
    y = [
  1,
    ]
class C:
\tdef m(self):
\t\treturn 1
# a comment at the end, no newline after it'''


def _positions(module):
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return sorted((type(node).__name__, p.start.line, p.start.column, p.end.line, p.end.column)
                  for node, p in positions.items() if isinstance(node, (cst.Name, cst.Call, cst.Comment)))


@pytest.fixture
def tiny_pieces(monkeypatch):
    monkeypatch.setattr(tf_step_lint.parsing, "PIECE_LINES", 2)


@pytest.mark.parametrize("source", [
    TRICKY_JOINS,
    TRICKY_JOINS.replace(b"\n", b"\r\n"),
    TRICKY_JOINS.replace(b"\n", b"\r\n", 20),  # mixed newlines: must fall back to a whole parse
    TRICKY_JOINS.replace(b"    ", b"  "),  # two-space pieces before a tab-indented one
    b"\xef\xbb\xbf" + TRICKY_JOINS,
])
def test_joined_pieces_print_back_the_bytes_with_the_positions_of_a_whole_parse(tiny_pieces, source):
    whole = cst.parse_module(source)
    joined = parse_module(source)
    assert joined.bytes == source
    assert _positions(joined) == _positions(whole)


def test_long_files_are_really_cut_unless_pieces_disagree_on_indentation(tiny_pieces, monkeypatch):
    parsed = []
    real_parse = cst.parse_module
    monkeypatch.setattr(cst, "parse_module", lambda s: parsed.append(s) or real_parse(s))
    spaces_only = TRICKY_JOINS.replace(b"\t", b"    ")
    parse_module(spaces_only)
    assert len(parsed) > 3 and b"".join(parsed) == spaces_only
    parsed.clear()
    parse_module(TRICKY_JOINS)  # the tab-indented piece: joined, it would print with the others' indentation
    assert parsed[-1] == TRICKY_JOINS


@pytest.mark.parametrize("name,source", _sources())
def test_fixes_are_those_of_a_whole_parse(name, source, monkeypatch):
    whole = fix_source(source.encode(), unsafe=True)
    monkeypatch.setattr(tf_step_lint.parsing, "PIECE_LINES", 2)
    pieces = fix_source(source.encode(), unsafe=True)
    assert (pieces.source, pieces.fixed, pieces.findings) == (whole.source, whole.fixed, whole.findings)
