"""``tf-step-lint server``: a Language Server Protocol server over stdio, built on pygls.

Diagnostics come from the unsaved buffers, as `tf-step-lint .` would report them: a ``Workspace`` (workspace.py)
holds the cross-module facts of the workspace folders, read once in the background when the server starts and kept
up to date as buffers and files change.  All analysis runs on one worker thread, one job at a time, so the event
loop always answers; a buffer's check is debounced, and a check whose document has changed since is dropped before
it starts and never published.

Client settings (``initializationOptions``, or ``workspace/didChangeConfiguration`` under ``tf-step-lint``):
``unsafeFixes`` (false: fix-all applies only the safe fixes) and ``run`` (``onType``, or ``onSave``).
"""
import asyncio
import functools
import gc
import json
import os
import re
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, List, Optional, Set

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from tf_step_lint import __version__
from tf_step_lint.codes import ERROR_CODE
from tf_step_lint.declarations import is_project_file
from tf_step_lint.engine import NOQA, text_edits
from tf_step_lint.finding import SAFE, Edit, Finding
from tf_step_lint.parsing import python_lines
from tf_step_lint.workspace import Workspace

SOURCE = "tf-step-lint"
FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.{SOURCE}"
DEBOUNCE_SECONDS = 0.05  # within a burst of typing, a check waits this long after the last keystroke
PYTHON_SUFFIXES = (".py", ".pyi")
CODE_SUFFIXES = (*PYTHON_SUFFIXES, ".ipynb")  # files whose code the workspace reads
# The files whose changes on disk matter: code, and the project files settings and target versions come from.
WATCHED = ("**/*.py", "**/*.pyi", "**/*.ipynb", "**/pyproject.toml", "**/setup.cfg", "**/setup.py",
           "**/requirements*.txt",
           "**/Pipfile", "**/environment.y*ml", "**/*Dockerfile*", "**/.github/workflows/*.y*ml", "**/.circleci/*.y*ml",
           "**/cloudbuild*.y*ml", "**/.travis.yml", "**/.gitlab-ci.yml", "**/azure-pipelines.y*ml")


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
    def __init__(self):
        super().__init__(SOURCE, __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         notebook_document_sync=types.NotebookDocumentSyncOptions(
                             [types.NotebookDocumentFilterWithCells([types.NotebookCellLanguage("python")])],
                             save=True))
        self.settings = ClientSettings()
        self.analysis: Optional[Workspace] = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tf-step-lint")
        self._pending: Dict[str, asyncio.Task] = {}  # uri -> its scheduled check
        self._last_change: Dict[str, float] = {}  # uri -> when it last changed (time.monotonic)
        self._scan: Optional[asyncio.Future] = None

    async def run(self, function: Callable, *args):
        """``function(*args)`` on the worker thread: the workspace's state is only ever touched there."""
        return await asyncio.get_running_loop().run_in_executor(self._worker, _without_gc, function, args)

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
            return notebook.version, self.notebook(uri).as_json(), _path(uri)
        document = self.document(uri)
        return (document.version, document.source, _path(uri)) if document is not None else None

    def changed(self, uri: str) -> None:
        """Debounce on both edges: the first change after a pause is checked at once (one keystroke shows its
        findings soonest), a change that follows another within DEBOUNCE_SECONDS waits that long for the next."""
        now = time.monotonic()
        in_burst = now - self._last_change.get(uri, float("-inf")) < DEBOUNCE_SECONDS
        self._last_change[uri] = now
        self.schedule(uri, DEBOUNCE_SECONDS if in_burst else 0.0)

    def schedule(self, uri: str, delay: float = 0.0) -> None:
        """Check ``uri`` after ``delay``, instead of any check of it still waiting."""
        waiting = self._pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        if self.checked_text(uri) is not None:
            self._pending[uri] = asyncio.ensure_future(self._check(uri, delay))

    async def _check(self, uri: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        read = self.checked_text(uri)
        if read is None:
            return
        version, text, path = read
        checked = await self.run(self._check_in_worker, uri, version, path, text)
        if checked is None or self._version(uri) != version:
            return  # the document changed (or closed) meanwhile: the check of its new text publishes
        findings, affected = checked
        self.publish(uri, findings, version)
        self.recheck(affected - {path})

    def _check_in_worker(self, uri: str, version: Optional[int], path: str, text: str):
        """On the worker: record the buffer and check it, unless a newer version has come meanwhile.  A bug of
        ours shows as one TSL000 and a logged traceback: the findings it would hide are not left standing."""
        affected = self.analysis.buffer(path, text)
        if self._version(uri) != version:
            return None
        if not self.analysis.is_linted(path):
            return [], affected
        try:
            checked = self.analysis.check(path)
        except Exception as error:  # noqa: BLE001  (the server must outlive any one check)
            self.window_log_message(types.LogMessageParams(types.MessageType.Error, traceback.format_exc()))
            return [Finding(ERROR_CODE, f"not checked: internal error {type(error).__name__}: {error} (please "
                                        "report it)", 1, 1)], affected
        return checked.findings, affected | checked.affected

    def _version(self, uri: str) -> Optional[int]:
        document = self.workspace.notebook_documents.get(uri) or self.workspace.text_documents.get(uri)
        return document.version if document is not None else -1

    def publish(self, uri: str, findings: List[Finding], version: Optional[int] = None) -> None:
        cells = self.workspace.notebook_documents.get(uri) and self.notebook(uri)
        if cells:  # each cell has its own diagnostics
            for index, document in enumerate(cells.documents, 1):
                mine = [f for f in findings if (f.cell or cells.first_code) == index]
                self.publish(document.uri, mine, document.version)
            return
        document = self.workspace.text_documents.get(uri)
        lines = python_lines(document.source) if document is not None else []
        diagnostics = [_diagnostic(finding, lines, document) for finding in findings]
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, diagnostics, version))

    def close(self, uri: str, shown: List[str]) -> None:
        """``uri`` (a file, or a notebook whose cells are ``shown``) was closed: no check of it is left waiting,
        its diagnostics go, the file on disk counts again, and the open files whose findings it fed are checked
        again."""
        waiting = self._pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        for document in shown:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(document, []))
        asyncio.ensure_future(self._closed(uri))

    async def _closed(self, uri: str) -> None:
        self.recheck(await self.run(self.analysis.buffer, _path(uri), None))

    def recheck(self, paths: Set[str]) -> None:
        """Check again those of ``paths`` that are open, as files or notebooks (schedule passes over the rest)."""
        for path in paths:
            self.schedule(from_fs_path(path))

    def recheck_open(self) -> None:
        for uri in [*self.workspace.text_documents, *self.workspace.notebook_documents]:
            self.schedule(uri)

    # -- the workspace -----------------------------------------------------------------------------------
    async def scan(self) -> None:
        """Read the workspace's files for what crosses modules, one job at a time so that checks of buffers get
        their turn in between; then check the open documents again with what was learnt."""
        started = time.monotonic()
        files = await self.run(self.analysis.walk)
        for file in files:
            await self.run(self._scan_in_worker, file)
        await self.run(self.analysis.update_roots)
        self.recheck_open()
        self.window_log_message(types.LogMessageParams(
            types.MessageType.Info, f"tf-step-lint: read {len(files)} files of the workspace in "
                                    f"{time.monotonic() - started:.1f} s"))

    def _scan_in_worker(self, path: str) -> None:
        try:
            self.analysis.scan(path)
        except Exception:  # noqa: BLE001  (one file's bug must not end the scan; its own check reports it)
            self.window_log_message(types.LogMessageParams(types.MessageType.Error, traceback.format_exc()))

    async def files_changed(self, changes: List[types.FileEvent]) -> None:
        """Files changed on disk (the client watches them): settings, new or deleted modules, changed code."""
        paths = [(_path(change.uri), change.type) for change in changes if change.uri.startswith("file:")]
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

    # -- code actions ------------------------------------------------------------------------------------
    async def code_actions(self, params: types.CodeActionParams) -> List[types.CodeAction]:
        uri = params.text_document.uri
        cells = self.notebook(uri)
        document = self.document(uri) if cells is None else self.workspace.get_text_document(uri)
        read = self.checked_text(cells.notebook.uri if cells else uri)
        if document is None or read is None:
            return []
        version, text, path = read
        cell = cells.index(uri) if cells else None
        documents = {None: document} if cells is None else dict(enumerate(cells.documents, 1))
        only = params.context.only
        wanted = functools.partial(_wanted, only)
        actions: List[types.CodeAction] = []
        findings = await self.run(self._findings_with_edits, path, text)
        lines = python_lines(document.source)
        if wanted(types.CodeActionKind.QuickFix):
            reported = {(d.range.start.line, d.code) for d in params.context.diagnostics if d.source == SOURCE}
            start, end = _server_range(document, params.range)
            for finding in findings:
                in_range = start.line <= finding.line - 1 <= end.line
                if finding.code == ERROR_CODE or finding.cell != cell or not (
                        in_range or (finding.line - 1, finding.code) in reported):
                    continue
                diagnostic = _diagnostic(finding, lines, document)
                if finding.fix is not None and finding.fix.edits:
                    actions.append(self._quick_fix(documents, finding, diagnostic))
                noqa = _noqa_edit(lines, finding)
                if noqa is not None:
                    actions.append(types.CodeAction(
                        f"Ignore {finding.code} on this line", kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic], edit=_workspace_edit(documents, [replace(noqa, cell=cell)])))
        if wanted(FIX_ALL) and any(f.fixable_at(self.settings.unsafe_fixes) for f in findings):
            fixed = await self.run(self._fixed_in_worker, path, text)
            if fixed is not None and fixed != text and self._version(cells.notebook.uri if cells else uri) == version:
                title = "Fix all tf-step-lint findings" + (" (unsafe fixes too)" if self.settings.unsafe_fixes else "")
                edits = cells.edits_to(fixed) if cells else list(text_edits(text, fixed))
                actions.append(types.CodeAction(title, kind=FIX_ALL, edit=_workspace_edit(documents, edits)))
        return actions

    def _findings_with_edits(self, path: str, text: str) -> List[Finding]:
        self.analysis.buffer(path, text)
        return self.analysis.with_edits(path) if self.analysis.is_linted(path) else []

    def _fixed_in_worker(self, path: str, text: str) -> Optional[str]:
        self.analysis.buffer(path, text)
        return self.analysis.fixed(path, self.settings.unsafe_fixes) if self.analysis.is_linted(path) else None

    @staticmethod
    def _quick_fix(documents: Dict[Optional[int], TextDocument], finding: Finding, diagnostic: types.Diagnostic
                   ) -> types.CodeAction:
        safe = finding.fix.applicability == SAFE
        title = f"Fix {finding.code}: {finding.fix.title}" + ("" if safe else " (unsafe)")
        return types.CodeAction(title, kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                                is_preferred=safe, edit=_workspace_edit(documents, list(finding.fix.edits)))


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
        new = json.loads(fixed)["cells"]
        edits: List[Edit] = []
        for index, (document, cell) in enumerate(zip(self.documents, new), 1):
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if text != document.source:
                edits.extend(replace(edit, cell=index) for edit in text_edits(document.source, text))
        return edits


def _workspace_edit(documents: Dict[Optional[int], TextDocument], edits: List[Edit]) -> types.WorkspaceEdit:
    """``edits`` as one WorkspaceEdit: each edit applies to the document of its cell (None: the file itself)."""
    changes = []
    for cell in dict.fromkeys(edit.cell for edit in edits):
        document = documents[cell]
        lines = python_lines(document.source)
        text_edits_ = [types.TextEdit(_range(lines, document, e.start, e.end), e.content) for e in edits
                       if e.cell == cell]
        identifier = types.OptionalVersionedTextDocumentIdentifier(document.uri, document.version)
        changes.append(types.TextDocumentEdit(identifier, text_edits_))
    return types.WorkspaceEdit(document_changes=changes)


def _without_gc(function: Callable, args: tuple):
    """A check builds a tree of tens of thousands of nodes, which the cyclic collector would walk again and again
    while it grows (a quarter of a 2,000-line file's check); what the check leaves is freed by reference counting,
    and the collector runs again between checks."""
    gc.disable()
    try:
        return function(*args)
    finally:
        gc.enable()


# -- positions ---------------------------------------------------------------------------------------------
def _range(lines: List[str], document: Optional[TextDocument], start, end) -> types.Range:
    """An LSP range of 1-based (line, column) positions in characters, in the client's position encoding."""
    server = ServerTextRange(ServerTextPosition(start[0] - 1, start[1] - 1), ServerTextPosition(end[0] - 1, end[1] - 1))
    if document is None:
        return types.Range(types.Position(server.start.line, server.start.character),
                           types.Position(server.end.line, server.end.character))
    if server.end.line >= len(lines):  # the end of a text whose last line has a newline
        return document.position_codec.range_to_client_units(
            [*lines, ""], server) if lines else types.Range(types.Position(0, 0), types.Position(0, 0))
    return document.position_codec.range_to_client_units(lines, server)


def _server_range(document: TextDocument, client: types.Range):
    lines = python_lines(document.source) or [""]
    return (document.position_codec.position_from_client_units(lines, client.start),
            document.position_codec.position_from_client_units(lines, client.end))


def _diagnostic(finding: Finding, lines: List[str], document: Optional[TextDocument]) -> types.Diagnostic:
    end = (finding.end_line, finding.end_column) if finding.end_line is not None else _line_end(lines, finding.line)
    description = _doc_link(finding.code)
    return types.Diagnostic(
        _range(lines, document, (finding.line, finding.column), end), finding.message,
        severity=types.DiagnosticSeverity.Warning if finding.code == ERROR_CODE else types.DiagnosticSeverity.Error,
        code=finding.code, code_description=description, source=SOURCE)


def _line_end(lines: List[str], line: int):
    """A point finding (TSL000) is shown over the rest of its line."""
    if line > len(lines):
        return line, 1
    return line, len(lines[line - 1].rstrip("\r\n")) + 1


@functools.lru_cache(maxsize=None)
def _doc_link(code: str) -> Optional[types.CodeDescription]:
    """A link to the rule's Markdown doc, as installed with the package (every client can open a file)."""
    from tf_step_lint.docs import rule_doc_path

    path = rule_doc_path(code)
    return types.CodeDescription(path.as_uri()) if path is not None else None


def _noqa_edit(lines: List[str], finding: Finding) -> Optional[Edit]:
    """The edit that adds ``finding``'s code to the `# noqa` of its line, or adds one; None where the line ends
    inside a string (a comment cannot go there)."""
    if finding.line > len(lines):
        return None
    line = lines[finding.line - 1]
    body = line.rstrip("\r\n")
    match = NOQA.search(body)
    if match is not None:
        if match.group("codes") is None:
            return None  # a bare `# noqa` already hides everything
        end = match.end("codes")
        return Edit((finding.line, end + 1), (finding.line, end + 1), f", {finding.code}")
    if not _ends_in_code(lines, finding.line):
        return None
    return Edit((finding.line, len(body) + 1), (finding.line, len(body) + 1), f"  # noqa: {finding.code}")


def _ends_in_code(lines: List[str], number: int) -> bool:
    """Line ``number`` ends outside any string: the tokens of the source show a newline or an operator there."""
    import io
    import tokenize

    try:
        for token in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            if token.start[0] <= number <= token.end[0] and token.type == tokenize.STRING and token.end[0] > number:
                return False
            if token.start[0] > number:
                break
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return False
    return True


def _wanted(only: Optional[List[str]], kind: str) -> bool:
    """The client asked for actions of ``kind`` (none asked: all kinds); ``source`` asks for every source.*."""
    return not only or any(kind == asked or kind.startswith(asked + ".") for asked in only)


def _is_python(document: TextDocument) -> bool:
    return document.language_id == "python" or document.uri.endswith(PYTHON_SUFFIXES)


def _path(uri: str) -> str:
    """The file of ``uri``; a document that is no file (``untitled:``) is checked as a file of the current folder."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return os.path.abspath(path) if path else os.path.join(os.getcwd(), re.sub(r"\W", "_", uri.split(":")[-1]) + ".py")


# -- the protocol ------------------------------------------------------------------------------------------
def make_server() -> StepLintServer:
    server = StepLintServer()

    @server.feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        server.settings = ClientSettings.read(params.initialization_options, server.settings)
        folders = [_path(folder.uri) for folder in params.workspace_folders or []]
        if not folders and params.root_uri:
            folders = [_path(params.root_uri)]
        server.analysis = Workspace(folders)

    @server.feature(types.INITIALIZED)
    async def initialized(params: types.InitializedParams) -> None:
        server.start_scan()
        workspace = server.client_capabilities.workspace
        watching = workspace and workspace.did_change_watched_files
        if watching and watching.dynamic_registration:  # else the client decides what to watch
            watchers = [types.FileSystemWatcher(glob) for glob in WATCHED]
            await server.client_register_capability_async(types.RegistrationParams([types.Registration(
                "tf-step-lint-files", types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                types.DidChangeWatchedFilesRegistrationOptions(watchers))]))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        server.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        if server.settings.run == "onType":
            server.changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        if is_project_file(_path(params.text_document.uri)):
            asyncio.ensure_future(server.files_changed([types.FileEvent(params.text_document.uri,
                                                                        types.FileChangeType.Changed)]))
        server.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        server.close(params.text_document.uri, [params.text_document.uri])

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_did_open(params: types.DidOpenNotebookDocumentParams) -> None:
        server.schedule(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_did_change(params: types.DidChangeNotebookDocumentParams) -> None:
        if server.settings.run == "onType":
            server.changed(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_did_save(params: types.DidSaveNotebookDocumentParams) -> None:
        server.schedule(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_did_close(params: types.DidCloseNotebookDocumentParams) -> None:
        server.close(params.notebook_document.uri, [cell.uri for cell in params.cell_text_documents])

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        await server.files_changed(list(params.changes))

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def did_change_workspace_folders(params: types.DidChangeWorkspaceFoldersParams) -> None:
        folders = [_path(folder.uri) for folder in server.workspace.folders.values()]
        await server.run(server.analysis.use_folders, folders)
        server.workspace_restart()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        server.settings = ClientSettings.read(params.settings, server.settings)
        server.recheck_open()

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL]))
    async def code_action(params: types.CodeActionParams) -> List[types.CodeAction]:
        return await server.code_actions(params)

    return server


def main(argv: List[str]) -> int:
    if argv:
        print("usage: tf-step-lint server  (a language server over stdin and stdout)")
        return 2
    make_server().start_io()
    return 0
