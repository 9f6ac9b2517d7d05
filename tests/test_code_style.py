"""The project's own code passes flake8 (pyflakes and pycodestyle, configured in .flake8)."""
import ast
import subprocess
import sys

from tests.conftest import ROOT


def test_flake8_clean():
    result = subprocess.run([sys.executable, "-m", "flake8", "tf_step_lint", "scripts", "tests"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


# Layers point one way: reading files, then parsing, then analysis, then rules (and the LibCST fixer beside them),
# then the engine, then the adapters.
LAYERS = {"files": 1, "parsing": 2, "notebook": 2, "analysis": 3, "rules": 4, "fixes": 4, "engine": 5, "project": 5,
          "workspace": 5, "cli": 6, "lsp": 6, "server": 6, "flake8_plugin": 6, "__main__": 6}


def _imports() -> dict:
    """Module -> the tf_step_lint modules it imports, anywhere in its body (deferred imports included)."""
    graph = {}
    for path in sorted((ROOT / "tf_step_lint").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tf_step_lint"):
                found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in _MODULES else node.module
                          for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("tf_step_lint")}
        graph[module] = found - {module, "tf_step_lint"}  # the package itself only gives __version__
    return graph


_MODULES = {".".join(p.relative_to(ROOT).with_suffix("").parts[:-1] if p.name == "__init__.py"
                     else p.relative_to(ROOT).with_suffix("").parts)
            for p in (ROOT / "tf_step_lint").rglob("*.py")}


def _layer(module: str):
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_layers_point_one_way_and_nothing_imports_in_a_circle():
    graph = _imports()
    for module, imported in graph.items():
        for other in imported:
            if _layer(module) is not None and _layer(other) is not None:
                assert _layer(other) <= _layer(module), f"{module} (a lower layer) imports {other}"
    visiting, done = set(), set()

    def visit(module, path):
        assert module not in visiting, f"import circle: {' -> '.join(path)}"
        if module in done:
            return
        visiting.add(module)
        for other in sorted(graph.get(module, ())):
            visit(other, [*path, other])
        visiting.discard(module)
        done.add(module)

    for module in sorted(graph):
        visit(module, [module])


def test_only_the_fixer_and_the_parser_use_libcst():
    """The analysis reads Python's ast; LibCST is imported only to change code."""
    for path in sorted((ROOT / "tf_step_lint").rglob("*.py")):
        if "libcst" in path.read_text():
            assert path.name in ("fixes.py", "parsing.py", "engine.py"), path
