"""The command line: ``tf-step-lint [PATHS] [--fix] [--diff]`` and ``tf-step-lint explain CODE``."""
import argparse
import json
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, FrozenSet, Iterator, List, Optional, Sequence, Tuple

from tf_step_lint import __version__
from tf_step_lint.cache import ResultCache, digest
from tf_step_lint.files import CACHE_DIRECTORY, NotWritten, Stamp, TooLarge, collect_files, read_source, \
    write_atomically
from tf_step_lint.codes import ERROR_CODE, Selection
from tf_step_lint.finding import Finding
from tf_step_lint.project import external_roots
from tf_step_lint.target import Version, detect, parse_version

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that every ``finally`` runs (a half-written temporary is removed)."""


def _terminate(signum, frame) -> None:
    raise Terminated()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command; an interruption (SIGINT, SIGTERM) ends it with one line and the shell's exit code for it.

    A fix is one rename, so whenever the run stops, each file holds either its old bytes or all its fixes.
    """
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except (KeyboardInterrupt, Terminated) as interruption:
        if "tf_step_lint.parsing" in sys.modules:
            from tf_step_lint.parsing import wait_for_parser

            wait_for_parser()
        number = signal.SIGINT if isinstance(interruption, KeyboardInterrupt) else signal.SIGTERM
        print(f"tf-step-lint: interrupted by {number.name}; every file is as it was or completely fixed",
              file=sys.stderr)
        return 128 + number
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(argv: List[str]) -> int:
    if argv[:1] == ["explain"]:
        return explain(argv[1:])
    if argv[:1] == ["checkpoint"]:
        from tf_step_lint.checkpoint import main as checkpoint_main

        return checkpoint_main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    select, ignore = list(_codes(args.select)), list(_codes(args.ignore))
    if select or ignore:  # the rule docs are only read to check codes given
        from tf_step_lint.docs import rule_codes

        known = [ERROR_CODE, *rule_codes()]
        unknown = [c for c in select + ignore if not any(k.startswith(c) for k in known)]
        if unknown:
            parser.error(f"unknown rule code or prefix: {', '.join(unknown)} (rules: {', '.join(known[1:])})")
    paths = args.paths or ["."]
    try:
        target = args.target_version or detect(paths[0])[0]
    except ValueError as error:
        parser.error(str(error))
    selection = Selection(tuple(select) or ("TSL",), tuple(ignore), target)
    files, errors = collect_files(paths)
    results: List[Tuple[str, Finding]] = list(errors)
    changed = False
    cache = None if args.no_cache else ResultCache(Path(CACHE_DIRECTORY), repr(selection))
    outcomes = lint_paths(files, selection, args.jobs, args.fix, args.diff, cache)
    if cache is not None:
        cache.save()
    for path, outcome in zip(files, outcomes):
        results.extend((path, f) for f in outcome.findings)
        changed |= outcome.changed
        if outcome.diff:
            sys.stdout.write(outcome.diff)
        if outcome.note:
            print(f"{path}: {outcome.note}", file=sys.stderr)
    _report(results, args.format)
    if any(f.code == ERROR_CODE for _, f in results):
        return EXIT_ERROR
    return EXIT_FINDINGS if results or (args.diff and changed) else EXIT_CLEAN


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tf-step-lint",
        description="Find TensorFlow Estimator training bugs that never raise. "
                    "`tf-step-lint explain CODE` prints a rule's documentation.")
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    parser.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    parser.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; change nothing")
    parser.add_argument("--select", action="append", default=[], metavar="CODES",
                        help="comma-separated code prefixes to report (default: all)")
    parser.add_argument("--ignore", action="append", default=[], metavar="CODES",
                        help="comma-separated code prefixes not to report")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--target-version", type=_version, metavar="X.Y",
                        help="the TensorFlow version the code runs on (default: from pyproject.toml's "
                             "[tool.tf-step-lint] target-version or the project's TensorFlow pin, else 2.15)")
    parser.add_argument("-j", "--jobs", type=_positive, default=os.cpu_count() or 1, metavar="N",
                        help="files linted in parallel (default: the number of CPUs)")
    parser.add_argument("--no-cache", action="store_true",
                        help=f"neither read nor write the result cache ({CACHE_DIRECTORY}/ in the current directory)")
    parser.add_argument("--version", action="version", version=f"tf-step-lint {__version__}")
    return parser


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _version(value: str) -> Version:
    try:
        return parse_version(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _codes(values: List[str]) -> Iterator[str]:
    for value in values:
        yield from (c.strip().upper() for c in value.split(",") if c.strip())


@dataclass(frozen=True)
class Outcome:
    """What one file produced; printed by the main process, in file order."""

    findings: List[Finding]
    changed: bool = False  # a fix changed (with --diff: would change) the file
    diff: str = ""
    note: str = ""
    calls: Tuple[str, ...] = ()  # functions of other modules its model_fns build their train op with
    digest: Optional[str] = None  # of the bytes linted, when the outcome depends on nothing else (cacheable)
    stamp: Optional[Stamp] = None  # of the file those bytes came from, when it had settled (see cache.read_source)


def lint_paths(files: List[str], selection: Selection, jobs: int, fix: bool = False, diff: bool = False,
               cache: Optional[ResultCache] = None) -> List[Outcome]:
    """Lint (or fix) ``files`` as one project; the outcomes in file order.

    Every file is linted once, recording its model_fns' calls into other modules of the run; then only the files
    that hold such a function (or, with ``fix``/``diff``, a fixable finding) are processed again.  Lint results
    come from ``cache`` where it has them.
    """
    no_roots = frozenset()
    task = _Task(fix, diff, selection)
    if len(files) <= 1:  # no other file to follow a train op into: one pass
        return _run(task, [(p, no_roots) for p in files], jobs, cache)
    first = _run(_Task(False, False, selection, collect_calls=True), [(p, no_roots) for p in files], jobs, cache)
    roots = external_roots(files, [outcome.calls for outcome in first])
    again = [i for i, (path, outcome) in enumerate(zip(files, first))
             if path in roots or ((fix or diff) and any(f.fixable for f in outcome.findings))]
    tasks = [(files[i], roots.get(files[i], no_roots)) for i in again]
    redone = dict(zip(again, _run(task, tasks, jobs, cache)))
    return [redone.get(i, outcome) for i, outcome in enumerate(first)]


def _run(task: "_Task", items: List[Tuple[str, FrozenSet[str]]], jobs: int, cache: Optional[ResultCache]
         ) -> List[Outcome]:
    """``task`` over ``items`` in order; lint results the cache holds are not computed again, new ones are added.

    The cache is stored under the digest of the bytes the task itself read, so a file that changes meanwhile can
    never store its old findings under its new content.
    """
    if cache is None or task.fix or task.diff:
        return list(_map(task, items, jobs))
    outcomes: List[Optional[Outcome]] = []
    for path, roots in items:
        if cache.empty:  # a cold run: nothing to look up
            outcomes.append(None)
            continue
        source_digest = cache.known_digest(path)
        if source_digest is None:
            try:
                source, stamp = read_source(path)
            except OSError:
                outcomes.append(None)
                continue
            cache.remember(path, stamp, source_digest := digest(source))
        hit = cache.get(cache.key(source_digest, roots, task.collect_calls))
        outcomes.append(Outcome(hit[0], calls=hit[1]) if hit else None)
    missing = [i for i, outcome in enumerate(outcomes) if outcome is None]
    for i, outcome in zip(missing, _map(task, [items[i] for i in missing], jobs)):
        outcomes[i] = outcome
        if outcome.digest is not None:
            cache.put(cache.key(outcome.digest, items[i][1], task.collect_calls), outcome.findings, outcome.calls)
            cache.remember(items[i][0], outcome.stamp, outcome.digest)
    return outcomes


@dataclass(frozen=True)
class _Task:
    """Lint (or fix) one file.  A picklable callable, so worker processes can run it."""

    fix: bool
    diff: bool
    selection: Selection
    collect_calls: bool = False  # also record calls into other modules (see project.py)

    def __call__(self, task: Tuple[str, FrozenSet[str]]) -> Outcome:
        from tf_step_lint.engine import fix_source, lint_for_project, lint_source

        path, roots = task
        try:
            source, stamp = read_source(path)
        except OSError as error:
            return Outcome([Finding(ERROR_CODE, f"cannot read: {error.strerror or error}", 1, 1)])
        except TooLarge as error:
            return Outcome([Finding(ERROR_CODE, f"not checked: {error}", 1, 1)])
        if self.collect_calls:
            findings, calls = lint_for_project(source, self.selection)
            return Outcome(findings, calls=tuple(calls), digest=digest(source), stamp=stamp)
        if not (self.fix or self.diff):
            return Outcome(lint_source(source, self.selection, roots), digest=digest(source), stamp=stamp)
        result = fix_source(source, self.selection, roots)
        if result.source == source:
            return Outcome(result.findings)
        if self.diff:
            return Outcome([], changed=True, diff=_diff(path, source, result.source))
        try:
            write_atomically(path, source, result.source)
        except NotWritten as error:
            return Outcome([Finding(ERROR_CODE, f"not fixed: {error}", 1, 1)] + result.findings)
        except OSError as error:
            return Outcome([Finding(ERROR_CODE, f"not fixed: {error.strerror or error}", 1, 1)] + result.findings)
        return Outcome(result.findings, changed=True,
                       note=f"fixed {result.fixed} finding{'s' if result.fixed != 1 else ''}")


def _map(function: Callable, items: Sequence, jobs: int) -> Iterator:
    """``function`` over ``items``, results in order; worker processes only when there is enough work for them."""
    if jobs <= 1 or len(items) < 2 * jobs:
        return map(function, items)
    from concurrent.futures import ProcessPoolExecutor  # imported only when used: it costs a warm run 30 ms

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        try:
            return iter(list(pool.map(function, items, chunksize=max(1, min(16, len(items) // (4 * jobs))))))
        except BaseException:  # interrupted: let the workers finish only the files they have started
            pool.shutdown(cancel_futures=True)
            raise


def _diff(path: str, old: bytes, new: bytes) -> str:
    import difflib

    from tf_step_lint.engine import parse

    encoding = parse(old).encoding
    lines = difflib.unified_diff(old.decode(encoding).splitlines(keepends=True),
                                 new.decode(encoding).splitlines(keepends=True), path, path)
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
                   for line in lines)


# -- output ------------------------------------------------------------------------------------------
def _report(results: List[Tuple[str, Finding]], fmt: str) -> None:
    if fmt == "json":
        rows = [{"path": path, "line": f.line, "column": f.column, "code": f.code, "message": f.message,
                 "fixable": f.fixable} for path, f in results]
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    for path, f in results:
        print(f"{path}:{f.line}:{f.column}: {f.code} {f.message}")


def explain(argv: Sequence[str]) -> int:
    from tf_step_lint.docs import rule_docs

    docs = rule_docs()
    if len(argv) != 1:
        print("usage: tf-step-lint explain CODE", file=sys.stderr)
        print("rules: " + ", ".join(sorted(docs)), file=sys.stderr)
        return EXIT_ERROR
    code = argv[0].upper()
    if code not in docs:
        print(f"tf-step-lint: unknown rule {argv[0]!r}; rules: {', '.join(sorted(docs))}", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(docs[code])
    return EXIT_CLEAN
