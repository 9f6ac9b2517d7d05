"""Jupyter notebooks: their code cells as one Python module, and that module's fixes written back into the cells.

The code cells, in order, form one module, so a model_fn in cell 3 and its Estimator in cell 5 are analysed
together.  IPython's own syntax is masked, never changed: a line magic, shell escape or help line (``%matplotlib``,
``!pip install``, ``x = !ls``, ``estimator?``) reads as ``pass`` (or ``x = None``) on its own line, and a cell
magic's body is Python only for the magics that run their body as Python (``%%time``); any other (``%%bash``) leaves
its cell out.  A cell Python cannot read is left out too, with its own TSL000, and the others are still analysed.
A cell whose lines all share an indentation is read without it, as IPython runs it (its ``leading_indent``): the
findings' columns and the fixes' edits are mapped back past that margin, and a line a fix adds gets it too.

Writing back replaces, in the file's own text, only the JSON value of the ``source`` of each cell a fix changed
(see notebook_json.py).  The new file is read back and must hold exactly the old notebook with the new sources, or
the fix is refused.
"""
import ast
import copy
import json
import os
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from tf_step_lint.finding import Edit
from tf_step_lint.notebook_json import NotebookError, new_source_list, replaced_sources

# Cell magics whose body IPython runs as Python.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "tensorflow_version"})
_SHELL_OR_MAGIC = re.compile(r"^([ \t]*)[!%]")
_ASSIGNED_FROM_SHELL = re.compile(r"^([ \t]*)([A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*)[ \t]*=[ \t]*[!%]")
_HELP = re.compile(r"^([ \t]*)(?:\?{1,2}[\w.]|[\w.\[\]()]+\?{1,2}[ \t]*$)")
_CELL_MAGIC = re.compile(r"^%%(\w+)")
# Datalab wrote cell magics with one %: `%bash` as a cell's first line runs the cell in bash.
_DATALAB_CELL_MAGIC = re.compile(r"^%(bash|sh|writefile|file|bq|bigquery|sql|html|javascript|js|script|perl|ruby|"
                                 r"latex|markdown|svg|set_cell_height)\b")
_AUTOMAGIC = re.compile(r"^[ \t]*(?:ls|cd|pwd|pip|conda|cat|cp|mv|rm|mkdir|rmdir|less|man|clear)\b")


class NotPython(Exception):
    """The notebook's kernel runs another language: it is passed over, with a note."""


@dataclass(frozen=True)
class Cell:
    index: int  # 1-based, among all the notebook's cells (markdown and raw ones count), as it is shown
    text: str  # its source, joined
    module_start: int  # the module line its first line is (0: not in the module)
    lines: int  # how many module lines it fills
    masked: Tuple[int, ...]  # its lines (1-based) that are IPython syntax, read as `pass`
    margin: str = ""  # the indentation every line starts with, which IPython removes before running the cell

    def shift(self, line: int) -> int:
        """The columns IPython's dedent removes from the cell's ``line``: the margin's, none from a blank line it
        does not fit (the module reads it as empty) or the line after the last."""
        lines = self.text.split("\n")
        return len(self.margin) if self.margin and line <= len(lines) and lines[line - 1].startswith(self.margin) else 0

    def column(self, line: int, column: int) -> int:
        """The column in the cell's own text of ``column`` of the module's text of its ``line``."""
        return column + self.shift(line)

    def placed(self, edit: Edit) -> Edit:
        """``edit`` of the cell's text as the module reads it (dedented) as an edit of its own text: positions after
        the margin, and each non-blank line the edit begins given the margin."""
        if not self.margin:
            return edit
        start, end = self.shift(edit.start[0]), self.shift(edit.end[0])
        content = re.sub(r"\n(?=[^\r\n])", "\n" + self.margin, edit.content)
        if not start and content[:1] not in ("", "\n", "\r"):  # a line begun on a blank line (or after the last)
            content = self.margin + content
        lines = self.text.split("\n")
        rest = lines[edit.end[0] - 1][edit.end[1] - 1 + end:] if edit.end[0] <= len(lines) else ""
        if content.endswith("\n") and rest.strip(" \t"):
            content += self.margin
        return Edit((edit.start[0], edit.start[1] + start), (edit.end[0], edit.end[1] + end), content)


@dataclass
class Notebook:
    data: dict
    cells: List[Cell]  # its code cells
    module: str  # the code cells that are in the module, masked, one after another
    unreadable: List[Tuple[int, str, int, int]]  # (cell, why, line, column) of code cells Python cannot read
    python_2: bool = False  # its kernel runs Python 2: a cell in Python 2 syntax is no error, only left out

    @property
    def note(self) -> str:
        """What a run says of this notebook besides its findings."""
        if self.python_2 and self.unreadable:
            return (f"{len(self.unreadable)} cell(s) in Python 2 syntax left out (its kernel runs Python 2; "
                    "tf-step-lint reads Python 3)")
        return ""

    def cell_at(self, line: int) -> Optional[Tuple[Cell, int]]:
        """The cell that module ``line`` is in, and the line's number within the cell."""
        for cell in self.cells:
            if cell.module_start and cell.module_start <= line < cell.module_start + cell.lines:
                return cell, line - cell.module_start + 1
        return None

    def with_cell_sources(self, sources: Dict[int, str], raw: bytes) -> bytes:
        """``raw`` (this notebook's bytes) with the cells of ``sources`` (index -> new text) given new source, and
        not one other byte changed; NotebookError where that cannot be done (the result is read back to check)."""
        cells = self.data["cells"]
        new = replaced_sources(raw.decode("utf-8"), cells, sources).encode("utf-8")
        expected = copy.deepcopy(self.data)
        for index, text in sources.items():
            old = cells[index - 1]["source"]
            expected["cells"][index - 1]["source"] = text if isinstance(old, str) else new_source_list(old, text)
        if json.loads(new) != expected:
            raise NotebookError("not fixed: the notebook would not read back as the fixed cells")
        return new

    def edits_by_cell(self, edits: Sequence[Edit]) -> Optional[Dict[int, List[Edit]]]:
        """Module ``edits`` as edits of each cell's own text (positions within the cell); None where an edit
        crosses cells or touches IPython syntax, which a fix must never change."""
        in_cells = self._in_cells(edits)
        return None if in_cells is None else {index: [placed for _, placed in pairs] for index, pairs in
                                              in_cells.items()}

    def _in_cells(self, edits: Sequence[Edit]) -> Optional[Dict[int, List[Tuple[Edit, Edit]]]]:
        """Cell -> each of its module ``edits`` with positions within the cell's dedented text, and within its
        own text; None where one cannot be put in a cell."""
        by_cell: Dict[int, List[Tuple[Edit, Edit]]] = {}
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
            dedented = Edit((line, edit.start[1]), (end_line, edit.end[1]), edit.content)
            by_cell.setdefault(cell.index, []).append((dedented, cell.placed(dedented)))
        return by_cell

    def edited_sources(self, edits: Sequence[Edit]) -> Optional[Dict[int, str]]:
        """Each cell's new text under module ``edits``; None where they cannot be put in the cells, or a dedented
        cell's new text would not dedent (as IPython does) into the fixed module text."""
        by_cell = self._in_cells(edits)
        if by_cell is None:
            return None
        sources = {}
        for cell in self.cells:
            if cell.index in by_cell:
                padded = cell.text if cell.text.endswith("\n") else cell.text + "\n"
                edited = apply(padded, [placed for _, placed in by_cell[cell.index]])
                if cell.margin and (_common_margin(edited) != cell.margin or _dedented(edited, cell.margin) != apply(
                        _dedented(padded, cell.margin), [dedented for dedented, _ in by_cell[cell.index]])):
                    return None
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
    return _module(data, code, _python_2(data.get("metadata")))


def _module(data: dict, code: List[Tuple[int, str]], python_2: bool) -> Notebook:
    cells, parts, unreadable = [], [], []
    line = 1
    for index, text in code:
        margin = _common_margin(text)  # IPython dedents a cell first, then reads its magics
        masked_text, masked, python = _masked(_dedented(text, margin))
        reason = _unreadable(masked_text) if python else None
        if not python or reason is not None:  # `%%bash`, or broken: not in the module
            cells.append(Cell(index, text, 0, 0, (), margin))
            if reason is not None:
                why, at_line, column = reason
                unreadable.append((index, why, at_line, cells[-1].column(at_line, column)))
            continue
        padded = masked_text if masked_text.endswith("\n") or not masked_text else masked_text + "\n"
        count = padded.count("\n") if padded else 0
        cells.append(Cell(index, text, line if count else 0, count, masked, margin))
        parts.append(padded)
        line += count
    return Notebook(data, cells, "".join(parts), unreadable, python_2)


_MARGIN = re.compile(r"^([ \t]*)[^ \t\n]", re.MULTILINE)


def _common_margin(text: str) -> str:
    """The indentation all non-blank lines of ``text`` start with, which IPython's ``leading_indent`` removes
    (``textwrap.dedent``): a cell of `` for x in ds.take(5):`` and ``  print(x)`` runs."""
    margins = _MARGIN.findall(text)
    return os.path.commonprefix(margins) if margins else ""


def _dedented(text: str, margin: str) -> str:
    """``text`` without ``margin``, as IPython runs it (blank lines the margin does not fit become empty)."""
    if not margin:
        return text
    return "\n".join(line[len(margin):] if line.startswith(margin) else "" for line in text.split("\n"))


def _masked(text: str) -> Tuple[str, Tuple[int, ...], bool]:
    """``text`` with its IPython lines read as Python, their numbers, and whether the cell is Python at all.  Only
    a line that starts a statement can be IPython syntax: one inside brackets or a string (``% x`` formatting) is
    Python."""
    lines = text.split("\n")
    masked: List[int] = []
    magic = _CELL_MAGIC.match(lines[0]) or _DATALAB_CELL_MAGIC.match(lines[0]) if lines else None
    if magic is not None:
        if magic.group(1) not in PYTHON_CELL_MAGICS:
            return text, (), False
        lines[0], masked = "pass", [1]
    depth, quote, continued, shell_continued = 0, None, False, False
    for number, line in enumerate(lines, 1):
        if number in masked:
            shell_continued = line.endswith("\\")
            continue
        if shell_continued:  # `!pip install a \` goes on here: a blank line
            lines[number - 1], shell_continued = "", line.endswith("\\")
            masked.append(number)
            continue
        if depth or quote or continued:  # inside a statement: Python
            depth, quote, continued = _scanned(line, depth, quote)
            continue
        assigned = _ASSIGNED_FROM_SHELL.match(line)
        if assigned is not None:
            lines[number - 1] = f"{assigned.group(1)}{assigned.group(2)} = None"
        elif _SHELL_OR_MAGIC.match(line) or _HELP.match(line) or _automagic(line):
            lines[number - 1] = _indent(line) + "pass"
        else:
            depth, quote, continued = _scanned(line, depth, quote)
            continue
        masked.append(number)
        shell_continued = line.endswith("\\")
    return "\n".join(lines), tuple(masked), True


def _scanned(line: str, depth: int, quote: Optional[str]) -> Tuple[int, Optional[str], bool]:
    """The open brackets and the open triple-quoted string after ``line``, and whether it ends in a backslash."""
    i = 0
    while i < len(line):
        char = line[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                i, quote = i + len(quote), None
                continue
        elif char == "#":
            break
        elif char in "\"'":
            quote = line[i:i + 3] if line[i:i + 3] in ('"""', "'''") else char
            i += len(quote)
            continue
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        i += 1
    if quote in ('"', "'"):  # a one-line string does not go on (unterminated: Python says so)
        quote = None
    return depth, quote, line.endswith("\\") and quote is None


def _automagic(line: str) -> bool:
    """A shell command IPython runs without ``!`` or ``%`` (``pip install x``, ``ls gs://bucket``): one of its
    automagics or aliases, on a line that is not Python."""
    if not _AUTOMAGIC.match(line):
        return False
    try:
        ast.parse(line.strip())
    except SyntaxError:
        return True
    return False


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


def _python_2(metadata) -> bool:
    if not isinstance(metadata, dict):
        return False
    kernel, info = metadata.get("kernelspec"), metadata.get("language_info")
    version = info.get("version") if isinstance(info, dict) else None
    return (isinstance(kernel, dict) and kernel.get("name") == "python2") or (
        isinstance(version, str) and version.startswith("2."))


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())
