"""The server's first answers, before pygls and lsprotocol are imported.

Importing them takes three times as long as the CLI's whole run on a small file, and an editor shows nothing until
the first diagnostics come.  So the process first speaks JSON-RPC itself: it answers ``initialize``, checks the
documents opened right after it (answering their ``textDocument/diagnostic`` pulls), and then hands every message
it read to pygls, which handles them again as if it had read them first; its answers to the requests already
answered are dropped (``AnsweredOnce``).  What it advertises must be what the full server serves: tests compare
``initialize_result`` with pygls's own.
"""
import json
import os
import select
from dataclasses import dataclass, field
from typing import BinaryIO, Dict, List, Optional, Set

from tf_step_lint import __version__
from tf_step_lint.finding import Finding
from tf_step_lint.lsp.diagnostics import SOURCE, choose_encoding, diagnostics
from tf_step_lint.lsp.paths import path_of, workspace_folders
from tf_step_lint.parsing import python_lines

FIRST_OPEN_SECONDS = 0.5  # how long to wait after `initialize` for the first document to be opened
MORE_SECONDS = 0.005  # then, for more messages already on their way
FIX_ALL = f"source.fixAll.{SOURCE}"


def initialize_result(encoding: str, client: Optional[dict]) -> dict:
    """The server's capabilities, as pygls builds them from server.py's features for the ``client``'s."""
    capabilities = {
        "positionEncoding": encoding,
        "textDocumentSync": {"openClose": True, "change": 2, "willSave": False, "willSaveWaitUntil": False,
                             "save": True},
        "hoverProvider": True,
        "codeActionProvider": {"codeActionKinds": ["quickfix", FIX_ALL]},
        "executeCommandProvider": {"commands": []},
        "diagnosticProvider": {"interFileDependencies": True, "workspaceDiagnostics": False, "identifier": SOURCE},
        "workspace": {"workspaceFolders": {"supported": True, "changeNotifications": True}, "fileOperations": {}},
    }
    if (client or {}).get("notebookDocument") is not None:
        capabilities["notebookDocumentSync"] = {"notebookSelector": [{"cells": [{"language": "python"}]}],
                                                "save": True}
    return {"capabilities": capabilities, "serverInfo": {"name": SOURCE, "version": __version__}}


class Reader:
    """JSON-RPC messages from a file descriptor, with a look at whether one is on its way; what it read is kept,
    byte for byte, for pygls to read again."""

    def __init__(self, fd: int):
        self.fd = fd
        self.read = bytearray()  # every byte read from fd
        self._at = 0  # the start of the next message in ``read``

    def pending(self, seconds: float) -> bool:
        if self._at < len(self.read):
            return True
        return bool(select.select([self.fd], [], [], seconds)[0])

    def message(self) -> Optional[dict]:
        """The next message (None at the end of the input)."""
        while b"\r\n\r\n" not in self.read[self._at:]:
            if not self._more():
                return None
        header_end = self.read.index(b"\r\n\r\n", self._at)
        header = bytes(self.read[self._at:header_end]).decode("ascii").lower()
        length = int(header.split("content-length:", 1)[1].split("\r\n", 1)[0])
        while len(self.read) < header_end + 4 + length:
            if not self._more():
                return None
        body = bytes(self.read[header_end + 4:header_end + 4 + length])
        self._at = header_end + 4 + length
        return json.loads(body)

    def _more(self) -> bool:
        chunk = os.read(self.fd, 65536)
        self.read += chunk
        return bool(chunk)


@dataclass
class Handover:
    """What the full server takes over: the bytes to read again, the requests answered, and the analysis."""

    consumed: bytes = b""
    answered: Set[object] = field(default_factory=set)
    workspace: Optional[object] = None  # a workspace.Workspace, holding the buffers checked
    published: Dict[str, tuple] = field(default_factory=dict)  # uri -> (version, findings) sent


def start(stdin: int, stdout: BinaryIO) -> Handover:
    reader = Reader(stdin)
    handover = Handover()
    message = reader.message()
    if message is None or message.get("method") != "initialize":
        handover.consumed = bytes(reader.read)
        return handover
    params = message.get("params") or {}
    encoding = choose_encoding(params.get("capabilities"))
    pulls = bool(((params.get("capabilities") or {}).get("textDocument") or {}).get("diagnostic"))
    result = initialize_result(encoding, params.get("capabilities"))
    _send(stdout, {"jsonrpc": "2.0", "id": message["id"], "result": result})
    handover.answered.add(message["id"])
    from tf_step_lint.workspace import Workspace

    handover.workspace = workspace = Workspace(workspace_folders(params))
    workspace.walk()  # which files other modules' code is read from, as `tf-step-lint .` finds them
    texts: Dict[str, dict] = {}
    wait = FIRST_OPEN_SECONDS
    while reader.pending(wait):
        message = reader.message()
        if message is None:
            break
        method = message.get("method")
        if method == "textDocument/didOpen":
            document = message["params"]["textDocument"]
            texts[document["uri"]] = document
            if not pulls:
                _publish(stdout, handover, workspace, document, encoding)
            wait = MORE_SECONDS
        elif method == "textDocument/diagnostic" and message["params"]["textDocument"]["uri"] in texts:
            document = texts[message["params"]["textDocument"]["uri"]]
            findings = _findings(workspace, document)
            if findings is None:
                break
            items = diagnostics(findings, python_lines(document["text"]), encoding)
            _send(stdout, {"jsonrpc": "2.0", "id": message["id"], "result": {"kind": "full", "items": items}})
            handover.answered.add(message["id"])
        elif method not in ("initialized", "$/setTrace", "workspace/didChangeConfiguration"):
            break  # anything else is the full server's to answer
    handover.consumed = bytes(reader.read)
    return handover


def _checked(document: dict) -> bool:
    """A Python file the fast start checks (notebooks' cells and other documents wait for the full server)."""
    return document.get("languageId") == "python" and document["uri"].startswith("file:") and (
        document["uri"].endswith((".py", ".pyi")))


def _findings(workspace, document: dict) -> Optional[List[Finding]]:
    """The document's findings; None where the full server must say why they are missing (a bug of ours, which
    it reports with its traceback)."""
    if not _checked(document):
        return None
    path = path_of(document["uri"])
    try:
        workspace.buffer(path, document["text"])
        return workspace.check(path).findings if workspace.is_linted(path) else []
    except Exception:  # noqa: BLE001  (the full server checks it again, and logs why)
        return None


def _publish(stdout: BinaryIO, handover: Handover, workspace, document: dict, encoding: str) -> None:
    findings = _findings(workspace, document)
    if findings is None:
        return
    items = diagnostics(findings, python_lines(document["text"]), encoding)
    _send(stdout, {"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics",
                   "params": {"uri": document["uri"], "version": document["version"], "diagnostics": items}})
    handover.published[document["uri"]] = (document["version"], findings)


def _send(stdout: BinaryIO, message: dict) -> None:
    body = json.dumps(message).encode()
    stdout.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    stdout.flush()


class Replay:
    """pygls's stdin: the bytes the fast start read, then the rest of the input."""

    def __init__(self, consumed: bytes, rest: BinaryIO):
        self._consumed, self._at, self._rest = consumed, 0, rest

    def readline(self) -> bytes:
        if self._at < len(self._consumed):
            end = self._consumed.find(b"\n", self._at)
            end = len(self._consumed) if end < 0 else end + 1
            line, self._at = self._consumed[self._at:end], end
            return line if line.endswith(b"\n") else line + self._rest.readline()
        return self._rest.readline()

    def read(self, size: int) -> bytes:
        head = self._consumed[self._at:self._at + size]
        self._at += len(head)
        return head + (self._rest.read(size - len(head)) if len(head) < size else b"")


class AnsweredOnce:
    """pygls's stdout, less its answers to the requests the fast start answered."""

    def __init__(self, stdout: BinaryIO, answered: Set[object]):
        self._stdout, self._answered = stdout, set(answered)

    def write(self, data: bytes) -> None:
        if self._answered and b'"result"' in data:
            answering = json.loads(data.split(b"\r\n\r\n", 1)[1]).get("id")
            if answering in self._answered:
                self._answered.discard(answering)
                return
        self._stdout.write(data)

    def flush(self) -> None:
        self._stdout.flush()

    def close(self) -> None:
        self._stdout.close()
