"""Which TensorFlow version a project targets.

``--target-version``, else ``target-version`` under ``[tool.tf-step-lint]`` (see config.py), else the version the
project declares, else what its code shows (see ``from_code``), else 2.15.  Declarations are read where real projects
make them: ``pyproject.toml`` (PEP 621 and Poetry), ``requirements*.txt``, ``setup.py``, ``setup.cfg``, ``Pipfile``,
conda's ``environment.yml`` and Dockerfiles (``FROM tensorflow/tensorflow:1.15.0-py3``, NVIDIA's ``…-tf1-py3``).
Requirement specifiers are read with ``packaging``, as pip reads them.  A pin sets the target only when it bounds the
version from above (``==2.15.1``, ``~=1.15``, ``<2.16``): ``tensorflow>=2.4`` says what the code needs, not what it
runs on, so it is not a target.
"""
import configparser
import functools
import os
import re
from pathlib import Path
from typing import Callable, Dict, FrozenSet, Iterable, Optional, Sequence, Tuple

from tf_step_lint.files import NOTEBOOK, TooLarge, is_notebook, read_source
from tf_step_lint.parsing import NewerSyntax, TooDeep, parse_python, version_probe_lines
from tf_step_lint.target import DEFAULT, LAST_TF1, Version, spelled

TENSORFLOW_PACKAGES = frozenset({"tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel",
                                 "tensorflow-macos"})
_REQUIREMENTS = re.compile(r"requirements.*\.txt")
_DOCKERFILE = re.compile(r"(?:.*\.)?Dockerfile(?:\..*)?|Containerfile")
_QUOTED = re.compile(r"""['"]([^'"\n]*tensorflow[^'"\n]*)['"]""", re.IGNORECASE)
_CONDA_ITEM = re.compile(r"^\s*-\s*['\"]?([A-Za-z0-9_.\-\[\]]+)\s*(=?=?[<>!~=]*\s*[^\s'\"#]*)")
_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)", re.IGNORECASE | re.MULTILINE)
_ARG = re.compile(r"^\s*ARG\s+(\w+)=(\S+)", re.IGNORECASE | re.MULTILINE)
_ARG_USE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_PIP_INSTALL = re.compile(r"pip3?\s+install\s+([^&|;\n\\]*)", re.IGNORECASE)
_POETRY_CARET = re.compile(r"^\^(\d+)(?:\.(\d+))?")
_POETRY_TILDE = re.compile(r"^~(?!=)(\d+)(?:\.(\d+))?")


@functools.lru_cache(maxsize=None)
def detect(directory: str) -> Tuple[Version, str]:
    """The target the project declares for code in ``directory``, and where it was found; else what the project's
    code shows (``from_code``)."""
    found = declared(directory)
    return found if found is not None else from_code(project_root(directory))


FROM_CODE = "from its code"  # how a target read from the code is sourced (the CLI says it once per run)
# tf.compat.v1 exists from TF 1.13 on, so only tf.compat.v2 marks code written against TF2's API
_TF2_MARK = re.compile(rb"\bcompat(?:\.|\s+import\s+)v2\b")
_TF_PATH = re.compile(rb"\btf\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)")
_SKIPPED_FOLDERS = frozenset({"build", "dist", "node_modules", "site-packages", "__pycache__"})


@functools.lru_cache(maxsize=None)
def from_code(root: str) -> Tuple[Version, str]:
    """What the code under ``root`` runs on when the project declares nothing: TF2 (DEFAULT) if any file uses
    ``tf.compat.v2`` or a name only TF2 has (``tf.experimental.numpy``); TF 1.x if it has TensorFlow code and none of
    those (``tf.compat.v1`` is no evidence: TF 1.13 to 1.15 have it too, and TF1 code uses it to run on either) (the TF1 names are then its API, not mistakes); (DEFAULT, "default") without TensorFlow."""
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
    order (``os.walk`` follows no symlinked folder)."""
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if not f.startswith(".") and f not in _SKIPPED_FOLDERS
                            and not os.path.exists(os.path.join(folder, f, "pyvenv.cfg")))
        yield from (os.path.join(folder, f) for f in sorted(files) if f.endswith((".py", NOTEBOOK)))


def declared(directory: str) -> Optional[Tuple[Version, str]]:
    start = Path(os.path.abspath(directory))
    for folder in (start, *start.parents):
        found, repository_root, _ = _in_folder(folder)
        if found is not None:
            return found
        if repository_root:
            break  # what lies above is not this project
    return None


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
def _in_folder(folder: Path) -> Tuple[Optional[Tuple[Version, str]], bool, bool]:
    """The pin in ``folder``'s project files, whether it is a repository's root, and whether it holds a project
    file.  One listing of the folder: a run asks this of every folder it lints."""
    try:
        with os.scandir(folder) as entries:  # only regular files: a FIFO would block the read forever
            names = {entry.name: entry.is_file() for entry in entries}
    except OSError:
        return None, False, False
    project_file = any(regular and _readers(name) for name, regular in names.items())
    return _pin_in(folder, names), ".git" in names, project_file


def _pin_in(folder: Path, names: Dict[str, bool]) -> Optional[Tuple[Version, str]]:
    """The TensorFlow version the project files among ``names`` (name -> is a regular file) in ``folder`` declare."""
    for name in sorted(name for name, regular in names.items() if regular):
        for reader, what in _readers(name):
            version = reader(folder / name)
            if version is not None:
                return version, f"{folder / name}: its TensorFlow {what}"
    return None


def _readers(name: str) -> Tuple[Tuple[Callable[[Path], Optional[Version]], str], ...]:
    """The functions that read the TensorFlow version a project file of this name declares, each with what it
    reads; none if it is no project file."""
    if _REQUIREMENTS.fullmatch(name):
        return ((_requirements_txt, "pin"),)
    if _DOCKERFILE.fullmatch(name):
        return (_base_image, "base image"), (_pip_installs, "pin")
    return ((_READERS[name], "pin"),) if name in _READERS else ()


# -- reading each kind of file ------------------------------------------------------------------------------
def _pyproject(path: Path) -> Optional[Version]:
    try:
        data = load_toml(path)
    except (OSError, ValueError):
        return None
    project = data.get("project", {})
    requirements = [*project.get("dependencies", []),
                    *(r for extra in project.get("optional-dependencies", {}).values() for r in extra)]
    poetry = data.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {}),
              *(group.get("dependencies", {}) for group in poetry.get("group", {}).values() if isinstance(group, dict))]
    return pinned([*(r for r in requirements if isinstance(r, str)),
                   *(_poetry_requirement(name, spec) for table in tables if isinstance(table, dict)
                     for name, spec in table.items())])


def _poetry_requirement(name: str, spec) -> str:
    """A Poetry dependency as a PEP 508 requirement: ``^1.15`` is ``>=1.15,<2``, ``~1.15`` is ``>=1.15,<1.16``."""
    if isinstance(spec, dict):
        spec = spec.get("version", "")
    if not isinstance(spec, str):
        return name
    spec = spec.strip()
    for pattern, upper in ((_POETRY_CARET, lambda a, b: f"<{int(a) + 1}" if int(a) else f"<0.{int(b or 0) + 1}"),
                           (_POETRY_TILDE, lambda a, b: f"<{a}.{int(b) + 1}" if b is not None else f"<{int(a) + 1}")):
        match = pattern.match(spec)
        if match:
            major, minor = match.group(1), match.group(2)
            return f"{name}>={major}.{minor or 0},{upper(major, minor)}"
    if spec in ("", "*"):
        return name
    return f"{name}{spec}" if spec[0] in "<>=!~" else f"{name}=={spec}"


def _requirements_txt(path: Path) -> Optional[Version]:
    return pinned(line.split(" #", 1)[0] for line in _lines(path) if not line.lstrip().startswith(("#", "-")))


def _setup_py(path: Path) -> Optional[Version]:
    return pinned(match.group(1) for match in _QUOTED.finditer("\n".join(_lines(path))))


def _setup_cfg(path: Path) -> Optional[Version]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string("\n".join(_lines(path)))
    except configparser.Error:
        return None
    sections = [("options", "install_requires"),
                *(("options.extras_require", key) for key in (parser["options.extras_require"]
                                                              if parser.has_section("options.extras_require") else ()))]
    return pinned(line for section, key in sections if parser.has_option(section, key)
                  for line in parser.get(section, key).splitlines())


def _pipfile(path: Path) -> Optional[Version]:
    try:
        data = load_toml(path)
    except (OSError, ValueError):
        return None
    return pinned(_poetry_requirement(name, spec) if not (isinstance(spec, str) and spec[:1] in "<>=!~*")
                  else name + ("" if spec == "*" else spec)
                  for table in ("packages", "dev-packages") for name, spec in data.get(table, {}).items())


def _environment_yml(path: Path) -> Optional[Version]:
    """conda's ``- tensorflow=1.15`` (one ``=``: that release series) and pip's ``- tensorflow==1.15.5``."""
    requirements = []
    for line in _lines(path):
        match = _CONDA_ITEM.match(line)
        if match:
            name, spec = match.group(1), match.group(2).strip()
            if re.fullmatch(r"=[^=<>!~].*", spec):
                spec = f"=={spec[1:]}" + ("" if spec.endswith("*") else ".*")
            requirements.append(name + spec)
    return pinned(requirements)


def _base_image(path: Path) -> Optional[Version]:
    """The TensorFlow of a Dockerfile's base image: ``tensorflow/tensorflow:1.15.0-py3``; NVIDIA's ``…-tf1-py3`` is
    1.15, ``…-tf2-py3`` some 2.x."""
    text = "\n".join(_lines(path))
    defaults = {name: value.strip("\"'") for name, value in _ARG.findall(text)}
    for image in _FROM.findall(text):  # `ARG FROM_IMAGE_NAME=…:20.06-tf1-py3` then `FROM ${FROM_IMAGE_NAME}`
        image = _ARG_USE.sub(lambda use: defaults.get(use.group(1) or use.group(2), use.group(0)), image)
        repository, _, tag = image.partition(":")
        if repository.split("/")[-1] != "tensorflow" or not tag:
            continue
        release = re.match(r"(\d+)\.(\d+)", tag)
        if repository.split("/")[-2:-1] == ["tensorflow"] and release:
            return int(release.group(1)), int(release.group(2))
        if "-tf1" in tag:
            return LAST_TF1
        if "-tf2" in tag:
            return DEFAULT
    return None


def _pip_installs(path: Path) -> Optional[Version]:
    """A ``pip install tensorflow==…`` in a Dockerfile."""
    return pinned(word for install in _PIP_INSTALL.findall("\n".join(_lines(path))) for word in install.split()
                  if not word.startswith("-"))


_READERS = {"pyproject.toml": _pyproject, "setup.py": _setup_py, "setup.cfg": _setup_cfg, "Pipfile": _pipfile,
            "environment.yml": _environment_yml, "environment.yaml": _environment_yml}


# -- what a requirement pins ------------------------------------------------------------------------------
def pinned(requirements: Iterable[str]) -> Optional[Version]:
    """The highest TensorFlow release the first TensorFlow requirement bounded from above allows."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    for text in requirements:
        try:
            requirement = Requirement(text.strip())
        except InvalidRequirement:
            continue
        if canonicalize_name(requirement.name) in TENSORFLOW_PACKAGES:
            highest = _highest_allowed(requirement.specifier)
            if highest is not None:
                return highest
    return None


def _highest_allowed(specifier) -> Optional[Version]:
    """The highest (major, minor) with a release ``specifier`` admits, among the 1.x series and the 2.x series up to
    the newest this tool knows (``<3.0`` is that one, not a 2.59 that never was); None if it admits releases
    without end."""
    from packaging.version import parse

    if not specifier or specifier.contains("99.0.0", prereleases=True):
        return None
    from tf_step_lint.api import newest_known_release

    named = [clause.version.replace(".*", "") for clause in specifier]  # 2.0.0rc1, 1.15.5, ...
    series = [(1, minor) for minor in range(16)] + [(2, minor) for minor in range(newest_known_release()[1] + 1)]
    candidates = [f"{major}.{minor}.{patch}" for major, minor in series for patch in range(12)] + named
    admitted = [parse(c) for c in candidates if specifier.contains(c, prereleases=True)]
    return max((v.major, v.minor) for v in admitted) if admitted else None


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


def is_project_file(name: str) -> bool:
    """A file whose change can change a target version: pyproject.toml (which also holds the settings), a
    requirements file, setup.py, ..."""
    return name == "pyproject.toml" or bool(_readers(name))


def forget_detected() -> None:
    """Read the project files again when next asked (they may have changed)."""
    for cached in (detect, from_code, _in_folder):
        cached.cache_clear()
