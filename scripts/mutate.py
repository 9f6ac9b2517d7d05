"""The recall experiment: remove the global step from real optimizer calls, one call at a time, and see what is caught.

    python scripts/mutate.py TREE [TREE ...] [--json MUTATIONS.json] [--target-version X.Y] [-j N]

For every ``minimize``/``apply_gradients`` call that is given a global step (``global_step=…``, or by position
when the argument's text names a step), the file is linted with that argument deleted, in place in a scratch copy of
its tree (so the project's own target and configuration apply), together with every other file of the tree, as the
CLI lints a project: a model_fn in one folder whose train op a helper in another builds makes that helper training
code.  A result cache in the scratch folder keeps the unchanged files from being analysed again for each mutation.
A mutation is caught when a step finding (TSL101, TSL102, TSL103, TSL105) is reported on the mutated call's lines.
Every silence is listed, to be judged by hand: does the
step still move (another increment, a wrapper that increments, a call that is not training code), or is it a miss?
Never commits or keeps the fetched code: the scratch copies live in a temporary folder.
"""
import argparse
import ast
import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Iterator, List, Tuple

from tf_step_lint.cache import ResultCache
from tf_step_lint.cli import lint_paths
from tf_step_lint.codes import Selection
from tf_step_lint.config import Configuration, Settings
from tf_step_lint.files import collect_files
from tf_step_lint.target import parse_version

STEP_CODES = ("TSL101", "TSL102", "TSL103", "TSL105")
METHODS = ("minimize", "apply_gradients")


def mutations(source: str) -> Iterator[Tuple[int, int, str]]:
    """(first line, last line, mutated source) for each optimizer call given a step."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:  # ast's UTF-8 byte column to a character offset
        text = lines[line - 1]
        return starts[line - 1] + len(text.encode("utf-8")[:column].decode("utf-8", "replace"))

    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in METHODS):
            continue
        step = next((k for k in call.keywords if k.arg == "global_step"), None)
        if step is None and len(call.args) >= 2 and "step" in ast.get_source_segment(source, call.args[1]).lower():
            step = call.args[1]
        if step is None or (isinstance(step, ast.keyword) and isinstance(step.value, ast.Constant)):
            continue  # no step, or global_step=None on purpose
        node = step.value if isinstance(step, ast.keyword) else step
        begin, end = offset(step.lineno, step.col_offset), offset(node.end_lineno, node.end_col_offset)
        comma = source.rindex(",", 0, begin)  # the comma before it goes with it
        yield call.lineno, call.end_lineno, source[:comma] + source[end:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--json", help="write every mutation and its outcome here")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="processes per lint")
    parser.add_argument("--target-version", type=parse_version, help="one target for every tree (default: each "
                        "project's own, as the CLI finds it)")
    args = parser.parse_args()
    rows: List[dict] = []
    with tempfile.TemporaryDirectory() as scratch:
        for tree in args.trees:
            copy = Path(scratch, Path(tree).name)
            shutil.copytree(tree, copy, ignore=shutil.ignore_patterns(".git"))
            if Path(tree, ".git").exists():  # still a repository's root, which decides the project and its target
                Path(copy, ".git").mkdir()
            os.chdir(copy)
            configuration = Configuration(Settings())
            files, _ = collect_files(["."], configuration.excluded)
            selections = [Selection(target=args.target_version) if args.target_version
                          else configuration.selection(f) for f in files]
            cache = ResultCache(Path(scratch, f"{copy.name}.cache"))
            for path in files:
                original = Path(path).read_text(encoding="utf-8", errors="replace")
                for first, last, mutated in mutations(original):
                    Path(path).write_text(mutated, encoding="utf-8")
                    outcome = lint_paths(files, selections, args.jobs, cache=cache)[files.index(path)]
                    caught = sorted({f.code for f in outcome.findings
                                     if f.code in STEP_CODES and first <= f.line <= last})
                    rows.append({"tree": Path(tree).name, "path": os.path.normpath(path), "line": first,
                                 "caught": caught, "target": ".".join(map(str, selections[files.index(path)].target))})
                    Path(path).write_text(original, encoding="utf-8")
    caught = sum(bool(r["caught"]) for r in rows)
    print(f"mutations: {len(rows)}; caught: {caught}; silent: {len(rows) - caught}")
    codes = Counter(code for row in rows for code in row["caught"])
    print("caught by code: " + ", ".join(f"{code} {n}" for code, n in sorted(codes.items())))
    for row in rows:
        if not row["caught"]:
            print(f"silent: {row['tree']}/{row['path']}:{row['line']} (target {row['target']})")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
