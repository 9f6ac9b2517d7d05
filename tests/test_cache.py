"""The result cache: same findings as a cold run, no analysis when nothing changed, and never trusted blindly."""
import json
import os
import subprocess
import sys

import pytest

import tf_step_lint.cli
import tf_step_lint.engine
import tf_step_lint.files
from tests.conftest import BUGGY, run_cli
from tests.test_project import _project
from tf_step_lint.cache import ResultCache, digest
from tf_step_lint.cli import lint_paths
from tf_step_lint.config import Configuration, Settings
from tf_step_lint.files import CACHE_DIRECTORY as DIRECTORY, collect_files
from tf_step_lint.codes import ALL

CLEAN = "import os\n\nprint(os.sep)\n"


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(BUGGY)
    (tmp_path / "src" / "util.py").write_text(CLEAN)
    return tmp_path


def _cache_file(root):
    (path,) = (root / DIRECTORY).glob("results-*.json")
    return path


def _findings(outcomes):
    return [[(f.code, f.line, f.column, f.message, f.fixable) for f in o.findings] for o in outcomes]


def test_a_warm_run_reports_the_same_without_parsing_anything(tree, monkeypatch):
    files, _ = collect_files([str(tree / "src")], Configuration(Settings()).excluded)
    cold = lint_paths(files, [ALL] * len(files), 1, cache=(cache := ResultCache(tree / DIRECTORY)))
    cache.save()

    def no_parsing(source):
        raise AssertionError("a warm run parsed a file")

    monkeypatch.setattr(tf_step_lint.engine, "parse", no_parsing)
    warm = lint_paths(files, [ALL] * len(files), 1, cache=ResultCache(tree / DIRECTORY))
    assert _findings(warm) == _findings(cold)
    assert [f.code for f in warm[0].findings] == ["TSL101"] and warm[0].findings[0].fixable


def test_a_settled_file_is_not_even_read_again_until_it_is_written(tree, monkeypatch):
    monkeypatch.setattr(tf_step_lint.files, "RACY_SECONDS", -1)  # the files were written just now: call them settled
    files, _ = collect_files([str(tree / "src")], Configuration(Settings()).excluded)
    cold = lint_paths(files, [ALL] * len(files), 1, cache=(cache := ResultCache(tree / DIRECTORY)))
    cache.save()
    with monkeypatch.context() as patch:
        patch.setattr(tf_step_lint.cli, "read_source", lambda path: pytest.fail(f"a warm run read {path}"))
        warm = lint_paths(files, [ALL] * len(files), 1, cache=(cache := ResultCache(tree / DIRECTORY)))
        cache.save()
    assert _findings(warm) == _findings(cold)
    train = tree / "src" / "train.py"
    before = os.stat(train)
    train.write_text(BUGGY.replace("minimize(loss)", "minimiz_(loss)"))  # same size, no finding
    os.utime(train, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old mtime: only the ctime moved
    assert os.stat(train).st_size == before.st_size
    edited = lint_paths(files, [ALL] * len(files), 1, cache=ResultCache(tree / DIRECTORY))
    assert _findings(edited)[0] == [] and _findings(cold)[0] != []


def test_a_file_changed_just_before_it_was_read_is_read_again_next_time(tree):
    run_cli("src", cwd=tree)
    assert json.loads(_cache_file(tree).read_bytes())["files"] == {}


def test_cli_output_is_identical_cold_and_warm_and_follows_edits(tree):
    cold = run_cli("src", cwd=tree)
    assert cold.returncode == 1 and "TSL101" in cold.stdout
    assert (tree / DIRECTORY / ".gitignore").read_text().endswith("*\n")
    assert (tree / DIRECTORY / "CACHEDIR.TAG").exists()
    warm = run_cli("src", cwd=tree)
    assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    (tree / "src" / "train.py").write_text(BUGGY.replace("minimize(loss)", "minimize(loss, global_step=tf.compat.v1"
                                                                           ".train.get_or_create_global_step())"))
    assert run_cli("src", cwd=tree).stdout == ""  # the edit is seen
    (tree / "src" / "train.py").write_text(BUGGY)
    assert run_cli("src", cwd=tree).stdout == cold.stdout
    assert run_cli("src", "--select", "TSL2", cwd=tree).stdout == ""  # the selection is part of the key


def test_no_cache_neither_reads_nor_writes(tree):
    assert run_cli("src", "--no-cache", cwd=tree).returncode == 1
    assert not (tree / DIRECTORY).exists()


def test_the_cache_folder_is_never_linted(tree):
    run_cli("src", cwd=tree)
    (tree / DIRECTORY / "stray.py").write_text("x = (\n")
    assert "stray" not in run_cli(".", cwd=tree).stdout


@pytest.mark.parametrize("poison", [
    b"\x00\xff not json",
    b'{"settings": "another version", "entries": {}}',
    b"[]",
])
def test_a_corrupt_or_foreign_cache_file_is_ignored_and_rebuilt(tree, poison):
    cold = run_cli("src", cwd=tree)
    path = _cache_file(tree)
    path.write_bytes(poison)
    again = run_cli("src", cwd=tree)
    assert again.stdout == cold.stdout and again.returncode == 1
    assert json.loads(path.read_bytes())["entries"]  # rebuilt


def test_an_entry_that_would_hide_the_finding_is_not_taken_from_another_settings_file(tree):
    run_cli("src", cwd=tree)
    path = _cache_file(tree)
    data = json.loads(path.read_bytes())
    data["settings"] = "0" * 40  # written by another version: every entry in it is foreign
    data["entries"] = {key: {"findings": [], "calls": []} for key in data["entries"]}
    path.write_text(json.dumps(data))
    assert "TSL101" in run_cli("src", cwd=tree).stdout


def test_a_cache_directory_that_is_a_symlink_is_neither_read_nor_written(tree, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("planted")
    run_cli("src", cwd=tree)  # a valid cache for these settings, then edited to hide the finding
    path = _cache_file(tree)
    data = json.loads(path.read_bytes())
    data["entries"] = {key: {"findings": [], "calls": []} for key in data["entries"]}
    data["files"] = {}
    (elsewhere / path.name).write_text(json.dumps(data))
    planted = sorted(p.name for p in elsewhere.iterdir())
    (tree / DIRECTORY).rename(tmp_path_factory.mktemp("old") / DIRECTORY)
    (tree / DIRECTORY).symlink_to(elsewhere)
    assert "TSL101" in run_cli("src", cwd=tree).stdout
    assert sorted(p.name for p in elsewhere.iterdir()) == planted and (elsewhere / path.name).read_text() == \
        json.dumps(data)


@pytest.mark.parametrize("entry", [
    {"findings": "none", "calls": [], "analysed": True},
    {"findings": [{"code": "TSL101", "message": "m", "line": "1", "column": 1, "fix": None}], "calls": [],
     "analysed": True},
    {"findings": [{"code": "TSL101", "message": "m", "line": 1, "column": 1, "fix": ["maybe", []]}], "calls": [],
     "analysed": True},
    {"findings": [], "calls": [7], "analysed": True},
    {"findings": [], "calls": [], "analysed": "yes"},
    {"calls": [], "analysed": True},
])
def test_malformed_entries_are_misses(tree, entry):
    cache = ResultCache(tree / DIRECTORY)
    key = cache.key(digest(BUGGY.encode()), frozenset(), "task")
    cache._entries[key] = entry
    assert cache.get(key) is None


def test_concurrent_runs_agree_and_leave_a_valid_cache(tree):
    for i in range(20):
        (tree / "src" / f"more_{i}.py").write_text(BUGGY if i % 3 == 0 else CLEAN)
    command = [sys.executable, "-m", "tf_step_lint", "-j", "1", "src"]
    runs = [subprocess.Popen(command, cwd=tree, stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = {run.communicate()[0] for run in runs}
    assert len(outputs) == 1 and outputs.pop().count("TSL101") == 8
    assert len(json.loads(_cache_file(tree).read_bytes())["entries"]) >= 2


def test_cross_module_results_are_keyed_by_what_other_files_give(tmp_path):
    project = _project(tmp_path)
    cold = run_cli("bert", cwd=project)
    assert "bert/optimization.py:7:26: TSL101" in cold.stdout
    assert run_cli("bert", cwd=project).stdout == cold.stdout
    alone = run_cli("bert/optimization.py", cwd=project)  # the same bytes without the caller: no root, no finding
    assert alone.stdout == ""
    assert run_cli("bert", cwd=project).stdout == cold.stdout
