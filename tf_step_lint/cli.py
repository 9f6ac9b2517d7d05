"""The command line: ``tf-step-lint [PATHS] [--fix] [--diff]``, ``tf-step-lint explain [CODE]`` and
``tf-step-lint checkpoint``."""
import argparse
import functools
import os
import signal
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

from tf_step_lint import __version__
from tf_step_lint.cache import ResultCache, digest, lint_task
from tf_step_lint.codes import ERROR_CODE, Selection
from tf_step_lint.config import ConfigError, Configuration, Settings, check_codes
from tf_step_lint.files import (CACHE_DIRECTORY, NotWritten, Stamp, TooLarge, collect_files, is_notebook, read_source,
                                size_limit, write_atomically)
from tf_step_lint.analysis.modules import NO_OTHER_MODULES
from tf_step_lint.finding import Finding
from tf_step_lint.output import ERROR_NAME, FORMATS, Progress, Result, render, render_fixes, render_statistics, summary
from tf_step_lint.project import Project, external_roots
from tf_step_lint.code_target import FROM_CODE, SPLIT
from tf_step_lint.detect import ELSEWHERE, merged_notes
from tf_step_lint.target import DEFAULT, Version, parse_version

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
STDIN = "-"


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
            from tf_step_lint.parsing import wait_for_worker

            wait_for_worker()
        number = signal.SIGINT if isinstance(interruption, KeyboardInterrupt) else signal.SIGTERM
        print(f"tf-step-lint: interrupted by {number.name}; every file is as it was or completely fixed",
              file=sys.stderr)
        return 128 + number
    except BrokenPipeError:  # `tf-step-lint ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that the exit flush cannot fail again
        return EXIT_FINDINGS
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(argv: List[str]) -> int:
    if argv[:1] == ["explain"]:
        return explain(argv[1:])
    if argv[:1] == ["server"]:
        try:
            from tf_step_lint.server import main as server_main
        except ImportError as error:
            print(f"tf-step-lint: error: the server needs pygls ({error}); install it with "
                  "pip install 'tf-step-lint[lsp]'", file=sys.stderr)
            return EXIT_ERROR
        return server_main(argv[1:])
    if argv[:1] == ["checkpoint"]:
        from tf_step_lint.checkpoint import main as checkpoint_main

        return checkpoint_main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if args.statistics and args.format in ("sarif", "github"):
        parser.error(f"--statistics prints text or json, not {args.format}")
    if args.diff and (args.format != "text" or args.statistics):
        parser.error("--diff prints a unified diff; it takes neither --format nor --statistics")
    started = time.monotonic()
    paths = args.paths or (["-"] if args.stdin_filename else ["."])
    if STDIN in paths:
        if paths.count(STDIN) > 1 or len(paths) > 1:
            print(f"tf-step-lint: error: '-' (standard input) must be the only path; got {' '.join(paths)}",
                  file=sys.stderr)
            return EXIT_ERROR
        return lint_stdin(args)
    try:
        configuration = Configuration(_command_line(args), args.config)
        files, errors = collect_files(paths, configuration.excluded,
                                      configuration.excluded_with_folders if args.force_exclude else None)
        selections = [configuration.selection(path) for path in files]
        jobs = configuration.jobs(paths[0]) or os.cpu_count() or 1
    except ConfigError as error:
        print(f"tf-step-lint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    # A target read from the code (unless the default for the whole project) or from a declaration outside the
    # code's folders is a guess: say it once per project (a project whose folders get different targets: once each).
    sources = {(configuration.target_source(path) or "", selection.target)
               for path, selection in zip(files, selections)}
    guesses = {source for source, target in sources if source.startswith(ELSEWHERE)
               or (source.startswith(FROM_CODE) and (target != DEFAULT or SPLIT in source))}
    for source in merged_notes(guesses) if not args.quiet else ():
        print(f"tf-step-lint: {source.split(': ', 1)[1]}; set target-version under [tool.tf-step-lint] "
              "(or pass --target-version) to choose", file=sys.stderr)
    progress = Progress(enabled=sys.stderr.isatty() and not args.quiet)
    task = Task(args.fix, args.diff, args.unsafe_fixes, edits=args.format in ("json", "sarif"))
    cache = None if args.no_cache else ResultCache(Path(CACHE_DIRECTORY))
    outcomes = lint_paths(files, selections, jobs, task, cache, progress)
    progress.clear()
    if cache is not None:
        cache.save()
    results: List[Result] = list(errors)
    fixed: List[Result] = []
    for path, outcome in zip(files, outcomes):
        if outcome.note and not args.quiet:
            print(f"tf-step-lint: {path}: {outcome.note}", file=sys.stderr)
        results.extend((path, f) for f in outcome.findings)
        fixed.extend((path, f) for f in outcome.fixed)
        if outcome.diff:
            sys.stdout.write(outcome.diff)
    if args.diff:  # the diff is the output; files that could not be checked still say so
        render([(path, f) for path, f in results if f.code == ERROR_CODE], "text", args.unsafe_fixes, sys.stderr)
    elif args.statistics:
        render_statistics(results, args.format, args.unsafe_fixes, sys.stdout)
    else:
        render(results, args.format, args.unsafe_fixes, sys.stdout)
    if args.show_fixes and (args.fix or args.diff):
        render_fixes(fixed, args.diff, sys.stdout)
    if progress.enabled:
        print(summary(len(files), sum(o.analysed for o in outcomes), sum(o.cached for o in outcomes), results,
                      len(fixed), args.unsafe_fixes, args.fix or args.diff, time.monotonic() - started),
              file=sys.stderr)
    return _exit_code(args, [f for _, f in results], bool(fixed))


def _exit_code(args: argparse.Namespace, findings: Sequence[Finding], fixed: bool) -> int:
    """2 if a file was not checked; else 1 if findings remain (with --diff: if a fix would change a file)."""
    if any(f.code == ERROR_CODE for f in findings):
        return EXIT_ERROR
    if args.exit_zero:
        return EXIT_CLEAN
    if args.diff:
        return EXIT_FINDINGS if fixed else EXIT_CLEAN
    return EXIT_FINDINGS if findings else EXIT_CLEAN


def lint_stdin(args: argparse.Namespace) -> int:
    """Lint (``--fix``: fix, ``--diff``: diff) standard input as the file ``--stdin-filename`` names, as editors'
    plugins and formatters pipe a buffer in.  ``--fix`` writes the whole source, fixed or not, to standard output
    (a formatter replaces the buffer with it) and the findings left to standard error; no file is written."""
    from tf_step_lint.engine import linters
    from tf_step_lint.notebook import NotPython

    name = args.stdin_filename or "stdin.py"
    lint, fix = linters(name)
    try:
        configuration = Configuration(_command_line(args), args.config)
        if args.force_exclude and configuration.excluded_with_folders(name):
            selection = None
        else:
            selection = configuration.selection(name)
    except ConfigError as error:
        print(f"tf-step-lint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    limit = size_limit(name)
    source = sys.stdin.buffer.read(limit + 1)
    fixing = args.fix or args.diff
    findings, fixed, new = [], [], source
    try:
        if selection is None:  # excluded: passed through untouched
            pass
        elif len(source) > limit:
            findings = [Finding(ERROR_CODE, f"not checked: {TooLarge(len(source), limit)}", 1, 1)]
        elif fixing:
            result = fix(source, selection, unsafe=args.unsafe_fixes)
            findings, fixed, new = result.findings, result.fixed, result.source
        else:
            findings = lint(source, selection, edits=args.format in ("json", "sarif")).findings
    except NotPython as note:
        print(f"tf-step-lint: {name}: {note}", file=sys.stderr)
    results = [(name, finding) for finding in findings]
    if args.diff:
        sys.stdout.write((_notebook_diff if is_notebook(name) else _diff)(name, source, new) if new != source else "")
        render([r for r in results if r[1].code == ERROR_CODE], "text", args.unsafe_fixes, sys.stderr)
    elif args.fix:
        sys.stdout.buffer.write(new)
        sys.stdout.flush()
        render(results, "text", args.unsafe_fixes, sys.stderr)
    elif args.statistics:
        render_statistics(results, args.format, args.unsafe_fixes, sys.stdout)
    else:
        render(results, args.format, args.unsafe_fixes, sys.stdout)
    if args.show_fixes and fixing:
        render_fixes([(name, finding) for finding in fixed], args.diff, sys.stderr if args.fix else sys.stdout)
    return _exit_code(args, findings, bool(fixed))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tf-step-lint",
        description="Find TensorFlow Estimator training bugs that never raise. "
                    "`tf-step-lint explain [CODE]` lists the rules or prints one's documentation. Settings come "
                    "from [tool.tf-step-lint] in the nearest pyproject.toml; flags override them.")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories (default: .); - reads the source from standard input")
    parser.add_argument("--stdin-filename", metavar="PATH",
                        help="the file that standard input is (its settings apply, findings are named after it); "
                             "with --fix the fixed source goes to standard output (default: stdin.py)")
    fixing = parser.add_argument_group("fixes")
    fixing.add_argument("--fix", action="store_true", help="apply the safe fixes in place")
    fixing.add_argument("--unsafe-fixes", action="store_true",
                        help="also apply (with --fix, --diff) and mark [*] the unsafe fixes")
    fixing.add_argument("--diff", action="store_true",
                        help="print the fixes --fix would make as a unified diff; change nothing")
    fixing.add_argument("--show-fixes", action="store_true", help="list the findings fixed, per file and code")
    rules = parser.add_argument_group("rules (override [tool.tf-step-lint])")
    rules.add_argument("--select", type=_codes, metavar="CODES",
                       help="comma-separated code prefixes to report, instead of the configured ones")
    rules.add_argument("--extend-select", type=_codes, action="append", default=[], metavar="CODES",
                       help="code prefixes to report, besides the selected ones")
    rules.add_argument("--ignore", type=_codes, action="append", default=[], metavar="CODES",
                       help="code prefixes not to report")
    rules.add_argument("--per-file-ignores", type=_per_file_ignore, action="append", default=[],
                       metavar="GLOB:CODES", help="code prefixes not to report in files matching GLOB")
    rules.add_argument("--target-version", type=_version, metavar="X.Y",
                       help="the TensorFlow version the code runs on (default: target-version, else the "
                            "project's TensorFlow pin, else 2.15)")
    files = parser.add_argument_group("files")
    files.add_argument("--exclude", type=_globs, metavar="GLOBS",
                       help="comma-separated globs of files and folders not to lint, instead of the configured "
                            "(and default) ones")
    files.add_argument("--extend-exclude", type=_globs, action="append", default=[], metavar="GLOBS",
                       help="globs to exclude besides those")
    files.add_argument("--force-exclude", action="store_true",
                       help="exclude even files named on the command line (for pre-commit)")
    files.add_argument("--config", metavar="FILE",
                       help="the pyproject.toml whose [tool.tf-step-lint] applies to every file")
    out = parser.add_argument_group("output")
    out.add_argument("--format", choices=FORMATS, default="text",
                     help="text (default); json (docs/json-output.schema.json); sarif (SARIF 2.1.0, for code "
                          "scanning); github (workflow annotations)")
    out.add_argument("--statistics", action="store_true", help="count the findings per code instead of listing them")
    out.add_argument("-q", "--quiet", action="store_true",
                     help="no progress and no summary line, even in a terminal")
    out.add_argument("--exit-zero", action="store_true",
                     help="exit with 0 even when findings remain (2 still means a file or setting was bad)")
    parser.add_argument("-j", "--jobs", type=_positive, metavar="N",
                        help="files linted in parallel (default: jobs, else the number of CPUs)")
    parser.add_argument("--no-cache", action="store_true",
                        help=f"neither read nor write the result cache ({CACHE_DIRECTORY}/ in the current directory)")
    parser.add_argument("--version", action="version", version=f"tf-step-lint {__version__}")
    return parser


def _command_line(args: argparse.Namespace) -> Settings:
    return Settings(select=args.select, ignore=tuple(c for group in args.ignore for c in group),
                    extend_select=tuple(c for group in args.extend_select for c in group),
                    per_file_ignores=tuple(args.per_file_ignores), exclude=args.exclude,
                    extend_exclude=tuple(g for group in args.extend_exclude for g in group),
                    target_version=args.target_version, jobs=args.jobs)


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


def _codes(value: str) -> Tuple[str, ...]:
    try:
        return check_codes([c for c in value.split(",") if c.strip()], "the command line")
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _globs(value: str) -> Tuple[str, ...]:
    return tuple(g.strip() for g in value.split(",") if g.strip())


def _per_file_ignore(value: str) -> Tuple[str, Tuple[str, ...]]:
    glob, colon, codes = value.rpartition(":")
    if not colon or not glob:
        raise argparse.ArgumentTypeError(f"expected GLOB:CODES, not {value!r}")
    return glob, _codes(codes)


@dataclass(frozen=True)
class Outcome:
    """What one file produced; printed by the main process, in file order."""

    findings: List[Finding]
    fixed: List[Finding] = field(default_factory=list)  # the findings fixed (with --diff: that would be)
    diff: str = ""
    calls: Tuple[str, ...] = ()  # functions of other modules its model_fns build their train op with
    analysed: bool = True  # False: the prefilter showed no rule can fire here; only the syntax was checked
    cached: bool = False  # read from the result cache
    digest: Optional[str] = None  # of the bytes linted, when the outcome may be cached
    depends: Dict[str, str] = field(default_factory=dict)  # other files its result came from, and their digests
    stamp: Optional[Stamp] = None  # of the file those bytes came from, when it had settled (see cache.read_source)
    note: str = ""  # why the file was passed over (a notebook of another language): a line on stderr, no error


def lint_paths(files: List[str], selections: Sequence[Selection], jobs: int, task: "Task" = None,
               cache: Optional[ResultCache] = None, progress: Optional[Progress] = None,
               project: Optional[Sequence[str]] = None) -> List[Outcome]:
    """Lint (or fix) ``files`` as one project, each with its selection; the outcomes in file order.  ``project``:
    the files whose code other modules may be read from (default: ``files``).

    Every file is linted once, recording its model_fns' calls into other modules of the run; then only the files
    that hold such a function (or, when fixing, a fixable finding) are processed again.  Lint results come from
    ``cache`` where it has them.
    """
    task = task or Task()
    progress = progress or Progress(enabled=False)
    no_roots = frozenset()
    progress.add(len(files))
    _use_project(files if project is None else project)
    if len(files) <= 1:  # no other file to follow a train op into: one pass
        return _run(task, [(p, no_roots, s) for p, s in zip(files, selections)], jobs, cache, progress)
    first = _run(replace(task, fix=False, diff=False, collect_calls=True),
                 [(p, no_roots, s) for p, s in zip(files, selections)], jobs, cache, progress)
    roots = external_roots(files, [outcome.calls for outcome in first])
    again = [i for i, (path, outcome) in enumerate(zip(files, first))
             if path in roots or (task.fixing and any(f.fixable_at(task.unsafe) for f in outcome.findings))]
    progress.add(len(again))
    items = [(files[i], roots.get(files[i], no_roots), selections[i]) for i in again]
    redone = dict(zip(again, _run(task, items, jobs, cache, progress)))
    return [redone.get(i, outcome) for i, outcome in enumerate(first)]


Item = Tuple[str, FrozenSet[str], Selection]  # a file, the training roots other files give it, its selection
# The run's files as one project, which each process (this one, and every worker) reads other modules from.
_project: Optional[Project] = None
_project_files: Tuple[str, ...] = ()


def _use_project(files: Sequence[str]) -> None:
    global _project, _project_files
    _project_files = tuple(files)
    _project = Project(files) if len(files) > 1 else None


def _run(task: "Task", items: List[Item], jobs: int, cache: Optional[ResultCache], progress: Progress
         ) -> List[Outcome]:
    """``task`` over ``items`` in order; lint results the cache holds are not computed again, new ones are added.

    The cache is stored under the digest of the bytes the task itself read, so a file that changes meanwhile can
    never store its old findings under its new content.
    """
    if cache is None or task.fixing:
        return _map(task, items, jobs, progress)
    outcomes: List[Optional[Outcome]] = []
    for path, roots, selection in items:
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
        hit = cache.get(cache.key(source_digest, roots, task.cache_key(selection)))
        if hit and not cache.still_current(hit[3]):
            hit = None  # a module its result came from has changed
        outcomes.append(Outcome(hit[0], calls=hit[1], analysed=hit[2], cached=True) if hit else None)
        if hit:
            progress.advance()
    missing = [i for i, outcome in enumerate(outcomes) if outcome is None]
    for i, outcome in zip(missing, _map(task, [items[i] for i in missing], jobs, progress)):
        outcomes[i] = outcome
        if outcome.digest is not None:
            path, roots, selection = items[i]
            cache.put(cache.key(outcome.digest, roots, task.cache_key(selection)), outcome.findings, outcome.calls,
                      outcome.analysed, outcome.depends)
            cache.remember(path, outcome.stamp, outcome.digest)
    return outcomes


@dataclass(frozen=True)
class Task:
    """Lint (or fix) one file.  A picklable callable, so worker processes can run it."""

    fix: bool = False
    diff: bool = False
    unsafe: bool = False  # unsafe fixes too
    edits: bool = False  # compute each fix's text edits (the json and sarif outputs print them)
    collect_calls: bool = False  # also record calls into other modules (see project.py)

    @property
    def fixing(self) -> bool:
        return self.fix or self.diff

    def cache_key(self, selection: Selection) -> str:
        return lint_task(_spelled(selection), self.collect_calls, self.edits)

    def __call__(self, item: Item) -> Outcome:
        from tf_step_lint.engine import linters
        from tf_step_lint.notebook import NotPython

        path, roots, selection = item
        modules = _project.seen_from(path, selection.target) if _project is not None else NO_OTHER_MODULES
        try:
            source, stamp = read_source(path)
        except OSError as error:
            return Outcome([Finding(ERROR_CODE, f"cannot read: {error.strerror or error}", 1, 1)])
        except TooLarge as error:
            return Outcome([Finding(ERROR_CODE, f"not checked: {error}", 1, 1)])
        notebook = is_notebook(path)
        lint, fix = linters(path)
        try:
            if not self.fixing:
                linted = lint(source, selection, roots, self.collect_calls, self.edits, modules)
                depends = _project.dependencies(modules) if _project is not None else {}
                return Outcome(linted.findings, calls=tuple(linted.calls), analysed=linted.analysed,
                               digest=None if linted.note else digest(source), stamp=stamp, depends=depends,
                               note=linted.note)  # (a note is said on every run: such a result is not cached)
            result = fix(source, selection, roots, self.unsafe, modules)
        except NotPython as note:
            return Outcome([], note=str(note))
        if self.edits and any(f.fixable for f in result.findings):  # what is left to fix, as text edits too
            result = replace(result, findings=lint(result.source, selection, roots, edits=True,
                                                   modules=modules).findings)
        if result.source == source:
            return Outcome(result.findings, note=result.note)
        if self.diff:
            diff = (_notebook_diff if notebook else _diff)(path, source, result.source)
            return Outcome([], fixed=result.fixed, diff=diff, note=result.note)
        try:
            write_atomically(path, source, result.source)
        except NotWritten as error:
            return Outcome([Finding(ERROR_CODE, f"not fixed: {error}", 1, 1)] + result.findings)
        except OSError as error:
            return Outcome([Finding(ERROR_CODE, f"not fixed: {error.strerror or error}", 1, 1)] + result.findings)
        return Outcome(result.findings, fixed=result.fixed, note=result.note)


@functools.lru_cache(maxsize=None)
def _spelled(selection: Selection) -> str:
    """``repr(selection)``, worked out once: a warm run keys every file's cache entry with it."""
    return repr(selection)


def _map(function: Callable[[Item], Outcome], items: Sequence[Item], jobs: int, progress: Progress
         ) -> List[Outcome]:
    """``function`` over ``items``, results in order; worker processes only when there is enough work for them."""
    if jobs <= 1 or len(items) < 2 * jobs:
        return [_advanced(function(item), progress) for item in items]
    from concurrent.futures import ProcessPoolExecutor  # imported only when used: it costs a warm run 30 ms

    with ProcessPoolExecutor(max_workers=jobs, initializer=_use_project, initargs=(_project_files,)) as pool:
        try:
            return [_advanced(outcome, progress) for outcome in
                    pool.map(function, items, chunksize=max(1, min(16, len(items) // (4 * jobs))))]
        except BaseException:  # interrupted: let the workers finish only the files they have started
            pool.shutdown(cancel_futures=True)
            raise


def _advanced(outcome: Outcome, progress: Progress) -> Outcome:
    progress.advance()
    return outcome


def _notebook_diff(path: str, old: bytes, new: bytes) -> str:
    """The fixes of a notebook as one unified diff per cell changed, each named ``path:cell N`` (as ruff does)."""
    from tf_step_lint.notebook import read_notebook

    before, after = read_notebook(old), read_notebook(new)
    return "".join(_diff(f"{path}:cell {old_cell.index}", old_cell.text.encode(), new_cell.text.encode())
                   for old_cell, new_cell in zip(before.cells, after.cells) if old_cell.text != new_cell.text)


def _diff(path: str, old: bytes, new: bytes) -> str:
    import difflib

    from tf_step_lint.parsing import source_text

    lines = difflib.unified_diff(source_text(old).splitlines(keepends=True),
                                 source_text(new).splitlines(keepends=True), path, path)
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def explain(argv: Sequence[str]) -> int:
    """``explain``: every rule's code, name, fix safety and summary; ``explain CODE``: that rule's whole doc."""
    from tf_step_lint.docs import rule_docs

    docs = rule_docs()
    if not argv:
        width = max(len(doc.name) for doc in docs.values())
        print(f"{'code':<8}{'name':<{width + 2}}{'fix':<16}summary")
        for doc in docs.values():
            print(f"{doc.code:<8}{doc.name:<{width + 2}}{doc.fix:<16}{doc.summary}")
        return EXIT_CLEAN
    if len(argv) > 1:
        print("usage: tf-step-lint explain [CODE]", file=sys.stderr)
        return EXIT_ERROR
    code = argv[0].upper()
    if code == ERROR_CODE:  # not a rule: what the run could not check, and why, is in each message
        print(f"# {ERROR_CODE} {ERROR_NAME}\n\nA file, or a notebook cell, that could not be read, decoded, parsed or "
              "fixed; the message says why. It is always reported, makes the exit code 2, and the other files are "
              "still linted. A notebook cell Python cannot read is left out of its notebook's analysis.")
        return EXIT_CLEAN
    if code not in docs:
        print(f"tf-step-lint: unknown rule {argv[0]!r}; rules: {', '.join(docs)}", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(docs[code].text)
    return EXIT_CLEAN
