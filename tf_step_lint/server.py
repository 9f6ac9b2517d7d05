"""``tf-step-lint server``: a Language Server Protocol server over stdio, built on pygls.

The process answers its first messages itself (lsp/fast_start.py), so the first diagnostics come before pygls is
even imported; this module wires the protocol's messages to the checks (lsp/checks.py), code actions
(lsp/actions.py) and hover (lsp/hover.py).

Client settings (``initializationOptions``, or ``workspace/didChangeConfiguration`` under ``tf-step-lint``):
``unsafeFixes`` (false: fix-all applies only the safe fixes) and ``run`` (``onType``, or ``onSave``).
"""
import sys
from typing import List, Optional

import pygls  # noqa: F401  (1 ms: without the [lsp] extra, the CLI says how to install it, before any answer)

from tf_step_lint.lsp.fast_start import AnsweredOnce, Handover, Replay, start

# The files whose changes on disk matter: code, and the project files settings and target versions come from.
WATCHED = ("**/*.py", "**/*.pyi", "**/*.ipynb", "**/pyproject.toml", "**/setup.cfg", "**/setup.py",
           "**/requirements*.txt",
           "**/Pipfile", "**/environment.y*ml", "**/*Dockerfile*", "**/.github/workflows/*.y*ml", "**/.circleci/*.y*ml",
           "**/cloudbuild*.y*ml", "**/.travis.yml", "**/.gitlab-ci.yml", "**/azure-pipelines.y*ml")


def make_server(handover: Optional[Handover] = None):
    """The pygls server; ``handover``: what the fast start read, answered and checked."""
    import asyncio

    from lsprotocol import types

    from tf_step_lint.declarations import is_project_file
    from tf_step_lint.lsp.actions import FIX_ALL, code_actions
    from tf_step_lint.lsp.checks import CONVERTER, ClientSettings, StepLintServer
    from tf_step_lint.lsp.diagnostics import SOURCE
    from tf_step_lint.lsp.hover import covering, hover_text
    from tf_step_lint.lsp.paths import path_of, workspace_folders
    from tf_step_lint.parsing import python_lines
    from tf_step_lint.workspace import Workspace

    server = StepLintServer(handover)

    @server.feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        server.settings = ClientSettings.read(params.initialization_options, server.settings)
        server.pulls = bool(params.capabilities.text_document and params.capabilities.text_document.diagnostic)
        folders = workspace_folders(CONVERTER.unstructure(params))
        server.analysis = server.handover.workspace or Workspace(folders)

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
        server.schedule(params.text_document.uri, now=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        if server.settings.run == "onType":
            server.changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        if is_project_file(path_of(params.text_document.uri)):
            asyncio.ensure_future(server.files_changed([types.FileEvent(params.text_document.uri,
                                                                        types.FileChangeType.Changed)]))
        server.schedule(params.text_document.uri, now=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        server.close(params.text_document.uri, [params.text_document.uri])

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_did_open(params: types.DidOpenNotebookDocumentParams) -> None:
        server.schedule(params.notebook_document.uri, now=True)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_did_change(params: types.DidChangeNotebookDocumentParams) -> None:
        if server.settings.run == "onType":
            server.changed(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_did_save(params: types.DidSaveNotebookDocumentParams) -> None:
        server.schedule(params.notebook_document.uri, now=True)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_did_close(params: types.DidCloseNotebookDocumentParams) -> None:
        server.close(params.notebook_document.uri, [cell.uri for cell in params.cell_text_documents])

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        await server.files_changed(list(params.changes))

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def did_change_workspace_folders(params: types.DidChangeWorkspaceFoldersParams) -> None:
        folders = [path_of(folder.uri) for folder in server.workspace.folders.values()]
        await server.run(server.analysis.use_folders, folders)
        server.workspace_restart()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        server.settings = ClientSettings.read(params.settings, server.settings)
        server.recheck_open()

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL]))
    async def code_action(params: types.CodeActionParams) -> List[types.CodeAction]:
        return await code_actions(server, params)

    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, types.DiagnosticOptions(
        inter_file_dependencies=True, workspace_diagnostics=False, identifier=SOURCE))
    async def diagnostic(params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        _, findings = await server.current_findings(params.text_document.uri)
        return types.RelatedFullDocumentDiagnosticReport(server.diagnostics_of(params.text_document.uri, findings))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(params: types.HoverParams) -> Optional[types.Hover]:
        document = server.document(params.text_document.uri)
        if document is None:
            return None
        _, findings = await server.current_findings(params.text_document.uri)
        lines = python_lines(document.source) or [""]
        at = document.position_codec.position_from_client_units(lines, params.position)
        text = hover_text(covering(findings, at.line + 1, at.character + 1))
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text)) if text else None

    return server


def main(argv: List[str]) -> int:
    if argv:
        print("usage: tf-step-lint server  (a language server over stdin and stdout)")
        return 2
    handover = start(sys.stdin.fileno(), sys.stdout.buffer)
    make_server(handover).start_io(Replay(handover.consumed, sys.stdin.buffer),
                                   AnsweredOnce(sys.stdout.buffer, handover.answered))
    return 0
