"""Benchmark tf-step-lint against the LibCST parse floor and flake8, on one machine in one run.

    python scripts/benchmark.py tree PATH            # any folder
    python scripts/benchmark.py synthetic [--files N] # a generated tree (deterministic), and its training/ part
    python scripts/benchmark.py big-file              # one generated 10k- and 100k-line file: is cost linear?

Every measurement is a separate process, timed by wall clock, with its peak memory (the largest resident set of
the process and of the workers it waited for).  tf-step-lint runs from a fresh working directory, so "cold" starts
with an empty cache and "warm" reuses the cache of the cold -jN run.  Needs flake8 and tf-step-lint installed in
the Python that runs it.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_tree import write_big_file, write_tree  # noqa: E402


def measure(command: List[str], cwd: Optional[str] = None) -> Tuple[float, float]:
    """(seconds, peak MB) of one run of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024


def parse_floor(paths: List[str]) -> None:
    """Parse every .py file under ``paths`` with LibCST, one after another: what any LibCST linter pays at least."""
    import libcst

    for root in paths:
        for path in sorted(Path(root).rglob("*.py")) if Path(root).is_dir() else [Path(root)]:
            try:
                libcst.parse_module(path.read_bytes())
            except Exception:  # a file LibCST cannot parse costs what it cost
                pass


def _lint(tree: str, jobs: int) -> List[str]:
    return [sys.executable, "-m", "tf_step_lint", "-j", str(jobs), os.path.abspath(tree)]


def cold(command: List[str], runs: int = 3) -> Tuple[float, float]:
    """The median of ``runs`` cold runs, each from a new working directory (so with an empty cache)."""
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cwd:
            results.append(measure(command, cwd=cwd))
    return sorted(results)[runs // 2]


def tree_rows(tree: str, jobs: int) -> List[Tuple[str, float, float]]:
    parse = [sys.executable, __file__, "_parse", tree]
    rows = [("LibCST parse of every file (1 process)", *measure(parse))]
    rows.append(("tf-step-lint cold -j1 (median of 3)", *cold(_lint(tree, 1))))
    rows.append((f"tf-step-lint cold -j{jobs} (median of 3)", *cold(_lint(tree, jobs))))
    with tempfile.TemporaryDirectory() as cwd:
        measure(_lint(tree, jobs), cwd=cwd)
        warm = sorted(measure(_lint(tree, jobs), cwd=cwd) for _ in range(3))[1]
        rows.append((f"tf-step-lint warm -j{jobs} (cache, nothing changed; median of 3)", *warm))
    flake8 = [sys.executable, "-m", "flake8", "--jobs", str(jobs), "--exit-zero"]
    rows.append((f"flake8 --select F (-j{jobs})", *measure(flake8 + ["--select", "F", tree])))
    rows.append((f"flake8 --select F,TSL (-j{jobs})", *measure(flake8 + ["--select", "F,TSL", tree])))
    return rows


def print_table(title: str, tree: str, rows: List[Tuple[str, float, float]]) -> None:
    files = sum(1 for _ in Path(tree).rglob("*.py"))
    lines = sum(p.read_bytes().count(b"\n") for p in Path(tree).rglob("*.py"))
    floor = rows[0][1]
    print(f"\n{title}: {files} files, {lines} lines ({tree})\n")
    print("| run | time (s) | × parse | peak MB |")
    print("|---|---:|---:|---:|")
    for name, seconds, peak in rows:
        print(f"| {name} | {seconds:.2f} | {seconds / floor:.2f} | {peak:.0f} |")


def one_small_file(path: Path) -> float:
    """Median wall time of 5 runs of tf-step-lint on one small file, without the cache."""
    times = sorted(measure([sys.executable, "-m", "tf_step_lint", "--no-cache", str(path)])[0] for _ in range(5))
    return times[2]


def ratio_lines(whole: List[Tuple[str, float, float]], training: List[Tuple[str, float, float]],
                bigger: Optional[Tuple[float, float]], small: float) -> None:
    (_, parse, _), (_, cold1, _), (_, coldn, _), (_, warm, _), (_, flake_f, _), (_, flake_tsl, _) = whole
    jobs_name = whole[2][0].split()[2]
    print("\n| target | measured | goal |")
    print("|---|---:|---|")
    print(f"| whole tree: cold {jobs_name} / parse every file | {coldn / parse:.3f} | ≤ 0.15 |")
    print(f"| every file analysed (training/): cold -j1 / parse | {training[1][1] / training[0][1]:.2f} | ≤ 1.5 |")
    print(f"| whole tree: -j1 / {jobs_name} | {cold1 / coldn:.2f} | ≥ 1.7 on 2 cores |")
    print(f"| warm cache / cold {jobs_name} | {warm / coldn:.3f} | ≤ 0.05 |")
    print(f"| flake8 F,TSL / flake8 F | {flake_tsl / flake_f:.2f} | ≤ 1.15 |")
    peak = max(row[2] for row in whole[1:4])
    print(f"| peak MB, tf-step-lint | {peak:.0f} | ≤ 300 |")
    if bigger is not None:
        print(f"| peak MB, tf-step-lint cold on the tree 4× larger | {bigger[1]:.0f} (in {bigger[0]:.1f} s) | flat |")
    print(f"| one small training file, start to finish (s) | {small:.2f} | ≤ 0.5 |")


def big_file(directory: Path) -> None:
    print("\n| file | parse (s) | tf-step-lint -j1 (s) | × parse | peak MB |")
    print("|---|---:|---:|---:|---:|")
    times = {}
    for lines in (10_000, 100_000):
        path = directory / f"big_{lines}.py"
        write_big_file(path, lines)
        parse, _ = measure([sys.executable, __file__, "_parse", str(path)])
        lint, peak = measure([sys.executable, "-m", "tf_step_lint", "--no-cache", "-j1", str(path)])
        times[lines] = lint
        print(f"| {lines:,} lines | {parse:.2f} | {lint:.2f} | {lint / parse:.2f} | {peak:.0f} |")
    print(f"\n100k-line file / 10k-line file: {times[100_000] / times[10_000]:.1f}× (goal ≤ 12×)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    tree = sub.add_parser("tree")
    tree.add_argument("path")
    synthetic = sub.add_parser("synthetic")
    synthetic.add_argument("--files", type=int, default=3000)
    synthetic.add_argument("--keep", metavar="DIR", help="generate into DIR (must not exist) and keep it")
    sub.add_parser("big-file")
    floor = sub.add_parser("_parse")
    floor.add_argument("paths", nargs="+")
    for mode in (tree, synthetic):
        mode.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    if args.mode == "_parse":
        parse_floor(args.paths)
        return 0
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if args.mode == "tree":
        print_table("Tree", args.path, tree_rows(args.path, args.jobs))
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        if args.mode == "big-file":
            big_file(Path(scratch))
            return 0
        root = Path(args.keep) if args.keep else Path(scratch, "tree")
        write_tree(root, args.files)
        whole = tree_rows(str(root), args.jobs)
        print_table("Synthetic tree (scripts/synthetic_tree.py, seed 0)", str(root), whole)
        training = tree_rows(str(root / "training"), args.jobs)
        print_table("Its training/ folder: every file needs analysis", str(root / "training"), training)
        larger = Path(scratch, "larger")
        write_tree(larger, args.files * 4, seed=1)
        with tempfile.TemporaryDirectory() as cwd:
            bigger = measure(_lint(str(larger), args.jobs), cwd=cwd)
        small = one_small_file(min((root / "training").glob("*.py")))
        ratio_lines(whole, training, bigger, small)
    return 0


if __name__ == "__main__":
    sys.exit(main())
