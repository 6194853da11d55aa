"""The Markdown export: the final design with its evidence, and every piece of text a user or a
web page wrote shown literally (no link, image or HTML of theirs survives)."""

from __future__ import annotations

from core.advisor import records
from core.advisor.export import to_markdown
from core.worker import execute_one
from tests.advisor.conftest import SCENARIO


def test_the_export_holds_the_final_design_its_findings_and_their_evidence(
        db, analyst, docs) -> None:
    with db.transaction() as session:
        asked = records.ask(session, analyst, SCENARIO + " [click](http://evil.example) <b>x</b>",
                            "both")
    for run_id in asked.run_ids.values():
        execute_one(db, "advisor", run_id)
    with db.transaction() as session:
        markdown = to_markdown(records.show(session, analyst, asked.query_id))
    assert "## AWS: accepted" in markdown and "## AZURE: accepted" in markdown
    assert "Final design (iteration 1 of 1):" in markdown
    assert "Amazon Aurora PostgreSQL" in markdown and "zone\\-redundant high availability" in \
        markdown
    assert "### Critical findings" in markdown and "- PASS availability (database)" in markdown
    assert f"<{docs.base('aws')}/AmazonRDS/latest/AuroraUserGuide/" \
           "Concepts.AuroraHighAvailability.html>" in markdown
    assert "    > \\*\\*Tip\\*\\* Within each AWS Region" in markdown
    assert "distribute the primary instance and reader instances" in markdown
    assert "\\[click\\]\\(http\\:" in markdown and "\\<b\\>" in markdown  # shown, not rendered
    assert "- 0: " in markdown and "Single\\-AZ → Amazon Aurora" in markdown


def test_export_writes_markdown_and_a_pdf_printed_by_chromium(cli, analyst, db, docs,
                                                              tmp_path) -> None:
    import json
    import uuid

    from tests.conftest import chromium_or_skip

    out = cli("--user", analyst.email, "advisor", "ask", SCENARIO, "--providers", "aws",
              "--json")[1]
    run_id = json.loads(out)["runs"]["aws"]
    execute_one(db, "advisor", uuid.UUID(run_id))
    status, out, err = cli("--user", analyst.email, "advisor", "export", run_id, "--out",
                           str(tmp_path / "a.md"))
    assert status == 0 and "## AWS: accepted" in (tmp_path / "a.md").read_text()
    with chromium_or_skip():
        status, out, err = cli("--user", analyst.email, "advisor", "export", run_id,
                               "--format", "pdf", "--out", str(tmp_path / "a.pdf"))
        assert status == 0, err
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")
    status, _out, err = cli("--user", analyst.email, "advisor", "export", run_id, "--out",
                            str(tmp_path))  # a directory
    assert status == 2 and "Cannot write" in err
    status, _out, err = cli("--user", analyst.email, "advisor", "export", run_id, "--out",
                            str(tmp_path / "a.md"))  # written above
    assert status == 2 and "already exists: add --force to replace it." in err
    assert cli("--user", analyst.email, "advisor", "export", run_id, "--out",
               str(tmp_path / "a.md"), "--force")[0] == 0


def test_the_page_asks_a_worker_for_the_pdf_and_offers_the_file(db, analyst, viewer, docs,
                                                                 app_env) -> None:
    import pytest

    from core.advisor import export
    from core.platform.errors import Conflict, NotFound
    from tests.conftest import chromium_or_skip
    from tests.seo.test_reports_export import pdf_text

    with db.transaction() as session:
        asked = records.ask(session, analyst, SCENARIO + " <b>x</b>", "aws")
    with db.transaction() as session, pytest.raises(Conflict, match="still working"):
        export.request_pdf(session, analyst, asked.query_id)
    execute_one(db, "advisor", asked.run_ids["aws"])
    with db.transaction() as session:
        assert export.pdf_state(session, analyst, asked.query_id) is None
        with pytest.raises(NotFound, match="no PDF yet"):
            export.pdf_file(session, analyst, asked.query_id)
        assert export.request_pdf(session, analyst, asked.query_id).status == "processing"
        # a second request while it is printed does not start a twin
        assert export.request_pdf(session, analyst, asked.query_id).status == "processing"
    with db.transaction() as session, pytest.raises(Conflict, match="being prepared"):
        export.pdf_file(session, analyst, asked.query_id)
    with chromium_or_skip():
        assert export.perform_pdf(db, asked.query_id) == "completed"
    with db.transaction() as session:
        path, name, mime = export.pdf_file(session, analyst, asked.query_id)
        with pytest.raises(NotFound):  # someone else's question stays invisible
            export.pdf_file(session, viewer, asked.query_id)
    text = pdf_text(path.read_bytes())
    assert "AWS: accepted" in text and "Amazon Aurora PostgreSQL" in text
    assert "<b>x</b>" in text  # the user's text, shown literally
    assert name.startswith("advice-") and name.endswith(".pdf") and mime == "application/pdf"
