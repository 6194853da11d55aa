"""``python -m core builds …``: create (and wait), show, confirm and make a job."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.core.test_builds import OBJECTIVE
from tests.fixtures.server import SITES

ADMIN = ("--user", "admin@example.com")
pytestmark = pytest.mark.usefixtures("local_fetching")


def test_create_wait_show_confirm_and_make_a_job(cli, site) -> None:
    status, out, err = cli(*ADMIN, "builds", "create", "--objective", OBJECTIVE,
                           f"{site}/catalog/page1.html", "--file",
                           str(SITES / "catalog" / "page2.html"), "--wait")
    assert status == 0, err
    first_line, rest = out.split("\n", 1)
    build_id = first_line.split()[1]
    assert first_line == f"Build {build_id} created (pending_analysis)"
    doc = json.loads(rest[rest.index("{"):])
    assert doc["status"] == "pending_user_feedback" and doc["uploads"] == ["page2.html"]
    assert doc["samples"]["name"] == {"hit_rate": "2/2", "flagged": False,
                                      "values": ["Aurora Desk Lamp", "Elm Dining Table"]}
    assert doc["iterations"][0]["number"] == 1

    status, out, _ = cli(*ADMIN, "builds", "show", build_id)
    assert status == 0 and json.loads(out)["package"]["fields"]["price"]["transforms"] == ["price"]
    cost = {k["kind"]: k["quantity"] for k in json.loads(out)["cost"]["by_kind"]}
    assert int(cost["requests"]) >= 1  # the sample URL (the uploaded file is free)

    status, out, err = cli(*ADMIN, "builds", "confirm", build_id, "--make-job")
    assert status == 0, err
    assert out.splitlines()[0] == f"Build {build_id} confirmed; remembered in the knowledge base."
    job_id = json.loads(cli(*ADMIN, "builds", "show", build_id)[1])["job_id"]
    assert "Schema " in out and f"job {job_id} created" in out

    status, out, _ = cli(*ADMIN, "builds", "list")
    assert status == 0 and "confirmed" in out


def test_bad_input_and_failed_builds_exit_non_zero(cli, site, tmp_path) -> None:
    status, _, err = cli(*ADMIN, "builds", "create", "--objective", "products")
    assert status == 2 and "Give at least one sample" in err
    status, _, err = cli(*ADMIN, "builds", "create", "--objective", "products", "--file",
                         str(tmp_path / "missing.html"))
    assert status == 2 and "Cannot read" in err
    status, out, err = cli(*ADMIN, "builds", "create", "--objective", "products",
                           f"{site}/nowhere.html", "--wait")
    assert status == 1
    assert "Build failed: No sample could be read:" in err and "HTTP 404" in err
    status, _, err = cli(*ADMIN, "builds", "show", "not-an-id")
    assert status == 2 and "Build not found." in err


def test_feedback_from_the_command_line_is_the_page_s_corrections(cli, tmp_path) -> None:
    from tests.analysis.test_learn import GERMAN_BOOKS, german_page

    files = []
    for number, book in enumerate(GERMAN_BOOKS[:2]):
        path = tmp_path / f"buch-{number}.html"
        path.write_text(german_page(*book))
        files += ["--file", str(path)]
    status, out, err = cli(*ADMIN, "builds", "create", "--objective",
                           "Bücher: title, author, publisher", *files, "--wait")
    assert status == 0, err
    build_id = out.split()[1]

    # a field added from a value seen on the page, checked on both samples
    status, out, err = cli(*ADMIN, "builds", "feedback", build_id, "--field", "pages",
                           "--example", "320")
    assert status == 0, err
    done = json.loads(out[out.index("{"):])
    assert done["iteration"] == 2 and done["hit_rate"] == "2/2" and done["values"] == [320, 320]
    assert done["changes"][0].startswith("added pages from the example")

    status, out, err = cli(*ADMIN, "builds", "feedback", build_id, "--field", "pages",
                           "--rename", "page_count")
    assert status == 0 and json.loads(out[out.index("{"):])["values"] == [320, 320]
    status, out, err = cli(*ADMIN, "builds", "feedback", build_id, "--field", "page_count",
                           "--retype", "string")
    assert status == 0 and json.loads(out[out.index("{"):])["values"] == ["320", "320"]
    status, out, err = cli(*ADMIN, "builds", "feedback", build_id, "--field", "page_count",
                           "--drop")
    assert status == 0 and json.loads(out[out.index("{"):])["changes"] == ["dropped page_count"]

    # bad input: a clear message, nothing sent, the build unchanged
    status, _, err = cli(*ADMIN, "builds", "feedback", build_id, "--field", "publisher",
                         "--example", "Suhrkamp")
    assert status == 2
    assert "publisher: 'Suhrkamp' is on no sample page; copy the value exactly" in err
    status, _, err = cli(*ADMIN, "builds", "feedback", build_id, "--field", "title", "--drop",
                         "--wrong")
    assert status == 2 and "Say one correction" in err and "--drop and --wrong" in err
    status, _, err = cli(*ADMIN, "builds", "feedback", build_id, "--field", "title",
                         "--retype", "colour")
    assert status == 2 and "retype title: choose one of string" in err
    status, _, err = cli(*ADMIN, "builds", "feedback", build_id, "--field", "isbn", "--drop")
    assert status == 2 and "drop: there is no field 'isbn'" in err
    doc = json.loads(cli(*ADMIN, "builds", "show", build_id)[1])
    assert doc["iteration"] == 5 and list(doc["package"]["fields"]) == [
        "title", "author", "publisher"]
    assert doc["samples"]["publisher"]["values"] == ["Kiepenheuer", "Aufbau Verlag"]


def test_a_confirmed_build_runs_on_other_urls(cli, site, db) -> None:
    from sqlalchemy import select

    from db.models import Result, Run

    status, out, err = cli(*ADMIN, "builds", "create", "--objective",
                           "books: title, isbn_13, publisher", "--file",
                           str(SITES / "books" / "item" / "quiet-harbour.html"), "--wait")
    assert status == 0, err
    build_id = out.split()[1]
    status, _, err = cli(*ADMIN, "builds", "run", build_id, f"{site}/books/item/winter-lines.html")
    assert status == 2 and "Confirm the build first" in err
    assert cli(*ADMIN, "builds", "confirm", build_id)[0] == 0
    status, out, err = cli(*ADMIN, "builds", "run", build_id,
                           f"{site}/books/item/winter-lines.html", "--wait")
    assert status == 0, err
    run_id = out.split()[1]
    with db.transaction() as session:
        run = session.get(Run, uuid.UUID(run_id))
        assert run.status == "completed" and run.build_id == uuid.UUID(build_id)
        assert run.target_urls == [f"{site}/books/item/winter-lines.html"]
        [data] = session.scalars(select(Result.data).where(Result.run_id == run.id))
    assert data == {"title": "Winter Lines", "isbn_13": "9780000000024", "publisher": "Northway"}
    status, _, err = cli(*ADMIN, "builds", "run", build_id, "ftp://example.com/x")
    assert status == 2 and "Some sample URLs cannot be used" in err
