"""``python -m core seo report ID --format html|pdf --out PATH``, run in-process."""

from __future__ import annotations

import pytest

from core.seo import reports
from db.models import SeoReport
from tests.seo.test_reports import FIRST


@pytest.fixture
def report_id(db, cli, analyst):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        summary = reports.request_audit(session, analyst, "https://example.com/", spawn=False)
        row = session.get(SeoReport, summary.id)
        for name, value in reports.report_columns(FIRST).items():
            setattr(row, name, value)
    return str(summary.id)


def test_report_writes_html_and_pdf(cli, analyst, report_id, tmp_path) -> None:
    status, out, err = cli("--user", analyst.email, "seo", "report", report_id,
                           "--format", "html", "--out", str(tmp_path / "r.html"))
    assert status == 0, err
    assert "Wrote" in out and "SEO score 70/100" in (tmp_path / "r.html").read_text()
    status, out, err = cli("--user", analyst.email, "seo", "report", report_id,
                           "--out", str(tmp_path / "r.pdf"))  # PDF is the default
    assert status == 0, err
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")


def test_unknown_or_foreign_report_is_a_clear_error(cli, make_user, report_id, tmp_path) -> None:
    other = make_user("analyst")
    for bad in ("nope", report_id):
        status, _, err = cli("--user", other.email, "seo", "report", bad, "--format", "html",
                             "--out", str(tmp_path / "x.html"))
        assert status == 1 and "Report not found" in err
    assert not (tmp_path / "x.html").exists()
