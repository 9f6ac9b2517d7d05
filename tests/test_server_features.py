"""The server's newer answers end to end (hover, pull diagnostics, the fast start's capabilities, the workspace
scan through the result cache), over stdio as tests/test_server.py drives it."""
import asyncio
import json

import pytest

pytest.importorskip("pygls", reason="the server is the [lsp] extra; `pip install -e '.[test]'` installs it")
pytest.importorskip("pytest_lsp", reason="pytest-lsp drives the server; `pip install -e '.[test]'` installs it")

from lsprotocol import types  # noqa: E402
from pytest_lsp.client import client_capabilities  # noqa: E402

from tests.lsp_session import GUARD_SECONDS, Session  # noqa: E402
from tests.test_server import _write, codes, scenario  # noqa: E402
from tests.test_stdin import TRAIN  # noqa: E402
from tf_step_lint.files import CACHE_DIRECTORY  # noqa: E402


@scenario
async def test_hover_on_a_finding_explains_its_rule_from_the_doc_explain_prints(tmp_path):
    path = _write(tmp_path, "train.py", TRAIN.format(noqa=""))
    async with Session(tmp_path) as session:
        uri = session.open(path)
        step = next(d for d in await session.diagnostics(uri, 1) if d.code == "TSL101")
        hover = await asyncio.wait_for(session.client.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(uri), step.range.start)), GUARD_SECONDS)
        text = hover.contents.value
        assert text.startswith("**TSL101 step-never-increments**") and "**Why:**" in text and "**Fix:** safe" in text
        assert step.code_description.href in text
        nothing = await asyncio.wait_for(session.client.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(uri), types.Position(0, 0))), GUARD_SECONDS)
        assert nothing is None


@scenario
async def test_a_client_that_pulls_gets_the_diagnostics_it_asks_for_and_none_pushed(tmp_path):
    path = _write(tmp_path, "train.py", TRAIN.format(noqa=""))
    async with Session(tmp_path, editor="neovim") as session:  # Neovim 0.11 pulls (textDocument/diagnostic)
        assert session.initialized.capabilities.diagnostic_provider.identifier == "tf-step-lint"
        uri = session.open(path)
        for _ in range(2):  # once from the fast start, once from the full server
            report = await asyncio.wait_for(session.client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri))), GUARD_SECONDS)
            assert report.kind == "full" and codes(report.items) == ["TSL101", "TSL108"]
        await session.scanned()
        session.change(uri, TRAIN.format(noqa="  # noqa: TSL101"))
        report = await asyncio.wait_for(session.client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri))), GUARD_SECONDS)
        assert codes(report.items) == ["TSL108"]
        assert not session.published


@pytest.mark.parametrize("editor", ["visual-studio-code", "neovim", "emacs"])
def test_the_fast_start_advertises_what_the_full_server_builds(editor):
    from pygls.capabilities import ServerCapabilitiesBuilder

    from tf_step_lint.lsp.fast_start import initialize_result
    from tf_step_lint.server import make_server

    server = make_server()
    features = server.protocol.fm
    capabilities = client_capabilities(editor)
    capabilities.notebook_document = types.NotebookDocumentClientCapabilities(
        types.NotebookDocumentSyncClientCapabilities())
    encoding = ServerCapabilitiesBuilder.choose_position_encoding(capabilities)
    built = ServerCapabilitiesBuilder(
        capabilities, set({**features.features, **features.builtin_features}), features.feature_options,
        list(features.commands), server._text_document_sync_kind, server._notebook_document_sync, encoding).build()
    client = server.protocol._converter.unstructure(capabilities)
    assert initialize_result(encoding, client)["capabilities"] == server.protocol._converter.unstructure(built)


@scenario
async def test_the_workspace_scan_reads_the_result_cache_the_cli_wrote(tmp_path):
    from tests.conftest import run_cli

    for index in range(3):
        _write(tmp_path, f"pkg/module{index}.py", "import tensorflow as tf\n\n\ndef f():\n    return 1\n")
    run_cli(".", cwd=tmp_path)
    (results,) = (tmp_path / CACHE_DIRECTORY).glob("results-*.json")
    before = json.loads(results.read_text())["entries"]
    _write(tmp_path, "pkg/new.py", "import tensorflow as tf\n\n\ndef g():\n    return 2\n")
    path = _write(tmp_path, "train.py", TRAIN.format(noqa=""))
    async with Session(tmp_path) as session:
        uri = session.open(path)
        assert codes(await session.diagnostics(uri, 1)) == ["TSL101", "TSL108"]
        await session.scanned()
    after = json.loads(results.read_text())["entries"]
    assert set(before) < set(after) and len(after) == len(before) + 1  # new.py's, stored; the rest were read
