"""Jupyter notebooks: their code cells as one Python module, and that module's fixes written back into the cells.

The code cells, in order, form one module, so a model_fn in cell 3 and its Estimator in cell 5 are analysed
together.  IPython's own syntax is masked, never changed: a line magic, shell escape or help line (``%matplotlib``,
``!pip install``, ``x = !ls``, ``estimator?``) reads as ``pass`` (or ``x = None``) on its own line, and a cell
magic's body is Python only for the magics that run their body as Python (``%%time``); any other (``%%bash``) leaves
its cell out.  A cell Python cannot read is left out too, with its own TSL000, and the others are still analysed.

Writing back changes only the ``source`` of the cells a fix changed: the notebook is printed again the way it was
written (Jupyter's indent of 1, Colab's 2, its key order, non-ASCII as it was, its final newline or none), and only
where printing the original that way gives back its exact bytes.  Otherwise the fix is refused: nothing else may
change.
"""
import ast
import json
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from tf_step_lint.finding import Edit

# Cell magics whose body IPython runs as Python.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "tensorflow_version"})
_SHELL_OR_MAGIC = re.compile(r"^([ \t]*)[!%]")
_ASSIGNED_FROM_SHELL = re.compile(r"^([ \t]*)([A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*)[ \t]*=[ \t]*[!%]")
_HELP = re.compile(r"^([ \t]*)(?:\?{1,2}[\w.]|[\w.\[\]()]+\?{1,2}[ \t]*$)")
_CELL_MAGIC = re.compile(r"^%%(\w+)")


class NotebookError(Exception):
    """The file is not a notebook this tool can read; the message says why, in one line."""


class NotPython(Exception):
    """The notebook's kernel runs another language: it is passed over, with a note."""


@dataclass(frozen=True)
class Cell:
    index: int  # 1-based, among all the notebook's cells (markdown and raw ones count), as it is shown
    text: str  # its source, joined
    module_start: int  # the module line its first line is (0: not in the module)
    lines: int  # how many module lines it fills
    masked: Tuple[int, ...]  # its lines (1-based) that are IPython syntax, read as `pass`


@dataclass
class Notebook:
    data: dict
    cells: List[Cell]  # its code cells
    module: str  # the code cells that are in the module, masked, one after another
    unreadable: List[Tuple[int, str, int, int]]  # (cell, why, line, column) of code cells Python cannot read

    def cell_at(self, line: int) -> Optional[Tuple[Cell, int]]:
        """The cell that module ``line`` is in, and the line's number within the cell."""
        for cell in self.cells:
            if cell.module_start and cell.module_start <= line < cell.module_start + cell.lines:
                return cell, line - cell.module_start + 1
        return None

    def with_cell_sources(self, sources: Dict[int, str], raw: bytes) -> bytes:
        """``raw`` (this notebook's bytes) with the cells of ``sources`` (index -> new text) given new source;
        NotebookError if the file cannot be printed again byte for byte outside those sources."""
        layout = _layout(self.data, raw)
        for cell in self.cells:
            if cell.index in sources:
                entry = self.data["cells"][cell.index - 1]
                entry["source"] = (sources[cell.index] if isinstance(entry["source"], str)
                                   else sources[cell.index].splitlines(keepends=True))
        return _dumped(self.data, layout)

    def edits_by_cell(self, edits: Sequence[Edit]) -> Optional[Dict[int, List[Edit]]]:
        """Module ``edits`` as edits of each cell's own text (positions within the cell); None where an edit
        crosses cells or touches IPython syntax, which a fix must never change."""
        by_cell: Dict[int, List[Edit]] = {}
        for edit in edits:
            start = self.cell_at(edit.start[0])
            if start is None:
                return None
            cell, line = start
            end_line = edit.end[0] - cell.module_start + 1
            if end_line > cell.lines + 1 or (end_line == cell.lines + 1 and edit.end[1] != 1):
                return None  # into the next cell
            if any(line <= masked <= end_line for masked in cell.masked):
                return None
            by_cell.setdefault(cell.index, []).append(Edit((line, edit.start[1]), (end_line, edit.end[1]),
                                                           edit.content))
        return by_cell

    def edited_sources(self, edits: Sequence[Edit]) -> Optional[Dict[int, str]]:
        """Each cell's new text under module ``edits``; None where they cannot be put in the cells."""
        by_cell = self.edits_by_cell(edits)
        if by_cell is None:
            return None
        sources = {}
        for cell in self.cells:
            if cell.index in by_cell:
                padded = cell.text if cell.text.endswith("\n") else cell.text + "\n"
                edited = apply(padded, by_cell[cell.index])
                sources[cell.index] = edited[:-1] if padded != cell.text and edited.endswith("\n") else edited
        return sources


def apply(text: str, edits: Sequence[Edit]) -> str:
    """``edits`` (1-based line and column positions, the end exclusive) applied to ``text``."""
    starts = [0] + [match.end() for match in re.finditer(r"\r\n|\r|\n", text)]
    offset = lambda position: starts[position[0] - 1] + position[1] - 1  # noqa: E731
    for edit in sorted(edits, key=lambda e: offset(e.start), reverse=True):
        text = text[:offset(edit.start)] + edit.content + text[offset(edit.end):]
    return text


def read_notebook(raw: bytes) -> Notebook:
    """The notebook in ``raw``: its code cells and the module they form.  NotebookError if it is no notebook we
    read (invalid JSON, nbformat 3, no cells list, a cell of the wrong shape); NotPython for another language."""
    if not raw.strip():
        raise NotebookError("cannot read notebook: the file is empty")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as error:  # (UnicodeDecodeError is a ValueError)
        raise NotebookError(f"cannot read notebook: not JSON ({_one_line(error)})") from None
    if not isinstance(data, dict):
        raise NotebookError("cannot read notebook: its JSON is not an object")
    version = data.get("nbformat")
    if version != 4:
        raise NotebookError(f"cannot read notebook: nbformat {version!r}, not 4 (convert it with `jupyter nbconvert "
                            f"--to notebook --nbformat 4`)" if version is not None else
                            "cannot read notebook: no nbformat version")
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise NotebookError("cannot read notebook: no 'cells' list")
    language = _language(data.get("metadata"))
    if language is not None and language != "python":
        raise NotPython(f"not linted: its kernel runs {language}, not Python")
    code: List[Tuple[int, str]] = []
    for index, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise NotebookError(f"cannot read notebook: cell {index} is not a cell object")
        if cell["cell_type"] != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError(f"cannot read notebook: cell {index}'s source is neither text nor a list of lines")
        code.append((index, source))
    return _module(data, code)


def _module(data: dict, code: List[Tuple[int, str]]) -> Notebook:
    cells, parts, unreadable = [], [], []
    line = 1
    for index, text in code:
        masked_text, masked, python = _masked(text)
        reason = _unreadable(masked_text) if python else None
        if not python or reason is not None:  # `%%bash`, or broken: not in the module
            cells.append(Cell(index, text, 0, 0, ()))
            if reason is not None:
                unreadable.append((index, *reason))
            continue
        padded = masked_text if masked_text.endswith("\n") or not masked_text else masked_text + "\n"
        count = padded.count("\n") if padded else 0
        cells.append(Cell(index, text, line if count else 0, count, masked))
        parts.append(padded)
        line += count
    return Notebook(data, cells, "".join(parts), unreadable)


def _masked(text: str) -> Tuple[str, Tuple[int, ...], bool]:
    """``text`` with its IPython lines read as Python, their numbers, and whether the cell is Python at all."""
    lines = text.split("\n")
    masked: List[int] = []
    magic = _CELL_MAGIC.match(lines[0]) if lines else None
    if magic is not None:
        if magic.group(1) not in PYTHON_CELL_MAGICS:
            return text, (), False
        lines[0], masked = "pass", [1]
    continuing = False
    for number, line in enumerate(lines, 1):
        if number in masked:
            continuing = line.endswith("\\")
            continue
        if continuing:  # `!pip install a \` goes on here
            lines[number - 1], continuing = (_indent(line) + "pass", line.endswith("\\"))
            masked.append(number)
            continue
        assigned = _ASSIGNED_FROM_SHELL.match(line)
        if assigned is not None:
            lines[number - 1] = f"{assigned.group(1)}{assigned.group(2)} = None"
        elif _SHELL_OR_MAGIC.match(line) or _HELP.match(line):
            lines[number - 1] = _indent(line) + "pass"
        else:
            continue
        masked.append(number)
        continuing = line.endswith("\\")
    return "\n".join(lines), tuple(masked), True


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip(" \t"))]


def _unreadable(text: str) -> Optional[Tuple[str, int, int]]:
    """Why Python cannot read the cell ``text``, and where in the cell; None if it can."""
    try:
        ast.parse(text)
    except SyntaxError as error:
        return f"cannot parse: {error.msg}; the cell is left out of the analysis", error.lineno or 1, max(
            error.offset or 1, 1)
    except (ValueError, RecursionError, MemoryError) as error:
        return f"cannot parse: {_one_line(error)}; the cell is left out of the analysis", 1, 1
    return None


def _language(metadata) -> Optional[str]:
    if not isinstance(metadata, dict):
        return None
    for key, field in (("kernelspec", "language"), ("language_info", "name")):
        value = metadata.get(key, {}).get(field) if isinstance(metadata.get(key), dict) else None
        if isinstance(value, str) and value:
            return value.lower()
    return None


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


# -- printing the notebook again --------------------------------------------------------------------------------
Layout = Tuple[Optional[int], bool, str, str]  # indent, ensure_ascii, newline, what follows the last brace


def _layout(data: dict, raw: bytes) -> Layout:
    """How ``raw`` was printed: the json.dumps settings (and newline, and ending) that give back its exact bytes.
    The likeliest settings are tried first: each try prints the whole notebook, outputs included."""
    text = raw.decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    ending = text[len(text.rstrip()):]
    indented = re.search(r"\n( +)\S", text[:1000])
    seen = len(indented.group(1)) if indented else None
    escaped = text.isascii() and "\\u" in text
    for indent in dict.fromkeys((seen, 1, 2, 4, None)):
        for ensure_ascii in (escaped, not escaped):
            layout = (indent, ensure_ascii, newline, ending)
            if _dumped(data, layout) == raw:
                return layout
    raise NotebookError("not fixed: the notebook's JSON is not laid out as Jupyter, Colab or json.dumps write it, "
                        "so it cannot be written back without changing other bytes")


def _dumped(data: dict, layout: Layout) -> bytes:
    indent, ensure_ascii, newline, ending = layout
    text = json.dumps(data, indent=indent, ensure_ascii=ensure_ascii)
    if newline != "\n":
        text = text.replace("\n", newline)
    return (text + ending).encode("utf-8")
