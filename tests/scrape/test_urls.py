"""Which URLs the engine may fetch: http(s) only, and no private addresses unless allowed."""

import re

import pytest

from core.errors import ValidationError
from core.scrape.urls import check_redirect_url, check_target_url

PUBLIC = "http://93.184.216.34/catalog?page=2"  # an IP literal: no DNS needed


def test_a_public_address_is_accepted_and_returned_trimmed() -> None:
    assert check_target_url(f"  {PUBLIC} ", allow_private=False) == PUBLIC


@pytest.mark.parametrize(("url", "kind"), [
    ("http://127.0.0.1:8000/", "loopback"),
    ("http://localhost/admin", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://10.1.2.3/", "private"),
    ("https://192.168.0.10/router", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://224.0.0.1/", "multicast"),
    ("http://0.0.0.0:5432/", "unspecified"),
    ("http://100.64.0.1/", "non-public"),
])
def test_private_loopback_and_link_local_addresses_are_refused(url: str, kind: str) -> None:
    with pytest.raises(ValidationError, match=f"a {kind} address") as caught:
        check_target_url(url, allow_private=False)
    assert "ALLOW_PRIVATE_ADDRESSES" in str(caught.value)


def test_private_addresses_are_allowed_with_the_flag() -> None:
    url = "http://127.0.0.1:8000/catalog"
    assert check_target_url(url, allow_private=True) == url


@pytest.mark.parametrize(("url", "message"), [
    ("ftp://93.184.216.34/file.html", "only http and https URLs are allowed (scheme: 'ftp')"),
    ("javascript:alert(1)", "only http and https"),
    ("example.com/page", "scheme: none"),
    ("http:///just/a/path", "has no host name"),
    ("http://93.184.216.34:99999/", "invalid port"),
])
def test_other_schemes_and_malformed_urls_are_refused_even_with_the_flag(url: str,
                                                                          message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        check_target_url(url, allow_private=True)


def test_a_relative_redirect_is_resolved_against_the_page_that_sent_it() -> None:
    assert (check_redirect_url("/p/3", from_url=PUBLIC, allow_private=False)
            == "http://93.184.216.34/p/3")


def test_a_redirect_into_the_private_network_is_refused_and_names_both_ends() -> None:
    with pytest.raises(ValidationError) as caught:
        check_redirect_url("http://169.254.169.254/", from_url=PUBLIC, allow_private=False)
    assert str(caught.value).startswith(f"redirect from {PUBLIC} refused:")
    assert "link-local" in str(caught.value)
