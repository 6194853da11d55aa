"""ScrapeDeck's verdicts agree with Lighthouse's on Lighthouse's own SEO smoke tests.

The pages, the robots.txt and the expectations are read from tests/fixtures/corpora/lighthouse-seo
(Lighthouse's own files, and a transcription of its seo-*.js smoke-test definitions). Each page is served the way
Lighthouse's static server serves it — same path (/seo/<file>), same extra response headers,
same status code — and every audit the smoke test asserts is asserted here: the verdict (score
1 → pass, 0 → fail, null → error), failing-item counts, link-text items with their language,
display values and explanations.

The host: Lighthouse serves at http://localhost:10200 and its pages hard-code that origin in
canonical links (<link rel=canonical href="http://localhost:10200/seo/">, and the same in the
seo-passing Link header). Our server listens on 127.0.0.1 on a free port, and the page is
requested as http://localhost:PORT/… . "localhost" is what the canonical audit's rules look
at (same registered domain — the port is not part of it — and a path that is not the root), so
the expectation's meaning is kept without rewriting a byte of the page or the headers.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.seo.conftest import LIGHTHOUSE_CORPUS, AuditUrl

EXPECTATIONS = json.loads((LIGHTHOUSE_CORPUS / "expectations.json").read_text())
CASES = {name: case for name, case in EXPECTATIONS.items() if not name.startswith("_")}
VERDICT_OF_SCORE = {1: "pass", 0: "fail", None: "error"}


def _served_url(server: Any, case: dict[str, Any]) -> str:
    path = "/" + case["file"].removeprefix("cli/test/fixtures/")
    return server.url(path, host="localhost", status_code=case.get("http_status"),
                      headers=[tuple(h) for h in case.get("extra_response_headers", [])])


@pytest.fixture(scope="module")
def audits(lighthouse_server: Any, audit_served: AuditUrl) -> dict[str, Any]:
    return {name: audit_served(_served_url(lighthouse_server, case))
            for name, case in CASES.items()}


def test_every_case_of_the_corpus_is_checked() -> None:
    assert set(CASES) == {"seo-passing", "seo-failing", "seo-status-403", "seo-mixed-language"}


@pytest.mark.parametrize("case_name,audit_id", [
    (name, audit_id) for name, case in CASES.items() for audit_id in case["audits"]])
def test_verdict_agrees_with_lighthouse(audits: dict[str, Any], case_name: str,
                                        audit_id: str) -> None:
    expected = CASES[case_name]["audits"][audit_id]
    result = audits[case_name].result(audit_id)

    assert result.verdict == VERDICT_OF_SCORE[expected["score"]], result.details
    if "failing_items" in expected:
        assert len(result.evidence) == expected["failing_items"], result.evidence
    if "items" in expected:
        assert [{"text": e["text"], "textLang": e["textLang"]} for e in result.evidence] == \
            expected["items"]
    if "displayValue" in expected:
        assert result.details == expected["displayValue"]
    if "explanation" in expected:
        assert result.details == expected["explanation"]


def test_an_error_status_stops_the_audit_like_lighthouse(audits: dict[str, Any]) -> None:
    audit = audits["seo-status-403"]
    assert CASES["seo-status-403"]["runtimeError"] == "ERRORED_DOCUMENT_REQUEST (Status code: 403)"
    assert audit.status_code == 403
    assert "403" in audit.error and "ERRORED_DOCUMENT_REQUEST" in audit.error
    assert audit.score is None
    assert len(audit.not_checked) == len(audit.audits)


def test_scores(audits: dict[str, Any]) -> None:
    # seo-passing: image-alt and structured-data do not apply; of the rest (is-crawlable 4.043,
    # eight audits of weight 1) only crawlable-anchors fails.
    assert audits["seo-passing"].score == round((4.043 + 7) / (4.043 + 8) * 100) == 92
    assert audits["seo-failing"].score < 50
