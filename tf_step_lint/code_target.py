"""The target a project's code shows, where nothing declares one: TF2-only names and ``tf.compat.v2`` against
TF1-only code (``tensorflow.contrib``, ``tf.Session`` through a plain ``tf``), read per top-level folder, in code and
not in strings or comments."""
import functools
import io
import os
import re
import tokenize
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Tuple

from tf_step_lint.files import NOTEBOOK, TooLarge, is_notebook, read_source
from tf_step_lint.parsing import NewerSyntax, TooDeep, parse_python, version_probe_lines
from tf_step_lint.target import DEFAULT, LAST_TF1, Version, spelled

FROM_CODE = "from its code"  # how a target read from the code is sourced (the CLI says it once per run)
# Said in the notes of a project whose top-level folders' code gets different targets (the CLI says each, TF2 too)
SPLIT = "its top-level folders' code disagrees"
# tf.compat.v1 exists from TF 1.13 on, so only tf.compat.v2 marks code written against TF2's API -- weakly: TF 1.14
# and 1.15 have tf.compat.v2 too, and TF 1.15 code borrows from it (`import tensorflow.compat.v2 as tf2` for TF2's
# summary API beside `import tensorflow as tf`)
_TF2_MARK = re.compile(rb"\bcompat(?:\.|\s+import\s+)v2\b")
_TF_PATH = re.compile(rb"\btf\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)")
# TF1-only code: tensorflow.contrib, which no TF2 has, and the TF1-only names (tf.Session, tf.placeholder) through
# a `tf` that is the plain `import tensorflow as tf` (not one bound to tensorflow.compat.v1 or .v2)
_CONTRIB = re.compile(rb"\b(?:tensorflow|tf)\.contrib\b|\bfrom\s+tensorflow\s+import\s+contrib\b")
_PLAIN_TF = re.compile(rb"\bimport\s+tensorflow\s+as\s+tf\b")
_REBOUND_TF = re.compile(rb"\bimport\s+tensorflow\.compat\.v[12]\s+as\s+tf\b"
                         rb"|\bfrom\s+tensorflow\.compat\s+import\s+v[12]\s+as\s+tf\b|\btf\s*=\s*tf\.compat\.v[12]\b")
_SKIPPED_FOLDERS = frozenset({"build", "dist", "node_modules", "site-packages", "__pycache__"})
ROOT_UNIT = "."  # the files directly in the project's root folder
TF1_NOTE = "TF1 names are its API: TSL302 is off"


@dataclass
class _Unit:
    """What the code of one part of a project (a top-level folder, or the files at the root) shows: the first use
    of a TF2-only name, the first of ``compat.v2`` (each (path, line, spelling)), and the files that may use TF1-only
    code (read again only if that can decide: see ``_decide``)."""
    tensorflow: bool = False
    tf2: Optional[Tuple[str, int, str]] = None
    compat_v2: Optional[Tuple[str, int, str]] = None
    tf1_candidates: List[str] = field(default_factory=list)
    _tf1: Optional[Tuple[str, int, str]] = None
    _tf1_read: bool = False

    def tf1(self, v1_only: FrozenSet[bytes]) -> Optional[Tuple[str, int, str]]:
        """The first use of TF1-only code (``tf.contrib``, ``tf.Session``) in the unit's files, if any."""
        if not self._tf1_read:
            self._tf1_read = True
            for path in self.tf1_candidates:
                text = _tensorflow_text(path)
                found = _first_in_code(text, _tf1_uses(text, v1_only)) if text is not None else None
                if found is not None:
                    self._tf1 = (path, *found)
                    break
        return self._tf1


@functools.lru_cache(maxsize=None)
def from_code(root: str) -> Dict[Optional[str], Tuple[Version, str]]:
    """What the code under ``root`` runs on when the project declares nothing, for each top-level folder (and
    ``ROOT_UNIT``, the files at the root), and under ``None`` for the project as a whole (what a part without
    TensorFlow evidence of its own gets).

    A part is TF2 (DEFAULT) if a file uses a name only TF2 has (``tf.experimental.numpy``); else TF 1.x if it uses
    TF1-only code (``tensorflow.contrib``, or ``tf.Session`` through a plain ``import tensorflow as tf``), even beside
    ``tf.compat.v2`` (TF 1.14 and 1.15 have it too: only 1.x runs both); else TF2 if it uses ``tf.compat.v2``; else,
    with TensorFlow code but neither, what the project as a whole shows.  A project with TensorFlow code and no TF2
    evidence is TF 1.x (the TF1 names are then its API, not mistakes); (DEFAULT, "default") without TensorFlow.
    ``tf.compat.v1`` is no evidence: TF 1.13 to 1.15 have it too, and TF1 code spells names through it to run on
    either.  Only code counts: a name in a string or a comment, or inside a version probe, is no evidence.

    Why top-level folders: that is where a repository splits by TensorFlow version when it does (``tensorflow_v1/``
    beside ``tensorflow_v2/``, a ``tf2/`` port); deeper folders are mostly models of one code base, where a TF1 name
    beside TF2 ones is a leftover TSL302 is for."""
    v1_only = _api_names()[1]
    units: Dict[str, _Unit] = {}
    for path in _python_files(root):
        relative = os.path.relpath(path, root)
        unit = units.setdefault(relative.split(os.sep, 1)[0] if os.sep in relative else ROOT_UNIT, _Unit())
        if unit.tf2 is not None:
            continue  # decided: nothing outweighs a TF2-only name
        evidence = file_evidence(path)
        if evidence is None:
            continue
        unit.tensorflow = True
        tf2, compat_v2, may_use_tf1 = evidence
        if tf2 is not None:
            unit.tf2 = (path, *tf2)
            continue
        if unit.compat_v2 is None and compat_v2 is not None:
            unit.compat_v2 = (path, *compat_v2)
        if may_use_tf1:
            unit.tf1_candidates.append(path)
    return _decide(root, units, v1_only)


def _decide(root: str, units: Dict[str, _Unit], v1_only: FrozenSet[bytes]
            ) -> Dict[Optional[str], Tuple[Version, str]]:
    """Each part's target and why, and the project's as a whole (under None); see ``from_code``."""
    with_tf = {name: unit for name, unit in units.items() if unit.tensorflow}
    if not with_tf:
        return {None: (DEFAULT, "default")}
    # the project as a whole: its first TF2-only name; else compat.v2 unless TF1-only code outweighs it
    tf2 = next((unit.tf2 for unit in with_tf.values() if unit.tf2), None)
    compat_v2 = next((unit.compat_v2 for unit in with_tf.values() if unit.compat_v2), None)
    tf1 = next((use for unit in with_tf.values() for use in [unit.tf1(v1_only)] if use), None) \
        if tf2 is None and compat_v2 is not None else None
    whole = _target(tf2, compat_v2, tf1)
    decided: Dict[str, Tuple[Version, Tuple]] = {}
    for name, unit in with_tf.items():
        if unit.tf2 is not None or unit.compat_v2 is not None:
            own_tf1 = unit.tf1(v1_only) if unit.tf2 is None else None
            decided[name] = (_target(unit.tf2, unit.compat_v2, own_tf1), (unit.tf2, unit.compat_v2, own_tf1))
        elif whole != LAST_TF1 and unit.tf1(v1_only) is not None:
            decided[name] = (LAST_TF1, (None, None, unit.tf1(v1_only)))
        # else: no evidence of its own (or the project is TF 1.x anyway): the project's target
    if all(target == whole for target, _ in decided.values()):
        note = f"{FROM_CODE}: {root} declares no TensorFlow version, and {_why(tf2, compat_v2, tf1, whole)}"
        return {None: (whole, note)}
    targets = {name: target for name, (target, _) in decided.items()}
    targets.update({name: whole for name in with_tf if name not in targets})
    notes = {}
    for version in sorted(set(targets.values()), reverse=True):
        names = sorted((name for name, target in targets.items() if target == version),
                       key=lambda name: (name != ROOT_UNIT, name))
        parts = [f"{_unit_name(name)} ({_why(*decided[name][1], version, brief=True, root=root)})"
                 if name in decided else f"{_unit_name(name)} (no evidence of its own: the project's)"
                 for name in names]
        shown = ", ".join(parts[:4]) + (f" and {len(parts) - 4} more" if len(parts) > 4 else "")
        tf1_note = f" ({TF1_NOTE})" if version < (2, 0) else ""
        notes[version] = (f"{FROM_CODE}: {root} declares no TensorFlow version, and {SPLIT}: {shown}: "
                          f"{'this code is' if len(parts) == 1 else 'their code is'} linted as TensorFlow "
                          f"{spelled(version)} code{tf1_note}")
    decisions: Dict[Optional[str], Tuple[Version, str]] = {name: (target, notes[target])
                                                           for name, target in targets.items()}
    decisions[None] = (whole, notes.get(whole) or next(iter(notes.values())))
    return decisions


def _target(tf2, compat_v2, tf1) -> Version:
    return DEFAULT if tf2 is not None or (compat_v2 is not None and tf1 is None) else LAST_TF1


def _why(tf2, compat_v2, tf1, version: Version, brief: bool = False, root: Optional[str] = None) -> str:
    """Which evidence decided ``version`` (its files named from ``root`` if given)."""
    def use(found):
        return f"{os.path.relpath(found[0], root) if root else found[0]}:{found[1]} uses `{found[2]}`"
    if tf2 is not None:
        reason = use(tf2)
    elif compat_v2 is not None and tf1 is None:
        reason = use(compat_v2)
    elif compat_v2 is not None:
        reason = (f"{use(tf1)}, which no TF 2 has; beside it {use(compat_v2)}, which TF 1.14 and 1.15 have too "
                  "(only TF 1.x runs both)")
    elif tf1 is not None:
        reason = f"{use(tf1)}, which no TF 2 has"
    else:
        reason = "no file uses tf.compat.v2 or a TF2-only name"
    if brief:
        return reason
    if version >= (2, 0):
        return f"{reason}, so its code is linted for TensorFlow {spelled(version)}"
    return f"{reason}, so its code is linted as TensorFlow {spelled(version)} code ({TF1_NOTE})"


def _unit_name(name: str) -> str:
    return "the files at its root" if name == ROOT_UNIT else f"{name}/"


def code_target(directory: str, root: str) -> Tuple[Version, str]:
    """The target ``from_code`` gives the part of the project under ``root`` that holds ``directory``."""
    decisions = from_code(root)
    relative = os.path.relpath(os.path.abspath(directory), root)
    name = ROOT_UNIT if relative == "." else relative.split(os.sep, 1)[0]
    return decisions.get(name) or decisions[None]


@functools.lru_cache(maxsize=None)
def _api_names() -> Tuple[FrozenSet[bytes], FrozenSet[bytes]]:
    """The names only TF2 has and those only TF1 has, as they follow ``tf.``."""
    from tf_step_lint.api import tf_api

    api = tf_api()
    return tuple(frozenset(path[len("tensorflow."):].encode() for path in names)
                 for names in (api.v2_only, api.v1_only))


@functools.lru_cache(maxsize=None)
def file_evidence(path: str) -> Optional[Tuple[Optional[Tuple[int, str]], Optional[Tuple[int, str]], bool]]:
    """What one file's code shows, read once however many project roots hold it (a tree without a repository has
    one a folder with project files): its first TF2-only name and its first ``compat.v2``, each (line, spelling),
    and whether it may use TF1-only code; None where it has no TensorFlow code."""
    text = _tensorflow_text(path)
    if text is None:
        return None
    v2_only, v1_only = _api_names()
    paths = list(_TF_PATH.finditer(text))  # read once for both APIs' names
    tf2 = _first_in_code(text, [m for m in paths if _names(m, v2_only)])
    if tf2 is not None:
        return tf2, None, False
    return None, _first_in_code(text, list(_TF2_MARK.finditer(text))), _may_use_tf1(text, paths, v1_only)


def _tensorflow_text(path: str) -> Optional[bytes]:
    """The file's code if it mentions TensorFlow (a notebook's code cells), else None."""
    try:
        text, _ = read_source(path)  # only a regular file, not too large: a FIFO would block a plain read
    except (OSError, TooLarge):
        return None
    if b"tensorflow" in text and is_notebook(path):  # parsed only once it mentions TensorFlow (outputs can
        text = _notebook_code(text)  # be large), and only its code counts
    return text if b"tensorflow" in text else None


def _names(match, names: FrozenSet[bytes]) -> bool:
    """``tf.X.Y`` names one of ``names`` (X.Y, or the module X)."""
    return match.group(1) in names or match.group(1).split(b".")[0] in names


def _may_use_tf1(text: bytes, paths: list, v1_only: FrozenSet[bytes]) -> bool:
    """A quick look (``paths``: the ``tf.X`` matches of ``text``): the file may use TF1-only code."""
    if _CONTRIB.search(text):
        return True
    return any(_names(m, v1_only) for m in paths) and bool(_PLAIN_TF.search(text)) and not _REBOUND_TF.search(text)


def _tf1_uses(text: bytes, v1_only: FrozenSet[bytes]) -> list:
    uses = list(_CONTRIB.finditer(text))
    if _PLAIN_TF.search(text) and not _REBOUND_TF.search(text):
        uses += [m for m in _TF_PATH.finditer(text) if _names(m, v1_only)]
    return uses


def _first_in_code(text: bytes, uses: list) -> Optional[Tuple[int, str]]:
    """(line, spelling) of the first of ``uses`` (regex matches over ``text``) that is code, not in a string or a
    comment (read with ``tokenize``, only when there is a match: most files have none), and runs unconditionally:
    one inside a version probe (``if tf.__version__ >= "2": x = tf.experimental.numpy.ones(3)``) says only that the
    code tolerates that version."""
    if not uses:
        return None
    in_code = _code_positions(text)
    uses = [m for m in uses if in_code(_position(text, m.start()))]
    if not uses:
        return None
    try:
        probed = version_probe_lines(parse_python(text))
    except (SyntaxError, ValueError, TooDeep, NewerSyntax, TooLarge):  # not Python we read: every use counts
        probed = set()
    for match in sorted(uses, key=lambda m: m.start()):
        line = text.count(b"\n", 0, match.start()) + 1
        if line not in probed:
            return line, match.group().decode("utf-8", "replace")
    return None


def _position(text: bytes, offset: int) -> Tuple[int, int]:
    """(line, column in characters) of the byte ``offset``, as ``tokenize`` counts them."""
    line_start = text.rfind(b"\n", 0, offset) + 1
    return text.count(b"\n", 0, offset) + 1, len(text[line_start:offset].decode("utf-8", "replace"))


def _code_positions(text: bytes):
    """Whether a match starting at a (line, column) is code: a name token starts there (``tf`` of ``tf.nn.gelu``,
    ``compat`` of ``compat.v2``), not text inside a string or a comment.  Past the point where the file stops being
    tokens Python reads (Python 2, a truncated file), every match counts, as it did before."""
    starts = set()
    last = (0, 0)
    broken = False
    try:
        for token in tokenize.tokenize(io.BytesIO(text).readline):
            if token.type == tokenize.NAME:
                starts.add(token.start)
            last = token.end
    except (tokenize.TokenError, SyntaxError):  # IndentationError is a SyntaxError
        broken = True
    return lambda position: position in starts or (broken and position >= last)


def _notebook_code(raw: bytes) -> bytes:
    """A notebook's code cells, as the module they form; nothing for one that cannot be read or is no Python."""
    from tf_step_lint.notebook import NotebookError, NotPython, read_notebook

    try:
        return read_notebook(raw).module.encode("utf-8", "surrogatepass")
    except (NotebookError, NotPython):
        return b""


def _python_files(root: str):
    """The ``*.py`` and ``*.ipynb`` files under ``root``, without virtualenvs, hidden and build folders, in a stable
    order."""
    for folder, files in walk(root):
        yield from (os.path.join(folder, f) for f in files if f.endswith((".py", NOTEBOOK)))


def walk(root: str, hidden: FrozenSet[str] = frozenset(), nested_repositories: bool = True):
    """(folder, its file names) for ``root`` and every folder under it but virtualenvs, build folders and hidden
    ones not in ``hidden``, sorted (``os.walk`` follows no symlinked folder)."""
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if (not f.startswith(".") or f in hidden) and f not in _SKIPPED_FOLDERS
                            and not os.path.exists(os.path.join(folder, f, "pyvenv.cfg"))
                            and (nested_repositories or not os.path.exists(os.path.join(folder, f, ".git"))))
        yield folder, sorted(files)
