"""A real LSP client (pytest-lsp's, on pygls) that starts ``tf-step-lint server`` as a subprocess and speaks
JSON-RPC with it over stdio; what the server publishes is recorded, and waited for with a guard timeout."""
import asyncio
import sys
import typing
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from lsprotocol import types
from pytest_lsp.client import LanguageClient, client_capabilities

GUARD_SECONDS = 20  # a server that never answers fails the test instead of hanging it


class Session:
    def __init__(self, folder: Path, options: Optional[dict] = None, editor: str = "visual-studio-code",
                 env: Optional[dict] = None):
        self.folder = folder
        self.env = env
        self.options = options
        self.editor = editor
        self.published: List[types.PublishDiagnosticsParams] = []
        self.logs: List[str] = []
        self.registrations: List[types.Registration] = []
        self._arrived = asyncio.Condition()
        self.versions = {}
        self.client = LanguageClient()
        for method, handler in ((types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, self._on_publish),
                                (types.WINDOW_LOG_MESSAGE, self._on_log),
                                (types.CLIENT_REGISTER_CAPABILITY, self._on_register)):
            self.client.feature(method)(lambda params, handler=handler: handler(params))

    async def _notify(self) -> None:
        async with self._arrived:
            self._arrived.notify_all()

    def _on_publish(self, params: types.PublishDiagnosticsParams) -> None:
        self.published.append(params)
        asyncio.ensure_future(self._notify())

    def _on_log(self, params: types.LogMessageParams) -> None:
        self.logs.append(params.message)
        asyncio.ensure_future(self._notify())

    def _on_register(self, params: types.RegistrationParams) -> None:
        self.registrations.extend(params.registrations)

    async def __aenter__(self) -> "Session":
        # lsprotocol's converter has no hook for the notebook filter's union (LSP 3.18), so the client could not
        # read the server's notebookDocumentSync; the client keeps it as the JSON it is
        notebook_filter = typing.Union[str, types.NotebookDocumentFilterNotebookType,
                                       types.NotebookDocumentFilterScheme, types.NotebookDocumentFilterPattern, None]
        self.client.protocol._converter.register_structure_hook(notebook_filter, lambda value, _: value)
        await self.client.start_io(sys.executable, "-m", "tf_step_lint", "server", cwd=str(self.folder), env=self.env)
        capabilities = client_capabilities(self.editor)
        if capabilities.notebook_document is None:  # VS Code syncs notebooks (LSP 3.17); its recorded capabilities
            capabilities.notebook_document = types.NotebookDocumentClientCapabilities(  # predate that
                types.NotebookDocumentSyncClientCapabilities())
        self.initialized = await self.client.initialize_session(types.InitializeParams(
            capabilities=capabilities, initialization_options=self.options,
            workspace_folders=[types.WorkspaceFolder(self.folder.as_uri(), self.folder.name)]))
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.shutdown_session()
        self.returncode = self.client._server.returncode

    async def until(self, condition: Callable[[], bool]) -> None:
        async def waiting() -> None:
            async with self._arrived:
                await self._arrived.wait_for(condition)

        await asyncio.wait_for(waiting(), GUARD_SECONDS)

    async def scanned(self) -> None:
        await self.until(lambda: any("files of the workspace" in log for log in self.logs))

    def latest(self, uri: str) -> Optional[types.PublishDiagnosticsParams]:
        return next((p for p in reversed(self.published) if p.uri == uri), None)

    async def diagnostics(self, uri: str, version: Optional[int] = None,
                          where: Callable[[Sequence[types.Diagnostic]], bool] = lambda d: True
                          ) -> Sequence[types.Diagnostic]:
        """The diagnostics published for ``uri`` (for ``version``), once they satisfy ``where``."""
        def ready() -> bool:
            latest = self.latest(uri)
            return latest is not None and (version is None or latest.version == version) and where(latest.diagnostics)

        await self.until(ready)
        return self.latest(uri).diagnostics

    # -- documents ---------------------------------------------------------------------------------------
    def open(self, path: Path, text: Optional[str] = None, language: str = "python") -> str:
        uri = path.as_uri()
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
            uri, language, 1, path.read_text() if text is None else text)))
        return uri

    def change(self, uri: str, text: str) -> int:
        self.versions[uri] += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(self.versions[uri], uri),
            [types.TextDocumentContentChangeWholeDocument(text)]))
        return self.versions[uri]

    def close(self, uri: str) -> None:
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))

    async def actions(self, uri: str, line: int, only: Optional[List[str]] = None,
                      diagnostics: Sequence[types.Diagnostic] = ()) -> List[types.CodeAction]:
        return await asyncio.wait_for(self.client.text_document_code_action_async(types.CodeActionParams(
            types.TextDocumentIdentifier(uri), types.Range(types.Position(line, 0), types.Position(line, 0)),
            types.CodeActionContext(list(diagnostics), only=only))), GUARD_SECONDS) or []
