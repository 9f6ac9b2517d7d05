"""Evaluate tf-step-lint on a tree of real code: what it read, parsed and found, how long it took, and peak memory.

    python scripts/evaluate.py TREE [TREE ...] [--json FINDINGS.json] [-j N] [--target-version X.Y]

Findings are written as JSON (sorted, paths relative to their tree) so that two runs can be diffed.
"""
import argparse
import json
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path

from tf_step_lint.cli import lint_paths
from tf_step_lint.config import Configuration, Settings
from tf_step_lint.files import collect_files
from tf_step_lint.codes import ERROR_CODE, Selection
from tf_step_lint.engine import rules_that_may_fire
from tf_step_lint.target import DEFAULT, parse_version, spelled


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--json", help="write the findings here")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--target-version", type=parse_version,
                        help=f"the TensorFlow every tree is linted for (default: each project's own, as the CLI "
                             f"finds it, else {spelled(DEFAULT)})")
    args = parser.parse_args()
    start = time.perf_counter()
    rows, totals, codes = [], Counter(), Counter()
    for tree in args.trees:  # each tree is one project, linted as the CLI lints it
        configuration = Configuration(Settings())
        files, _ = collect_files([tree], configuration.excluded)
        selections = [Selection(target=args.target_version) if args.target_version else configuration.selection(f)
                      for f in files]
        for path, selection, outcome in zip(files, selections, lint_paths(files, selections, args.jobs)):
            source = Path(path).read_bytes()
            totals.update(files=1, lines=source.count(b"\n"), analysed=bool(rules_that_may_fire(source, selection)),
                          parse_failures=any(f.code == ERROR_CODE for f in outcome.findings))
            for f in outcome.findings:
                codes[f.code] += 1
                rows.append({"tree": Path(tree).name, "path": os.path.relpath(path, tree), "line": f.line,
                             "column": f.column, "code": f.code, "message": f.message})
    elapsed = time.perf_counter() - start
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    print(f"files read: {totals['files']} ({totals['lines']} lines)")
    print(f"files analysed by a rule (passed the prefilter): {totals['analysed']}")
    print(f"parse failures: {totals['parse_failures']}")
    print("findings: " + (", ".join(f"{code} {n}" for code, n in sorted(codes.items())) or "none"))
    print(f"time: {elapsed:.1f}s with {args.jobs} jobs; peak memory of one process: {peak / 1024:.0f} MB")
    if args.json:
        rows.sort(key=lambda r: (r["tree"], r["path"], r["line"], r["column"], r["code"]))
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
