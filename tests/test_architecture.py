"""The layering stays true: imports point down only."""

import ast
import re
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def python_files(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((PROJECT_ROOT / folder).rglob("*.py"))]


@pytest.mark.parametrize("path", python_files("core", "db"), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_core_and_db_never_import_streamlit(path: Path) -> None:
    assert not imported_modules(path) & {"streamlit", "streamlit_authenticator", "ui", "pages"}


@pytest.mark.parametrize("path", python_files("pages", "ui") + [PROJECT_ROOT / "app.py"],
                         ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_ui_never_reaches_past_core(path: Path) -> None:
    forbidden = {"httpx", "subprocess", "psycopg", "db", "requests", "playwright"}
    if path.parent.name == "pages" or path.name == "app.py":
        forbidden |= {"sqlalchemy"}
    assert not imported_modules(path) & forbidden


@pytest.mark.parametrize("path", python_files("db"), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_db_never_imports_the_service_layer_except_settings(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("core"):
            assert node.module == "core.settings", f"{path.name} imports {node.module}"


@pytest.mark.parametrize("path", python_files("pages"), ids=lambda p: p.name)
def test_pages_stay_thin(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 90


def test_no_unsafe_html_anywhere() -> None:
    for path in python_files("pages", "ui", "core") + [PROJECT_ROOT / "app.py"]:
        assert "unsafe_allow_html=True" not in path.read_text(encoding="utf-8"), path


def test_icons_are_material_symbols() -> None:
    # Streamlit ships the Material font; emoji need a font many machines (and Chromium here) lack.
    for path in python_files("pages", "ui") + [PROJECT_ROOT / "app.py"]:
        for icon in re.findall(r'icon="([^"]*)"', path.read_text(encoding="utf-8")):
            assert icon.startswith(":material/"), f"{path.name}: icon {icon!r}"
