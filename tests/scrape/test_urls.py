"""Which URLs the engine may fetch: http(s) only, and no private addresses unless allowed."""

import random
import re
from urllib.parse import urljoin

import pytest

from core.platform.errors import ValidationError
from core.scrape.urls import (AddressPolicy, check_redirect_url, check_target_url, host_address,
                              join, normalize_url, parse_networks, require_url)

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


@pytest.mark.parametrize(("host", "address"), [
    ("127.0.0.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"), ("017700000001", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"),
    ("0x7F000001", "127.0.0.1"), ("10.1", "10.0.0.1"), ("169.254.43518", "169.254.169.254"),
    ("localhost.", "127.0.0.1"), ("Shop.LOCALHOST", "127.0.0.1"), ("::1", "::1"),
    ("shop.example", None), ("1.2.3.example", None),
])
def test_a_host_is_read_as_a_browser_reads_it(host: str, address: str | None) -> None:
    found = host_address(host)
    assert (str(found) if found else None) == address


@pytest.mark.parametrize("host", ["256.1.1.1", "1.2.3.4.5", "0x1g.1", "09.1.1.1"])
def test_a_host_that_looks_like_an_address_but_is_not_one_is_refused(host: str) -> None:
    with pytest.raises(ValidationError, match="is not a valid IPv4 address"):
        check_target_url(f"http://{host}/", allow_private=False, resolve=False)


@pytest.mark.parametrize(("url", "form"), [
    ("http://[2002:7f00:1::]/", "6to4"), ("http://[64:ff9b::a9fe:a9fe]/", "NAT64"),
    ("http://[64:ff9b:1::a00:1]/", "NAT64"),
])
def test_ipv6_forms_of_private_ipv4_addresses_say_which_form(url: str, form: str) -> None:
    with pytest.raises(ValidationError, match=f"the {form} form of a"):
        check_target_url(url, allow_private=False, resolve=False)


def test_nat64_of_a_public_address_is_public() -> None:
    # An IPv6-only network with DNS64 reaches every IPv4 site this way.
    url = "http://[64:ff9b::5db8:d822]/"  # 93.184.216.34
    assert check_target_url(url, allow_private=False, resolve=False) == url


def test_allowed_networks_lift_the_rule_for_those_networks_only() -> None:
    policy = AddressPolicy(allowed_networks=parse_networks("10.1.0.0/16, 127.0.0.1"))
    assert check_target_url("http://10.1.2.3/", allow_private=policy) == "http://10.1.2.3/"
    assert check_target_url("http://127.0.0.1:8000/", allow_private=policy)
    for refused in ("http://10.2.0.1/", "http://127.0.0.2/", "http://169.254.169.254/"):
        with pytest.raises(ValidationError, match="ALLOWED_PRIVATE_NETWORKS"):
            check_target_url(refused, allow_private=policy)
    with pytest.raises(ValidationError, match="'10.1.0.0/33' is not an address or a network"):
        parse_networks("10.1.0.0/33")


@pytest.mark.parametrize(("url", "expected"), [
    ("HTTP://Shop.Example:80/a/../b?q=1#top", "http://shop.example/b?q=1"),
    ("https://[::1]:443", "https://[::1]/"), ("https://u:p@shop.example:8443", "https://shop.example:8443/"),
])
def test_one_normal_form_for_stored_and_compared_urls(url: str, expected: str) -> None:
    assert normalize_url(url) == require_url(url) == expected


def test_a_typed_url_that_is_not_a_full_address_says_so() -> None:
    with pytest.raises(ValidationError, match="Enter a full http:// or https:// address"):
        require_url("shop.example/lamps")


JOIN_BASES = ["http://127.0.0.1:8080/list/3.html", "https://shop.example/a/b/", "http://h",
              "https://u:p@Shop.Example:443/a?q#f", "https://a.b/c;p?q", "http://a.b/x/../y/z",
              "http://a.b//x//y", "HTTPS://A.B/c", "http://[::1]:80/a", "http://[::1/a",
              "ftp://x/y", "mailto:a@b", "http:/x", ""]
JOIN_PIECES = [*"abXY09/.-_?#;:=&%@[]\\ \t~!$'()*+,", "..", "./", "//", "é", "\x01", "\u00a0",
               "http://", "https://", "HTTP://"]


@pytest.mark.parametrize(("base", "href", "expected"), [
    ("http://127.0.0.1:8080/list/3.html", "/product/12.html?p=2#top",
     "http://127.0.0.1:8080/product/12.html?p=2#top"),
    ("https://shop.example/catalogue/page-2.html", "item_7/index.html",
     "https://shop.example/catalogue/item_7/index.html"),
    ("https://shop.example/a/", "https://cdn.example/img/1.jpg", "https://cdn.example/img/1.jpg"),
    ("https://shop.example/a/b", "../c/./d", "https://shop.example/c/d"),  # the full way
    ("https://shop.example/a/b", "/x?", "https://shop.example/x"),
])
def test_join_is_urljoin(base: str, href: str, expected: str) -> None:
    assert join(base, href) == urljoin(base, href) == expected


def test_join_gives_urljoins_answer_or_error_for_any_link_and_base() -> None:
    # the short cuts (root paths, folder paths, plain URLs) must never differ from urljoin
    rng = random.Random(20261205)
    for _ in range(20_000):
        href = "".join(rng.choice(JOIN_PIECES) for _ in range(rng.randint(0, 10)))
        href = rng.choice(["", "/", "http://a.b", "https://A.b:80", "http://a.b:"]) + href
        base = rng.choice(JOIN_BASES)
        outcomes = []
        for joined in (join, urljoin):
            try:
                outcomes.append(joined(base, href))
            except ValueError as exc:
                outcomes.append(type(exc))
        assert outcomes[0] == outcomes[1], (base, href)


# URLs whose origins the check keeps once allowed, and others it must judge whole each time:
# the verdict (and a refusal's words) is the same the first time and every time after, under
# each policy, in any order.
VERDICT_URLS = [
    "http://93.184.216.34/a", "http://93.184.216.34/b?c#d", "http://127.0.0.1:8080/x",
    "http://127.0.0.1:8080/y", "https://shop.example/p/1", "https://shop.example:99999/p",
    "http://10.1.2.3/", "http://10.1.2.3/again", "http://localhost/", "http://a.localhost/x",
    "http://0x7f.1/", "http://2130706433/", "HTTP://127.0.0.1/", "http://user@127.0.0.1/",
    "http://shop.example\\@127.0.0.1/", "ftp://shop.example/", "http://[::1]/",
    "http://shop.example\n/x", " http://shop.example/", "http://999.1.1.1/",
]
POLICIES = [AddressPolicy(), AddressPolicy(allowed_networks=parse_networks("127.0.0.1")),
            AddressPolicy(allow_private=True)]


def _verdict(url: str, policy: AddressPolicy) -> str:
    try:
        return "allowed " + check_target_url(url, allow_private=policy, resolve=False)
    except ValidationError as exc:
        return f"refused {exc}"


def test_the_verdict_is_the_same_every_time_in_any_order() -> None:
    first = {(url, n): _verdict(url, policy) for url in VERDICT_URLS
             for n, policy in enumerate(POLICIES)}
    shuffled = list(first)
    random.Random(7).shuffle(shuffled)
    for _ in range(2):
        assert {key: _verdict(key[0], POLICIES[key[1]]) for key in shuffled} == first
    assert first[("http://127.0.0.1:8080/y", 0)].startswith("refused ")
    assert first[("http://127.0.0.1:8080/y", 1)] == "allowed http://127.0.0.1:8080/y"
    assert "loopback" in first[("http://shop.example\\@127.0.0.1/", 0)]  # not shop.example's
