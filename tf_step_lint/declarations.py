"""What each project file declares of TensorFlow: the readers of pyproject.toml (PEP 621 and Poetry),
``requirements*.txt``, ``setup.py``, ``setup.cfg``, ``Pipfile``, conda's ``environment.yml``, Dockerfiles (``FROM
tensorflow/tensorflow:1.15.0-py3``, NVIDIA's ``…-tf1-py3`` and ``19.06-py3``, ``RUN pip install "tensorflow==1.15.0"``)
and CI configurations that pip-install TensorFlow (``.github/workflows/*.yml``, ``cloudbuild.yaml``, ...).

Requirement specifiers are read with ``packaging``, as pip reads them.  A pin declares a version only when it bounds
the version from above (``==2.15.1``, ``~=1.15``, ``<2.16``): ``tensorflow>=2.4`` says what the code needs, not what
it runs on.  Which declaration a folder's code targets is decided by detect.py.
"""
import configparser
import re
import shlex
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence, Tuple

from tf_step_lint.target import DEFAULT, LAST_TF1, Version

TENSORFLOW_PACKAGES = frozenset({"tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel",
                                 "tensorflow-macos"})
_REQUIREMENTS = re.compile(r"requirements.*\.txt")
_DOCKERFILE = re.compile(r"(?:.*\.)?Dockerfile(?:\..*)?|Containerfile")
# CI configurations named for their service, wherever they are; a CI folder's every YAML file (see ``readers``)
_CI_CONFIG = re.compile(r"cloudbuild(?:[._-].*)?\.ya?ml|\.travis\.yml|\.gitlab-ci\.yml|azure-pipelines\.ya?ml")
_CI_FOLDERS = ((".github", "workflows"), (".circleci",))
_QUOTED = re.compile(r"""['"]([^'"\n]*tensorflow[^'"\n]*)['"]""", re.IGNORECASE)
_CONDA_ITEM = re.compile(r"^\s*-\s*['\"]?([A-Za-z0-9_.\-\[\]]+)\s*(=?=?[<>!~=]*\s*[^\s'\"#]*)")
_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)", re.IGNORECASE | re.MULTILINE)
_ARG = re.compile(r"^\s*ARG\s+(\w+)=(\S+)", re.IGNORECASE | re.MULTILINE)
_ARG_USE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_PIP_INSTALL = re.compile(r"pip3?\s+install\s+([^&|;\n\\]*)", re.IGNORECASE)
_POETRY_CARET = re.compile(r"^\^(\d+)(?:\.(\d+))?")
_POETRY_TILDE = re.compile(r"^~(?!=)(\d+)(?:\.(\d+))?")

Reader = Callable[[Path], Optional[Version]]


def readers(folder: Path, name: str) -> Tuple[Tuple[Reader, str], ...]:
    """The functions that read the TensorFlow version the project file ``name`` in ``folder`` declares, each with
    what it reads; none if it is no project file."""
    if _REQUIREMENTS.fullmatch(name):
        return ((_requirements_txt, "pin"),)
    if _DOCKERFILE.fullmatch(name):
        return (_base_image, "base image"), (_pip_installs, "pin")
    if _CI_CONFIG.fullmatch(name) or (name.endswith((".yml", ".yaml"))
                                      and any(folder.parts[-len(f):] == f for f in _CI_FOLDERS)):
        return ((_pip_installs, "pin in a CI pip install"),)
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
    1.15, ``…-tf2-py3`` some 2.x, and one of before the two (``nvcr.io/nvidia/tensorflow:19.06-py3``) 1.x."""
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
        if repository.split("/")[-2:-1] == ["nvidia"] and _ngc_before_split(tag):
            return LAST_TF1
    return None


def _ngc_before_split(tag: str) -> bool:
    """An NGC ``nvcr.io/nvidia/tensorflow`` tag of a release before 20.01 (``19.06-py3``), which ships TF 1.x.

    Source: NVIDIA's TensorFlow container release notes (docs.nvidia.com/deeplearning/frameworks/
    tensorflow-release-notes): the images come as ``YY.MM-tf1-py3`` and ``YY.MM-tf2-py3`` from release 20.01 on;
    the releases before it have one image, ``YY.MM-py3`` (and ``-py2``), with TensorFlow 1.x (19.06: 1.13.1, 19.12:
    1.15.0).  Read as 1.15, the TF 1.x whose API this tool knows (its data is of TF 1.15 and 2.x), so an older
    release's exact minor version is not kept."""
    release = re.match(r"(\d{2})\.(\d{2})(?:-py[23])?$", tag)
    return release is not None and (int(release.group(1)), int(release.group(2))) < (20, 1)


def _pip_installs(path: Path) -> Optional[Version]:
    """A ``pip install tensorflow==…`` (or ``"tensorflow==…"``, as the shell reads it) in a Dockerfile or a CI
    configuration."""
    return pinned(word for install in _PIP_INSTALL.findall("\n".join(_lines(path))) for word in _shell_words(install)
                  if not word.startswith("-"))


def _shell_words(command: str) -> Sequence[str]:
    """The words of a command line, unquoted; where its quotes do not close (a YAML list's ``'pip install x']``
    ends the line), the blank-separated words without the quotes around them."""
    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return [word.strip("'\",[]") for word in command.split()]


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


def is_project_file(path: str) -> bool:
    """A file whose change can change a target version: pyproject.toml (which also holds the settings), a
    requirements file, setup.py, a CI configuration, ..."""
    file = Path(path)
    return file.name == "pyproject.toml" or bool(readers(file.parent, file.name))
