"""Benchmark tf-step-lint against Python's parse, TorchFix, ruff and flake8, on one machine in one run.

    python scripts/benchmark.py real PATH [PATH ...]   # real code: every target of the engine, with its ratio
                                                        # (--baseline DIR: another checkout's cold run beside it)
    python scripts/benchmark.py synthetic [--files N]   # a generated tree (deterministic), and its training/ part
    python scripts/benchmark.py big-file                # one generated 10k- and 100k-line file: is cost linear?
    python scripts/benchmark.py server [--files N]      # the language server: latency after a change, memory
    python scripts/benchmark.py notebook                # a 30 MB notebook of images against its 200 lines of code

Every measurement is a separate process, timed by wall clock, with its peak memory (the largest resident set of
the process and of the workers it waited for), except the in-process re-analysis, which is what a language server
does.  tf-step-lint runs from a fresh working directory, so "cold" starts with an empty cache and "warm" reuses the
cache of a cold run.  Needs flake8 and tf-step-lint installed in the Python that runs it; TorchFix and ruff are
found on PATH, or given with --torchfix and --ruff (a TorchFix in its own virtualenv keeps its LibCST pin away).
Each command compared is printed with its result.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from synthetic_tree import write_big_file, write_training_file, write_tree  # noqa: E402

Row = Tuple[str, float, float, str]  # what, seconds, peak MB, the command


def measure(command: List[str], cwd: Optional[str] = None) -> Tuple[float, float]:
    """(seconds, peak MB) of one run of ``command``."""
    with tempfile.TemporaryFile() as errors:  # a pipe read only after the wait blocks a child that writes 64 KB
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    # tf-step-lint exits 2 when a file Python cannot parse is among those read (a TSL000), as real trees hold
    parse_errors_only = process.returncode == 2 and "tf_step_lint" in command and "usage:" not in stderr
    if process.returncode not in (0, 1) and not parse_errors_only:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024


def parse_floor(paths: List[str], parser: str) -> None:
    """Parse every .py file under ``paths`` with ``parser`` (ast or libcst), one after another."""
    if parser == "libcst":
        import libcst
        parse = libcst.parse_module
    else:
        import ast
        parse = ast.parse
    for root in paths:
        for path in sorted(Path(root).rglob("*.py")) if Path(root).is_dir() else [Path(root)]:
            try:
                parse(path.read_bytes())
            except Exception:  # a file the parser rejects costs what it cost
                pass


def _lint(tree: str, jobs: int, *extra: str, code: Optional[str] = None) -> List[str]:
    """The tf-step-lint command; ``code``: a checkout of another version to run instead (``--baseline``)."""
    command = [sys.executable, "-m", "tf_step_lint", "-j", str(jobs), *extra, os.path.abspath(tree)]
    return ["env", f"PYTHONPATH={os.path.abspath(code)}", *command] if code else command


def cold(command: List[str], runs: int = 3) -> Tuple[float, float]:
    """The median of ``runs`` cold runs, each from a new working directory (so with an empty cache)."""
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cwd:
            results.append(measure(command, cwd=cwd))
    return sorted(results)[runs // 2]


class Tools:
    def __init__(self, torchfix: Optional[str], ruff: Optional[str], baseline: Optional[str] = None):
        self.torchfix = torchfix or shutil.which("torchfix")
        self.ruff = ruff or shutil.which("ruff")
        self.baseline = baseline

    def rows(self, tree: str, jobs: int) -> List[Row]:
        rows: List[Row] = []

        def add(name: str, command: List[str], runs: int = 1, cwd: Optional[str] = None) -> None:
            seconds, peak = cold(command, runs) if runs > 1 else measure(command, cwd=cwd)
            rows.append((name, seconds, peak, " ".join(command)))

        add("ast.parse of every file (1 process)", [sys.executable, __file__, "_parse", "ast", tree])
        add("LibCST parse of every file (1 process)", [sys.executable, __file__, "_parse", "libcst", tree])
        add("tf-step-lint cold -j1 (median of 3)", _lint(tree, 1), runs=3)
        add(f"tf-step-lint cold -j{jobs} (median of 3)", _lint(tree, jobs), runs=3)
        if self.baseline:
            add(f"baseline tf-step-lint cold -j{jobs} (median of 3)", _lint(tree, jobs, code=self.baseline), runs=3)
        with tempfile.TemporaryDirectory() as cwd:
            measure(_lint(tree, jobs), cwd=cwd)
            warm = sorted(measure(_lint(tree, jobs), cwd=cwd) for _ in range(3))[1]
            rows.append((f"tf-step-lint warm -j{jobs} (cache, nothing changed; median of 3)", *warm,
                         " ".join(_lint(tree, jobs))))
        if self.torchfix:
            add("TorchFix", [self.torchfix, tree])
        if self.ruff:
            add("ruff check (no cache)", [self.ruff, "check", "--no-cache", "--exit-zero", "--quiet", tree])
        flake8 = [sys.executable, "-m", "flake8", "--jobs", str(jobs), "--exit-zero"]
        add(f"flake8 --select F (-j{jobs})", flake8 + ["--select", "F", tree])
        add(f"flake8 --select F,TSL (-j{jobs})", flake8 + ["--select", "F,TSL", tree])
        return rows


def print_table(title: str, tree: str, rows: List[Row]) -> None:
    files = sum(1 for _ in Path(tree).rglob("*.py"))
    lines = sum(p.read_bytes().count(b"\n") for p in Path(tree).rglob("*.py"))
    floor = rows[0][1]
    print(f"\n{title}: {files} files, {lines} lines\n")
    print("| run | time (s) | × ast.parse | peak MB |")
    print("|---|---:|---:|---:|")
    for name, seconds, peak, _ in rows:
        print(f"| {name} | {seconds:.2f} | {seconds / floor:.2f} | {peak:.0f} |")
    print("\nCommands:")
    for name, _, _, command in rows:
        print(f"- {name}: `{command}`")


def _time(rows: List[Row], prefix: str) -> Optional[float]:
    return next((seconds for name, seconds, _, _ in rows if name.startswith(prefix)), None)


def _peak(rows: List[Row]) -> float:
    return max(peak for name, _, peak, _ in rows if name.startswith("tf-step-lint"))


def _ratio(target: str, numerator: Optional[float], denominator: Optional[float], goal: str) -> None:
    value = f"{numerator / denominator:.3f}" if numerator is not None and denominator else "n/a (tool missing)"
    print(f"| {target} | {value} | {goal} |")


def in_process(lines: int = 2000, runs: int = 20) -> float:
    """Median seconds to lint one ``lines``-line training file again in this process (as the language server
    does after each change), after one warm-up run; the source is edited by one line each time."""
    from tf_step_lint.engine import lint_source

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch, "training.py")
        write_training_file(path, lines)
        source = path.read_text()
    lint_source(source)
    times = []
    for run in range(runs):
        edited = source + f"\nEDIT_{run} = {run}\n"
        start = time.perf_counter()
        lint_source(edited)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def one_small_file() -> float:
    """Median wall time of 5 runs of tf-step-lint on one small training file, without the cache."""
    path = Path(__file__).resolve().parent.parent / "examples" / "bert_style_classifier.py"
    return sorted(measure([sys.executable, "-m", "tf_step_lint", "--no-cache", str(path)])[0] for _ in range(5))[2]


def fix_cost(tree: str, jobs: int) -> Tuple[float, float, int, int]:
    """(lint-only seconds, --fix seconds, files fixable, files): a copy of ``tree`` where 1% of the files (at least
    one) are replaced by a training module with a missing global step, linted, then fixed, each cold.  TSL302 is
    left out of both runs: real TF1 code holds many of its fixes, which would make far more than 1% fixable."""
    example = (Path(__file__).resolve().parent.parent / "examples" / "bert_style_classifier.py").read_bytes()
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch, "tree")
        shutil.copytree(tree, copy, ignore=shutil.ignore_patterns(".git"))
        files = sorted(copy.rglob("*.py"))
        for path in files[::100] or files[:1]:
            path.write_bytes(example)
        command = _lint(str(copy), jobs, "--no-cache", "--ignore", "TSL302")
        listing = subprocess.run(command, cwd=scratch, capture_output=True, text=True).stdout
        fixable = len({line.split(":", 1)[0] for line in listing.splitlines() if " [*] " in line})
        lint = cold(command)[0]
        fixed = shutil.copytree(copy, Path(scratch, "fixed"))
        fix = measure(_lint(str(fixed), jobs, "--no-cache", "--ignore", "TSL302", "--fix"), cwd=scratch)[0]
    return lint, fix, fixable, len(files)


def training_files(paths: List[str], into: Path) -> Path:
    """Copy the files under ``paths`` that need analysis (the prefilter lets some rule run) into ``into``."""
    from tf_step_lint.engine import rules_that_may_fire

    for root in paths:
        for path in sorted(Path(root).rglob("*.py")):
            source = path.read_bytes()
            if rules_that_may_fire(source):
                target = into / path.relative_to(root).parent / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source)
    return into


def targets(whole: List[Row], training: List[Row], jobs: int, fix: Tuple[float, float, int, int], reanalysis: float
            ) -> None:
    coldn = f"tf-step-lint cold -j{jobs}"
    print("\n| target | measured | goal |")
    print("|---|---:|---|")
    _ratio(f"training files: cold -j{jobs} / TorchFix", _time(training, coldn), _time(training, "TorchFix"), "≤ 0.15")
    _ratio(f"training files: cold -j{jobs} / ast.parse", _time(training, coldn), _time(training, "ast.parse"),
           "about 2")
    _ratio(f"whole tree: cold -j{jobs} / TorchFix", _time(whole, coldn), _time(whole, "TorchFix"), "≤ 0.10")
    if _time(whole, "baseline"):
        _ratio(f"whole tree: cold -j{jobs} / the baseline's", _time(whole, coldn), _time(whole, "baseline"), "≤ 1.10")
        _ratio(f"training files: cold -j{jobs} / the baseline's", _time(training, coldn), _time(training, "baseline"),
               "≤ 1.10")
    _ratio(f"whole tree: cold -j{jobs} / ruff", _time(whole, coldn), _time(whole, "ruff"), "≤ 5 (stretch)")
    print(f"| peak MB, tf-step-lint | {max(_peak(whole), _peak(training)):.0f} | < 300 |")
    print(f"| 2,000-line training file re-analysed in-process (ms) | {reanalysis * 1000:.1f} | ≤ 40 |")
    print(f"| one small training file, start to finish (s) | {one_small_file():.2f} | ≤ 0.5 |")
    _ratio(f"whole tree: cold -j1 / -j{jobs}", _time(whole, "tf-step-lint cold -j1"), _time(whole, coldn),
           "≥ 1.7 on 2 cores")
    lint, fixed, fixable, files = fix
    _ratio(f"--fix, {fixable} of {files} files fixable / lint only", fixed, lint, "≤ 1.2 (1% fixable)")
    _ratio(f"warm cache / cold -j{jobs}", _time(whole, "tf-step-lint warm"), _time(whole, coldn), "≤ 0.05")
    _ratio("flake8 F,TSL / flake8 F", _time(whole, "flake8 --select F,TSL"), _time(whole, "flake8 --select F ("),
           "≤ 1.15")


def big_file(directory: Path) -> None:
    print("\n| file | ast.parse (s) | tf-step-lint -j1 (s) | × parse | peak MB |")
    print("|---|---:|---:|---:|---:|")
    times = {}
    for lines in (10_000, 100_000):
        path = directory / f"big_{lines}.py"
        write_big_file(path, lines)
        parse, _ = measure([sys.executable, __file__, "_parse", "ast", str(path)])
        lint, peak = measure([sys.executable, "-m", "tf_step_lint", "--no-cache", "-j1", str(path)])
        times[lines] = lint
        print(f"| {lines:,} lines | {parse:.2f} | {lint:.2f} | {lint / parse:.2f} | {peak:.0f} |")
    print(f"\n100k-line file / 10k-line file: {times[100_000] / times[10_000]:.1f}× (goal ≤ 12×)")


def server(files: int, changes: int = 20) -> None:
    """`tf-step-lint server` as an editor meets it, over stdio (needs the [lsp] extra): a generated workspace of
    ``files`` files is opened (its scan read to the end), then a 2,000-line training file in it is changed by one
    line ``changes`` times; each change is timed from the didChange sent to its diagnostics received."""
    import asyncio

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch, "workspace")
        write_tree(root, files - 1)
        training = root / "editing" / "training.py"
        training.parent.mkdir()
        write_training_file(training, 2000)
        opened, peak, latencies, findings = asyncio.run(_drive_server(root, training, changes))
        small = Path(scratch, "small")
        small.mkdir()
        starts = {"a small workspace": first_diagnostics(small), f"a {files:,}-file workspace": first_diagnostics(root)}
    print("\n| from process start to the first diagnostics of the 40-line example (median of 5) | server (s) | "
          "CLI's whole run on the file (s) | ratio | goal |")
    print("|---|---:|---:|---:|---|")
    for where, (served, linted) in starts.items():
        print(f"| in {where} | {served:.3f} | {linted:.3f} | {served / linted:.2f}× | ≤ 2× |")
    print(f"\n| language server, {files:,}-file workspace | measured | goal |")
    print("|---|---:|---|")
    print(f"| workspace opened: every file read (s) | {opened:.1f} | |")
    print(f"| peak MB of the server, workspace open and the file checked | {peak:.0f} | < 300 |")
    print(f"| one-line change to a 2,000-line training file ({findings} findings) to its diagnostics, median "
          f"of {changes} (ms) | {statistics.median(latencies) * 1000:.0f} | ≤ 150 |")
    print(f"| the same, slowest (ms) | {max(latencies) * 1000:.0f} | |")


def first_diagnostics(root: Path, runs: int = 5) -> Tuple[float, float]:
    """Medians of ``runs``: seconds from starting `tf-step-lint server` in ``root`` to the first diagnostics of
    the README's 40-line example opened in it, and of the CLI's whole run on that file (both cold: no cache);
    taken in turns, so that both meet the same machine."""
    example = root / "bert_style_classifier.py"
    shutil.copy(ROOT / "examples" / example.name, example)
    served, linted = [], []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tf_step_lint", "--no-cache", example.name], cwd=root,
                       capture_output=True, check=False)
        linted.append(time.perf_counter() - started)
        served.append(_first_diagnostics_once(root, example))
    example.unlink()
    return statistics.median(served), statistics.median(linted)


def _first_diagnostics_once(root: Path, example: Path) -> float:
    """A client in plain JSON-RPC, so that the clock measures the server alone."""
    def send(message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        process.stdin.flush()

    def receive() -> dict:
        length = 0
        while True:
            line = process.stdout.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(process.stdout.read(length))

    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "tf_step_lint", "server"], cwd=root, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    send({"id": 1, "method": "initialize", "params": {"capabilities": {}, "workspaceFolders": [
        {"uri": root.as_uri(), "name": root.name}]}})
    while receive().get("id") != 1:
        pass
    send({"method": "initialized", "params": {}})
    send({"method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": example.as_uri(), "languageId": "python", "version": 1, "text": example.read_text()}}})
    while True:
        message = receive()
        if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == example.as_uri():
            elapsed = time.perf_counter() - started
            break
    send({"id": 2, "method": "shutdown"})
    while receive().get("id") != 2:
        pass
    send({"method": "exit"})
    process.wait(30)
    return elapsed


async def _drive_server(root: Path, training: Path, changes: int) -> Tuple[float, float, List[float], int]:
    import asyncio

    from lsprotocol import types
    from pygls.lsp.client import LanguageClient

    client = LanguageClient("benchmark", "1")
    published: "asyncio.Queue[types.PublishDiagnosticsParams]" = asyncio.Queue()
    scanned = asyncio.Event()
    client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda params: published.put_nowait(params))
    client.feature(types.WINDOW_LOG_MESSAGE)(
        lambda params: scanned.set() if "files of the workspace" in params.message else None)
    await client.start_io(sys.executable, "-m", "tf_step_lint", "server", cwd=str(root))
    started = time.perf_counter()
    await client.initialize_async(types.InitializeParams(
        types.ClientCapabilities(), workspace_folders=[types.WorkspaceFolder(root.as_uri(), "workspace")]))
    client.initialized(types.InitializedParams())
    await asyncio.wait_for(scanned.wait(), 600)
    opened = time.perf_counter() - started
    uri, text = training.as_uri(), training.read_text()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text)))

    async def diagnostics(version: int) -> types.PublishDiagnosticsParams:
        while True:
            params = await asyncio.wait_for(published.get(), 60)
            if params.uri == uri and params.version == version:
                return params

    findings = len((await diagnostics(1)).diagnostics)
    middle = len(text.splitlines()) // 2
    latencies = []
    for version in range(2, changes + 2):
        line = types.Range(types.Position(middle, 0), types.Position(middle, 0))
        sent = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version, uri),
            [types.TextDocumentContentChangePartial(line, f"EDITED_{version} = {version}\n")]))
        await diagnostics(version)
        latencies.append(time.perf_counter() - sent)
    peak = _peak_of(client._server.pid)
    await client.shutdown_async(None)
    client.exit(None)
    await client._server.wait()
    return opened, peak, latencies, findings


def _peak_of(pid: int) -> float:
    """The peak resident set (VmHWM) of a running process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def notebook(directory: Path, runs: int = 5) -> None:
    """A notebook of 30 MB of image outputs around 200 lines of training code, against those 200 lines as a .py
    file: outputs must not cost time.  Each is linted cold (no cache) ``runs`` times; medians."""
    import base64
    import json
    import random

    code = directory / "training.py"
    write_training_file(code, 200)
    lines = code.read_text().splitlines(keepends=True)
    rng = random.Random(0)
    image = base64.b64encode(rng.randbytes(300_000)).decode()
    sources = [[]]
    for line in lines:  # a cell of at least 15 lines ends before a top-level statement
        if len(sources[-1]) >= 15 and line[:1].strip() and not line.startswith((")", "@")):
            sources.append([])
        sources[-1].append(line)
    outputs = [{"output_type": "display_data", "metadata": {},
                "data": {"image/png": image, "text/plain": ["<Figure>"]}}]
    cells = [{"cell_type": "code", "execution_count": number, "id": f"c{number}", "metadata": {}, "source": source,
              "outputs": outputs * (75 // len(sources) + 1)} for number, source in enumerate(sources, 1)]
    path = directory / "images.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1))
    command = [sys.executable, "-m", "tf_step_lint", "--no-cache", "-q"]
    py = statistics.median(measure([*command, str(code)])[0] for _ in range(runs))
    nb = statistics.median(measure([*command, str(path)])[0] for _ in range(runs))
    print(f"\n| {len(lines)} lines of training code | size | lint, cold (s) |")
    print("|---|---:|---:|")
    print(f"| as a .py file | {code.stat().st_size / 1e3:.0f} kB | {py:.2f} |")
    print(f"| in a notebook with {sum(len(c['outputs']) for c in cells)} image outputs | "
          f"{path.stat().st_size / 1e6:.0f} MB | {nb:.2f} |")
    print(f"\nnotebook / .py: {nb / py:.2f} (goal: about 1)")


def report(title: str, paths: List[str], tools: Tools, jobs: int, scratch: str) -> None:
    tree = paths[0] if len(paths) == 1 else _joined(paths, Path(scratch, "joined"))
    whole = tools.rows(tree, jobs)
    print_table(title, tree, whole)
    training_tree = training_files([tree], Path(scratch, "training"))
    training = tools.rows(str(training_tree), jobs)
    print_table(f"{title}, only its files that need analysis", str(training_tree), training)
    targets(whole, training, jobs, fix_cost(tree, jobs), in_process())


def _joined(paths: List[str], into: Path) -> str:
    for number, path in enumerate(paths):
        shutil.copytree(path, into / f"{number}_{Path(path).name}", ignore=shutil.ignore_patterns(".git"))
    return str(into)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    real = sub.add_parser("real")
    real.add_argument("paths", nargs="+")
    synthetic = sub.add_parser("synthetic")
    synthetic.add_argument("--files", type=int, default=3000)
    sub.add_parser("big-file")
    sub.add_parser("notebook")
    lsp = sub.add_parser("server")
    lsp.add_argument("--files", type=int, default=1000)
    floor = sub.add_parser("_parse")
    floor.add_argument("parser", choices=("ast", "libcst"))
    floor.add_argument("paths", nargs="+")
    for mode in (real, synthetic):
        mode.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
        mode.add_argument("--torchfix", help="the torchfix command (default: on PATH)")
        mode.add_argument("--ruff", help="the ruff command (default: on PATH)")
        mode.add_argument("--baseline", metavar="DIR", help="a checkout of another version of tf-step-lint to time "
                          "beside this one (its cold run, and the ratio)")
    args = parser.parse_args()

    if args.mode == "_parse":
        parse_floor(args.paths, args.parser)
        return 0
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if args.mode == "server":
        server(args.files)
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        if args.mode == "big-file":
            big_file(Path(scratch))
            return 0
        if args.mode == "notebook":
            notebook(Path(scratch))
            return 0
        tools = Tools(args.torchfix, args.ruff, args.baseline)
        if args.mode == "real":
            report("Real code", args.paths, tools, args.jobs, scratch)
            return 0
        root = Path(scratch, "tree")
        write_tree(root, args.files)
        report("Synthetic tree (scripts/synthetic_tree.py, seed 0)", [str(root)], tools, args.jobs, scratch)
        larger = Path(scratch, "larger")
        write_tree(larger, args.files * 4, seed=1)
        with tempfile.TemporaryDirectory() as cwd:
            seconds, peak = measure(_lint(str(larger), args.jobs), cwd=cwd)
        print(f"\nThe tree 4× larger, cold -j{args.jobs}: {seconds:.1f} s, peak {peak:.0f} MB (goal: flat memory)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
