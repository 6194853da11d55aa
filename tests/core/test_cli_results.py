"""``python -m core results export``: a run's results to a file, or a clear error and exit 1."""

import csv

import pytest

from core.platform import audit
from tests.core.test_results import add_run

ITEMS = [{"name": "Desk lamp", "specs": {"bulb": "LED"}}, {"name": "Chair", "price": 120}]


@pytest.fixture
def run_id(cli, db, analyst):  # type: ignore[no-untyped-def]
    return str(add_run(db, analyst, ITEMS)[1])


def test_export_writes_the_file_and_says_so(cli, db, admin, analyst, run_id, tmp_path) -> None:
    out = tmp_path / "lamps.csv"
    status, stdout, _ = cli("--user", analyst.email, "results", "export", run_id,
                            "--format", "csv", "--out", str(out))
    assert status == 0
    assert stdout == f"Exported 2 results to {out} ({out.stat().st_size:,} bytes).\n"
    with out.open(newline="") as f:
        assert list(csv.DictReader(f)) == [
            {"name": "Desk lamp", "specs.bulb": "LED", "price": "",
             "_source_url": "https://shop.example/page/1", "_confidence": "1.0",
             "_fetched_at": "2025-03-01T12:00:00+00:00"},
            {"name": "Chair", "specs.bulb": "", "price": "120",
             "_source_url": "https://shop.example/page/1", "_confidence": "1.0",
             "_fetched_at": "2025-03-01T12:00:01+00:00"}]
    with db.transaction() as session:  # the audit log says who wrote which file
        [entry] = audit.list_entries(session, admin, audit.AuditFilter()).itertuples()
    assert (entry.action, entry.who, entry.entity_id) == ("export.file", analyst.email, run_id)
    assert f"path: {out}" in [str(c) for c in entry.changes]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "xlsx", "parquet"])
def test_every_format_is_available(cli, analyst, run_id, tmp_path, fmt) -> None:
    out = tmp_path / f"lamps.{fmt}"
    assert cli("--user", analyst.email, "results", "export", run_id, "--format", fmt,
               "--out", str(out))[0] == 0
    assert out.stat().st_size > 0


def test_another_users_run_is_not_found(cli, make_user, run_id, tmp_path) -> None:
    other = make_user("analyst")
    status, _, err = cli("--user", other.email, "results", "export", run_id, "--format", "csv",
                         "--out", str(tmp_path / "x.csv"))
    assert (status, err) == (2, "error: Run not found.\n")
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("fmt, out, message", [
    ("xml", "x.xml", "invalid choice: 'xml' (choose from 'csv', 'json', 'jsonl', 'xlsx', "
                     "'parquet')"),
    ("csv", ".", "Cannot write"),
])
def test_bad_input_exits_2_with_a_message(cli, analyst, run_id, tmp_path, fmt, out,
                                          message) -> None:
    status, _, err = cli("--user", analyst.email, "results", "export", run_id, "--format", fmt,
                         "--out", str(tmp_path / out))
    assert status == 2 and message in err and "Traceback" not in err
