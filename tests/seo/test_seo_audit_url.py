"""Auditing a URL end to end: fetched over HTTP from a local server, with the response headers
and status codes that decide audits, robots.txt fetched alongside, and every kind of bad input
turned into a clear ``error`` and ``not_checked`` — never an exception."""

from __future__ import annotations

import socket

import pytest

from core.platform.errors import ValidationError
from core.seo import audit_url
from tests.fixtures.seo.server import SeoServer
from tests.seo.conftest import AuditUrl, local_options


def test_a_served_page_passes_with_its_canonical_link_header(seo_server: SeoServer,
                                                             audit_served: AuditUrl) -> None:
    page_url = f"{seo_server.base_url}/pages/good.html"
    url = seo_server.url("/pages/good.html", headers=[("link", f"<{page_url}>; rel=canonical")])
    audit = audit_served(url)
    assert audit.error is None and audit.status_code == 200
    assert audit.score == 100
    assert audit.result("canonical").verdict == "pass"
    assert audit.result("robots-txt").details == f"{seo_server.base_url}/robots.txt is valid."
    assert audit.response_time_ms is not None and audit.page_bytes == len(
        (seo_server.root / "pages" / "good.html").read_bytes())


@pytest.mark.parametrize("header,verdict,google", [
    ("noindex", "fail", "fail"),
    # Lighthouse: other bots may still index, so is-crawlable passes; Google may not
    ("googlebot: noindex", "pass", "fail"),
    ("bingbot: noindex", "pass", "pass"),
    ("unavailable_after: 1 Jan 2001 00:00:00 GMT", "fail", "fail"), ("noarchive", "pass", "pass"),
])
def test_x_robots_tag_header(seo_server: SeoServer, audit_served: AuditUrl, header: str,
                             verdict: str, google: str) -> None:
    audit = audit_served(seo_server.url("/pages/good.html", headers=[("x-robots-tag", header)]))
    assert audit.result("is-crawlable").verdict == verdict
    assert audit.result("googlebot-indexable").verdict == google
    assert audit.facts["indexable"] is (google == "pass")


def test_repeated_link_headers_all_count(seo_server: SeoServer, audit_served: AuditUrl) -> None:
    headers = [("link", "<https://lamps.example/a>; rel=canonical"),
               ("link", "<https://lamps.example/b>; rel=canonical")]
    audit = audit_served(seo_server.url("/pages/good.html", headers=headers))
    assert audit.result("canonical").details == \
        "Multiple conflicting URLs (https://lamps.example/a, https://lamps.example/b)"


def test_robots_txt_disallow_for_everyone_and_for_googlebot(seo_server: SeoServer,
                                                            audit_served: AuditUrl) -> None:
    private = audit_served(seo_server.url("/pages/private.html"))
    google = audit_served(seo_server.url("/pages/no-google.html"))
    # Googlebot follows only its own group of rules, which does not list /pages/private.html:
    # one bot may crawl it, so Lighthouse's is-crawlable passes in both cases
    assert private.result("is-crawlable").verdict == google.result("is-crawlable").verdict \
        == "pass"
    assert [e["user_agent"] for e in private.result("googlebot-indexable").evidence] == ["*"]
    assert [e["user_agent"] for e in google.result("googlebot-indexable").evidence] == \
        ["Googlebot"]


def test_a_site_without_robots_txt(tmp_path_factory: pytest.TempPathFactory,
                                   audit_served: AuditUrl) -> None:
    root = tmp_path_factory.mktemp("site")
    (root / "page.html").write_text("<title>Lamps</title><h1>Lamps</h1>")
    with SeoServer(root) as server:
        audit = audit_served(server.url("/page.html"))
    assert audit.result("robots-txt").verdict == "not_applicable"
    assert audit.result("is-crawlable").verdict == "pass"


def test_an_error_status_is_reported_not_audited(seo_server: SeoServer,
                                                 audit_served: AuditUrl) -> None:
    audit = audit_served(seo_server.url("/pages/good.html", status_code=500))
    assert audit.status_code == 500 and audit.score is None
    assert "HTTP 500" in audit.error
    missing = audit_served(seo_server.url("/pages/missing.html"))
    assert missing.status_code == 404 and {a.verdict for a in missing.audits} == {"error"}


def test_a_redirect_chain_is_followed_and_reported(seo_server: SeoServer,
                                                   audit_served: AuditUrl) -> None:
    final = seo_server.url("/pages/good.html")
    middle = seo_server.url("/hop", redirect_to=final)
    audit = audit_served(seo_server.url("/start", redirect_to=middle))
    assert audit.final_url == final and audit.redirects == [middle, final]
    assert audit.result("redirects").verdict == "fail"
    assert audit.result("redirects").evidence[0]["hops"] == 2


# -- bad input ---------------------------------------------------------------------------------

def _assert_not_audited(audit, says: str) -> None:  # type: ignore[no-untyped-def]
    assert audit.error is not None and says in audit.error, audit.error
    assert audit.score is None
    assert len(audit.not_checked) == len(audit.audits)
    assert all(reason.endswith(audit.error) for reason in audit.not_checked)


def test_unreachable_host(audit_served: AuditUrl) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _assert_not_audited(audit_served(f"http://127.0.0.1:{port}/"), "connection failed")


def test_not_html(seo_server: SeoServer, audit_served: AuditUrl) -> None:
    audit = audit_served(seo_server.url("/pages/data.json"))
    _assert_not_audited(audit, "not an HTML page (content-type: application/json)")
    assert audit.status_code == 200


def test_a_10_mb_page_is_cut_off(seo_server: SeoServer, audit_served: AuditUrl) -> None:
    audit = audit_served(seo_server.url("/big", huge=10_500_000))
    _assert_not_audited(audit, "response larger than 10000000 bytes")


def test_a_redirect_loop(seo_server: SeoServer, audit_served: AuditUrl) -> None:
    loop = seo_server.url("/loop", loop=1)
    _assert_not_audited(audit_served(loop), "redirect loop")


def test_private_addresses_are_refused_unless_allowed(seo_server: SeoServer,
                                                      audit_served: AuditUrl) -> None:
    audit = audit_served(seo_server.url("/pages/good.html"), allow_private=False)
    _assert_not_audited(audit, "ALLOW_PRIVATE_ADDRESSES")


@pytest.mark.parametrize("url", ["not a url", "ftp://lamps.example/", "http://"])
def test_an_invalid_url_raises_a_validation_error(url: str) -> None:
    with pytest.raises(ValidationError):
        audit_url(url, options=local_options())
