"""The layering stays true: imports point down only."""

import ast
import re
from pathlib import Path

import pytest

from core.platform.settings import PROJECT_ROOT


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


# --- One owner for the timeline and for the ledger (issue 9) -------------------------------------

OWNED_TABLES = {  # model, its table, the one package that writes it
    "RunEvent": ("run_events", "core/timeline"),
    "WorkflowNodeState": ("workflow_node_states", "core/timeline"),
    "CostEvent": ("cost_events", "core/ledger"),
}
SQL_WRITE = re.compile(r"\b(insert\s+into|update|delete\s+from)\s+\"?(run_events|cost_events|"
                       r"workflow_node_states)\b", re.IGNORECASE)


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}


def owned_writes(path: Path) -> list[str]:
    """Where a file constructs an owned model, or inserts, updates or deletes its rows."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
                node.func, "id", "")
            if callee in OWNED_TABLES:
                found.append(f"line {node.lineno}: {callee}(…)")
            elif callee in ("insert", "update", "delete") and node.args \
                    and _names(node.args[0]) & set(OWNED_TABLES):
                found.append(f"line {node.lineno}: {callee}({ast.unparse(node.args[0])})")
        elif isinstance(node, ast.Attribute) and node.attr == "__table__" \
                and _names(node.value) & set(OWNED_TABLES):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and SQL_WRITE.search(node.value):
            found.append(f"line {node.lineno}: SQL {SQL_WRITE.search(node.value).group(0)!r}")
    return found


def owner_of(path: Path) -> str | None:
    relative = path.relative_to(PROJECT_ROOT).as_posix()
    return next((owner for _, owner in OWNED_TABLES.values() if relative.startswith(owner + "/")),
                None)


@pytest.mark.parametrize("path", [p for p in python_files("core", "ui", "pages", "db", "bench")
                                  if not p.is_relative_to(PROJECT_ROOT / "db" / "models")],
                         ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_only_the_timeline_writes_run_events_and_only_the_ledger_writes_cost_events(
        path: Path) -> None:
    writes = owned_writes(path)
    owner = owner_of(path)
    if owner == "core/timeline":
        writes = [w for w in writes if "CostEvent" in w or "cost_events" in w]
    elif owner == "core/ledger":
        writes = [w for w in writes if "CostEvent" not in w and "cost_events" not in w]
    assert not writes, f"{path.name} writes a table it does not own: {writes}"


@pytest.mark.parametrize("path", python_files("core", "ui", "pages"),
                         ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_the_app_reads_events_and_costs_through_their_owners(path: Path) -> None:
    if owner_of(path) is None:
        used = _names(ast.parse(path.read_text(encoding="utf-8"))) & set(OWNED_TABLES)
        assert not used, f"{path.name} uses {used}: call core.timeline / core.ledger instead"


def test_the_ownership_check_sees_a_second_writer(tmp_path: Path) -> None:
    rogue = tmp_path / "rogue.py"
    rogue.write_text("session.add(RunEvent(run_id=x))\n"
                     "session.execute(insert(CostEvent), rows)\n"
                     "session.execute(RunEvent.__table__.insert(), rows)\n"
                     "session.execute(text('INSERT INTO cost_events (id) VALUES (1)'))\n")
    assert len(owned_writes(rogue)) == 4


@pytest.mark.parametrize("path", python_files("core"), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_every_event_written_is_a_registered_type(path: Path) -> None:
    """Events are built from the registered classes (``timeline.Failure(...)``), never from a
    type name given as text."""
    from core import timeline

    registered = set(timeline.EVENTS.values()) | {timeline.Event}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == "timeline" and node.attr[:1].isupper():
            used = getattr(timeline, node.attr)  # an unknown name fails here
            if isinstance(used, type) and issubclass(used, timeline.Event):
                assert used in registered, f"{path.name}:{node.lineno} timeline.{node.attr}"
        if isinstance(node, ast.keyword) and node.arg == "event_type" \
                and owner_of(path) != "core/timeline":
            raise AssertionError(f"{path.name}:{node.value.lineno} names an event type as text")
