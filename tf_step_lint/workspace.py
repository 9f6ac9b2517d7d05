"""An editor's view of the project: the files of its workspace folders, with the unsaved buffers over them.

The CLI analyses a project once; an editor changes it a keystroke at a time.  ``Workspace`` keeps what crosses
modules, as ``tf-step-lint .`` works it out (project.py): which functions of a module other modules' model_fns build
their train op with, and which modules each file's findings were read from.  When a buffer or a file changes, it
says which other files' findings may have changed with it, so that an editor shows what the CLI shows.

Not thread-safe: the language server calls it from one worker thread.
"""
import os
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple, Union

from tf_step_lint.cache import ResultCache, digest, lint_task
from tf_step_lint.codes import ERROR_CODE
from tf_step_lint.config import Configuration, Settings, forget_project_files
from tf_step_lint.engine import Linted, lint_file, lint_notebook, linters
from tf_step_lint.files import NOTEBOOK, Stamp, TooLarge, collect_files, is_notebook, read_source, size_limit
from tf_step_lint.finding import Finding
from tf_step_lint.notebook import NotPython
from tf_step_lint.parsing import source_text
from tf_step_lint.project import Project, ProjectIndex, external_roots

NO_ROOTS: FrozenSet[str] = frozenset()


@dataclass(frozen=True)
class Checked:
    findings: List[Finding]
    affected: Set[str]  # other files whose findings may have changed with this one


class Workspace:
    def __init__(self, folders: Sequence[str]):
        self.use_folders(folders)
        self.configuration = Configuration(Settings())
        self.buffers: Dict[str, str] = {}  # path -> the text of its open, maybe unsaved, document
        self.files: List[str] = []  # the workspace's files, as a walk finds them
        self.calls: Dict[str, Tuple[str, ...]] = {}  # file -> other-module functions its model_fns build with
        self.roots: Dict[str, FrozenSet[str]] = {}  # file -> its functions that other files' model_fns build with
        self.read_from: Dict[str, Set[str]] = {}  # file -> the files its last findings were read from
        self._known: Set[str] = set()
        self.project = Project([], self._read)
        self._index = ProjectIndex([])

    # -- which files -------------------------------------------------------------------------------------
    def walk(self) -> List[str]:
        """The Python files of the workspace folders, as ``tf-step-lint FOLDER`` would find them."""
        found, _ = collect_files(self.folders, self.configuration.excluded) if self.folders else ([], [])
        self.use_files(found)
        return list(found)

    def use_folders(self, folders: Sequence[str]) -> None:
        """The editor's workspace folders are now ``folders`` (the next ``walk`` reads them)."""
        self.folders = [os.path.abspath(folder) for folder in folders]

    def use_files(self, files: Sequence[str]) -> None:
        """The workspace holds ``files`` from now on (a file was created or deleted): what was read stays valid
        only for the files still there."""
        self.files = list(files)
        self._known = kept = set(self.files)
        self.calls = {file: calls for file, calls in self.calls.items() if file in kept}
        self.project = Project(self.files, self._read)
        self._index = self.project.index

    def is_linted(self, path: str) -> bool:
        """A Python file the configuration does not exclude (an editor lints as `--force-exclude` would)."""
        return path.endswith((".py", ".pyi", NOTEBOOK)) and not self.configuration.excluded_with_folders(path)

    # -- changes -----------------------------------------------------------------------------------------
    def settings_changed(self) -> None:
        """A pyproject.toml or another project file changed: every file's configuration is read again."""
        forget_project_files()
        self.configuration = Configuration(Settings())

    def buffer(self, path: str, text: Optional[str]) -> Set[str]:
        """The open document of ``path`` now holds ``text`` (None: it was closed, the file on disk counts
        again); the files whose findings were read from it."""
        if self.buffers.get(path) == text:
            return set()
        if text is None:
            self.buffers.pop(path, None)
        else:
            self.buffers[path] = text
        return self.changed(path)

    def changed(self, path: str) -> Set[str]:
        """``path``'s code changed (in a buffer or on disk): the other files whose findings were read from it."""
        self.project.forget(path)
        return {file for file, sources in self.read_from.items() if path in sources and file != path}

    # -- analysis ----------------------------------------------------------------------------------------
    def scan(self, path: str, cache: Optional[ResultCache] = None) -> None:
        """Record which functions of other modules ``path``'s model_fns build their train op with: from ``cache``
        where it holds the file's lint as the CLI stores it (its first pass: cross-module calls, no edits), and
        stored there otherwise, so that a large workspace is not read in full at every start."""
        if cache is None or path in self.buffers:
            linted = self._linted(path)
            if not isinstance(linted, Finding):
                self.calls[path] = tuple(linted.calls)
            return
        try:
            source, stamp = read_source(path)
        except (OSError, TooLarge):
            return  # its own check says why it cannot be read
        selection = self.configuration.selection(path)
        roots = self.roots.get(path, NO_ROOTS)
        key = cache.key(source_digest := digest(source), roots, lint_task(repr(selection), True, False))
        hit = cache.get(key)
        if hit is not None and cache.still_current(hit[3]):
            self.calls[path] = hit[1]
            cache.remember(path, stamp, source_digest)
            return
        modules = self.project.seen_from(path, selection.target)
        linted = self._lint(path, source, selection, collect_calls=True, modules=modules)
        self.read_from[path] = set(self.project.dependencies(modules))
        self.calls[path] = tuple(linted.calls)
        if not linted.note:
            cache.put(key, linted.findings, self.calls[path], linted.analysed, self.project.dependencies(modules))
            cache.remember(path, stamp, source_digest)

    def update_roots(self) -> Set[str]:
        """Work out the training roots again from every file's calls; the files whose roots changed."""
        files = [file for file in self.files if self.calls.get(file)]
        roots = external_roots(files, [self.calls[file] for file in files], self._index)
        changed = {file for file in set(roots) | set(self.roots) if roots.get(file) != self.roots.get(file)}
        self.roots = roots
        return changed

    def check(self, path: str) -> Checked:
        """The findings of ``path`` as `tf-step-lint .` reports them, and the other files whose roots this check
        changed (the server checks those again)."""
        linted = self._linted(path)
        if isinstance(linted, Finding):
            return Checked([linted], set())
        affected: Set[str] = set()
        if path in self._known and tuple(linted.calls) != self.calls.get(path, ()):
            self.calls[path] = tuple(linted.calls)
            affected = self.update_roots() - {path}
        return Checked(linted.findings, affected)

    def with_edits(self, path: str) -> List[Finding]:
        """``path``'s findings, each fix with the text edits it makes (what a quick fix applies)."""
        source = self._source(path)
        if isinstance(source, Finding):
            return [source]
        selection = self.configuration.selection(path)
        modules = self.project.seen_from(path, selection.target)
        return self._lint(path, source, selection, edits=True, modules=modules).findings

    def fixed(self, path: str, unsafe: bool) -> Optional[str]:
        """``path``'s text with every safe fix (with ``unsafe``, every fix) applied, as `--fix` applies them; None
        where nothing is fixed."""
        source = self._source(path)
        if isinstance(source, Finding):
            return None
        selection = self.configuration.selection(path)
        modules = self.project.seen_from(path, selection.target)
        _, fix = linters(path)
        try:
            result = fix(self._read(path)[0], selection, self.roots.get(path, NO_ROOTS), unsafe, modules)
        except NotPython:
            return None
        if not result.fixed:
            return None
        return result.source.decode("utf-8", "surrogatepass") if path in self.buffers else source_text(result.source)

    # -- reading -----------------------------------------------------------------------------------------
    def _linted(self, path: str) -> Union[Linted, Finding]:
        """lint_file of ``path`` with the cross-module calls, or the TSL000 that says why it cannot be read."""
        source = self._source(path)
        if isinstance(source, Finding):
            return source
        selection = self.configuration.selection(path)
        modules = self.project.seen_from(path, selection.target)
        linted = self._lint(path, source, selection, collect_calls=True, modules=modules)
        self.read_from[path] = set(self.project.dependencies(modules))
        return linted

    def _lint(self, path: str, source: Union[str, bytes], selection, **options) -> Linted:
        """lint_file, or for a notebook lint_notebook (one of another language has no findings)."""
        if not is_notebook(path):
            return lint_file(source, selection, self.roots.get(path, NO_ROOTS), **options)
        raw = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
        try:
            return lint_notebook(raw, selection, self.roots.get(path, NO_ROOTS), **options)
        except NotPython:
            return Linted([], [], False)

    def _source(self, path: str) -> Union[str, bytes, Finding]:
        """The open buffer of ``path`` (text), else its file (bytes, decoded as Python decodes them)."""
        if path in self.buffers:
            text = self.buffers[path]
            if len(text) > size_limit(path):
                return Finding(ERROR_CODE, f"not checked: {TooLarge(len(text.encode('utf-8', 'surrogatepass')))}",
                               1, 1)
            return text
        try:
            return read_source(path)[0]
        except OSError as error:
            return Finding(ERROR_CODE, f"cannot read: {error.strerror or error}", 1, 1)
        except TooLarge as error:
            return Finding(ERROR_CODE, f"not checked: {error}", 1, 1)

    def _read(self, path: str) -> Tuple[bytes, Optional[Stamp]]:
        """What another module's analysis reads of ``path``: its open buffer, else the file."""
        if path in self.buffers:
            return self.buffers[path].encode("utf-8", "surrogatepass"), None
        return read_source(path)
