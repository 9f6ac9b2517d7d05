"""The result cache: an unchanged file is not parsed again.

Entries are keyed by a hash of the file's bytes plus what else its findings depend on (the training roots other
files give it, whether its cross-module calls or its fixes' edits were asked for, its selected rules and
target).  One JSON file per version of the tool (its version and the installed package's own files) holds them;
a run loads it once and saves it once, through a temporary file and an atomic rename, so concurrent runs can only
lose each other's new entries, never corrupt the file.  Anything that does not read back exactly as written (corrupt
JSON, another version's file, a malformed entry) is ignored and rebuilt: a bad cache costs time, never a finding.
A cache directory that is a symlink (committed to a repository, say) is neither read nor written.

So that a warm run need not even read an unchanged file, the cache also remembers each file's content digest under
its stamp (device, inode, size, mtime and ctime), as git's index does. A write always moves the ctime, which no tool
can set back; a stamp is only remembered when the file was last changed well before it was read, so a second write
within the filesystem's timestamp granularity cannot go unseen (git's "racy" rule).
"""
import hashlib
import json
import os
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Tuple

from tf_step_lint import __version__
from tf_step_lint.files import Stamp, TooLarge, read_source, stamp_of
from tf_step_lint.finding import SAFE, UNSAFE, Edit, Finding, Fix

MAX_ENTRIES = 50_000  # beyond this, a save keeps only the entries this run used
_PACKAGE = Path(__file__).resolve().parent


def digest(source: bytes) -> str:
    return hashlib.blake2b(source, digest_size=20).hexdigest()


def lint_task(selection: str, collect_calls: bool, edits: bool) -> str:
    """The rest a lint result depends on (``selection`` spelled by repr), for ``ResultCache.key``: the CLI and the
    language server's workspace scan key the same lint alike, so each reads what the other stored."""
    return f"{selection}\n{collect_calls}\n{edits}"


def _package_fingerprint() -> str:
    """Changes whenever the installed code or data changes, so an edited checkout never reads stale results."""
    parts = []
    for path in sorted(_PACKAGE.rglob("*")):
        if path.suffix in (".py", ".json") and path.is_file():
            stat = path.stat()
            parts.append(f"{path.relative_to(_PACKAGE)}:{stat.st_size}:{stat.st_mtime_ns}")
    return digest("\n".join(parts).encode())


class ResultCache:
    def __init__(self, directory: Path):
        self.directory = directory
        self.settings = digest(f"{__version__}\n{_package_fingerprint()}".encode())
        self.path = directory / f"results-{self.settings}.json"
        self._entries, self._files = self._load()
        self._used: Dict[str, dict] = {}
        self._used_files: Dict[str, list] = {}
        self._added = False

    @property
    def empty(self) -> bool:
        return not self._entries

    def known_digest(self, path: str) -> Optional[str]:
        """The digest of ``path``'s bytes if its stamp is the one remembered with it, without reading it."""
        remembered = self._files.get(path)
        if not (isinstance(remembered, list) and len(remembered) == 6 and isinstance(remembered[5], str)):
            return None
        try:
            if tuple(remembered[:5]) != stamp_of(os.stat(path)):
                return None
        except OSError:
            return None
        self._used_files[path] = remembered
        return remembered[5]

    def remember(self, path: str, stamp: Optional[Stamp], source_digest: str) -> None:
        if stamp is not None:
            self._added = True
            self._used_files[path] = [*stamp, source_digest]

    def current_digest(self, path: str) -> str:
        """The digest of ``path``'s bytes now ("" where it cannot be read), from its stamp where it is known."""
        known = self.known_digest(path)
        if known is not None:
            return known
        try:
            source, stamp = read_source(path)
        except (OSError, TooLarge):
            return ""
        self.remember(path, stamp, known := digest(source))
        return known

    def still_current(self, depends: Dict[str, str]) -> bool:
        """Every other file a result came from still has the bytes it had (``get``'s fourth item)."""
        return all(self.current_digest(other) == known for other, known in depends.items())

    @staticmethod
    def key(source_digest: str, roots: FrozenSet[str], task: str) -> str:
        """``task``: the rest the result depends on (selection, target, what was asked for), as a stable string."""
        return digest(f"{source_digest}\n{sorted(roots)}\n{task}".encode())

    def get(self, key: str) -> Optional[Tuple[List[Finding], Tuple[str, ...], bool, Dict[str, str]]]:
        """The findings, cross-module calls, whether the file was analysed (not only syntax-checked), and the other
        files (with their digests) whose code the result also depends on."""
        entry = self._entries.get(key)
        try:
            result = ([Finding(f["code"], f["message"], f["line"], f["column"], _fix(f["fix"]),
                               *f.get("end", (None, None)), f.get("cell"))
                       for f in entry["findings"]], tuple(entry["calls"]), entry["analysed"], dict(entry["depends"]))
        except (KeyError, TypeError, ValueError):  # missing, or not what this module writes
            return None
        if not all(isinstance(c, str) for c in result[1]) or not all(_well_formed(f) for f in result[0]) or not (
                isinstance(result[2], bool)) or not all(isinstance(p, str) and isinstance(d, str)
                                                        for p, d in result[3].items()):
            return None
        self._used[key] = entry
        return result

    def put(self, key: str, findings: List[Finding], calls: Tuple[str, ...], analysed: bool,
            depends: Dict[str, str]) -> None:
        self._added = True
        self._used[key] = {"findings": [{"code": f.code, "message": f.message, "line": f.line, "column": f.column,
                                         "fix": f.fix and [f.fix.applicability,
                                                           [[*e.start, *e.end, e.content, *([e.cell] if e.cell else [])]
                                                            for e in f.fix.edits], f.fix.title],
                                         **({"end": [f.end_line, f.end_column]} if f.end_line is not None else {}),
                                         **({"cell": f.cell} if f.cell is not None else {})}
                                        for f in findings], "calls": list(calls), "analysed": analysed,
                           "depends": depends}

    def save(self) -> None:
        """Merge this run's entries into the file as it is now; a cache that cannot be written is skipped."""
        if not self._added or self.directory.is_symlink():
            return
        import tempfile  # only a run that adds entries writes

        entries, files = self._load()
        entries.update(self._used)
        files.update(self._used_files)
        if len(entries) > MAX_ENTRIES or len(files) > MAX_ENTRIES:
            entries, files = dict(self._used), dict(self._used_files)
        try:
            self.directory.mkdir(exist_ok=True)
            _write_marker_files(self.directory)
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".results-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w") as out:
                    json.dump({"settings": self.settings, "entries": entries, "files": files}, out,
                              separators=(",", ":"))
                os.replace(temporary, self.path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            pass

    def _load(self) -> Tuple[Dict[str, dict], Dict[str, list]]:
        if self.directory.is_symlink():  # a cache directory planted as a link to elsewhere is neither read nor written
            return {}, {}
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return {}, {}
        if not isinstance(data, dict) or data.get("settings") != self.settings or not isinstance(
                data.get("entries"), dict) or not isinstance(data.get("files"), dict):
            return {}, {}
        return data["entries"], data["files"]


def _fix(data) -> Optional[Fix]:
    """A fix read back: its applicability, edits and title, but no tree to apply it to (cli.py analyses the file
    again)."""
    if data is None:
        return None
    applicability, edits, title = data
    if applicability not in (SAFE, UNSAFE) or not isinstance(title, str):
        raise ValueError(applicability)
    return Fix(applicability=applicability, title=title, edits=tuple(Edit((a, b), (c, d), str(e), *cell)
                                                                     for a, b, c, d, e, *cell in edits))


def _well_formed(finding: Finding) -> bool:
    return (isinstance(finding.code, str) and isinstance(finding.message, str) and type(finding.line) is int
            and type(finding.column) is int and finding.line >= 1 and finding.column >= 1
            and (finding.end_line is None or type(finding.end_line) is type(finding.end_column) is int)
            and (finding.cell is None or type(finding.cell) is int))


def _write_marker_files(directory: Path) -> None:
    """Keep the cache out of git and out of backups, as ruff and pytest do."""
    for name, text in ((".gitignore", "# created by tf-step-lint\n*\n"),
                       ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n"
                                        "# This file is a cache directory tag created by tf-step-lint.\n")):
        if not (directory / name).exists():
            (directory / name).write_text(text)
