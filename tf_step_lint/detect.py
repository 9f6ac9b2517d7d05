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
from typing import Dict, Iterable, List, Optional, Tuple

from tf_step_lint.code_target import TF1_NOTE, code_target, file_evidence, from_code, walk
from tf_step_lint.declarations import readers
from tf_step_lint.target import Version, spelled

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
    tf1 = f" ({TF1_NOTE})" if version < (2, 0) else ""
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
    found = [_in_folder(Path(folder))[0] for folder, _ in walk(root, CI_HIDDEN_FOLDERS, nested_repositories=False)]
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
    for cached in (detect, from_code, file_evidence, _declarations_under, _in_folder):
        cached.cache_clear()
