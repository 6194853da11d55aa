"""``python -m core seo report ID --format html|pdf --out PATH``, run in-process."""

from __future__ import annotations

import pytest

from tests.seo.test_reports import FIRST, store_report


@pytest.fixture
def report_id(db, cli, analyst):  # type: ignore[no-untyped-def]
    return str(store_report(db, analyst, FIRST, url="https://example.com/"))


def test_report_writes_html_and_pdf(cli, db, admin, analyst, report_id, tmp_path) -> None:
    status, out, err = cli("--user", analyst.email, "seo", "report", report_id,
                           "--format", "html", "--out", str(tmp_path / "r.html"))
    assert status == 0, err
    assert "Wrote" in out and "SEO score 70/100" in (tmp_path / "r.html").read_text()
    status, out, err = cli("--user", analyst.email, "seo", "report", report_id,
                           "--out", str(tmp_path / "r.pdf"))  # PDF is the default
    assert status == 0, err
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")
    from core.platform import audit
    with db.transaction() as session:
        log = audit.list_entries(session, admin, audit.AuditFilter(action="seo_report.file"))
    assert [str(c) for row in log.changes for c in row if c.field == "format"] == [
        "format: pdf", "format: html"]


def test_unknown_or_foreign_report_is_a_clear_error(cli, make_user, report_id, tmp_path) -> None:
    other = make_user("analyst")
    for bad in ("nope", report_id):
        status, _, err = cli("--user", other.email, "seo", "report", bad, "--format", "html",
                             "--out", str(tmp_path / "x.html"))
        assert status == 2 and "Report not found" in err
    assert not (tmp_path / "x.html").exists()


def test_out_replaces_a_file_only_with_force_and_never_a_fifo(cli, analyst, report_id,
                                                               tmp_path) -> None:
    import os

    def report(out, *extra):  # type: ignore[no-untyped-def]
        return cli("--user", analyst.email, "seo", "report", report_id, "--format", "html",
                   "--out", str(out), *extra)

    kept = tmp_path / "kept.html"
    kept.write_text("keep me")
    status, _, err = report(kept)
    assert status == 2 and f"{kept} already exists: add --force to replace it." in err
    assert kept.read_text() == "keep me"
    assert report(kept, "--force")[0] == 0 and "SEO score" in kept.read_text()
    os.mkfifo(fifo := tmp_path / "fifo")
    status, _, err = report(fifo, "--force")
    assert status == 2 and "it exists and is not a regular file" in err
    status, _, err = report(tmp_path / "missing" / "r.html")
    assert status == 2 and "does not exist (create it first)" in err
