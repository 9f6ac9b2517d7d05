"""Whole-project analysis for the CLI: what one module's code needs to know of the others.

Two things cross modules.  A model_fn's optimizer, its class, or the schedule it hands the step to may come from
another module: ``Project`` reads and analyses that module when asked, and answers with a ``Fact``.  And a model_fn
may build its train op with a function of another module: the first pass, which lints every file anyway, records
for every model_fn that increments no step in its own code the functions of other modules it calls, and the files
those functions are in are linted again with them as extra training roots, so a missing step inside
``optimization.create_optimizer`` is reported where it is, in optimization.py.  Per-file tools (the flake8 plugin)
cannot see this.
"""
import os
from collections import defaultdict
from pathlib import Path
from typing import Callable, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from tf_step_lint.analysis import Analysis
from tf_step_lint.analysis.modules import OtherModules, handed_a_reader, reader_of
from tf_step_lint.cache import digest
from tf_step_lint.engine import SourceError, parse
from tf_step_lint.files import Stamp, TooLarge, is_notebook, read_source
from tf_step_lint.target import Version

Reader = Callable[[str], Tuple[bytes, Optional[Stamp]]]


class ProjectIndex:
    """Dotted module names -> files of this run, by path suffix: `bert.optimization` is bert/optimization.py."""

    def __init__(self, files: Sequence[str]):
        self._by_suffix: Dict[Tuple[str, ...], List[str]] = defaultdict(list)
        for file in files:  # absolute, as imports see the folders (resolving every symlink cost a warm run half)
            if is_notebook(file):  # no import reaches a notebook
                continue
            parts = Path(os.path.splitext(os.path.abspath(file))[0]).parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            for start in range(len(parts)):
                self._by_suffix[parts[start:]].append(file)

    def function(self, importer: str, dotted: str) -> Optional[Tuple[str, str]]:
        """(file, name) for ``dotted``: the name is a function or class of the file, or a dotted path from a name
        the file imports (a package's ``kfac.utils.batch_execute``: its ``__init__``'s ``utils.batch_execute``).  A
        module name shared by several files resolves to the one nearest the importer, if one is nearest.  A relative
        import's path (``..utils.build``) is found from the importer's package."""
        module, _, function = dotted.rpartition(".")
        if module.startswith("."):
            level = len(module) - len(module.lstrip("."))
            package = Path(os.path.abspath(importer)).parent.parts
            if level > len(package):
                return None
            module = ".".join((*package[:len(package) - level + 1], *filter(None, module[level:].split("."))))
        parts = module.split(".") if module else []
        candidates = self._by_suffix.get(tuple(parts))
        while not candidates and len(parts) > 1:  # `kfac.utils.batch_execute`: the package kfac's own `utils`
            function = f"{parts.pop()}.{function}"
            candidates = self._by_suffix.get(tuple(parts))
        if not candidates:
            return None
        if len(candidates) > 1:  # the nearest: DeepLearningExamples has a utils/learning_rate.py in each project,
            # and simclr a tf2/ copy of its root modules, which the root's own imports do not reach
            folder = os.path.dirname(os.path.abspath(importer))
            distance = {c: _steps_between(folder, os.path.dirname(os.path.abspath(c))) for c in candidates}
            candidates = [c for c in candidates if distance[c] == min(distance.values())]
        return (candidates[0], function) if len(candidates) == 1 else None


def _steps_between(first: str, second: str) -> int:
    """How many folders up and down lead from ``first`` to ``second``."""
    shared = len(Path(os.path.commonpath([first, second])).parts)
    return len(Path(first).parts) - shared + len(Path(second).parts) - shared


def external_roots(files: Sequence[str], calls: Sequence[Sequence[str]], index: Optional[ProjectIndex] = None
                   ) -> Dict[str, FrozenSet[str]]:
    """File -> the functions in it that model_fns of other files build their train op with.

    ``calls[i]``: the cross-module calls of ``files[i]`` (``Analysis.cross_module_calls``); ``index``: of ``files``,
    where one is at hand.
    """
    if not any(calls):
        return {}
    index = index or ProjectIndex(files)
    roots: Dict[str, set] = defaultdict(set)
    callers: Dict[Tuple[str, str], int] = defaultdict(int)  # (file, name or name(keyword)) -> calls naming it
    for importer, names in zip(files, calls):
        for dotted in names:
            function, keyword = reader_of(dotted)
            target = index.function(importer, function)
            if target is not None and target[0] != importer:
                name = handed_a_reader(target[1], keyword) if keyword else target[1]
                roots[target[0]].add(name)
                callers[(target[0], name)] += 1
    # `name(keyword)`: kept only where every call of name hands that keyword a callable that only reads the step
    return {file: frozenset(n for n in names if reader_of(n)[1] is None
                            or callers[(file, n)] == callers[(file, reader_of(n)[0])])
            for file, names in roots.items()}


class Project:
    """The modules of one run, each read and analysed only when another module asks what one of its functions or
    classes does; every analysis and answer is kept until ``forget`` says the module changed.  ``read``: how a
    module's bytes are read (the language server reads unsaved buffers first)."""

    def __init__(self, files: Sequence[str], read: Reader = read_source):
        self.index = ProjectIndex(files)
        self._read = read
        self._analyses: Dict[Tuple[str, Version], Optional[Analysis]] = {}
        self._digests: Dict[str, str] = {}  # of the bytes each file read had ("" where it could not be read)
        self._answers: Dict[Tuple[str, str, Version, str], object] = {}
        self._asking: Set[Tuple[str, str, Version, str]] = set()

    def seen_from(self, importer: str, target: Version) -> "ModulesSeenFrom":
        return ModulesSeenFrom(self, importer, target)

    def answer(self, file: str, name: str, target: Version, question: str):
        """``file``'s answer to ``question`` about ``name`` (see Analysis.offered), analysed for ``target``; None
        where it cannot be read, or while the question is being answered (modules that import each other)."""
        key = (file, name, target, question)
        if key in self._answers:
            return self._answers[key]
        if key in self._asking:
            return None
        self._asking.add(key)
        try:
            analysis = self._analysis(file, target)
            self._answers[key] = analysis.offered(name, question) if analysis is not None else None
        except RecursionError:  # nested too deeply to analyse: that module's own lint says so
            self._answers[key] = None
        finally:
            self._asking.discard(key)
        return self._answers[key]

    def _analysis(self, file: str, target: Version) -> Optional[Analysis]:
        if (file, target) not in self._analyses:
            self._digests.setdefault(file, "")
            try:
                source, _ = self._read(file)
                self._digests[file] = digest(source)
                tree = parse(source)
            except (OSError, TooLarge, SourceError):  # its own lint says why
                self._analyses[(file, target)] = None
            else:
                modules = self.seen_from(file, target)
                self._analyses[(file, target)] = Analysis(tree, source, frozenset(), target, modules)
        return self._analyses[(file, target)]

    def forget(self, file: str) -> None:
        """``file`` changed: drop what was read from it, and what any module whose analysis asked it concluded."""
        stale = {file}
        while True:
            grown = stale | {f for (f, _), analysis in self._analyses.items()
                             if analysis is not None and analysis.modules.consulted & stale}
            if grown == stale:
                break
            stale = grown
        self._analyses = {key: value for key, value in self._analyses.items() if key[0] not in stale}
        self._answers = {key: value for key, value in self._answers.items() if key[0] not in stale}
        for stale_file in stale:
            self._digests.pop(stale_file, None)

    def dependencies(self, modules: "ModulesSeenFrom") -> Dict[str, str]:
        """The files whose code the answers ``modules`` gave came from, directly or through the modules those
        asked in turn, each with the digest of the bytes read: a result that used them holds while they do."""
        found: Dict[str, str] = {}
        todo = list(modules.consulted)
        while todo:
            file = todo.pop()
            if os.path.abspath(file) in found or file not in self._digests:
                continue
            found[os.path.abspath(file)] = self._digests[file]  # a cached result may be read from another folder
            analysis = self._analyses.get((file, modules.target))
            if analysis is not None:
                todo.extend(analysis.modules.consulted)
        return found


class ModulesSeenFrom(OtherModules):
    """The project's other modules as one of them sees them; remembers which files its answers came from, since
    the findings of the asking module then depend on them too."""

    def __init__(self, project: Project, importer: str, target: Version):
        self.project = project
        self.importer = importer
        self.target = target
        self.consulted: Set[str] = set()

    def answer(self, dotted: str, question: str):
        found = self.project.index.function(self.importer, dotted)
        if found is None or found[0] == self.importer:
            return None
        self.consulted.add(found[0])
        return self.project.answer(found[0], found[1], self.target, question)
