"""Code actions: a quick fix per fixable finding, "Ignore CODE on this line", and the fix-all that fix-on-save asks
for (``source.fixAll.tf-step-lint``), each as a WorkspaceEdit of the document (or of a notebook's cells)."""
import functools
from dataclasses import replace
from typing import Dict, List, Optional

from lsprotocol import types
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from tf_step_lint.codes import ERROR_CODE
from tf_step_lint.engine import NOQA, text_edits
from tf_step_lint.finding import SAFE, Edit, Finding
from tf_step_lint.lsp.checks import StepLintServer
from tf_step_lint.lsp.diagnostics import SOURCE
from tf_step_lint.parsing import python_lines

FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.{SOURCE}"


async def code_actions(server: StepLintServer, params: types.CodeActionParams) -> List[types.CodeAction]:
    uri = params.text_document.uri
    cells = server.notebook(uri)
    document = server.document(uri) if cells is None else server.workspace.get_text_document(uri)
    read = server.checked_text(cells.notebook.uri if cells else uri)
    if document is None or read is None:
        return []
    version, text, path = read
    cell = cells.index(uri) if cells else None
    documents = {None: document} if cells is None else dict(enumerate(cells.documents, 1))
    wanted = functools.partial(_wanted, params.context.only)
    actions: List[types.CodeAction] = []
    findings = await server.run(_findings_with_edits, server, path, text)
    lines = python_lines(document.source)
    if wanted(types.CodeActionKind.QuickFix):
        reported = {(d.range.start.line, d.code) for d in params.context.diagnostics if d.source == SOURCE}
        start, end = _server_range(document, params.range)
        for finding in findings:
            in_range = start.line <= finding.line - 1 <= end.line
            if finding.code == ERROR_CODE or finding.cell != cell or not (
                    in_range or (finding.line - 1, finding.code) in reported):
                continue
            (diagnostic,) = server.diagnostics_of(document.uri, [finding])
            if finding.fix is not None and finding.fix.edits:
                actions.append(_quick_fix(documents, finding, diagnostic))
            noqa = _noqa_edit(lines, finding)
            if noqa is not None:
                actions.append(types.CodeAction(
                    f"Ignore {finding.code} on this line", kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic], edit=_workspace_edit(documents, [replace(noqa, cell=cell)])))
    if wanted(FIX_ALL) and any(f.fixable_at(server.settings.unsafe_fixes) for f in findings):
        fixed = await server.run(_fixed_in_worker, server, path, text)
        if fixed is not None and fixed != text and server.version_of(cells.notebook.uri if cells else uri) == version:
            title = "Fix all tf-step-lint findings" + (" (unsafe fixes too)" if server.settings.unsafe_fixes else "")
            edits = cells.edits_to(fixed) if cells else list(text_edits(text, fixed))
            actions.append(types.CodeAction(title, kind=FIX_ALL, edit=_workspace_edit(documents, edits)))
    return actions


def _findings_with_edits(server: StepLintServer, path: str, text: str) -> List[Finding]:
    server.analysis.buffer(path, text)
    return server.analysis.with_edits(path) if server.analysis.is_linted(path) else []


def _fixed_in_worker(server: StepLintServer, path: str, text: str) -> Optional[str]:
    server.analysis.buffer(path, text)
    if not server.analysis.is_linted(path):
        return None
    return server.analysis.fixed(path, server.settings.unsafe_fixes)


def _quick_fix(documents: Dict[Optional[int], TextDocument], finding: Finding, diagnostic: types.Diagnostic
               ) -> types.CodeAction:
    safe = finding.fix.applicability == SAFE
    title = f"Fix {finding.code}: {finding.fix.title}" + ("" if safe else " (unsafe)")
    return types.CodeAction(title, kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                            is_preferred=safe, edit=_workspace_edit(documents, list(finding.fix.edits)))


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


# -- positions ---------------------------------------------------------------------------------------------
def _range(lines: List[str], document: TextDocument, start, end) -> types.Range:
    """An LSP range of 1-based (line, column) positions in characters, in the client's position encoding."""
    server = ServerTextRange(ServerTextPosition(start[0] - 1, start[1] - 1), ServerTextPosition(end[0] - 1, end[1] - 1))
    if server.end.line >= len(lines):  # the end of a text whose last line has a newline
        return document.position_codec.range_to_client_units(
            [*lines, ""], server) if lines else types.Range(types.Position(0, 0), types.Position(0, 0))
    return document.position_codec.range_to_client_units(lines, server)


def _server_range(document: TextDocument, client: types.Range):
    lines = python_lines(document.source) or [""]
    return (document.position_codec.position_from_client_units(lines, client.start),
            document.position_codec.position_from_client_units(lines, client.end))


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
