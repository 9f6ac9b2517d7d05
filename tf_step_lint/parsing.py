"""Reading code with Python's own parser, and parsing it with LibCST only to change it.

The analysis runs on ``ast``: one parse, in C, that also gives the syntax errors.  It reads the syntax of the
Python that runs tf-step-lint (3.9 reads up to 3.9, 3.12 up to 3.12); code that only a newer Python reads is told
apart from broken code by LibCST, whose parser does not depend on the host, and gets its own TSL000.

LibCST parses only a file that is being fixed.  Its native parser has no depth guard: a few thousand levels take
it minutes, and some more overflow the C stack (a segmentation fault, which no ``except`` catches).  Python's parser
has refused anything deeper than about 3,000 levels by then, except ``and``/``or`` chains, which ``ast`` keeps flat
and LibCST nests: those are measured before LibCST sees them.  LibCST's parser also slows down more than linearly on
very long files (a 100,000-line module took 27 s and 2 GB), so a long file is parsed in pieces cut before
top-level statements, then joined into one Module that prints back the original bytes.

The analyses walk trees recursively, so all of a file's work runs on one thread whose stack holds every nesting
Python's parser accepts, with the cyclic garbage collector paused (trees have no cycles).
"""
import ast
import gc
import io
import queue
import re
import signal
import symtable
import sys
import threading
import tokenize
import warnings
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, List, Optional, Set, TypeVar, Union

from tf_step_lint.files import MAX_BYTES, TooLarge

if TYPE_CHECKING:  # LibCST is imported only to fix
    import libcst as cst

PIECE_LINES = 2000  # pieces at least this long; files shorter than two pieces are parsed whole by LibCST
MAX_DEPTH = 20_000  # levels of LibCST nesting allowed; measured safe up to 100,000 on the stack below
_STACK_BYTES = 512 << 20  # address space, used only as deep as the walks go
_RECURSION_LIMIT = 30_000  # Python frames allowed on that thread: Python's deepest nesting (3,000) analysed
_PYTHON_RECURSION_LIMIT = 1000  # Python's default, under which its parser allows about 3,000 levels
_T = TypeVar("_T")


class TooDeep(Exception):
    """The source nests too deeply to be parsed safely."""


class NewerSyntax(Exception):
    """The source is valid Python, but newer than the Python running tf-step-lint reads."""

    def __init__(self, error: SyntaxError):
        super().__init__(f"this code uses syntax newer than Python {sys.version_info[0]}.{sys.version_info[1]}, "
                         f"which runs tf-step-lint ({error.msg}); run tf-step-lint with a newer Python")
        self.lineno, self.offset = error.lineno, error.offset


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector; wrap whole lint runs in it, so that the trees are freed (by reference
    counting) before it runs again, instead of being scanned by it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def recursion_limit(limit: int) -> Iterator[None]:
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


_LINE_END = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")  # after each newline Python's tokenizer knows: LF, CRLF, CR


def python_lines(text: str) -> List[str]:
    """``text``'s lines as Python numbers them, each with its newline (``str.splitlines`` also splits at form
    feeds)."""
    return _LINE_END.split(text)


def source_text(source: Union[str, bytes]) -> str:
    """``source`` decoded as Python decodes it (coding cookie, BOM); the caller has parsed it, so it decodes."""
    if isinstance(source, str):
        return source
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    return source.decode(encoding)


def parse_python(source: Union[str, bytes]) -> ast.Module:
    """``ast.parse(source)``, raising what it raises for a source Python rejects (SyntaxError, ValueError), plus
    NewerSyntax, TooDeep for nesting too deep for Python's parser, and TooLarge beyond MAX_BYTES."""
    return _read_by_python(ast.parse, source)


def check_syntax(source: Union[str, bytes]) -> None:
    """Raise what ``parse_python`` raises for ``source``, without building a tree: for files no rule can fire on.

    Python's symbol table runs the same parser and depth limits at about 70% of the cost of ``ast.parse`` (it skips
    converting the tree to Python objects), and also catches errors found after parsing (``nonlocal`` with no
    binding, ...).
    """
    _read_by_python(lambda text: symtable.symtable(text, "<source>", "exec"), source)


def _read_by_python(read: Callable[[Union[str, bytes]], _T], source: Union[str, bytes]) -> _T:
    if len(source) > MAX_BYTES:
        raise TooLarge(len(source))
    try:  # the linted code's own warnings ("invalid escape sequence") are not ours to print
        with recursion_limit(_PYTHON_RECURSION_LIMIT), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return read(source)  # the parser's depth limit follows the recursion limit: keep Python's own
    except (RecursionError, MemoryError):  # Python's parser gives up on deep nesting with these
        raise TooDeep("nested too deeply for Python's parser") from None
    except SyntaxError as error:
        if _libcst_reads(source):
            raise NewerSyntax(error) from None
        raise


def _libcst_reads(source: Union[str, bytes]) -> bool:
    """Whether LibCST's parser, which knows every syntax up to 3.12 whatever the host, accepts ``source``."""
    if sys.version_info >= (3, 12):
        return False  # nothing LibCST reads is newer than this host
    import libcst as cst

    try:
        on_big_stack(cst.parse_module, source)
    except Exception:  # noqa: BLE001 - any refusal means "not Python"
        return False
    return True


def parse_for_fix(source: bytes, tree: ast.Module) -> "cst.Module":
    """LibCST's tree of ``source`` (whose ``ast`` is ``tree``), in time linear in its length.

    Raises TooDeep for ``and``/``or`` chains nested deeper than LibCST's parser can safely go, and LibCST's errors
    for what only LibCST rejects.
    """
    if _libcst_depth(tree) > MAX_DEPTH:
        raise TooDeep(f"nested more than {MAX_DEPTH:,} levels deep for LibCST, which fixes files")
    return on_big_stack(_parse_module, source, tree)


def _parse_module(source: bytes, tree: ast.Module) -> "cst.Module":
    import libcst as cst

    if source.count(b"\n") >= 2 * PIECE_LINES:
        module = _parse_in_pieces(source, tree)
        if module is not None:
            return module
    return cst.parse_module(source)


def _libcst_depth(tree: ast.AST) -> int:
    """The nesting depth of ``tree`` as LibCST builds it, where ``a and b and c`` is two levels, not one."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.BoolOp):
            depth += len(node.values) - 2
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def on_big_stack(function: Callable[..., _T], *args) -> _T:
    """``function(*args)`` with the collector paused, on a thread whose stack holds every nesting Python's parser
    accepts, walked recursively, and MAX_DEPTH levels of LibCST's native parser.

    One thread serves the whole process: a new thread per file would cost its set-up each time.  Callers hand it a
    whole file's work (parse, analysis, fixes), so a file costs one hand-over.  After a fork the thread is gone, and
    is started again.
    """
    global _worker_thread
    if threading.current_thread() is _worker_thread:
        with collector_paused():
            return function(*args)
    if _worker_thread is None or not _worker_thread.is_alive():
        previous = threading.stack_size(_STACK_BYTES)
        try:
            _worker_thread = threading.Thread(target=_serve, name="tf-step-lint-worker", daemon=True)
            _worker_thread.start()
        finally:
            threading.stack_size(previous)
    answer: "queue.SimpleQueue" = queue.SimpleQueue()
    _requests.put((function, args, answer))
    succeeded, value = answer.get()
    if not succeeded:
        raise value
    return value


_requests: "queue.SimpleQueue" = queue.SimpleQueue()
_worker_thread: Optional[threading.Thread] = None


def wait_for_worker() -> None:
    """Return once the thread has finished the file it is on: after an interruption, Python must not shut down
    under LibCST's native code (it aborts the process)."""
    if _worker_thread is not None and _worker_thread.is_alive():
        on_big_stack(int)


def _serve() -> None:
    if hasattr(signal, "pthread_sigmask"):  # signals go to the main thread, which alone handles them (and can hold
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})  # them: files.write_atomically)
    while True:
        function, args, answer = _requests.get()
        try:  # trees are walked recursively, and this stack holds far more than Python's default allows
            with recursion_limit(_RECURSION_LIMIT), collector_paused():  # (callers wait, so only this thread runs)
                outcome = (True, function(*args))
        except BaseException as error:  # handed to the caller, whatever it is
            outcome = (False, error)
        answer.put(outcome)  # only now, with the limit and the collector restored, may the caller go on


def _parse_in_pieces(source: bytes, tree: ast.Module) -> "Optional[cst.Module]":
    import libcst as cst

    cuts = _cut_lines(tree)
    if not cuts:
        return None
    lines = source.splitlines(keepends=True)
    bounds = [0, *(c - 1 for c in cuts), len(lines)]
    try:
        pieces = [cst.parse_module(b"".join(lines[a:b])) for a, b in zip(bounds, bounds[1:])]
    except (cst.ParserSyntaxError, UnicodeDecodeError, LookupError, ValueError):
        return None  # the whole parse reports it properly
    indented = [p for p in pieces if any(isinstance(getattr(s, "body", None), cst.IndentedBlock) for s in p.body)]
    if (any(not piece.body for piece in pieces[1:])
            or len({(p.encoding, p.default_newline) for p in pieces}) > 1
            or len({p.default_indent for p in indented}) > 1):
        return None
    body: List[cst.BaseStatement] = list(pieces[0].body)
    carried = list(pieces[0].footer)
    for piece in pieces[1:]:  # comments between pieces belong to the next statement, as in a whole parse
        first = piece.body[0]
        body.append(first.with_changes(leading_lines=[*carried, *piece.header, *first.leading_lines]))
        body.extend(piece.body[1:])
        carried = list(piece.footer)
    return pieces[0].with_changes(body=body, footer=carried, has_trailing_newline=pieces[-1].has_trailing_newline,
                                  default_indent=(indented or pieces)[0].default_indent)


def _cut_lines(tree: ast.Module) -> List[int]:
    """1-based lines to cut before: starts of top-level statements, about PIECE_LINES apart."""
    cuts: List[int] = []
    last = 1
    for statement in tree.body:
        start = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
        if statement.col_offset == 0 and start - last >= PIECE_LINES:
            cuts.append(start)
            last = start
    return cuts


# -- version probes -----------------------------------------------------------------------------------------
# Code that asks which TensorFlow it runs on reads APIs of several versions on purpose: ``try: tf.contrib... except
# AttributeError``, ``if hasattr(tf.compat, "v1"): tf.compat.v1...``.  Both the analysis and the target detection
# leave such reads out.
_MISSING_API_ERRORS = frozenset({"AttributeError", "ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
# `executing_eagerly`: eager by default is what TF2 is, so code tells the two apart with it (its else: the TF1 path).
_VERSION_WORDS = ("version", "tf2", "tf1", "hasattr", "executing_eagerly")


def catches_missing_api(caught: Optional[ast.expr]) -> bool:
    """An ``except`` clause for an API that may be missing (a bare except too)."""
    if caught is None:  # a bare except
        return True
    if isinstance(caught, ast.Tuple):
        return any(catches_missing_api(element) for element in caught.elts)
    name = caught.attr if isinstance(caught, ast.Attribute) else getattr(caught, "id", None)
    return name in _MISSING_API_ERRORS


def asks_for_version(test: ast.expr, children: Callable[[ast.AST], Iterable[ast.AST]] = ast.iter_child_nodes
                     ) -> bool:
    """`tf.__version__ < "2"`, `_IS_TF2`, `hasattr(tf, "contrib")`, `LooseVersion(tf.VERSION) ...`.  ``children``:
    the analysis's own child walk (not ast.walk: every `if` asks this, and the generic walk cost 8% of a whole
    analysis)."""
    stack = [test]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Name, ast.Attribute)):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if any(word in name.lower() for word in _VERSION_WORDS):
                return True
        stack.extend(children(node))
    return False


def version_probe_lines(tree: ast.Module) -> Set[int]:
    """The lines of code that runs only as a version probe says: the body of a ``try`` that catches a missing API,
    and both branches of an ``if`` that asks for the version."""
    lines: Set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(catches_missing_api(h.type) for h in node.handlers):
            probed = node.body
        elif isinstance(node, ast.If) and asks_for_version(node.test):
            probed = [*node.body, *node.orelse]
        else:
            continue
        for statement in probed:
            lines.update(range(statement.lineno, (statement.end_lineno or statement.lineno) + 1))
    return lines
