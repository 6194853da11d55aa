"""A hostile user: what someone signed in (or trying to) can throw at ScrapeDeck, and what it
does with it. Each case names the outcome it asserts."""

from __future__ import annotations

import csv
import os
import stat
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bcrypt
import pytest
from sqlalchemy import func, select, update

from core.accounts import auth
from core.platform.errors import AccountLocked, AuthError, ValidationError
from core.platform.settings import PROJECT_ROOT
from core.scraping import exports, results
from db.models import LoginAttempt, User
from tests.conftest import PASSWORD
from tests.core.test_results import add_run

# --- Sign-in under concurrency -------------------------------------------------------------


def _slow_hash(db, email: str) -> None:  # type: ignore[no-untyped-def]
    """A production-like bcrypt cost, so each check takes long enough for attempts to overlap."""
    slow = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=10)).decode()
    with db.transaction() as session:
        session.execute(update(User).where(User.email == email).values(password_hash=slow))


def _attempt(db, email: str, password: str, ip: str):  # type: ignore[no-untyped-def]
    """As ui/auth.py does: one transaction per attempt, committed even when refused."""
    with db.transaction() as session:
        try:
            return auth.sign_in(session, email, password, ip, "hostile")
        except AuthError as exc:
            return exc


def _parallel(db, calls: list[tuple[str, str, str]]) -> list[object]:  # type: ignore[no-untyped-def]
    start = threading.Barrier(len(calls))

    def go(call: tuple[str, str, str]) -> object:
        start.wait()
        return _attempt(db, *call)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(go, calls))


def _reasons(db, email: str) -> list[str | None]:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return list(session.scalars(select(LoginAttempt.failure_reason)
                                    .where(LoginAttempt.email == email)))


def test_thirty_parallel_sign_ins_check_at_most_five_passwords(db, analyst) -> None:
    _slow_hash(db, analyst.email)
    outcomes = _parallel(db, [(analyst.email, f"wrong-{i}", "203.0.113.7") for i in range(29)])
    reasons = _reasons(db, analyst.email)
    assert reasons.count("wrong_credentials") == 5, reasons  # the lock held: five checked
    assert reasons.count("locked") == 24
    assert sum(isinstance(o, AccountLocked) for o in outcomes) == 24
    # The 30th attempt, with the right password, is refused while the lock lasts.
    assert isinstance(_attempt(db, analyst.email, PASSWORD, "203.0.113.7"), AccountLocked)


def test_a_guesser_cannot_lock_the_owner_out_from_another_address(db, analyst) -> None:
    for i in range(8):
        _attempt(db, analyst.email, f"wrong-{i}", "198.51.100.66")
    assert isinstance(_attempt(db, analyst.email, PASSWORD, "198.51.100.66"), AccountLocked)
    assert _attempt(db, analyst.email, PASSWORD, "192.0.2.10") == analyst  # the owner's address


def test_one_address_guessing_across_accounts_is_locked_out_of_all(db, make_user) -> None:
    victims = [make_user("analyst") for _ in range(6)]
    for victim in victims[:5]:  # 4 wrong passwords each: no email lock, 20 from one address
        for i in range(4):
            _attempt(db, victim.email, f"wrong-{i}", "198.51.100.99")
    refused = _attempt(db, victims[5].email, PASSWORD, "198.51.100.99")
    assert isinstance(refused, AccountLocked) and "from your address" in str(refused)
    assert _attempt(db, victims[5].email, PASSWORD, "192.0.2.11") == victims[5]


def test_parallel_guessing_across_accounts_stays_within_the_address_limit(db, make_user) -> None:
    victims = [make_user("analyst") for _ in range(8)]
    _parallel(db, [(v.email, f"wrong-{i}", "198.51.100.1") for v in victims for i in range(4)])
    with db.transaction() as session:
        checked = session.scalar(select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.ip_address == "198.51.100.1",
            LoginAttempt.failure_reason == "wrong_credentials"))
    assert checked == 20  # LOGIN_MAX_FAILURES_PER_ADDRESS, not 32


# --- Formula injection in CSV exports ------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://127.0.0.1:9/x\",\"click\")", "+1+1", "-2+3", "@SUM(A1)",
            "\t=1", "\r=1"]


@pytest.fixture
def hostile_run(cli, db, analyst) -> str:  # type: ignore[no-untyped-def]
    items = [{"name": text, "=cmd": "ok", "price": -5} for text in FORMULAS]
    return str(add_run(db, analyst, items)[1])


def _csv_rows(path: Path) -> list[dict[str, str]]:
    """The rows by column name (PostgreSQL's jsonb orders keys its own way)."""
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_csv_export_writes_formula_cells_as_text(cli, analyst, hostile_run, tmp_path) -> None:
    out = tmp_path / "x.csv"
    assert cli("--user", analyst.email, "results", "export", hostile_run, "--format", "csv",
               "--out", str(out))[0] == 0
    rows = _csv_rows(out)
    assert [row["name"] for row in rows] == ["'" + text for text in FORMULAS]
    assert {row["'=cmd"] for row in rows} == {"ok"}  # a column name is a cell too
    assert {row["price"] for row in rows} == {"-5"}  # a number stays a number


def test_the_raw_opt_out_writes_values_exactly(cli, analyst, hostile_run, tmp_path) -> None:
    out = tmp_path / "raw.csv"
    assert cli("--user", analyst.email, "results", "export", hostile_run, "--format", "csv",
               "--out", str(out), "--raw")[0] == 0
    rows = _csv_rows(out)
    assert [row["name"] for row in rows] == FORMULAS and rows[0]["=cmd"] == "ok"


def test_the_page_export_neutralises_too_and_remembers_a_raw_choice(
        app_env, db, analyst, hostile_run) -> None:
    paths = []
    for raw in (False, True):
        with db.transaction() as session:
            requested = exports.request_export(session, analyst, hostile_run, "csv", raw)
        done = exports.perform_export(db, requested.id)
        assert done.status == "completed" and done.raw_values is raw
        with db.transaction() as session:
            paths.append(exports.export_file(session, analyst, done.id)[0])
    assert _csv_rows(paths[0])[0]["name"] == "'" + FORMULAS[0]
    assert _csv_rows(paths[1])[0]["name"] == FORMULAS[0]


# --- results export --out: what is at PATH ---------------------------------------------------

def _export_to(cli, analyst, run, out, *extra):  # type: ignore[no-untyped-def]
    return cli("--user", analyst.email, "results", "export", run, "--format", "csv",
               "--out", str(out), *extra)


def test_out_never_replaces_a_fifo_a_folder_or_a_link(cli, analyst, hostile_run,
                                                        tmp_path) -> None:
    fifo, folder, link = tmp_path / "fifo", tmp_path / "folder", tmp_path / "link"
    os.mkfifo(fifo)
    folder.mkdir()
    (tmp_path / "target.txt").write_text("keep me")
    link.symlink_to(tmp_path / "target.txt")
    for path, kind in ((fifo, "not a regular file"), (folder, "a folder"),
                       (link, "a symbolic link")):
        for extra in ((), ("--force",)):
            status, _, err = _export_to(cli, analyst, hostile_run, path, *extra)
            assert status == 2 and f"it exists and is {kind}" in err, err
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and folder.is_dir() and link.is_symlink()
    assert (tmp_path / "target.txt").read_text() == "keep me"


def test_out_replaces_an_existing_file_only_with_force(cli, analyst, hostile_run,
                                                       tmp_path) -> None:
    out = tmp_path / "old.csv"
    out.write_text("precious")
    status, _, err = _export_to(cli, analyst, hostile_run, out)
    assert status == 2 and "already exists: add --force" in err
    assert out.read_text() == "precious"
    assert _export_to(cli, analyst, hostile_run, out, "--force")[0] == 0
    assert _csv_rows(out)[0]["name"] == "'" + FORMULAS[0]


def test_out_does_not_create_missing_folders(cli, analyst, hostile_run, tmp_path) -> None:
    status, _, err = _export_to(cli, analyst, hostile_run, tmp_path / "no" / "such" / "x.csv")
    assert status == 2 and "does not exist (create it first)" in err
    assert not (tmp_path / "no").exists()


# --- The command line under hostile arguments: a message and exit 2, never a traceback ------

def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


HOSTILE_COMMANDS = [
    ("runs", "list", "--job", "not-a-uuid"),
    ("runs", "list", "--limit", "99999999999999999999999"),
    ("runs", "list", "--limit", "-1"),
    ("runs", "list", "--limit", "1e9"),
    ("runs", "show", "nope", "--events", "99999999999999999999999"),
    ("runs", "show", "00000000-0000-0000-0000-000000000000"),
    ("runs", "start", "not-a-uuid", "--interval", "nan"),
    ("runs", "cancel", "../../etc/passwd"),
    ("builds", "list", "--limit", "1" + "0" * 40),
    ("builds", "show", "x" * 10_000),
    ("jobs", "show", "\x00"),
    ("jobs", "list", "--search", "a\x00b"),
    ("schemas", "list", "--search", "\x00"),
    ("schemas", "show", "%s%s%n"),
    ("results", "export", "nope", "--format", "csv", "--out", "/dev/null"),
    ("results", "export", "nope", "--format", "../../x", "--out", "x"),
    ("seo", "crawl", "http://example.com/", "--max-pages", "1" + "0" * 30),
    ("seo", "crawl", "http://example.com/", "--max-pages", "5", "--delay", "inf"),
    ("seo", "crawl-show", "\x00"),
    ("seo", "report", "nope", "--format", "pdf", "--out", "/dev/full"),
    ("users", "create", "\x00@example.com"),
]


@pytest.mark.parametrize("args", HOSTILE_COMMANDS, ids=lambda a: " ".join(a)[:60])
def test_hostile_arguments_get_a_message_and_exit_2(cli, args) -> None:
    status, _, err = cli("--user", "admin@example.com", *args)
    assert status == 2, err
    assert err.strip() and "Traceback" not in err


@pytest.mark.parametrize("args", [("--user", "a\udcff@example.com", "jobs", "list"),
                                  ("--user", "admin@example.com", "jobs", "list", "--search",
                                   "caf\udce9")])
def test_arguments_that_are_not_utf8_are_refused_by_name(cli, args) -> None:
    # a byte that is not UTF-8 on the command line reaches Python as a lone surrogate
    status, _, err = cli(*args)
    assert (status, err.strip()) == (2, "error: an argument is not UTF-8 text.")


@pytest.mark.parametrize("command", [("jobs", "create", "--file"), ("schemas", "import")])
def test_deeply_nested_json_files_are_refused(cli, tmp_path, command) -> None:
    path = tmp_path / "deep.json"
    path.write_text(_nested(100_000))
    status, _, err = cli("--user", "admin@example.com", *command, str(path))
    assert status == 2 and "more than 64 levels deep" in err


@pytest.mark.parametrize("command", [("jobs", "create", "--file"), ("schemas", "import")])
def test_input_files_are_sized_before_they_are_read(cli, tmp_path, command) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as f:  # sparse: 3 GB on paper, nothing on disk
        f.truncate(3 * 1024**3)
    status, _, err = cli("--user", "admin@example.com", *command, str(big))
    assert status == 2 and "3,221,225,472 bytes; the limit is 4,000,000" in err


def test_a_fifo_as_input_file_is_refused_not_read_for_ever(app_env, tmp_path) -> None:
    fifo = tmp_path / "job.json"
    os.mkfifo(fifo)
    subprocess.run([sys.executable, "-m", "core", "init"], cwd=PROJECT_ROOT, check=True,
                   capture_output=True, timeout=120)
    done = subprocess.run([sys.executable, "-m", "core", "--user", "admin@example.com", "jobs",
                           "create", "--file", str(fifo)], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "must be a regular file" in done.stderr


@pytest.mark.parametrize("kind", ["export", "seo-report-pdf"])
def test_the_worker_with_an_unknown_id_says_so(app_env, kind) -> None:
    subprocess.run([sys.executable, "-m", "core", "init"], cwd=PROJECT_ROOT, check=True,
                   capture_output=True, timeout=120)
    for ident in (str(uuid.uuid4()), "not-an-id"):
        done = subprocess.run([sys.executable, "-m", "core.worker", kind, ident],
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode in (0, 2), done.stderr  # 0: nothing waiting, left alone


# --- Results queries: hostile filters, sorts and page numbers --------------------------------

@pytest.mark.parametrize("query", [
    dict(sort="na\x00me"),
    dict(filters=(results.FieldFilter("na\x00me", "x"),)),
    dict(filters=(results.FieldFilter("name", "a\x00"),)),
    dict(search="\x00"),
])
def test_a_nul_in_a_query_is_a_clear_refusal(db, analyst, query) -> None:
    run = add_run(db, analyst, [{"name": "x"}])[1]
    with db.transaction() as session, pytest.raises(ValidationError, match="NUL"):
        results.query_results(session, analyst, results.ResultQuery(run_id=run, **query))


def test_a_huge_page_number_shows_the_last_page(db, analyst) -> None:
    run = add_run(db, analyst, [{"name": f"n{i}"} for i in range(3)])[1]
    with db.transaction() as session:
        page = results.query_results(session, analyst, results.ResultQuery(
            run_id=run, page=10**30, page_size=2))
    assert (page.page, page.pages, len(page.frame)) == (2, 2, 1)
