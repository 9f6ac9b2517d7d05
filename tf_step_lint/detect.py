"""Which TensorFlow version a project targets.

``--target-version``, else ``target-version`` under ``[tool.tf-step-lint]`` (see config.py), else the version the
project declares (what each project file declares: declarations.py) in the code's folder or one above it, else in its
other folders (``elsewhere``: a ``testing/Dockerfile``, a CI workflow), else what its code shows (``from_code``), else
2.15.
"""
import functools
import io
import os
import re
import tokenize
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional, Tuple

from tf_step_lint.declarations import readers
from tf_step_lint.files import NOTEBOOK, TooLarge, is_notebook, read_source
from tf_step_lint.parsing import NewerSyntax, TooDeep, parse_python, version_probe_lines
from tf_step_lint.target import DEFAULT, LAST_TF1, Version, spelled

CI_HIDDEN_FOLDERS = frozenset({".github", ".circleci"})  # hidden folders whose CI configurations declare versions


@functools.lru_cache(maxsize=None)
def detect(directory: str) -> Tuple[Version, str]:
    """The target the project declares for code in ``directory``, and where it was found: in ``directory`` or a
    folder above it, else elsewhere in the project (``elsewhere``); else what the project's code shows
    (``from_code``)."""
    found = declared(directory)
    if found is not None:
        return found
    root = project_root(directory)
    return elsewhere(directory, root) or code_target(directory, root)


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
_TF1_NOTE = "TF1 names are its API: TSL302 is off"


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
    from tf_step_lint.api import tf_api

    api = tf_api()
    v2_only = frozenset(path[len("tensorflow."):].encode() for path in api.v2_only)
    v1_only = frozenset(path[len("tensorflow."):].encode() for path in api.v1_only)
    units: Dict[str, _Unit] = {}
    for path in _python_files(root):
        relative = os.path.relpath(path, root)
        unit = units.setdefault(relative.split(os.sep, 1)[0] if os.sep in relative else ROOT_UNIT, _Unit())
        if unit.tf2 is not None:
            continue  # decided: nothing outweighs a TF2-only name
        text = _tensorflow_text(path)
        if text is None:
            continue
        unit.tensorflow = True
        found = _first_in_code(text, [m for m in _TF_PATH.finditer(text) if _names(m, v2_only)])
        if found is not None:
            unit.tf2 = (path, *found)
            continue
        if unit.compat_v2 is None:
            found = _first_in_code(text, list(_TF2_MARK.finditer(text)))
            unit.compat_v2 = (path, *found) if found is not None else None
        if _may_use_tf1(text, v1_only):
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
        tf1_note = f" ({_TF1_NOTE})" if version < (2, 0) else ""
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
    return f"{reason}, so its code is linted as TensorFlow {spelled(version)} code ({_TF1_NOTE})"


def _unit_name(name: str) -> str:
    return "the files at its root" if name == ROOT_UNIT else f"{name}/"


def code_target(directory: str, root: str) -> Tuple[Version, str]:
    """The target ``from_code`` gives the part of the project under ``root`` that holds ``directory``."""
    decisions = from_code(root)
    relative = os.path.relpath(os.path.abspath(directory), root)
    name = ROOT_UNIT if relative == "." else relative.split(os.sep, 1)[0]
    return decisions.get(name) or decisions[None]


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


def _may_use_tf1(text: bytes, v1_only: FrozenSet[bytes]) -> bool:
    """A quick look (a regex over the text): the file may use TF1-only code."""
    if _CONTRIB.search(text):
        return True
    return bool(_PLAIN_TF.search(text)) and not _REBOUND_TF.search(text) and any(
        _names(m, v1_only) for m in _TF_PATH.finditer(text))


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
    for folder, files in _walk(root):
        yield from (os.path.join(folder, f) for f in files if f.endswith((".py", NOTEBOOK)))


def _walk(root: str, hidden: FrozenSet[str] = frozenset(), nested_repositories: bool = True):
    """(folder, its file names) for ``root`` and every folder under it but virtualenvs, build folders and hidden
    ones not in ``hidden``, sorted (``os.walk`` follows no symlinked folder)."""
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if (not f.startswith(".") or f in hidden) and f not in _SKIPPED_FOLDERS
                            and not os.path.exists(os.path.join(folder, f, "pyvenv.cfg"))
                            and (nested_repositories or not os.path.exists(os.path.join(folder, f, ".git"))))
        yield folder, sorted(files)


def declared(directory: str) -> Optional[Tuple[Version, str]]:
    """The pin of the nearest folder from ``directory`` up to its repository's root that declares one."""
    start = Path(os.path.abspath(directory))
    for folder in (start, *start.parents):
        found, repository_root, _ = _in_folder(folder)
        if found is not None:
            return found[0], _said(found)
        if repository_root:
            break  # what lies above is not this project
    return None


ELSEWHERE = "from the project's other folders"  # a target declared outside the code's folders (the CLI says it)


def elsewhere(directory: str, root: str) -> Optional[Tuple[Version, str]]:
    """What the declarations of the project under ``root`` outside ``directory``'s folders say (a
    ``testing/Dockerfile``'s ``pip install``, a CI workflow's, a sibling folder's requirements), when none of its
    folders declares anything.  The declarations nearest ``directory`` count (a monorepo's sibling subproject before
    a distant one); among them, the version most of them declare; on a tie, the version of the shallowest, then first
    by path."""
    found = _declarations_under(root)
    if not found:
        return None
    start = os.path.abspath(directory)
    shared = {path: len(Path(os.path.commonpath([start, str(path.parent)])).parts) for _, path, _ in found}
    nearest = [pin for pin in found if shared[pin[1]] == max(shared.values())]
    votes = Counter(version for version, _, _ in nearest)  # in the order of ``found``
    version = max(votes, key=votes.__getitem__)
    holder = _HOLDER.format(start)
    if len(votes) > 1 and sorted(votes.values())[-2] == votes[version]:
        # no version has more of the nearest declarations than every other: a sibling project's pin tied with
        # another's says nothing about this code, so the code decides, not the order of their paths
        tied = [f"{path} says {spelled(v)}" for v, path, _ in nearest if votes[v] == votes[version]]
        listing = "; ".join(tied[:3]) + (f" and {len(tied) - 3} more" if len(tied) > 3 else "")
        code_version, note = code_target(directory, root)
        reason = (note.split(_NO_VERSION, 1)[1] if _NO_VERSION in note else
                  f"it shows no TensorFlow, so its code is linted for TensorFlow {spelled(code_version)}, the default")
        return code_version, (f"{ELSEWHERE}: {holder}, and the project's other declarations nearest to it tie "
                              f"({listing}), so none decides but its code: {reason}")
    decider = next(pin for pin in nearest if pin[0] == version)
    reasons = ["the project's only declaration" if len(found) == 1 else
               f"all {len(found)} of the project's declarations agree" if len(set(v for v, _, _ in found)) == 1 else
               "the nearest to the code" if len(nearest) == 1 else
               f"{votes[version]} of the {len(nearest)} nearest to the code agree" if len(nearest) < len(found) else
               f"{votes[version]} of the project's {len(found)} declarations agree"]
    others = [f"{path} says {spelled(v)}" for v, path, _ in found if v != version]
    if others:
        reasons.append("; ".join(others[:3]) + (f" and {len(others) - 3} more disagree" if len(others) > 3 else
                                                " disagree" if len(others) > 1 else " disagrees"))
    tf1 = f" ({_TF1_NOTE})" if version < (2, 0) else ""
    return version, (f"{ELSEWHERE}: {holder}, so {_said(decider)} decides ({'; '.join(reasons)}): its code is "
                     f"linted as TensorFlow {spelled(version)} code{tf1}")


_HOLDER = "no folder holding {} declares a TensorFlow version"
_HOLDER_TEXT = re.compile(re.escape(_HOLDER).replace(r"\{\}", "(.+?)"))
_NO_VERSION = " declares no TensorFlow version, and "


def merged_notes(sources: Iterable[str]) -> List[str]:
    """The notes to print for the targets' ``sources``: one per decision, however many folders it is for (a
    declaration elsewhere decides for every folder of the project that declares nothing), naming a few of them."""
    groups: Dict[Tuple[str, str], List[str]] = {}
    for source in sorted(set(sources)):
        match = _HOLDER_TEXT.search(source)
        key = (source[:match.start()], source[match.end():]) if match else (source, "")
        groups.setdefault(key, []).append(match.group(1) if match else "")
    notes = []
    for (before, after), folders in groups.items():
        if folders == [""]:
            notes.append(before)
            continue
        named = (folders[0] if len(folders) == 1 else f"{folders[0]} or {folders[1]}" if len(folders) == 2 else
                 f"{folders[0]}, {folders[1]} or {len(folders) - 2} other folders")
        notes.append(before + _HOLDER.format(named) + after)
    return notes


@functools.lru_cache(maxsize=None)
def _declarations_under(root: str) -> Tuple[Tuple[Version, Path, str], ...]:
    """Every folder's declaration in the project under ``root`` (CI folders such as ``.github/workflows`` included,
    nested repositories left out), shallowest first, then by path."""
    found = [_in_folder(Path(folder))[0] for folder, _ in _walk(root, CI_HIDDEN_FOLDERS, nested_repositories=False)]
    return tuple(sorted((pin for pin in found if pin is not None), key=lambda pin: (len(pin[1].parts), str(pin[1]))))


def _said(pin: Tuple[Version, Path, str]) -> str:
    return f"{pin[1]}: its TensorFlow {pin[2]}"


def project_root(directory: str) -> str:
    """The project ``directory`` is in: its repository's root; outside a repository, the nearest folder above it
    that holds a project file (``setup.py``, ``requirements.txt``, a Dockerfile, ...); without one, the folder
    holding ``directory``'s top package (``directory`` itself when it is no package)."""
    start = Path(os.path.abspath(directory))
    folders = (start, *start.parents)
    for wanted in (1, 2):  # a repository first: a subproject's setup.py does not make its code another project's
        for folder in folders:
            if _in_folder(folder)[wanted]:
                return str(folder)
    top = start
    while (top / "__init__.py").is_file() and top.parent != top:
        top = top.parent
    return str(top)


@functools.lru_cache(maxsize=None)
def _in_folder(folder: Path) -> Tuple[Optional[Tuple[Version, Path, str]], bool, bool]:
    """The pin in ``folder``'s project files (version, file, what of it), whether it is a repository's root, and
    whether it holds a project file.  One listing of the folder: a run asks this of every folder it lints."""
    try:
        with os.scandir(folder) as entries:  # only regular files: a FIFO would block the read forever
            names = {entry.name: entry.is_file() for entry in entries}
    except OSError:
        return None, False, False
    project_file = any(regular and readers(folder, name) for name, regular in names.items())
    return _pin_in(folder, names), ".git" in names, project_file


def _pin_in(folder: Path, names: Dict[str, bool]) -> Optional[Tuple[Version, Path, str]]:
    """The TensorFlow version the project files among ``names`` (name -> is a regular file) in ``folder`` declare."""
    for name in sorted(name for name, regular in names.items() if regular):
        for reader, what in readers(folder, name):
            version = reader(folder / name)
            if version is not None:
                return version, folder / name, what
    return None


def forget_detected() -> None:
    """Read the project files again when next asked (they may have changed)."""
    for cached in (detect, from_code, _declarations_under, _in_folder):
        cached.cache_clear()
