"""``python -m core builds …``: create (and wait), show, confirm and make a job."""

from __future__ import annotations

import json

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

    status, out, err = cli(*ADMIN, "builds", "confirm", build_id, "--make-job")
    assert status == 0, err
    assert out.splitlines()[0] == f"Build {build_id} confirmed; remembered in the knowledge base."
    job_id = json.loads(cli(*ADMIN, "builds", "show", build_id)[1])["job_id"]
    assert "Schema " in out and f"job {job_id} created" in out

    status, out, _ = cli(*ADMIN, "builds", "list")
    assert status == 0 and "confirmed" in out


def test_bad_input_and_failed_builds_exit_non_zero(cli, site, tmp_path) -> None:
    status, _, err = cli(*ADMIN, "builds", "create", "--objective", "products")
    assert status == 1 and "Give at least one sample" in err
    status, _, err = cli(*ADMIN, "builds", "create", "--objective", "products", "--file",
                         str(tmp_path / "missing.html"))
    assert status == 1 and "Cannot read" in err
    status, out, err = cli(*ADMIN, "builds", "create", "--objective", "products",
                           f"{site}/nowhere.html", "--wait")
    assert status == 1
    assert "Build failed: No sample could be read:" in err and "HTTP 404" in err
    status, _, err = cli(*ADMIN, "builds", "show", "not-an-id")
    assert status == 1 and "Build not found." in err
