"""Fix levels and output formats: [*], --fix/--unsafe-fixes/--diff/--show-fixes/--statistics, json, sarif, github."""
import json
import re
import shutil
import subprocess
from collections import Counter

import jsonschema
import pytest

from tests.conftest import BUGGY, ROOT, run_cli
from tests.markers import apply_edits, python_blocks, strip
from tf_step_lint.docs import rule_docs
from tf_step_lint.engine import fix_source, lint_file
from tf_step_lint.output import _escape_data, _escape_property

SARIF_SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
JSON_SCHEMA = json.loads((ROOT / "docs" / "json-output.schema.json").read_text())
UNSAFE_ONLY = strip(python_blocks(rule_docs()["TSL203"].text, "Bad")[0])  # its one fix is unsafe
BROKEN = "def broken(:\n"


@pytest.fixture
def tree(tmp_path):
    """Every rule doc's bad examples (each its own file, as users' files are), a clean file and a broken one."""
    root = tmp_path / "tree"
    root.mkdir()
    for code, doc in rule_docs().items():
        for heading in ("Bad", "Flagged without autofix"):
            for i, block in enumerate(python_blocks(doc.text, heading)):
                (root / f"{code.lower()}_{heading.split()[0].lower()}_{i}.py").write_text(strip(block))
    (root / "clean.py").write_text("import os\n")
    (root / "broken.py").write_text(BROKEN)
    (root / "requirements.txt").write_text("tensorflow==2.15.1\n")  # what the docs are written for (their
    return root  # tf.compat.v1 alone would make them TF 1.15 code)


def test_star_marks_what_fix_would_fix_and_unsafe_fixes_need_the_flag(tmp_path, buggy_file):
    assert f"{buggy_file}:6:54: TSL101 [*] `minimize()`" in run_cli(buggy_file).stdout
    unsafe = tmp_path / "saver.py"
    unsafe.write_text(UNSAFE_ONLY)
    plain = run_cli(unsafe).stdout
    assert "TSL203 " in plain and "[*]" not in plain
    assert "TSL203 [*] " in run_cli(unsafe, "--unsafe-fixes").stdout


def test_fix_applies_only_safe_fixes_unless_unsafe_fixes_is_given(tmp_path):
    path = tmp_path / "saver.py"
    path.write_text(UNSAFE_ONLY)
    safe_only = run_cli(path, "--fix")
    assert safe_only.returncode == 1 and "TSL203" in safe_only.stdout and path.read_text() == UNSAFE_ONLY
    unsafe = run_cli(path, "--fix", "--unsafe-fixes")
    assert (unsafe.returncode, unsafe.stdout) == (0, "")
    assert path.read_text() == python_blocks(rule_docs()["TSL203"].text, "Fixed")[0]


@pytest.mark.parametrize("unsafe", [[], ["--unsafe-fixes"]])
def test_diff_shows_exactly_what_fix_does(tree, tmp_path, unsafe):
    """The diff, applied with `git apply`, turns a copy of the tree into what `--fix` makes of the tree."""
    copy = tmp_path / "copy"
    shutil.copytree(tree, copy)
    diff = run_cli(".", "--diff", "--no-cache", *unsafe, cwd=tree)
    before = {p.name: p.read_bytes() for p in tree.iterdir()}
    assert diff.returncode == 2 and diff.stdout.startswith("--- ")  # 2: broken.py, reported on stderr
    assert diff.stderr.startswith("broken.py:1:12: TSL000 ") and diff.stderr.count("\n") == 1
    assert not re.search(r"^\S+:\d+:\d+: TSL", diff.stdout, re.M)  # only the diff: no findings in it
    assert {p.name: p.read_bytes() for p in tree.iterdir()} == before  # --diff changes nothing
    subprocess.run(["git", "apply", "-p0", "--unsafe-paths", "-"], input=diff.stdout, text=True, cwd=copy,
                   check=True)
    run_cli(".", "--fix", "--no-cache", *unsafe, cwd=tree)
    fixed = {p.name: p.read_bytes() for p in tree.iterdir()}
    assert fixed != before
    assert {p.name: p.read_bytes() for p in copy.iterdir()} == fixed
    changed = {name for name in fixed if fixed[name] != before[name]}
    assert ("tsl203_bad_0.py" in changed) == bool(unsafe)


def test_diff_takes_no_other_format_and_exits_1_only_for_a_change(tmp_path, buggy_file):
    assert run_cli(buggy_file, "--diff", "--format", "json").returncode == 2
    assert run_cli(buggy_file, "--diff", "--statistics").returncode == 2
    unfixable = tmp_path / "saver.py"
    unfixable.write_text(UNSAFE_ONLY)
    assert (run_cli(unfixable, "--diff").returncode, run_cli(unfixable, "--diff").stdout) == (0, "")
    assert run_cli(unfixable, "--diff", "--unsafe-fixes").returncode == 1


def test_show_fixes_lists_what_was_fixed_per_file_and_code(tree):
    remaining = run_cli(".", "--no-cache", cwd=tree).stdout
    expected = Counter((line.split(":")[0], line.split()[1]) for line in remaining.splitlines() if " [*] " in line)
    would = run_cli(".", "--diff", "--show-fixes", "--no-cache", cwd=tree)
    assert "\nWould fix " in would.stdout
    shown = run_cli(".", "--fix", "--show-fixes", "--no-cache", cwd=tree)
    listing = shown.stdout[shown.stdout.index("Fixed "):]
    assert listing.splitlines()[0] == f"Fixed {sum(expected.values())} findings:"
    listed, path = Counter(), None
    for line in listing.splitlines()[1:]:
        if line.startswith("- "):
            path = line[2:-1]
        else:
            count, code, name = re.fullmatch(r"    (\d+) × (TSL\d{3}) \(([a-z0-9-]+)\)", line).groups()
            assert name == rule_docs()[code].name
            listed[path, code] = int(count)
    assert listed == expected
    assert run_cli(".", "--fix", "--show-fixes", "--no-cache", cwd=tree).stdout.endswith("No findings were fixed.\n")


def test_statistics_count_findings_per_code(tree):
    listing = run_cli(".", "--no-cache", cwd=tree).stdout.splitlines()
    counts = {}
    for line in listing:
        counts[line.split()[1]] = counts.get(line.split()[1], 0) + 1
    stats = run_cli(".", "--statistics", "--no-cache", cwd=tree)
    assert stats.returncode == 2  # broken.py: the exit code is the run's, not the listing's
    rows = [line.split("\t") for line in stats.stdout.splitlines()]
    assert {code: int(count) for count, code, _ in rows} == counts
    assert [int(count) for count, _, _ in rows] == sorted((int(c) for c, _, _ in rows), reverse=True)
    for _, code, marked_name in rows:
        marker, name = marked_name[:3], marked_name[4:]
        fixable = any(line.split()[1] == code and " [*] " in line for line in listing)
        assert (marker == "[*]") == fixable and name == (rule_docs()[code].name if code != "TSL000"
                                                         else "file-not-checked")
    as_json = json.loads(run_cli(".", "--statistics", "--format", "json", "--no-cache", cwd=tree).stdout)
    assert {row["code"]: row["count"] for row in as_json} == counts
    assert run_cli(".", "--statistics", "--format", "sarif", cwd=tree).returncode == 2


def _apply(text, edits):
    """JSON edits (see docs/json-output.schema.json) applied to ``text``."""
    return apply_edits(text, [((e["start"]["line"], e["start"]["column"]), (e["end"]["line"], e["end"]["column"]),
                               e["content"]) for e in edits])


def test_json_output_follows_its_documented_schema_and_its_edits_are_the_fix(tree):
    result = run_cli(".", "--format", "json", "--no-cache", cwd=tree)
    rows = json.loads(result.stdout)
    jsonschema.Draft202012Validator(JSON_SCHEMA).validate(rows)
    assert {row["code"] for row in rows} == set(rule_docs()) - {"TSL301"} | {"TSL000"}  # 301: a 2.16 target
    by_file = {}
    for row in rows:
        by_file.setdefault(row["path"], []).append(row)
    checked = 0
    for path, found in by_file.items():
        fixes = [row["fix"] for row in found if row["fix"]]
        if len(fixes) == 1:  # one fix: its edits give exactly what --fix --unsafe-fixes writes
            source = (tree / path).read_text()
            assert _apply(source, fixes[0]["edits"]) == fix_source(source.encode(), unsafe=True).source.decode()
            checked += 1
    assert checked >= 10


def test_json_after_fix_gives_the_edits_of_the_fixes_left(tmp_path):
    path = tmp_path / "saver.py"
    path.write_text(UNSAFE_ONLY)
    row, = json.loads(run_cli(path, "--fix", "--format", "json").stdout)
    assert row["fix"]["applicability"] == "unsafe" and row["fix"]["edits"]
    assert _apply(UNSAFE_ONLY, row["fix"]["edits"]) == fix_source(UNSAFE_ONLY.encode(), unsafe=True).source.decode()


def test_edits_keep_crlf_and_unicode_columns():
    source = "# ünïcödé\r\n" + BUGGY.replace("\n", "\r\n").replace("AdamOptimizer(0.1)", "AdamOptimizer(0.1)  ")
    finding, = lint_file(source.encode(), edits=True).findings
    edits = [(e.start, e.end, e.content) for e in finding.fix.edits]
    assert apply_edits(source, edits) == fix_source(source.encode()).source.decode()


def test_sarif_validates_against_the_official_schema_with_rule_metadata_and_fixes(tree):
    result = run_cli(".", "--format", "sarif", "--no-cache", cwd=tree)
    assert result.returncode == 2
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA, format_checker=jsonschema.FormatChecker()).validate(log)
    run, = log["runs"]
    docs = rule_docs()
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(docs)
    for rule in rules:
        doc = docs[rule["id"]]
        assert (rule["name"], rule["shortDescription"]["text"], rule["help"]["markdown"],
                rule["properties"]["fix"]) == (doc.name, doc.summary, doc.text, doc.fix)
    results = run["results"]
    assert {r["ruleId"] for r in results} == set(docs) - {"TSL301"}
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
               for r in results)
    with_fixes = [r for r in results if r.get("fixes")]
    assert len(with_fixes) >= 10
    uris = Counter(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in with_fixes)
    for r in with_fixes:  # a file's one fix, applied to it, gives what --fix --unsafe-fixes writes
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        change, = r["fixes"][0]["artifactChanges"]
        assert change["artifactLocation"]["uri"] == uri
        edits = [{"start": {"line": e["deletedRegion"]["startLine"], "column": e["deletedRegion"]["startColumn"]},
                  "end": {"line": e["deletedRegion"]["endLine"], "column": e["deletedRegion"]["endColumn"]},
                  "content": e["insertedContent"]["text"]} for e in change["replacements"]]
        source = (tree / uri).read_text()
        if uris[uri] == 1:
            assert _apply(source, edits) == fix_source(source.encode(), unsafe=True).source.decode()
    invocation, = run["invocations"]
    notification, = invocation["toolExecutionNotifications"]  # TSL000 is no rule's result
    assert not invocation["executionSuccessful"] and notification["descriptor"]["id"] == "TSL000"
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.py"


def test_sarif_of_a_clean_run_validates_and_reports_success(tmp_path):
    (tmp_path / "clean.py").write_text("import os\n")
    log = json.loads(run_cli(".", "--format", "sarif", cwd=tmp_path).stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    assert log["runs"][0]["results"] == [] and log["runs"][0]["invocations"][0]["executionSuccessful"]


def test_github_format_prints_one_workflow_annotation_per_finding(tree):
    text = run_cli(".", "--no-cache", cwd=tree).stdout.splitlines()
    github = run_cli(".", "--format", "github", "--no-cache", cwd=tree).stdout.splitlines()
    assert len(github) == len(text)
    for annotation, line in zip(github, text):
        match = re.fullmatch(r"::error title=tf-step-lint \((TSL\d{3})\),file=([^,]+),line=(\d+),col=(\d+)::(.*)",
                             annotation)
        path, row, col, rest = line.split(":", 3)
        assert match.groups() == (rest.split()[0], path, row, col, line)


def test_github_annotations_escape_what_workflow_commands_reserve():
    assert _escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert _escape_property("a:b,c%") == "a%3Ab%2Cc%25"


def test_explain_without_a_code_lists_every_rule():
    result = run_cli("explain")
    header, *rows = result.stdout.splitlines()
    assert result.returncode == 0 and header.split() == ["code", "name", "fix", "summary"]
    docs = rule_docs()
    assert [row.split()[0] for row in rows] == list(docs)
    for row in rows:
        doc = docs[row.split()[0]]
        assert row.split()[1] == doc.name and row.endswith(doc.summary) and f" {doc.fix} " in row
    assert {doc.fix for doc in docs.values()} == {"safe", "unsafe", "safe or unsafe", "none"}


def test_exit_zero_keeps_only_errors_in_the_exit_code(tmp_path, buggy_file):
    assert run_cli(buggy_file, "--exit-zero").returncode == 0
    assert run_cli(buggy_file, "--diff", "--exit-zero").returncode == 0
    (tmp_path / "broken.py").write_text(BROKEN)
    assert run_cli(tmp_path, "--exit-zero").returncode == 2
