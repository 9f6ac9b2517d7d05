"""Configuration: ``[tool.tf-step-lint]`` in ``pyproject.toml``, and the command line over it, resolved per file.

As in ruff, each file takes the nearest ``pyproject.toml`` above it that has a ``[tool.tf-step-lint]`` table (or the
one ``--config`` names), its patterns are relative to that file's folder, and command-line flags override it:
``--select`` replaces the file's selection, ``--ignore`` and ``--extend-select`` adjust it.  Within one source, the
longest matching code prefix decides, and at equal length ``ignore`` wins.
"""
import fnmatch
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Mapping, Optional, Tuple

from tf_step_lint.codes import ERROR_CODE, Selection
from tf_step_lint.declarations import load_toml
from tf_step_lint.detect import detect, forget_detected
from tf_step_lint.target import Version, parse_version

TABLE = "tool.tf-step-lint"
KEYS = ("select", "ignore", "extend-select", "per-file-ignores", "exclude", "extend-exclude", "target-version", "jobs")
# Folders no project lints: version control, virtualenvs, build output and caches.  `exclude` replaces these.
DEFAULT_EXCLUDE = (".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "__pycache__", "build", "dist",
                   "node_modules", ".eggs", "*.egg-info", ".mypy_cache", ".pytest_cache", ".ruff_cache")


class ConfigError(Exception):
    """A configuration the run cannot use; the message names the file, line and key."""


@dataclass(frozen=True)
class Settings:
    """One source of settings: a ``[tool.tf-step-lint]`` table or the command line.  None: not set there."""

    select: Optional[Tuple[str, ...]] = None
    ignore: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    exclude: Optional[Tuple[str, ...]] = None
    extend_exclude: Tuple[str, ...] = ()
    target_version: Optional[Version] = None
    jobs: Optional[int] = None


@dataclass(frozen=True)
class Config:
    settings: Settings
    root: str  # the folder its patterns are relative to


@functools.lru_cache(maxsize=1)
def known_codes() -> Tuple[str, ...]:
    from tf_step_lint.docs import rule_codes  # the docs' file names: cheap, and free of LibCST

    return (ERROR_CODE, *rule_codes())


def check_codes(codes: Iterable[str], where: str) -> Tuple[str, ...]:
    """``codes`` upper-cased, each a prefix of some rule's code; ConfigError naming ``where`` otherwise."""
    known = known_codes()
    checked = tuple(code.strip().upper() for code in codes)
    unknown = [code for code in checked if not code or not any(k.startswith(code) for k in known)]
    if unknown:
        raise ConfigError(f"{where}: unknown rule code or prefix {', '.join(map(repr, unknown))} "
                          f"(rules: {', '.join(known[1:])})")
    return checked


@functools.lru_cache(maxsize=None)
def selected_codes(layers: Tuple[Settings, ...]) -> Tuple[str, ...]:
    """The rule codes the layers (config file first, command line last) select, as ruff resolves them."""
    known = known_codes()[1:]
    enabled = set(known)  # the default: every rule
    for layer in layers:
        selectors = [(prefix, True) for prefix in layer.extend_select] + [(prefix, False) for prefix in layer.ignore]
        if layer.select is not None:
            enabled = set()
            selectors += [(prefix, True) for prefix in layer.select]
        for code in known:
            matches = [(len(prefix), not on) for prefix, on in selectors if code.startswith(prefix)]
            if matches:
                (enabled.discard if max(matches)[1] else enabled.add)(code)
    return tuple(sorted(enabled))


def matches(absolute: str, patterns: Tuple[str, ...], root: str) -> bool:
    """The ``absolute`` path matches a glob: one without a ``/`` by its name, one with a ``/`` by its path relative to
    ``root`` (or, written absolute, as it is), as in a .gitignore."""
    by_name, by_path = _compiled(patterns)
    if by_name is not None and by_name.match(absolute[absolute.rfind(os.sep) + 1:]):
        return True
    if by_path is None:
        return False
    inside = root.rstrip(os.sep) + os.sep
    relative = absolute[len(inside):].replace(os.sep, "/") if absolute.startswith(inside) else None
    return bool(by_path.match(absolute) or (relative is not None and by_path.match(relative)))


@functools.lru_cache(maxsize=None)
def _compiled(patterns: Tuple[str, ...]) -> Tuple[Optional["re.Pattern[str]"], Optional["re.Pattern[str]"]]:
    """Regular expressions for the globs matched by name and for those matched by path (a walk asks them of every
    file and folder)."""
    globs = [pattern.rstrip("/") for pattern in patterns]
    by_name = [fnmatch.translate(glob) for glob in globs if "/" not in glob]
    by_path = [fnmatch.translate(glob[2:] if glob.startswith("./") else glob) for glob in globs if "/" in glob]
    return (re.compile("|".join(by_name)) if by_name else None), (re.compile("|".join(by_path)) if by_path else None)


class Configuration:
    """The configuration of each file of a run: ``--config``'s file or the nearest one, under the command line."""

    def __init__(self, command_line: Settings, config_file: Optional[str] = None):
        self.command_line = command_line
        self.fixed = _read(Path(config_file), required=True) if config_file else None
        self.cwd = os.getcwd()  # the command line's globs are relative to it
        self._folders: Dict[str, Tuple[str, Config]] = {}  # a path's folder as written -> (absolute, config)
        self._selections: Dict[str, Selection] = {}  # by folder as written, where no per-file ignores apply

    def for_path(self, path: str) -> Config:
        return self._folder(path)[1]

    def for_folder(self, folder: str) -> Config:
        return self.fixed if self.fixed is not None else _nearest(os.path.abspath(folder))

    def _folder(self, path: str) -> Tuple[str, Config]:
        """The absolute folder of ``path`` and its configuration, worked out once per folder (a walk asks this
        of every file)."""
        written = os.path.dirname(path)
        known = self._folders.get(written)
        if known is None:
            folder = os.path.abspath(written)
            known = self._folders[written] = (folder, self.for_folder(folder))
        return known

    def excluded(self, path: str) -> bool:
        """``path`` matches ``exclude`` (by default DEFAULT_EXCLUDE) or ``extend-exclude``."""
        folder, config = self._folder(path)
        absolute = os.path.join(folder, os.path.basename(path))
        exclude = self.command_line.exclude if self.command_line.exclude is not None else config.settings.exclude
        return (matches(absolute, exclude if exclude is not None else DEFAULT_EXCLUDE, config.root)
                or matches(absolute, config.settings.extend_exclude, config.root)
                or matches(absolute, self.command_line.extend_exclude, self.cwd))

    def excluded_with_folders(self, path: str) -> bool:
        """``path``, or a folder it is in below its configuration's folder, is excluded (--force-exclude)."""
        absolute = Path(os.path.abspath(path))
        root = Path(self.for_path(path).root)
        return self.excluded(path) or any(self.excluded(str(folder)) for folder in absolute.parents
                                          if folder != root and root in folder.parents)

    def selection(self, path: str) -> Selection:
        """The codes reported in ``path`` and the TensorFlow it targets."""
        selection = self._selections.get(os.path.dirname(path))
        if selection is not None:  # a folder without per-file ignores: the same for all its files
            return selection
        folder, config = self._folder(path)
        target = self.command_line.target_version or config.settings.target_version or detect(folder)[0]
        selection = Selection(selected_codes((config.settings, self.command_line)), target)
        if not (config.settings.per_file_ignores or self.command_line.per_file_ignores):
            self._selections[os.path.dirname(path)] = selection
            return selection
        absolute = os.path.join(folder, os.path.basename(path))
        ignored = [c for pattern, codes in config.settings.per_file_ignores
                   if matches(absolute, (pattern,), config.root) for c in codes]
        ignored += [c for pattern, codes in self.command_line.per_file_ignores
                    if matches(absolute, (pattern,), self.cwd) for c in codes]
        if not ignored:
            return selection
        return Selection(tuple(c for c in selection.codes if not c.startswith(tuple(ignored))), selection.target)

    def target_source(self, path: str) -> Optional[str]:
        """Where the target of ``path`` comes from, when neither the command line nor a setting gives it."""
        folder, config = self._folder(path)
        if self.command_line.target_version or config.settings.target_version:
            return None
        return detect(folder)[1]

    def jobs(self, path: str) -> Optional[int]:
        """Files linted in parallel: the command line's, else the configuration of ``path`` (the first given)."""
        folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
        return self.command_line.jobs or self.for_folder(folder).settings.jobs


def target_for(directory: str) -> Version:
    """The target version of code in ``directory`` when no command line gives one (the flake8 plugin)."""
    return _nearest(os.path.abspath(directory)).settings.target_version or detect(directory)[0]


@functools.lru_cache(maxsize=None)
def _nearest(directory: str) -> Config:
    """The nearest ``pyproject.toml`` with a ``[tool.tf-step-lint]`` table at or above ``directory``."""
    pyproject = Path(directory, "pyproject.toml")
    if pyproject.is_file():
        config = _read(pyproject, required=False)
        if config is not None:
            return config
    parent = os.path.dirname(directory)
    if parent == directory:
        return Config(Settings(), os.getcwd())
    return _nearest(parent)


def _read(path: Path, required: bool) -> Optional[Config]:
    if required and path.exists() and not path.is_file():  # a FIFO would block the read forever
        raise ConfigError(f"{path}: cannot read: not a regular file")
    try:
        data = load_toml(path)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except ValueError as error:  # tomllib.TOMLDecodeError: "Invalid value (at line 3, column 9)"
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    tool = data.get("tool")
    table = tool.get("tf-step-lint") if isinstance(tool, dict) else None
    if table is None:
        if required:
            raise ConfigError(f"{path}: no [{TABLE}] table")
        return None
    return Config(_settings(table, path), os.path.dirname(os.path.abspath(path)))


def _settings(table: Mapping, path: Path) -> Settings:
    text = path.read_text(encoding="utf-8", errors="replace")

    def where(key: Optional[str] = None) -> str:
        return f"{path}:{_line_of(text, key)}: [{TABLE}]" + (f" {key}" if key else "")

    if not isinstance(table, dict):
        raise ConfigError(f"{where()}: must be a table")
    for key in table:
        if key not in KEYS:
            raise ConfigError(f"{where(key)}: unknown key {key!r} (known: {', '.join(KEYS)})")
    values: Dict[str, object] = {}
    for key in ("select", "ignore", "extend-select"):
        if key in table:
            values[key.replace("-", "_")] = check_codes(_strings(table[key], where(key)), where(key))
    for key in ("exclude", "extend-exclude"):
        if key in table:
            values[key.replace("-", "_")] = _strings(table[key], where(key))
    if "per-file-ignores" in table:
        mapping = table["per-file-ignores"]
        if not isinstance(mapping, dict):
            raise ConfigError(f"{where('per-file-ignores')}: must be a table of glob = [codes]")
        here = where("per-file-ignores")
        values["per_file_ignores"] = tuple(
            (pattern, check_codes(_strings(codes, here), f"{path}:{_line_of(text, 'per-file-ignores', pattern)}: "
                                                         f"[{TABLE}] per-file-ignores {pattern!r}"))
            for pattern, codes in mapping.items())
    if "target-version" in table:
        try:
            values["target_version"] = parse_version(str(table["target-version"]))
        except ValueError as error:
            raise ConfigError(f"{where('target-version')}: {error}") from None
    if "jobs" in table:
        jobs = table["jobs"]
        if type(jobs) is not int or jobs < 1:
            raise ConfigError(f"{where('jobs')}: must be a whole number of at least 1, not {jobs!r}")
        values["jobs"] = jobs
    return Settings(**values)


def _strings(value: object, where: str) -> Tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: must be a list of strings, not {value!r}")
    return tuple(value)


def _line_of(text: str, key: Optional[str], item: Optional[str] = None) -> int:
    """The line of ``key`` (of its ``item``) in the ``[tool.tf-step-lint]`` table, of the table itself without a
    key; else 1.  A search of the text: tomllib tells no positions."""
    header = re.search(r'^\s*\[\s*tool\s*\.\s*"?tf-step-lint"?\s*[.\]]', text, re.M)
    start = header.start() if header else 0
    for name in (key, item):
        if name is None:
            break
        found = re.compile(rf'^\s*(?:"?{re.escape(name)}"?\s*=|\[\s*tool\s*\.\s*"?tf-step-lint"?\s*\.\s*'
                           rf'"?{re.escape(name)}"?\s*\])', re.M).search(text, start)
        if found is None:
            break
        start = found.start()
    return text.count("\n", 0, start) + 1


def forget_project_files() -> None:
    """A project file may have changed (the language server watches them): read every one again when asked."""
    _nearest.cache_clear()
    forget_detected()
