"""The TensorFlow version the linted code targets.

``--target-version``, else ``target-version`` under ``[tool.tf-step-lint]`` (see config.py), else the
project's own TensorFlow pin (``pyproject.toml`` dependencies, ``requirements*.txt``, ``setup.py``), else 2.15.  A pin
sets the target only when it bounds the version from above (``==2.15.1``, ``~=1.15``, ``<2.16``, ``<=2.12``):
``tensorflow>=2.4`` says what the code needs, not what it runs on, so it is not a target.
"""
import functools
import os
import re
from pathlib import Path
from typing import Dict, Iterable, Optional, Sequence, Tuple

Version = Tuple[int, int]
DEFAULT: Version = (2, 15)  # the last TensorFlow with tf.estimator
_PIN = re.compile(r"""^\s*['"]?tensorflow(?:-cpu|-gpu|-intel|-macos)?\s*(?:\[[^\]]*\])?\s*(?P<spec>[<>=~!][^;#'"]*)""",
                  re.IGNORECASE)
_CLAUSE = re.compile(r"(==|~=|<=|<|>=|>|!=)\s*(\d+)(?:\.(\d+|\*))?")
_REQUIREMENTS = re.compile(r"requirements.*\.txt")
_SETUP_PIN = re.compile(r"""['"](tensorflow(?:-cpu|-gpu|-intel|-macos)?\s*(?:\[[^\]]*\])?\s*[<>=~][^'"]*)['"]""",
                        re.IGNORECASE)


def parse_version(text: str) -> Version:
    """``"2.15"``, ``"2.16.1"`` or ``"1.15"`` as (major, minor); ValueError for anything else."""
    match = re.fullmatch(r"\s*(\d+)\.(\d+)(?:\.\d+)?\s*", text)
    if match is None:
        raise ValueError(f"not a TensorFlow version (major.minor, e.g. 2.15): {text!r}")
    return int(match.group(1)), int(match.group(2))


def spelled(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


@functools.lru_cache(maxsize=None)
def detect(directory: str) -> Tuple[Version, str]:
    """The target the project's TensorFlow pin sets for code in ``directory``, and where it was found."""
    start = Path(os.path.abspath(directory))
    for folder in (start, *start.parents):
        found, repository_root = _in_folder(folder)
        if found is not None:
            return found
        if repository_root:
            break  # what lies above is not this project
    return DEFAULT, "default"


@functools.lru_cache(maxsize=None)
def _in_folder(folder: Path) -> Tuple[Optional[Tuple[Version, str]], bool]:
    """The pin in ``folder``'s project files, and whether it is a repository's root.  One listing of the folder:
    a run asks this of every folder it lints."""
    try:
        with os.scandir(folder) as entries:  # only regular files: a FIFO would block the read forever
            names = {entry.name: entry.is_file() for entry in entries}
    except OSError:
        return None, False
    return _pin_in(folder, names), ".git" in names


def _pin_in(folder: Path, names: Dict[str, bool]) -> Optional[Tuple[Version, str]]:
    """The TensorFlow pin of the project files among ``names`` (name -> is a regular file) in ``folder``."""
    if names.get("pyproject.toml"):
        try:
            data = load_toml(folder / "pyproject.toml")
        except (OSError, ValueError):
            data = {}
        project = data.get("project", {})
        requirements = [*project.get("dependencies", []),
                        *(r for extra in project.get("optional-dependencies", {}).values() for r in extra)]
        pinned = _pinned(r for r in requirements if isinstance(r, str))
        if pinned is not None:
            return pinned, f"{folder / 'pyproject.toml'}: its TensorFlow pin"
    for name in sorted(n for n, regular in names.items() if regular and _REQUIREMENTS.fullmatch(n)):
        pinned = _pinned(_lines(folder / name))
        if pinned is not None:
            return pinned, f"{folder / name}: its TensorFlow pin"
    if names.get("setup.py"):
        pinned = _pinned(m.group(1) for m in _SETUP_PIN.finditer("\n".join(_lines(folder / "setup.py"))))
        if pinned is not None:
            return pinned, f"{folder / 'setup.py'}: its TensorFlow pin"
    return None


def _pinned(requirements: Iterable[str]) -> Optional[Version]:
    """The highest version the first TensorFlow requirement bounded from above allows."""
    for requirement in requirements:
        match = _PIN.match(requirement)
        if match is None:
            continue
        highest = None
        for operator, major, minor in _CLAUSE.findall(match.group("spec")):
            bound = _highest_allowed(operator, int(major), int(minor) if minor not in ("", "*") else None)
            if bound is not None:
                highest = bound if highest is None else min(highest, bound)
        if highest is not None:
            return highest
    return None


def _highest_allowed(operator: str, major: int, minor: Optional[int]) -> Optional[Version]:
    if operator in ("==", "~=", "<=") and minor is not None:
        return major, minor
    if operator == "<":
        if minor:
            return major, minor - 1
        return (1, 15) if major == 2 else None  # <2.0: the last TF 1.x; other majors say nothing exact
    return None


def _lines(path: Path) -> Sequence[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def load_toml(path: Path) -> dict:
    """The TOML file's data; OSError, or ValueError (tomllib's, with line and column) when it is not TOML."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    return tomllib.loads(path.read_text(encoding="utf-8"))
