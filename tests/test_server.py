"""`tf-step-lint server` end to end: a real LSP client starts it as a subprocess and speaks JSON-RPC over stdio."""
import asyncio
import functools
import json
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

pytest.importorskip("pygls", reason="the server is the [lsp] extra; `pip install -e '.[test]'` installs it")
pytest.importorskip("pytest_lsp", reason="pytest-lsp drives the server; `pip install -e '.[test]'` installs it")

from lsprotocol import types  # noqa: E402

from tests.lsp_session import Session  # noqa: E402
from tests.markers import apply_edits  # noqa: E402
from tests.test_project import INCREMENT, _project  # noqa: E402
from tests.test_stdin import FIXED, STEP, TRAIN  # noqa: E402


def scenario(test):
    """Run the async test body in its own event loop (each test starts its own server)."""
    @functools.wraps(test)
    def run(*args, **kwargs):
        asyncio.run(test(*args, **kwargs))
    return run


def codes(diagnostics) -> List[str]:
    return sorted(d.code for d in diagnostics)


def applied(text: str, action: types.CodeAction) -> str:
    """``text`` with the action's WorkspaceEdit applied, as an editor applies it (one document, UTF-16 positions
    that are code points in these ASCII sources)."""
    (change,) = action.edit.document_changes
    return apply_edits(text, [((e.range.start.line + 1, e.range.start.character + 1),
                               (e.range.end.line + 1, e.range.end.character + 1), e.new_text) for e in change.edits])


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@scenario
async def test_initialize_advertises_incremental_sync_and_both_kinds_of_code_action_then_shuts_down(tmp_path):
    async with Session(tmp_path) as session:
        result = session.initialized
        assert result.server_info.name == "tf-step-lint"
        assert result.capabilities.text_document_sync.change == types.TextDocumentSyncKind.Incremental
        assert set(result.capabilities.code_action_provider.code_action_kinds) == {
            "quickfix", "source.fixAll.tf-step-lint"}
        await session.scanned()
        assert [r.method for r in session.registrations] == ["workspace/didChangeWatchedFiles"]
    assert session.returncode == 0  # shutdown, then exit: a clean stop


@scenario
async def test_diagnostics_on_open_carry_range_code_source_severity_and_a_link_to_the_doc(tmp_path):
    path = _write(tmp_path, "train.py", TRAIN.format(noqa=""))
    async with Session(tmp_path) as session:
        uri = session.open(path)
        diagnostics = await session.diagnostics(uri, 1)
        assert codes(diagnostics) == ["TSL101", "TSL108"]
        step = next(d for d in diagnostics if d.code == "TSL101")
        line = TRAIN.splitlines()[5]
        assert (step.range.start.line, step.range.start.character) == (5, line.index("minimize"))
        assert step.range.end == types.Position(5, line.index("minimize") + len("minimize"))
        assert step.source == "tf-step-lint" and step.severity == types.DiagnosticSeverity.Error
        assert "never stops" in step.message
        doc = Path(step.code_description.href.replace("file://", ""))
        assert doc.name == "TSL101-step-never-increments.md" and doc.read_text().startswith("# TSL101")


@scenario
async def test_diagnostics_follow_the_unsaved_buffer_and_go_when_it_closes(tmp_path):
    path = _write(tmp_path, "train.py", TRAIN.format(noqa=""))
    async with Session(tmp_path) as session:
        uri = session.open(path)
        assert "TSL101" in codes(await session.diagnostics(uri, 1))
        version = session.change(uri, FIXED)
        assert codes(await session.diagnostics(uri, version)) == ["TSL108"]
        assert path.read_text() == TRAIN.format(noqa="")  # nothing written: the buffer is unsaved
        version = session.change(uri, TRAIN.format(noqa=""))
        assert "TSL101" in codes(await session.diagnostics(uri, version))
        session.close(uri)
        await session.until(lambda: not session.latest(uri).diagnostics)


@scenario
async def test_a_quick_fix_edit_applied_clears_its_finding_and_unsafe_fixes_say_so(tmp_path):
    text = TRAIN.format(noqa="")
    path = _write(tmp_path, "train.py", text)
    async with Session(tmp_path) as session:
        uri = session.open(path)
        diagnostics = await session.diagnostics(uri, 1)
        actions = await session.actions(uri, 5, diagnostics=diagnostics)
        fix = next(a for a in actions if a.title.startswith("Fix TSL101"))
        assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
        assert "(unsafe)" not in fix.title and [d.code for d in fix.diagnostics] == ["TSL101"]
        text = applied(text, fix)
        assert text == FIXED
        version = session.change(uri, text)
        assert codes(await session.diagnostics(uri, version)) == ["TSL108"]
        unsafe = next(a for a in await session.actions(uri, 12) if a.title.startswith("Fix TSL108"))
        assert unsafe.title.endswith("(unsafe)") and not unsafe.is_preferred
        version = session.change(uri, applied(text, unsafe))
        assert codes(await session.diagnostics(uri, version)) == []


@scenario
async def test_fix_all_applies_the_safe_fixes_and_the_unsafe_ones_only_when_configured(tmp_path):
    text = TRAIN.format(noqa="")
    path = _write(tmp_path, "train.py", text)
    async with Session(tmp_path) as session:
        uri = session.open(path)
        await session.diagnostics(uri, 1)
        (fix_all,) = await session.actions(uri, 0, only=["source.fixAll.tf-step-lint"])
        assert fix_all.kind == "source.fixAll.tf-step-lint"
        assert applied(text, fix_all) == FIXED  # the unsafe max_steps fix is left
        (fix_all,) = await session.actions(uri, 0, only=["source"])  # "source" asks for every source action
        session.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            {"tf-step-lint": {"unsafeFixes": True}}))
        (fix_all,) = await session.actions(uri, 0, only=["source.fixAll"])
        assert "steps=100" in applied(text, fix_all) and "max_steps" not in applied(text, fix_all)
        version = session.change(uri, applied(text, fix_all))
        assert codes(await session.diagnostics(uri, version)) == []
        assert await session.actions(uri, 0, only=["source.fixAll.tf-step-lint"]) == []  # nothing left to fix
    async with Session(tmp_path, options={"unsafeFixes": True}) as session:
        uri = session.open(path)
        await session.diagnostics(uri, 1)
        (fix_all,) = await session.actions(uri, 0, only=["source.fixAll.tf-step-lint"])
        assert "(unsafe fixes too)" in fix_all.title


@scenario
async def test_ignore_on_this_line_adds_or_extends_a_noqa_and_the_finding_goes(tmp_path):
    text = TRAIN.format(noqa="  # noqa: E501")
    path = _write(tmp_path, "train.py", text)
    async with Session(tmp_path) as session:
        uri = session.open(path)
        await session.diagnostics(uri, 1)
        ignore = next(a for a in await session.actions(uri, 5) if a.title == "Ignore TSL101 on this line")
        text = applied(text, ignore)
        assert text.splitlines()[5].endswith("minimize(loss)  # noqa: E501, TSL101")
        version = session.change(uri, text)
        assert codes(await session.diagnostics(uri, version)) == ["TSL108"]
        ignore = next(a for a in await session.actions(uri, 12) if a.title == "Ignore TSL108 on this line")
        text = applied(text, ignore)
        assert text.splitlines()[12].endswith("max_steps=100)  # noqa: TSL108")
        version = session.change(uri, text)
        assert codes(await session.diagnostics(uri, version)) == []
        inside = text.replace("minimize(loss)  # noqa: E501, TSL101", 'minimize(loss, name="""a\nb""")')
        version = session.change(uri, inside)  # the line ends inside a string: no comment can go there
        assert codes(await session.diagnostics(uri, version)) == ["TSL101"]
        assert not [a for a in await session.actions(uri, 5) if a.title.startswith("Ignore")]


@scenario
async def test_settings_come_from_pyproject_as_the_cli_resolves_them_and_are_read_again_when_it_changes(tmp_path):
    path = _write(tmp_path, "pkg/train.py", TRAIN.format(noqa=""))
    pyproject = _write(tmp_path, "pyproject.toml", '[tool.tf-step-lint]\nper-file-ignores = {"pkg/*" = ["TSL101"]}\n')
    async with Session(tmp_path) as session:
        uri = session.open(path)
        assert codes(await session.diagnostics(uri, 1)) == ["TSL108"]
        cli = subprocess.run([sys.executable, "-m", "tf_step_lint", "--no-cache", "pkg"], cwd=tmp_path,
                             capture_output=True, text=True)
        assert [line.split()[1] for line in cli.stdout.splitlines()] == ["TSL108"]
        pyproject.write_text('[tool.tf-step-lint]\nignore = ["TSL108"]\n')
        session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            [types.FileEvent(pyproject.as_uri(), types.FileChangeType.Changed)]))
        await session.diagnostics(uri, 1, where=lambda d: codes(d) == ["TSL101"])
        excluded = _write(tmp_path, "build/train.py", TRAIN.format(noqa=""))  # excluded by default, as in the CLI
        assert not await session.diagnostics(session.open(excluded), 1)


@scenario
async def test_editing_the_model_fn_module_rechecks_the_helper_module_it_builds_its_train_op_with(tmp_path):
    project = _project(tmp_path)
    caller, helper = project / "bert" / "run_classifier.py", project / "bert" / "optimization.py"
    cli = subprocess.run([sys.executable, "-m", "tf_step_lint", "--no-cache", "."], cwd=project, capture_output=True,
                         text=True).stdout
    assert cli.startswith("bert/optimization.py:7:26: TSL101")
    async with Session(project) as session:
        helper_uri, caller_uri = session.open(helper), session.open(caller)
        await session.scanned()
        (found,) = await session.diagnostics(helper_uri, where=lambda d: len(d) == 1)
        assert (found.code, found.range.start.line + 1, found.range.start.character + 1) == ("TSL101", 7, 26)
        # the caller now increments the step itself: the helper is no longer where the step is lost
        text = caller.read_text().replace("init_lr)\n", "init_lr)" + INCREMENT.format(indent="    ") + "\n")
        session.change(caller_uri, text)
        await session.diagnostics(helper_uri, where=lambda d: not d)
        session.change(caller_uri, caller.read_text())
        await session.diagnostics(helper_uri, where=lambda d: codes(d) == ["TSL101"])


@scenario
async def test_a_class_from_another_buffer_or_a_deleted_file_changes_the_findings_that_came_from_it(tmp_path):
    optimizers = _write(tmp_path, "opt.py", "import tensorflow as tf\n\n\n"
                                            "class WarmupAdam(tf.compat.v1.train.AdamOptimizer):\n    pass\n")
    train = _write(tmp_path, "train.py", TRAIN.format(noqa="").replace("tf.compat.v1.train.AdamOptimizer", "WarmupAdam")
                   .replace("import tensorflow as tf\n", "import tensorflow as tf\n\nfrom opt import WarmupAdam\n"))
    async with Session(tmp_path) as session:
        train_uri = session.open(train)
        assert "TSL101" in codes(await session.diagnostics(train_uri, 1))
        opt_uri = session.open(optimizers)
        session.change(opt_uri, "class WarmupAdam:\n    pass\n")  # unsaved: no optimizer now
        await session.diagnostics(train_uri, 1, where=lambda d: "TSL101" not in codes(d))
        session.close(opt_uri)  # the file on disk counts again
        await session.diagnostics(train_uri, 1, where=lambda d: "TSL101" in codes(d))
        optimizers.unlink()
        session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            [types.FileEvent(optimizers.as_uri(), types.FileChangeType.Deleted)]))
        await session.diagnostics(train_uri, 1, where=lambda d: "TSL101" not in codes(d))


@scenario
async def test_a_syntax_error_mid_typing_replaces_the_findings_with_one_tsl000(tmp_path):
    text = TRAIN.format(noqa="")
    path = _write(tmp_path, "train.py", text)
    async with Session(tmp_path) as session:
        uri = session.open(path)
        assert codes(await session.diagnostics(uri, 1)) == ["TSL101", "TSL108"]
        broken = text.replace("minimize(loss)", "minimize(loss")
        version = session.change(uri, broken)
        (error,) = await session.diagnostics(uri, version)
        assert error.code == "TSL000" and "cannot parse" in error.message
        assert error.severity == types.DiagnosticSeverity.Warning
        assert await session.actions(uri, error.range.start.line) == []
        version = session.change(uri, text)
        assert codes(await session.diagnostics(uri, version)) == ["TSL101", "TSL108"]


@scenario
async def test_rapid_changes_publish_only_the_last_version_and_a_cancelled_request_leaves_it_running(tmp_path):
    text = TRAIN.format(noqa="")
    path = _write(tmp_path, "train.py", text)
    async with Session(tmp_path) as session:
        await session.scanned()
        uri = session.open(path)
        await session.diagnostics(uri, 1)
        before = len(session.published)
        for number in range(30):
            version = session.change(uri, text + f"\nEDIT = {number}\n")
        await session.diagnostics(uri, version)
        later = [p.version for p in session.published[before:] if p.uri == uri]
        # the first change may be checked at once (leading-edge debounce); the rest wait for the burst to end,
        # and a check whose document has changed meanwhile is dropped, not published
        assert later == sorted(set(later)) and later[-1] == version and len(later) <= 3, later
        request = session.client.protocol.send_request_async(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionParams(
            types.TextDocumentIdentifier(uri), types.Range(types.Position(5, 0), types.Position(5, 0)),
            types.CodeActionContext([])), msg_id="to-cancel")
        session.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="to-cancel"))
        try:  # answered before the cancel arrived, or cancelled: either way one answer, and no crash
            answer = await asyncio.wait_for(request, 20)
        except Exception as error:  # noqa: BLE001  (pygls raises the JSON-RPC error it received)
            answer = error
        assert isinstance(answer, (list, tuple)) or "cancel" in str(answer).lower(), answer
        assert await session.actions(uri, 5)  # and the server goes on answering


@scenario
async def test_oversized_non_python_and_untitled_documents(tmp_path):
    from tf_step_lint.files import MAX_BYTES

    async with Session(tmp_path) as session:
        notes = session.open(_write(tmp_path, "notes.md", "# model_fn\n"), language="markdown")
        big = tmp_path / "big.py"
        big_uri = session.open(big, "x = 1\n" * (MAX_BYTES // 6 + 1))
        (error,) = await session.diagnostics(big_uri, 1)
        assert error.code == "TSL000" and "over the 8 MB limit" in error.message
        untitled = "untitled:Untitled-1"
        session.versions[untitled] = 1
        session.client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
            untitled, "python", 1, TRAIN.format(noqa=""))))
        assert "TSL101" in codes(await session.diagnostics(untitled, 1))
        assert session.latest(notes) is None


@scenario
async def test_positions_are_utf16_code_units_as_the_client_counts_them(tmp_path):
    text = TRAIN.format(noqa="").replace("    loss = tf", "    loss = tf").replace(
        "    train_op = tf", "    emoji = '😀'; train_op = tf")
    path = _write(tmp_path, "train.py", text)
    async with Session(tmp_path) as session:
        uri = session.open(path)
        step = next(d for d in await session.diagnostics(uri, 1) if d.code == "TSL101")
        line = text.splitlines()[5]
        assert step.range.start.character == len(line[:line.index("minimize")].encode("utf-16-le")) // 2
        fix = next(a for a in await session.actions(uri, 5) if a.title.startswith("Fix TSL101"))
        (edit,) = fix.edit.document_changes[0].edits
        assert edit.range.start.character == len(line[:line.index("loss)") + 4].encode("utf-16-le")) // 2


def test_the_server_without_pygls_says_how_to_install_it(tmp_path):
    hide = tmp_path / "pygls.py"
    hide.write_text("raise ImportError('No module named pygls')\n")
    result = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                             "from tf_step_lint.cli import main; sys.exit(main(['server']))", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "pip install 'tf-step-lint[lsp]'" in result.stderr and len(result.stderr.splitlines()) == 1


def test_json_output_carries_the_end_of_the_reported_node(tmp_path):
    _write(tmp_path, "train.py", TRAIN.format(noqa=""))
    result = subprocess.run([sys.executable, "-m", "tf_step_lint", "--no-cache", "--format", "json", "train.py"],
                            cwd=tmp_path, capture_output=True, text=True)
    step = next(f for f in json.loads(result.stdout) if f["code"] == "TSL101")
    assert (step["line"], step["column"], step["end_line"], step["end_column"]) == (6, 54, 6, 62)


@scenario
async def test_run_on_save_checks_a_changed_buffer_only_when_it_is_saved(tmp_path):
    path = _write(tmp_path, "train.py", TRAIN.format(noqa=""))
    async with Session(tmp_path, options={"run": "onSave"}) as session:
        uri = session.open(path)
        await session.diagnostics(uri, 1)
        version = session.change(uri, FIXED)
        await session.actions(uri, 0)  # a round trip through the worker, after any check the change started
        assert all(p.version != version for p in session.published)
        path.write_text(FIXED)
        session.client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
        assert codes(await session.diagnostics(uri, version)) == ["TSL108"]


@scenario
async def test_typing_a_whole_file_key_by_key_never_crashes_it_and_ends_with_the_files_findings(tmp_path):
    text = TRAIN.format(noqa="")
    path = _write(tmp_path, "train.py", "")
    async with Session(tmp_path) as session:
        uri = session.open(path, "")
        await session.diagnostics(uri, 1)
        for offset, character in enumerate(text):  # each key an incremental change, as editors send them
            line = text[:offset].count("\n")
            column = offset - (text.rfind("\n", 0, offset) + 1)
            session.versions[uri] += 1
            at = types.Position(line, column)
            session.client.text_document_did_change(types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(session.versions[uri], uri),
                [types.TextDocumentContentChangePartial(types.Range(at, at), character)]))
        assert codes(await session.diagnostics(uri, session.versions[uri])) == ["TSL101", "TSL108"]
        assert not [log for log in session.logs if "Traceback" in log]


@scenario
async def test_a_workspace_folder_added_later_is_read_for_its_cross_module_facts(tmp_path):
    first, project = tmp_path / "first", _project(tmp_path / "second")
    first.mkdir()
    async with Session(first) as session:
        assert session.initialized.capabilities.workspace.workspace_folders.change_notifications
        await session.scanned()
        helper = session.open(project / "bert" / "optimization.py")
        assert not await session.diagnostics(helper, 1)  # its caller is in no workspace folder yet
        session.client.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
            types.WorkspaceFoldersChangeEvent(added=[types.WorkspaceFolder(project.as_uri(), "second")], removed=[])))
        assert codes(await session.diagnostics(helper, 1, where=bool)) == ["TSL101"]


@scenario
async def test_a_bug_in_a_check_shows_as_one_tsl000_and_the_server_goes_on(tmp_path):
    import os

    plugins = tmp_path / "plugins"  # sitecustomize makes every check of boom.py raise, as a bug of ours would
    _write(plugins, "sitecustomize.py", "from tf_step_lint.workspace import Workspace\n"
                                        "checked = Workspace.check\n"
                                        "def check(self, path):\n"
                                        "    if path.endswith('boom.py'):\n"
                                        "        raise KeyError('a bug')\n"
                                        "    return checked(self, path)\n"
                                        "Workspace.check = check\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(plugins), *sys.path]))
    folder = tmp_path / "work"
    async with Session(_write(folder, "train.py", TRAIN.format(noqa="")).parent, env=env) as session:
        boom = session.open(_write(folder, "boom.py", TRAIN.format(noqa="")))
        (error,) = await session.diagnostics(boom, 1)
        assert error.code == "TSL000" and "internal error KeyError" in error.message
        assert any("Traceback" in log and "a bug" in log for log in session.logs)
        assert "TSL101" in codes(await session.diagnostics(session.open(folder / "train.py"), 1))


def _open_notebook(session: Session, folder: Path, cells: List[tuple]) -> List[str]:
    """Open a notebook document (LSP 3.17) of ``cells`` ((kind, text) pairs); the cells' URIs."""
    uri = (folder / "nb.ipynb").as_uri()
    cell_uris = [f"vscode-notebook-cell:{folder / 'nb.ipynb'}#C{i}" for i in range(len(cells))]
    session.versions[uri] = 1
    session.client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
        types.NotebookDocument(uri, "jupyter-notebook", 1, [types.NotebookCell(kind, cell_uri) for (kind, _), cell_uri
                                                            in zip(cells, cell_uris)]),
        [types.TextDocumentItem(cell_uri, "python" if kind == types.NotebookCellKind.Code else "markdown", 1, text)
         for (kind, text), cell_uri in zip(cells, cell_uris)]))
    return [uri, *cell_uris]


def _change_cell(session: Session, uri: str, cell_uri: str, text: str) -> None:
    session.versions[uri] += 1
    session.client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
        types.VersionedNotebookDocumentIdentifier(session.versions[uri], uri),
        types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(text_content=[
            types.NotebookDocumentCellContentChanges(types.VersionedTextDocumentIdentifier(session.versions[uri],
                                                                                           cell_uri),
                                                     [types.TextDocumentContentChangeWholeDocument(text)])]))))


@scenario
async def test_notebook_documents_get_diagnostics_per_cell_quick_fixes_and_fix_all(tmp_path):
    code, markup = types.NotebookCellKind.Code, types.NotebookCellKind.Markup
    model_fn = "".join(TRAIN.format(noqa="").split("\n\n\n")[1]) + "\n"
    loop = "estimator = tf.estimator.Estimator(model_fn, model_dir='m')\nfor epoch in range(3):\n" \
           "    estimator.train(input_fn, max_steps=100)\n" + TRAIN.split("\n\n\n")[3]  # (its endless input_fn)
    async with Session(tmp_path) as session:
        assert session.initialized.capabilities.notebook_document_sync is not None
        uri, intro, imports, model, training = _open_notebook(session, tmp_path, [
            (markup, "# Training"), (code, "%matplotlib inline\nimport tensorflow as tf\n"), (code, model_fn),
            (code, loop)])
        (step,) = await session.diagnostics(model, 1)
        assert (step.code, step.range.start.line) == ("TSL101", 2)
        (repeated,) = await session.diagnostics(training, 1)
        assert repeated.code == "TSL108"
        assert not await session.diagnostics(imports, 1) and not await session.diagnostics(intro, 1)
        fix = next(a for a in await session.actions(model, 2) if a.title.startswith("Fix TSL101"))
        (change,) = fix.edit.document_changes
        assert change.text_document.uri == model
        fixed = applied(model_fn, fix)
        assert STEP in fixed
        _change_cell(session, uri, model, fixed)
        assert not await session.diagnostics(model, where=lambda d: not d)
        (fix_all,) = await session.actions(training, 0, only=["source.fixAll.tf-step-lint"]) or [None]
        assert fix_all is None  # only the unsafe max_steps fix is left, and unsafe fixes are off
        session.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            {"tf-step-lint": {"unsafeFixes": True}}))
        (fix_all,) = await session.actions(training, 0, only=["source.fixAll.tf-step-lint"])
        (change,) = fix_all.edit.document_changes
        assert change.text_document.uri == training and "steps=100" in applied(loop, fix_all)
        cells = [types.TextDocumentIdentifier(cell) for cell in (intro, imports, model, training)]
        session.client.notebook_document_did_close(types.DidCloseNotebookDocumentParams(
            types.NotebookDocumentIdentifier(uri), cells))
        await session.until(lambda: not session.latest(training).diagnostics)
