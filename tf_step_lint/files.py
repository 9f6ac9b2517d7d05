"""Which files a run lints, how it reads them, and how a fix is written back.

A repository can hold anything: symlinks to elsewhere or to themselves, FIFOs and devices named ``*.py``, files
that change or vanish while the run goes on.  So walking never follows a symlink (a link given on the command line
is followed: that is asking for it), only regular files are read, and a fix replaces a file only through a complete
temporary copy and an atomic rename, after checking that the file still holds what was linted.
"""
import errno
import os
import signal
import stat
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

from tf_step_lint.codes import ERROR_CODE
from tf_step_lint.finding import Finding

CACHE_DIRECTORY = ".tf_step_lint_cache"
MAX_BYTES = 8 << 20  # larger files are not parsed at all: Python's parser took 62 s and 8.5 GB on a 50 MB one
NOTEBOOK = ".ipynb"
MAX_NOTEBOOK_BYTES = 512 << 20  # a notebook's outputs may be large; its code is held to MAX_BYTES
RACY_SECONDS = 3  # a file changed this recently when read is read again next time (FAT's mtime is 2 s coarse)
Stamp = Tuple[int, int, int, int, int]


class TooLarge(Exception):
    """The source is over MAX_BYTES."""

    def __init__(self, size: int, limit: int = MAX_BYTES):
        super().__init__(f"{size / (1 << 20):.1f} MB is over the {limit >> 20} MB limit")


# -- which files ---------------------------------------------------------------------------------------
def collect_files(paths: Sequence[str], excluded: Callable[[str], bool],
                  given_excluded: Optional[Callable[[str], bool]] = None
                  ) -> Tuple[List[str], List[Tuple[str, Finding]]]:
    """Python files under ``paths`` in a stable order, each once; given files are taken whatever their suffix.

    ``excluded`` prunes the walk (files and folders); ``given_excluded`` drops given paths (ruff's --force-exclude).
    """
    files, errors = [], []
    for given in paths:
        if given_excluded is not None and given_excluded(given):
            continue
        try:
            status = os.stat(given)  # follows a given symlink
        except OSError as error:
            errors.append((given, Finding(ERROR_CODE, _reason(error), 1, 1)))
            continue
        if stat.S_ISDIR(status.st_mode):
            files.extend(sorted(_walk(given, excluded)))
        elif stat.S_ISREG(status.st_mode):
            files.append(given)
        else:
            errors.append((given, Finding(ERROR_CODE, "cannot read: not a regular file", 1, 1)))
    if len(paths) == 1:  # a walk follows no symlink, so it meets each file once: no need to resolve them all
        return files, errors
    seen, unique = set(), []
    for path in files:  # the same file under two spellings is linted (and fixed) once
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            unique.append(path)
    return unique, errors


def _reason(error: OSError) -> str:
    if error.errno == errno.ENOENT:
        return "no such file or directory"
    return f"cannot read: {error.strerror or error}"


def _walk(root: str, excluded: Callable[[str], bool]) -> Iterator[str]:
    """Regular ``*.py`` and ``*.ipynb`` files under ``root``; symlinks are not followed, so a walk never leaves
    ``root`` or loops.  Virtualenvs and the cache are never walked into, whatever the exclusions say."""
    pending = [root]
    while pending:
        directory = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:  # vanished or unreadable meanwhile: nothing to lint in it
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if (entry.name != CACHE_DIRECTORY and not excluded(entry.path)
                            and not os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))):
                        pending.append(entry.path)
                elif (entry.name.endswith((".py", NOTEBOOK)) and entry.is_file(follow_symlinks=False)
                      and not excluded(entry.path)):
                    yield os.path.normpath(entry.path)
            except OSError:
                continue


def is_notebook(path: str) -> bool:
    return path.endswith(NOTEBOOK)


def size_limit(path: str) -> int:
    """The most bytes read of ``path``: a notebook's outputs may be large (its code is still held to MAX_BYTES)."""
    return MAX_NOTEBOOK_BYTES if is_notebook(path) else MAX_BYTES


# -- reading -------------------------------------------------------------------------------------------
def stamp_of(status: os.stat_result) -> Stamp:
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns


def read_source(path: str) -> Tuple[bytes, Optional[Stamp]]:
    """The file's bytes, and its stamp if it had not changed for RACY_SECONDS when read (else None).

    Opened without blocking, and read only if it is a regular file no larger than MAX_BYTES (a notebook:
    MAX_NOTEBOOK_BYTES): a FIFO put in the file's place would block a plain ``open`` forever, and a device would
    never end.
    """
    limit = size_limit(path)
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with open(descriptor, "rb") as file:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if status.st_size > limit:
            raise TooLarge(status.st_size, limit)
        source = file.read(limit + 1)
    if len(source) > limit:  # it grew while being read
        raise TooLarge(len(source), limit)
    settled = time.time_ns() - max(status.st_mtime_ns, status.st_ctime_ns) > RACY_SECONDS * 1_000_000_000
    return source, stamp_of(status) if settled else None


# -- writing -------------------------------------------------------------------------------------------
class NotWritten(Exception):
    """A fix was not written; the message says why, and the file is as it was."""


def write_atomically(path: str, expected: bytes, new: bytes) -> None:
    """Replace the file at ``path`` (the file a symlink points to) with ``new``, keeping its mode and owner.

    ``new`` goes to a temporary file in the same directory, is flushed to disk, and replaces the file in one rename,
    so an interruption at any moment leaves either the old bytes or the new.  Refuses a read-only file, one that
    no longer holds ``expected``, and a ``new`` that does not parse.
    """
    import ast
    import tempfile  # only a run that writes pays for importing these

    try:
        ast.parse(new)  # Python's own parser: this layer sits below tf-step-lint's parsing
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise NotWritten(f"the fixed source would not parse ({error})") from None
    target = Path(os.path.realpath(path))
    status = target.stat()
    mode = stat.S_IMODE(status.st_mode)
    if not mode & 0o222 or not os.access(target, os.W_OK):
        raise NotWritten("the file is read-only")
    with _interruptions_held():  # Ctrl-C between creating the temporary file and the try would leave it behind
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                                 suffix=".tf-step-lint")
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.write(new)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, mode)
            if hasattr(os, "chown") and (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
                try:
                    os.chown(temporary, status.st_uid, status.st_gid)
                except PermissionError:
                    raise NotWritten("the fixed file could not keep its owner") from None
            if target.read_bytes() != expected:
                raise NotWritten("the file changed while it was being fixed")
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise
    _sync_directory(target.parent)


@contextmanager
def _interruptions_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is left (POSIX), then interrupt as usual: a temporary file is
    always either renamed or removed.  The process's other thread (parsing.py's) blocks them for good, so the
    kernel hands them to this one."""
    held = {signal.SIGINT, signal.SIGTERM}
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); where a directory cannot be opened, the rename is still atomic."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
