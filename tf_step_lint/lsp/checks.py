"""What the server checks and when: open documents first, then the workspace scan behind them.

Diagnostics come from the unsaved buffers, as `tf-step-lint .` would report them: a ``Workspace`` (workspace.py)
holds the cross-module facts of the workspace folders, read in the background (through the result cache the CLI
fills) and kept up to date as buffers and files change.  All analysis runs on one worker thread, one job at a time,
so the event loop always answers; a buffer's check is debounced, and a check whose document has changed since is
dropped before it starts and never published.
"""
import asyncio
import gc
import json
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from lsprotocol import types
from lsprotocol.converters import get_converter
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path
from pygls.workspace import TextDocument

from tf_step_lint import __version__
from tf_step_lint.codes import ERROR_CODE
from tf_step_lint.files import CACHE_DIRECTORY
from tf_step_lint.finding import Edit, Finding
from tf_step_lint.lsp.diagnostics import SOURCE, diagnostics
from tf_step_lint.lsp.fast_start import Handover
from tf_step_lint.lsp.paths import path_of
from tf_step_lint.parsing import python_lines
from tf_step_lint.workspace import Workspace

DEBOUNCE_SECONDS = 0.05  # within a burst of typing, a check waits this long after the last keystroke
PYTHON_SUFFIXES = (".py", ".pyi")
CODE_SUFFIXES = (*PYTHON_SUFFIXES, ".ipynb")  # files whose code the workspace reads
CONVERTER = get_converter()


@dataclass(frozen=True)
class ClientSettings:
    unsafe_fixes: bool = False
    run: str = "onType"  # or "onSave"

    @classmethod
    def read(cls, options: Any, previous: "ClientSettings") -> "ClientSettings":
        """The settings in ``options`` (``{"unsafeFixes": true}``, or the same under ``tf-step-lint``); what is not
        there stays as it was."""
        if isinstance(options, dict) and isinstance(options.get(SOURCE), dict):
            options = options[SOURCE]
        if not isinstance(options, dict):
            return previous
        unsafe, run = options.get("unsafeFixes", previous.unsafe_fixes), options.get("run", previous.run)
        return cls(unsafe if isinstance(unsafe, bool) else previous.unsafe_fixes,
                   run if run in ("onType", "onSave") else previous.run)


class StepLintServer(LanguageServer):
    def __init__(self, handover: Optional[Handover] = None):
        super().__init__(SOURCE, __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         notebook_document_sync=types.NotebookDocumentSyncOptions(
                             [types.NotebookDocumentFilterWithCells([types.NotebookCellLanguage("python")])],
                             save=True))
        self.handover = handover or Handover()
        self.settings = ClientSettings()
        self.analysis: Optional[Workspace] = None
        self.pulls = False  # the client asks for diagnostics (textDocument/diagnostic): none are pushed
        self.checked: Dict[str, Tuple[Optional[int], List[Finding]]] = {}  # uri -> its last check
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tf-step-lint")
        self._pending: Dict[str, asyncio.Task] = {}  # uri -> its scheduled check
        self._last_change: Dict[str, float] = {}  # uri -> when it last changed (time.monotonic)
        self._opened_or_saved: Dict[str, Optional[int]] = {}  # uri -> its version when last opened or saved
        self._scan: Optional[asyncio.Future] = None

    async def run(self, function: Callable, *args):
        """``function(*args)`` on the worker thread: the workspace's state is only ever touched there."""
        return await asyncio.get_running_loop().run_in_executor(self._worker, _without_gc, function, args)

    def log(self, kind: types.MessageType, message: str) -> None:
        self.window_log_message(types.LogMessageParams(kind, message))

    # -- documents ---------------------------------------------------------------------------------------
    def document(self, uri: str) -> Optional[TextDocument]:
        """The open document ``uri`` if it is Python code this server checks on its own (a notebook's cells are
        checked with their notebook)."""
        document = self.workspace.text_documents.get(uri)
        if document is None or not _is_python(document) or self.workspace.get_notebook_document(cell_uri=uri):
            return None
        return document

    def notebook(self, uri: str) -> Optional["Cells"]:
        """The open notebook ``uri``, or the notebook whose cell ``uri`` is, with its cells' documents."""
        notebook = (self.workspace.notebook_documents.get(uri)
                    or self.workspace.get_notebook_document(cell_uri=uri))
        if notebook is None:
            return None
        return Cells(notebook, [self.workspace.get_text_document(cell.document) for cell in notebook.cells])

    def checked_text(self, uri: str) -> Optional[tuple]:
        """(version, text, path) of what a check of ``uri`` reads: a document's text, or for a notebook its cells
        as notebook JSON."""
        notebook = self.workspace.notebook_documents.get(uri)
        if notebook is not None:
            return notebook.version, self.notebook(uri).as_json(), path_of(uri)
        document = self.document(uri)
        return (document.version, document.source, path_of(uri)) if document is not None else None

    def changed(self, uri: str) -> None:
        """Debounce on both edges: the first change after a pause is checked at once (one keystroke shows its
        findings soonest), a change that follows another within DEBOUNCE_SECONDS waits that long for the next."""
        now = time.monotonic()
        in_burst = now - self._last_change.get(uri, float("-inf")) < DEBOUNCE_SECONDS
        self._last_change[uri] = now
        self.schedule(uri, DEBOUNCE_SECONDS if in_burst else 0.0)

    def schedule(self, uri: str, delay: float = 0.0, now: bool = False) -> None:
        """Check ``uri`` after ``delay``, instead of any check of it still waiting; ``now``: its text as it is now
        (an opened document's, which the fast start's messages, handled at once, may change before the check)."""
        waiting = self._pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        read = self.checked_text(uri)
        if read is None:
            return
        if now:
            self._opened_or_saved[uri] = read[0]
        elif self.settings.run == "onSave" and self._opened_or_saved.get(uri) != read[0]:
            return  # an unsaved change waits for its save, whatever else asks for a check
        self._pending[uri] = asyncio.ensure_future(self._check(uri, delay, read if now else None))

    async def _check(self, uri: str, delay: float, read: Optional[tuple] = None) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            read = read or self.checked_text(uri)
            if read is None:
                return
            version, text, path = read
            checked = await self.run(self._check_in_worker, uri, version, path, text)
            if checked is None or self.version_of(uri) != version:
                return  # the document changed (or closed) meanwhile: the check of its new text publishes
            findings, affected = checked
            self.publish(uri, findings, version)
            self.recheck(affected - {path})
        finally:
            if self._pending.get(uri) is asyncio.current_task():
                del self._pending[uri]

    async def current_findings(self, uri: str) -> Tuple[Optional[int], List[Finding]]:
        """The findings of ``uri``'s text now (a pull asks for them): the last check's, once none is waiting."""
        while uri in self._pending:
            await asyncio.wait([self._pending[uri]])
        read = self.checked_text(uri)
        if read is None:
            return None, []
        version, text, path = read
        if uri not in self.checked or self.checked[uri][0] != version:
            checked = await self.run(self._check_in_worker, uri, version, path, text)
            self.checked[uri] = (version, checked[0] if checked else [])
        return self.checked[uri]

    def _check_in_worker(self, uri: str, version: Optional[int], path: str, text: str):
        """On the worker: record the buffer and check it, unless a newer version has come meanwhile.  A bug of
        ours shows as one TSL000 and a logged traceback: the findings it would hide are not left standing."""
        affected = self.analysis.buffer(path, text)
        if self.version_of(uri) != version:
            return None
        if not self.analysis.is_linted(path):
            return [], affected
        try:
            checked = self.analysis.check(path)
        except Exception as error:  # noqa: BLE001  (the server must outlive any one check)
            self.log(types.MessageType.Error, traceback.format_exc())
            return [Finding(ERROR_CODE, f"not checked: internal error {type(error).__name__}: {error} (please "
                                        "report it)", 1, 1)], affected
        return checked.findings, affected | checked.affected

    def version_of(self, uri: str) -> Optional[int]:
        document = self.workspace.notebook_documents.get(uri) or self.workspace.text_documents.get(uri)
        return document.version if document is not None else -1

    def diagnostics_of(self, uri: str, findings: List[Finding]) -> List[types.Diagnostic]:
        """``findings`` as ``uri``'s diagnostics, in the client's position encoding."""
        document = self.workspace.text_documents.get(uri)
        lines = python_lines(document.source) if document is not None else []
        return CONVERTER.structure(diagnostics(findings, lines, self.encoding), List[types.Diagnostic])

    @property
    def encoding(self) -> str:
        return str(getattr(self.workspace.position_encoding, "value", self.workspace.position_encoding))

    def publish(self, uri: str, findings: List[Finding], version: Optional[int] = None) -> None:
        """Push ``uri``'s diagnostics, unless the client pulls them: then it is asked to pull again, if it can be."""
        cells = self.workspace.notebook_documents.get(uri) and self.notebook(uri)
        if cells:  # each cell has its own diagnostics
            for index, document in enumerate(cells.documents, 1):
                mine = [f for f in findings if (f.cell or cells.first_code) == index]
                self.publish(document.uri, mine, document.version)
            return
        previous = self.checked.get(uri)
        self.checked[uri] = (version, findings)
        if self.pulls:
            if previous is not None and previous[1] != findings and self._refreshes:
                self.workspace_diagnostic_refresh(None)
            return
        if self.handover.published.pop(uri, None) == (version, findings):
            return  # the fast start published these already
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri, self.diagnostics_of(uri, findings), version))

    @property
    def _refreshes(self) -> bool:
        workspace = self.client_capabilities.workspace
        return bool(workspace and workspace.diagnostics and workspace.diagnostics.refresh_support)

    def close(self, uri: str, shown: List[str]) -> None:
        """``uri`` (a file, or a notebook whose cells are ``shown``) was closed: no check of it is left waiting,
        its diagnostics go, the file on disk counts again, and the open files whose findings it fed are checked
        again."""
        waiting = self._pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        for document in shown:
            self.checked.pop(document, None)
            if not self.pulls:
                self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(document, []))
        asyncio.ensure_future(self._closed(uri))

    async def _closed(self, uri: str) -> None:
        self.recheck(await self.run(self.analysis.buffer, path_of(uri), None))

    def recheck(self, paths: Set[str]) -> None:
        """Check again those of ``paths`` that are open, as files or notebooks (schedule passes over the rest)."""
        for path in paths:
            self.schedule(from_fs_path(path))

    def recheck_open(self) -> None:
        for uri in [*self.workspace.text_documents, *self.workspace.notebook_documents]:
            self.schedule(uri)

    # -- the workspace -----------------------------------------------------------------------------------
    async def scan(self) -> None:
        """Read the workspace's files for what crosses modules, one job at a time and each after the checks of
        open documents waiting then, so that an opened file's diagnostics never wait for the workspace; then check
        the open documents again with what was learnt."""
        await self._checks_done()
        started = time.monotonic()
        files = await self.run(self.analysis.walk)
        cache = await self.run(self._cache)
        for file in files:
            await self._checks_done()
            await self.run(self._scan_in_worker, file, cache)
        if cache is not None:
            await self.run(cache.save)
        await self.run(self.analysis.update_roots)
        self.recheck_open()
        self.log(types.MessageType.Info, f"tf-step-lint: read {len(files)} files of the workspace in "
                                         f"{time.monotonic() - started:.1f} s")

    async def _checks_done(self) -> None:
        while self._pending:
            await asyncio.wait(list(self._pending.values()))

    def _cache(self):
        """The result cache of the first workspace folder, where `tf-step-lint .` run there keeps it."""
        from tf_step_lint.cache import ResultCache

        return ResultCache(Path(self.analysis.folders[0], CACHE_DIRECTORY)) if self.analysis.folders else None

    def _scan_in_worker(self, path: str, cache) -> None:
        try:
            self.analysis.scan(path, cache)
        except Exception:  # noqa: BLE001  (one file's bug must not end the scan; its own check reports it)
            self.log(types.MessageType.Error, traceback.format_exc())

    async def files_changed(self, changes: List[types.FileEvent]) -> None:
        """Files changed on disk (the client watches them): settings, new or deleted modules, changed code."""
        from tf_step_lint.declarations import is_project_file

        paths = [(path_of(change.uri), change.type) for change in changes if change.uri.startswith("file:")]
        if any(is_project_file(path) for path, _ in paths):
            await self.run(self.analysis.settings_changed)
            self.workspace_restart()
            return
        if any(kind != types.FileChangeType.Changed and path.endswith(CODE_SUFFIXES) for path, kind in paths):
            await self.run(self.analysis.walk)
        affected: Set[str] = set()
        for path, kind in paths:
            if path.endswith(CODE_SUFFIXES):
                affected |= await self.run(self._file_changed, path, kind)
        self.recheck(affected)

    def _file_changed(self, path: str, kind: types.FileChangeType) -> Set[str]:
        affected = self.analysis.changed(path)
        if kind != types.FileChangeType.Deleted and path not in self.analysis.buffers:
            self.analysis.scan(path)
        return affected | self.analysis.update_roots()

    def workspace_restart(self) -> None:
        """Read the whole workspace again (the settings changed: which files are excluded, their targets)."""
        self.recheck_open()
        self.start_scan()

    def start_scan(self) -> None:
        """Read the workspace, instead of any reading of it still going on."""
        if self._scan is not None:
            self._scan.cancel()
        self._scan = asyncio.ensure_future(self.scan())


@dataclass(frozen=True)
class Cells:
    """An open notebook and its cells' documents, in order: what a check of the notebook reads."""

    notebook: types.NotebookDocument
    documents: List[TextDocument]

    def as_json(self) -> str:
        """The cells as an nbformat 4 notebook, which the engine reads as it reads a file (markdown cells count in
        the cell numbers, as in the file)."""
        cells = [{"cell_type": "code" if cell.kind == types.NotebookCellKind.Code else "markdown", "metadata": {},
                  "source": document.source, "outputs": [], "execution_count": None}
                 for cell, document in zip(self.notebook.cells, self.documents)]
        return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})

    def index(self, uri: str) -> Optional[int]:
        return next((i for i, document in enumerate(self.documents, 1) if document.uri == uri), None)

    @property
    def first_code(self) -> int:
        """Where a finding about the whole notebook is shown."""
        return next((i for i, cell in enumerate(self.notebook.cells, 1) if cell.kind == types.NotebookCellKind.Code),
                    1)

    def edits_to(self, fixed: str) -> List[Edit]:
        """The edits, cell by cell, that turn the cells into those of ``fixed`` (notebook JSON)."""
        from tf_step_lint.engine import text_edits

        new = json.loads(fixed)["cells"]
        edits: List[Edit] = []
        for index, (document, cell) in enumerate(zip(self.documents, new), 1):
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if text != document.source:
                edits.extend(replace(edit, cell=index) for edit in text_edits(document.source, text))
        return edits


def _without_gc(function: Callable, args: tuple):
    """A check builds a tree of tens of thousands of nodes, which the cyclic collector would walk again and again
    while it grows (a quarter of a 2,000-line file's check); what the check leaves is freed by reference counting,
    and the collector runs again between checks."""
    gc.disable()
    try:
        return function(*args)
    finally:
        gc.enable()


def _is_python(document: TextDocument) -> bool:
    return document.language_id == "python" or document.uri.endswith(PYTHON_SUFFIXES)
