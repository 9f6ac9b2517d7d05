"""Evaluate tf-step-lint on a tree of real code: what it read, parsed and found, how long it took, and peak memory.

    python scripts/evaluate.py TREE [TREE ...] [--json FINDINGS.json] [-j N]

Findings are written as JSON (sorted, paths relative to their tree) so that two runs can be diffed.
"""
import argparse
import json
import os
import resource
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tf_step_lint.cli import collect_files
from tf_step_lint.engine import ERROR_CODE, lint_source, rules_that_may_fire


def evaluate_file(path):
    source = Path(path).read_bytes()
    analysed = bool(rules_that_may_fire(source))
    return path, source.count(b"\n"), analysed, [(f.line, f.column, f.code, f.message) for f in lint_source(source)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--json", help="write the findings here")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    start = time.perf_counter()
    rows, totals, codes = [], Counter(), Counter()
    for tree in args.trees:
        files, _ = collect_files([tree])
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for path, lines, analysed, findings in pool.map(evaluate_file, files, chunksize=16):
                totals.update(files=1, lines=lines, analysed=analysed,
                              parse_failures=any(code == ERROR_CODE for _, _, code, _ in findings))
                for line, column, code, message in findings:
                    codes[code] += 1
                    rows.append({"tree": Path(tree).name, "path": os.path.relpath(path, tree), "line": line,
                                 "column": column, "code": code, "message": message})
    elapsed = time.perf_counter() - start
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    print(f"files read: {totals['files']} ({totals['lines']} lines)")
    print(f"files parsed (passed the prefilter): {totals['analysed']}")
    print(f"parse failures: {totals['parse_failures']}")
    print("findings: " + (", ".join(f"{code} {n}" for code, n in sorted(codes.items())) or "none"))
    print(f"time: {elapsed:.1f}s with {args.jobs} jobs; peak memory of one process: {peak / 1024:.0f} MB")
    if args.json:
        rows.sort(key=lambda r: (r["tree"], r["path"], r["line"], r["column"], r["code"]))
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
