"""Which TensorFlow version a project targets.

``--target-version``, else ``target-version`` under ``[tool.tf-step-lint]`` (see config.py), else the version the
project declares (what each project file declares: declarations.py) in the code's folder or one above it, else in its
other folders (``elsewhere``: a ``testing/Dockerfile``, a CI workflow), else what its code shows (``from_code``), else
2.15.
"""
import functools
import os
import re
from collections import Counter
from pathlib import Path
from typing import Dict, FrozenSet, Optional, Tuple

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
    return elsewhere(directory, root) or from_code(root)


FROM_CODE = "from its code"  # how a target read from the code is sourced (the CLI says it once per run)
# tf.compat.v1 exists from TF 1.13 on, so only tf.compat.v2 marks code written against TF2's API
_TF2_MARK = re.compile(rb"\bcompat(?:\.|\s+import\s+)v2\b")
_TF_PATH = re.compile(rb"\btf\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)")
_SKIPPED_FOLDERS = frozenset({"build", "dist", "node_modules", "site-packages", "__pycache__"})


@functools.lru_cache(maxsize=None)
def from_code(root: str) -> Tuple[Version, str]:
    """What the code under ``root`` runs on when the project declares nothing: TF2 (DEFAULT) if any file uses
    ``tf.compat.v2`` or a name only TF2 has (``tf.experimental.numpy``); TF 1.x if it has TensorFlow code and none of
    those (the TF1 names are then its API, not mistakes); (DEFAULT, "default") without TensorFlow.  ``tf.compat.v1``
    is no evidence: TF 1.13 to 1.15 have it too, and TF1 code spells names through it to run on either."""
    from tf_step_lint.api import tf_api

    v2_only = frozenset(path[len("tensorflow."):].encode() for path in tf_api().v2_only)
    tensorflow = False
    for path in _python_files(root):
        try:
            text, _ = read_source(path)  # only a regular file, not too large: a FIFO would block a plain read
        except (OSError, TooLarge):
            continue
        if b"tensorflow" in text and is_notebook(path):  # parsed only once it mentions TensorFlow (outputs can
            text = _notebook_code(text)  # be large), and only its code counts
        if b"tensorflow" not in text:
            continue
        tensorflow = True
        evidence = _tf2_evidence(text, v2_only)
        if evidence is not None:
            line, spelled_use = evidence
            return DEFAULT, (f"{FROM_CODE}: {root} declares no TensorFlow version, and {path}:{line} uses "
                             f"`{spelled_use}`, so its code is linted for TensorFlow {spelled(DEFAULT)}")
    if tensorflow:
        return LAST_TF1, (f"{FROM_CODE}: {root} declares no TensorFlow version, and no file uses tf.compat.v2 or "
                          f"a TF2-only name, so its code is linted as TensorFlow {spelled(LAST_TF1)} code (TF1 "
                          "names are its API: TSL302 is off)")
    return DEFAULT, "default"


def _tf2_evidence(text: bytes, v2_only: FrozenSet[bytes]) -> Optional[Tuple[int, str]]:
    """(line, spelling) of the first ``compat.v2`` or TF2-only name in ``text`` that runs unconditionally:
    one inside a version probe (``if tf.__version__ >= "2": x = tf.experimental.numpy.ones(3)``) says only that the
    code tolerates TF2."""
    uses = [m for m in _TF2_MARK.finditer(text)]
    uses += [m for m in _TF_PATH.finditer(text) if m.group(1) in v2_only or m.group(1).split(b".")[0] in v2_only]
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
    votes = Counter(version for version, _, _ in nearest)  # in the order of ``found``: ties go to the first
    version = max(votes, key=votes.__getitem__)
    decider = next(pin for pin in nearest if pin[0] == version)
    reasons = ["the project's only declaration" if len(found) == 1 else
               f"all {len(found)} of the project's declarations agree" if len(set(v for v, _, _ in found)) == 1 else
               "the nearest to the code" if len(nearest) == 1 else
               f"{votes[version]} of the {len(nearest)} nearest to the code agree" if len(nearest) < len(found) else
               f"{votes[version]} of the project's {len(found)} declarations agree"]
    if len(votes) > 1 and sorted(votes.values())[-2] == votes[version]:
        reasons.append("a tie, which the shallowest and first by path wins")
    others = [f"{path} says {spelled(v)}" for v, path, _ in found if v != version]
    if others:
        reasons.append("; ".join(others[:3]) + (f" and {len(others) - 3} more disagree" if len(others) > 3 else
                                                " disagree" if len(others) > 1 else " disagrees"))
    tf1 = " (TF1 names are its API: TSL302 is off)" if version < (2, 0) else ""
    return version, (f"{ELSEWHERE}: no folder holding {start} declares a TensorFlow version, so {_said(decider)} "
                     f"decides ({'; '.join(reasons)}): its code is linted as TensorFlow {spelled(version)} code{tf1}")


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
