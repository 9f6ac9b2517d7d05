"""A notebook's JSON text, and each fixed cell's new source written back into it.

Writing back replaces, in the file's own text, only the JSON value of the ``source`` of each cell a fix changed,
written as it was (one line per list item with the same whitespace between them, non-ASCII raw or escaped as it
was): every other byte stays, whatever wrote the file (Jupyter's indent of 1, Colab's 2, a hand edit).
"""
import difflib
import json
import re
from typing import Dict, List, Optional, Tuple


class NotebookError(Exception):
    """The file is not a notebook this tool can read; the message says why, in one line."""


def source_lines(text: str) -> List[str]:
    """``text`` as nbformat lists a source: split after each "\\n" only (not at the other breaks
    ``str.splitlines`` knows, such as a form feed)."""
    return [line for line in re.split(r"(?<=\n)", text) if line]


def replaced_sources(text: str, cells: list, sources: Dict[int, str]) -> str:
    """``text`` (a notebook's JSON) with the ``source`` value of each cell of ``sources`` (index -> new text)
    replaced in place, written as the old one was (its list layout, its escaping); every other character stays."""
    spans = []
    for index, new in sources.items():
        old = cells[index - 1]["source"]
        start, end = _source_span(text, cells, index)
        spans.append((start, end, _encoded_like(text[start:end], old, new)))
    for start, end, value in sorted(spans, reverse=True):
        text = text[:start] + value + text[end:]
    return text


def _source_span(text: str, cells: list, index: int) -> Tuple[int, int]:
    """Where the JSON value of cell ``index``'s ``source`` is in ``text``: the k-th place a ``"source"`` key holds
    that value, for the k-th cell that has it (cells with the same source are written alike)."""
    value = cells[index - 1]["source"]
    same = [i for i, cell in enumerate(cells, 1) if cell.get("source") == value and type(cell.get("source")) is type(
        value)]
    if isinstance(value, str):
        body = _string_pattern(value)
    elif value:
        body = r"\[\s*" + r"\s*,\s*".join(_string_pattern(line) for line in value) + r"\s*\]"
    else:
        raise NotebookError("not fixed: the cell's source is an empty list")
    found = [m.span(1) for m in re.finditer(r'"source"\s*:\s*(' + body + ")", text)]
    if len(found) != len(same):
        raise NotebookError("not fixed: the cell's source cannot be told apart from other text of the notebook")
    return found[same.index(index)]


_ESCAPES = {'"': r'\\"', "\\": r"\\\\", "\n": r"\\n", "\r": r"\\r", "\t": r"\\t", "\b": r"\\b",
            "\f": r"\\f", "/": r"(?:/|\\/)"}


_HTML_SAFE = frozenset("<>&'=")  # escaped as \\u003c... by writers that make JSON safe in HTML (Colab)


def _string_pattern(value: str) -> str:
    """A pattern for ``value`` as any JSON writer spells it: characters raw or escaped as \\uXXXX."""
    parts = ['"']
    for char in value:
        code = ord(char)
        if char in _ESCAPES:
            parts.append(_ESCAPES[char])
        elif code < 0x20:
            parts.append(rf"\\u(?i:{code:04x})")
        elif code < 0x80 and char not in _HTML_SAFE:
            parts.append(re.escape(char))
        elif code < 0x10000:
            parts.append(rf"(?:{re.escape(char)}|\\u(?i:{code:04x}))")
        else:
            high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
            parts.append(rf"(?:{re.escape(char)}|\\u(?i:{high:04x})\\u(?i:{low:04x}))")
    parts.append('"')
    return "".join(parts)


def _encoded_like(old_text: str, old, new: str) -> str:
    """``new`` as JSON written the way ``old_text`` (the JSON of ``old``) is.  For a list of lines, the lines that
    did not change keep their own JSON text and the whitespace between them; new lines get the same whitespace, and
    non-ASCII escaped if the old text escaped it."""
    escaped = bool(re.search(r"\\u(?!00[0-7][0-9a-fA-F])[0-9a-fA-F]{4}", old_text)) or (
        old_text.isascii() and not ("".join(old) if isinstance(old, list) else old).isascii())
    encode = lambda line: json.dumps(line, ensure_ascii=escaped)  # noqa: E731
    if isinstance(old, str):
        return encode(new)
    spans = [m.span() for m in _JSON_STRING.finditer(old_text)]
    if len(spans) != len(old):
        raise NotebookError("not fixed: the cell's source is not written as one string per line")
    gaps = [old_text[end:start] for (_, end), (start, _) in zip(spans, spans[1:])]
    default_gap = gaps[0] if gaps else "," + old_text[1:spans[0][0]]
    pieces: List[Tuple[Optional[int], str]] = []  # (old element index or None, its JSON)
    new_lines = new_source_list(old, new)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new_lines, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.extend((i, old_text[spans[i][0]:spans[i][1]]) for i in range(i1, i2))
        else:
            pieces.extend((None, encode(line)) for line in new_lines[j1:j2])
    joined = pieces[0][1] if pieces else ""
    for (before, _), (after, text) in zip(pieces, pieces[1:]):
        kept = before is not None and after == before + 1
        joined += (gaps[before] if kept else default_gap) + text
    return old_text[:spans[0][0]] + joined + old_text[spans[-1][1]:]


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def new_source_list(old: list, new: str) -> List[str]:
    """The list source of a cell whose text is now ``new``: one item per line, and an empty last item kept where
    the old list had one (some writers add it)."""
    lines = source_lines(new)
    return lines + [""] if old and old[-1] == "" else lines
