"""The address policy: what a chat tool's URL may reach, and that the CLI may reach anything.

Real servers on 127.0.0.1 stand in for hosts. A "public" host is a loopback server whose
one (address, port) pair the policy exempts, or a name that a resolver function (a real
one, written here: a fixed table) maps to loopback, so redirects and DNS answers can be
tested without the internet.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from fetch_pages import PARAGRAPHS, Site, article_page, self_signed, serve

from agent.errors import InputError
from agent.ingest.fetch import FetchError, fetch
from agent.ingest.policy import AddressPolicy, address_problem
from agent.ingest.sources import RawDoc, expand_inputs

CHAT = AddressPolicy.for_chat_tools()
CLI = AddressPolicy.for_cli()


@pytest.fixture(scope="module")
def inside() -> Iterator[Site]:
    """A server standing for something on the private side (never to be reached by chat)."""
    with serve() as s:
        s.page("/secret", article_page())
        yield s


@pytest.fixture(scope="module")
def outside(inside: Site) -> Iterator[Site]:
    """A server standing for a public host, redirecting into the private side."""
    with serve() as s:
        s.page("/news/flood", article_page())
        s.redirect("/to-loopback", f"{inside.base}/secret")
        s.redirect("/to-localhost", f"http://localhost:{inside.port}/secret")
        s.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")
        s.redirect("/to-metadata-name", "http://metadata.google.internal/computeMetadata/v1/")
        s.redirect("/to-private-name", f"http://intranet.corp:{inside.port}/secret")
        s.redirect("/to-mapped", f"http://[::ffff:127.0.0.1]:{inside.port}/secret")
        s.redirect("/to-gopher", "gopher://127.0.0.1:70/1")
        s.redirect("/to-self", "/news/flood")
        yield s


class Table:
    """A resolver: a fixed table of names, counting lookups (like a tiny DNS server)."""

    def __init__(self, table: dict[str, list[str]]):
        self.table = table
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.table:
            raise OSError(-2, "Name or service not known")
        return self.table[host]


class Rebinding:
    """Answers a public address first, loopback after: a DNS rebinding attack."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls += 1
        return ["93.184.216.34"] if self.calls == 1 else ["127.0.0.1"]


def _exempt(site: Site, resolver: object = None) -> AddressPolicy:
    policy = AddressPolicy.for_chat_tools(exempt=[("127.0.0.1", site.port)])
    if resolver is None:
        return policy
    return AddressPolicy(allow_private=False, exempt=policy.exempt, resolver=resolver)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.5.4", "private"),
        ("192.168.0.10", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("100.64.0.1", "CGNAT"),
        ("100.127.255.254", "CGNAT"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "metadata"),
        ("2002:7f00:1::", "loopback"),
        ("64:ff9b::a00:1", "private"),
        ("192.0.2.10", "private"),
    ],
)
def test_non_public_addresses_have_a_reason(address: str, problem: str) -> None:
    reason = address_problem(address)
    assert reason is not None and problem in reason


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:1.1.1.1"]
)
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(address) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8080/x",
        "http://[::1]/",
        "http://10.0.0.7/admin",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://100.64.3.2/",
        "http://0.0.0.0:80/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",
        "http://0x7f.1/",
        "https://127.1:8443/",
    ],
)
def test_chat_policy_refuses_inside_addresses(url: str) -> None:
    with pytest.raises(FetchError) as err:
        CHAT.check_url(url)
    assert err.value.kind == "blocked"
    assert "not fetched" in str(err.value) or "only reach public addresses" in str(err.value)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://ftp.example.com/a.txt",
        "gopher://127.0.0.1:70/",
        "data:text/html,<p>x</p>",
        "javascript:alert(1)",
        "ws://news.example/",
        "news.example.com/story",
    ],
)
@pytest.mark.parametrize("policy", [CHAT, CLI], ids=["chat", "cli"])
def test_only_http_and_https(url: str, policy: AddressPolicy) -> None:
    with pytest.raises(FetchError) as err:
        fetch(url, policy=policy)
    assert err.value.kind == "scheme" and "only http and https" in str(err.value)
    assert isinstance(err.value, InputError)


def test_every_resolved_address_is_checked() -> None:
    resolver = Table(
        {"mixed.example": ["93.184.216.34", "10.0.0.5"], "public.example": ["93.184.216.34"]}
    )
    policy = AddressPolicy(allow_private=False, resolver=resolver)
    with pytest.raises(FetchError) as err:
        policy.check_url("https://mixed.example/story")
    assert "mixed.example resolves to 10.0.0.5, which is a private address" in str(err.value)
    target = policy.check_url("https://public.example/story")
    assert target.addresses == ("93.184.216.34",) and target.port == 443
    with pytest.raises(FetchError) as err:
        policy.check_url("https://unknown.example/")
    assert err.value.kind == "dns" and "cannot resolve unknown.example" in str(err.value)


# --------------------------------------------------------------------------- fetching


def test_chat_policy_refuses_loopback_and_nothing_is_sent(inside: Site) -> None:
    before = len(inside.seen)
    with pytest.raises(FetchError) as err:
        fetch(f"{inside.base}/secret", policy=CHAT)
    assert err.value.kind == "blocked" and "loopback" in str(err.value)
    assert len(inside.seen) == before


def test_cli_policy_fetches_loopback(inside: Site) -> None:
    page = fetch(f"{inside.base}/secret", policy=CLI)
    assert page.status == 200 and PARAGRAPHS[0].encode() in page.body
    page = fetch(f"http://localhost:{inside.port}/secret", policy=CLI)
    assert page.status == 200


def test_exempt_host_stands_for_a_public_one(outside: Site) -> None:
    page = fetch(f"{outside.base}/to-self", policy=_exempt(outside))
    assert page.final_url == f"{outside.base}/news/flood" and page.status == 200


@pytest.mark.parametrize(
    ("path", "kind", "expected"),
    [
        ("/to-loopback", "blocked", "127.0.0.1 is a loopback address"),
        (
            "/to-localhost",
            "blocked",
            "localhost resolves to 127.0.0.1, which is a loopback address",
        ),
        ("/to-metadata", "blocked", "169.254.169.254 is a cloud metadata address"),
        ("/to-metadata-name", "blocked", "metadata.google.internal is a cloud metadata host"),
        (
            "/to-private-name",
            "blocked",
            "intranet.corp resolves to 10.20.30.40, which is a private address",
        ),
        ("/to-mapped", "blocked", "loopback address (inside an IPv6 address)"),
        ("/to-gopher", "scheme", "only http and https URLs can be fetched (gopher: refused)"),
    ],
)
def test_redirect_from_an_allowed_host_into_the_inside_is_refused(
    outside: Site, inside: Site, path: str, kind: str, expected: str
) -> None:
    resolver = Table({"intranet.corp": ["10.20.30.40"], "localhost": ["127.0.0.1", "::1"]})
    before = len(inside.seen)
    with pytest.raises(FetchError) as err:
        fetch(f"{outside.base}{path}", policy=_exempt(outside, resolver))
    assert "redirect refused" in str(err.value) and expected in str(err.value)
    assert err.value.kind == kind
    assert len(inside.seen) == before  # the inside server never saw a request


def test_the_checked_address_is_the_one_connected_to(outside: Site) -> None:
    """A name only the policy's resolver knows: the connection must go to its answer."""
    resolver = Table({"news.example": ["127.0.0.1"]})
    policy = _exempt(outside, resolver)
    page = fetch(f"http://news.example:{outside.port}/news/flood", policy=policy)
    assert page.status == 200 and PARAGRAPHS[1].encode() in page.body
    assert resolver.lookups.count("news.example") == 2  # the check, then the connection


def test_dns_rebinding_between_check_and_connect_is_caught(outside: Site) -> None:
    resolver = Rebinding()
    policy = AddressPolicy(allow_private=False, resolver=resolver)
    before = len(outside.seen)
    with pytest.raises(FetchError) as err:
        fetch(f"http://rebind.example:{outside.port}/news/flood", policy=policy)
    assert err.value.kind == "blocked"
    assert "rebind.example resolves to 127.0.0.1, which is a loopback address" in str(err.value)
    assert resolver.calls == 2 and len(outside.seen) == before


def test_feed_item_links_follow_the_policy(outside: Site, inside: Site) -> None:
    """A public feed whose items point inside: each item refused, reported, summary used."""
    feed = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
        f"<item><title>in</title><link>{inside.base}/secret</link>"
        "<description>Feed text of the item about the flood.</description></item>"
        f"<item><title>out</title><link>{outside.base}/news/flood</link></item>"
        "</channel></rss>"
    )
    outside.page("/feed.rss", feed, content_type="application/rss+xml")
    before = len(inside.seen)
    out = expand_inputs([f"{outside.base}/feed.rss"], policy=_exempt(outside))
    assert [name for name, _ in out] == [f"{inside.base}/secret", f"{outside.base}/news/flood"]
    first, second = (doc for _, doc in out)
    assert isinstance(first, RawDoc) and first.text == "Feed text of the item about the flood."
    assert "loopback address" in first.warnings[0]
    assert isinstance(second, RawDoc) and PARAGRAPHS[0] in second.text
    assert len(inside.seen) == before


def test_chat_inputs_report_refusals_per_input(inside: Site, outside: Site) -> None:
    out = expand_inputs(
        [f"{inside.base}/secret", "file:///etc/passwd", f"{outside.base}/news/flood"],
        policy=_exempt(outside),
    )
    kinds = [r.kind if isinstance(r, FetchError) else type(r).__name__ for _, r in out]
    assert kinds == ["blocked", "scheme", "RawDoc"]


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, ssl.SSLContext]]:
    """An HTTPS server on 127.0.0.1 with a certificate for secure.example, and a client
    context that trusts that certificate."""
    directory = tmp_path_factory.mktemp("tls")
    made = self_signed(str(directory), "secure.example")
    if made is None:
        pytest.skip("the openssl tool is not installed")
    cert, key = made
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=cert)
    with serve(tls=server_ctx) as s:
        s.page("/news/flood", article_page())
        yield s, client_ctx
    assert Path(cert).exists()


def test_https_to_the_checked_address_still_verifies_the_host_name(
    secure: tuple[Site, ssl.SSLContext],
) -> None:
    site, trust = secure
    resolver = Table({"secure.example": ["127.0.0.1"], "impostor.example": ["127.0.0.1"]})
    policy = _exempt(site, resolver)
    page = fetch(f"https://secure.example:{site.port}/news/flood", policy=policy, verify=trust)
    assert page.status == 200 and PARAGRAPHS[0].encode() in page.body
    # Same address, another name: the certificate does not match, so TLS refuses.
    with pytest.raises(FetchError) as err:
        fetch(f"https://impostor.example:{site.port}/news/flood", policy=policy, verify=trust)
    assert err.value.kind == "tls"
    # Without the test's trust the self-signed certificate is refused too.
    with pytest.raises(FetchError) as err:
        fetch(f"https://secure.example:{site.port}/news/flood", policy=policy)
    assert err.value.kind == "tls" and "certificate" in str(err.value).lower()
