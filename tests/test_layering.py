"""Who may import whom, read from the source with ``ast``; and the suite needs nothing beside it.

The import graph counts every import that can run: at module level and inside functions (a lazy
import delays a dependency, it does not remove it, so it may not hide a cycle). Imports under
``if TYPE_CHECKING:`` never run and are left out. ``from core.seo import page`` is an edge to the
module ``core.seo.page`` when that module exists, else to the package ``core.seo``.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATABASE_CODE = {"sqlalchemy", "alembic", "psycopg", "db"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_under(folder: str) -> dict[str, Path]:
    return {module_name(p): p for p in sorted((PROJECT_ROOT / folder).rglob("*.py"))}


CORE = modules_under("core")


def _runs(node: ast.AST) -> list[ast.stmt]:
    """The statements below ``node`` that can run: ``if TYPE_CHECKING:`` bodies left out."""
    found: list[ast.stmt] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            for statement in child.orelse:
                found += [statement, *_runs(statement)]
            continue
        if isinstance(child, ast.stmt):
            found.append(child)
        found += _runs(child)
    return found


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, by absolute name (relative imports resolved).
    ``from a.b import c`` names ``a.b.c`` when that is a core module, else ``a.b``."""
    this = module_name(path) if path.is_relative_to(PROJECT_ROOT) else path.stem
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    names: set[str] = set()
    for node in _runs(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            names.update(f"{base}.{a.name}" if f"{base}.{a.name}" in CORE else base
                         for a in node.names)
    return names


def core_edges(name: str) -> set[str]:
    """The core modules that module ``name`` imports."""
    return {n for n in imports_of(CORE[name]) if n in CORE} - {name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_graph_reader_sees_lazy_imports_and_finds_cycles(tmp_path: Path) -> None:
    source = tmp_path / "example.py"
    source.write_text("from typing import TYPE_CHECKING\nimport json\n"
                      "if TYPE_CHECKING:\n    import pandas\n"
                      "def later():\n    from core.seo import page\n    import sqlalchemy.orm\n")
    assert imports_of(source) == {"typing", "json", "core.seo.page", "sqlalchemy.orm"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_core_modules_import_each_other_without_cycles() -> None:
    graph = {name: core_edges(name) for name in CORE}
    assert sum(map(len, graph.values())) > 200  # the reader does see the imports
    assert cycles(graph) == []


@pytest.mark.parametrize("package", ["core.scrape", "core.analysis"])
def test_the_engine_and_the_analysis_reach_no_database_code(package: str) -> None:
    # Everything they import, directly or through other core modules and the packages those
    # live in, at any depth.
    reached: set[str] = set()
    todo = [name for name in CORE if name == package or name.startswith(package + ".")]
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        parents = [name.rsplit(".", depth)[0] for depth in range(1, name.count(".") + 1)]
        todo += [*core_edges(name), *parents]
    database_imports = {name: sorted(n for n in imports_of(CORE[name])
                                     if n.split(".")[0] in DATABASE_CODE
                                     or n.startswith("core.platform.database"))
                        for name in reached}
    assert {name: found for name, found in database_imports.items() if found} == {}
    assert "core.platform.errors" in reached  # the walk does follow core imports


def test_importing_the_engine_and_the_analysis_loads_no_database_code() -> None:
    modules = [n for n in CORE if n.startswith(("core.scrape", "core.analysis"))]
    script = (f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
              f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {DATABASE_CODE!r}))")
    loaded = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    assert loaded == "[]"


@pytest.mark.parametrize("path", sorted((PROJECT_ROOT / "db").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_db_imports_nothing_from_core(path: Path) -> None:
    # The models, the engine and the migration runner take what they need (a URL) as arguments;
    # only migrations/env.py reads the settings, for the `alembic` command line.
    assert {n for n in imports_of(path) if n.split(".")[0] == "core"} == set()


# -- The suite runs from a fresh clone --------------------------------------------------------

# The folder beside the clone (the parent's "shared", its "corpora"), however it is spelled: as one
# path, or as path parts (Path(…) / ".." / name). The spellings below are assembled so this file
# does not contain them itself.
OUTSIDE = re.compile(r"\.\.\W{1,6}shared\b|\bshared\W{1,6}corpora\b|\bTOOLCHAIN\.md\b")
SCANNED = ("tests", "core", "db", "ui", "pages", "migrations")
TEXT = {".py", ".txt", ".toml", ".ini", ".cfg", ".json", ".md", ".html", ".csv", ".xml", ".yml"}


def test_the_pattern_catches_every_spelling() -> None:
    up, beside, corpora = "..", "shared", "corpora"
    for spelling in (f'"{up}/{beside}/{corpora}/extruct"', f'parents[3] / "{beside}" / "{corpora}"',
                     f'parents[2] / "{up}" / "{beside}"', f"see {up}/{beside}/TOOLCHAIN.md"):
        assert OUTSIDE.search(spelling), spelling
    assert not OUTSIDE.search("Public schemas are shared with everyone.")


def test_nothing_in_the_project_reads_beside_the_clone() -> None:
    this = Path(__file__).resolve()
    files = [p for folder in SCANNED for p in (PROJECT_ROOT / folder).rglob("*")
             if p.suffix in TEXT and p.resolve() != this and ".venv" not in p.parts]
    files += [PROJECT_ROOT / name for name in ("app.py", "pyproject.toml", "alembic.ini")]
    files += sorted(PROJECT_ROOT.glob("requirements*.txt"))
    assert len(files) > 300
    named = {str(p.relative_to(PROJECT_ROOT)): m.group(0) for p in files
             if (m := OUTSIDE.search(p.read_text(encoding="utf-8", errors="replace")))}
    assert named == {}



def test_postgresql_variants_are_collected_and_skipped_with_the_reason_without_a_server() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs",
                          "-o", "addopts=", "tests/test_migrations.py"], cwd=PROJECT_ROOT,
                         env=environment, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    skipped = [line for line in run.stdout.splitlines() if line.startswith("SKIPPED")]
    # Five tests on both backends, one (JSONB columns) marked backends("postgresql"), one
    # without a database.
    assert len(skipped) == 6
    assert all(line.endswith("PostgreSQL variant: set TEST_DATABASE_URL to run it")
               for line in skipped)
    assert "6 passed, 6 skipped" in run.stdout


def test_the_readme_module_map_names_every_core_package_and_only_those() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("## Development"):].split("```")[1]
    mapped = set(re.findall(r"^  (\w+)/ ", block, re.MULTILINE))
    packages = {p.parent.name for p in (PROJECT_ROOT / "core").glob("*/__init__.py")}
    assert mapped == packages
