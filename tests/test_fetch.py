"""Fetching pages and feeds from a real HTTP server on 127.0.0.1, and extracting articles.

The address policy (what a chat tool may reach) is tested in test_fetch_policy.py; here the
CLI policy (any address) is used, since the test server is on loopback.
"""

from __future__ import annotations

import gzip
import http.server
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fetch_pages import (
    AUTHOR,
    DATE,
    FURNITURE,
    LATIN_PARAGRAPHS,
    LATIN_TITLE,
    PARAGRAPHS,
    PAYWALL_PROMPT,
    PAYWALL_TEASER,
    SITE,
    TITLE,
    Site,
    article_page,
    atom_feed,
    cp1252_page,
    hang,
    hard_paywall_page,
    latin1_page,
    paywall_page,
    rss_feed,
    serve,
    stream_huge,
)

from agent.errors import InputError
from agent.ingest.feeds import looks_like_feed, parse_feed
from agent.ingest.fetch import USER_AGENT, FetchError, fetch
from agent.ingest.policy import AddressPolicy
from agent.ingest.sources import RawDoc, expand_inputs
from agent.ingest.webpage import decode_html, extract_page, read_html_file

CLI = AddressPolicy.for_cli()
MB = 1024 * 1024
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + b"0" * 2000 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500


def _trickle(req: http.server.BaseHTTPRequestHandler) -> None:
    """Keeps sending a little every 0.2 s: never idle long enough for the read timeout."""
    req.send_response(200)
    req.send_header("Content-Type", "text/html")
    req.end_headers()
    try:
        for _ in range(40):
            req.wfile.write(b"<p>still loading</p>\n")
            req.wfile.flush()
            time.sleep(0.2)
    except (BrokenPipeError, ConnectionResetError):
        return


def _gzip_bomb(req: http.server.BaseHTTPRequestHandler) -> None:
    """40 MB of HTML that travels as about 40 kB of gzip."""
    packed = _gzip_bomb.packed  # type: ignore[attr-defined]
    req.send_response(200)
    req.send_header("Content-Type", "text/html")
    req.send_header("Content-Encoding", "gzip")
    req.send_header("Content-Length", str(len(packed)))
    req.end_headers()
    req.wfile.write(packed)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve() as s:
        s.page("/news/flood", article_page())
        s.page("/news/paywall", paywall_page())
        s.page("/news/hard-paywall", hard_paywall_page())
        s.page("/news/cp1252", cp1252_page(), content_type="text/html")
        s.page("/news/latin1", latin1_page(), content_type="text/html")
        s.page("/news/plain", "\n\n".join(PARAGRAPHS), content_type="text/plain; charset=utf-8")
        s.page("/news/empty", b"", content_type="text/html")
        s.page("/doc.pdf", PDF, content_type="application/pdf")
        s.page("/disguised", PDF, content_type="text/html")
        s.page("/photo.png", PNG, content_type="image/png")
        s.page(
            "/data.xml",
            b"<?xml version='1.0'?><catalog><book>x</book></catalog>",
            "application/xml",
        )
        s.redirect("/moved", "/news/flood", status=301)
        s.redirect("/loop/a", "/loop/b")
        s.redirect("/loop/b", "/loop/a")
        for n in range(8):
            s.redirect(f"/chain/{n}", f"/chain/{n + 1}")
        s.redirect("/to-file", "file:///etc/passwd")
        s.add("/huge", stream_huge(50 * MB, declare_length=False))
        s.add("/huge-declared", stream_huge(50 * MB, declare_length=True))
        s.add("/hang", hang(3.0))
        _gzip_bomb.packed = gzip.compress(b"<html><body>" + b" " * (40 * MB), 6)  # type: ignore[attr-defined]
        s.add("/gzip-bomb", _gzip_bomb)
        s.add("/trickle", _trickle)
        s.page(
            "/feed.rss",
            rss_feed(s.base, ["/news/flood", "/news/missing", "/news/hard-paywall"]),
            content_type="application/rss+xml",
        )
        s.page(
            "/feed.atom",
            atom_feed(s.base, ["news/flood", "news/cp1252"]),
            content_type="application/atom+xml",
        )
        s.page("/feed-as-xml", rss_feed(s.base, ["/news/flood"]), content_type="text/xml")
        yield s


def _no_furniture(text: str) -> None:
    leaked = [f for f in FURNITURE if f in text]
    assert not leaked, f"page furniture in the text: {leaked}"


# --------------------------------------------------------------------------- pages


def test_article_page_has_the_article_and_not_the_furniture(site: Site) -> None:
    page = fetch(f"{site.base}/news/flood", policy=CLI)
    assert (page.status, page.content_type, page.charset) == (200, "text/html", "utf-8")
    found = extract_page(page.body, page.final_url, page.charset)
    for paragraph in PARAGRAPHS:
        assert paragraph in found.text
    _no_furniture(found.text)
    assert found.text.startswith(PARAGRAPHS[0])  # the headline is metadata, not body
    assert (found.title, found.author, found.outlet, found.date) == (TITLE, AUTHOR, SITE, DATE)
    assert found.url == f"{site.base}/news/flood"
    assert ("/news/flood", USER_AGENT) in site.seen
    assert USER_AGENT.startswith("newsbrief/") and "(news brief tool)" in USER_AGENT


def test_paywall_stub_keeps_the_teaser_only(site: Site) -> None:
    page = fetch(f"{site.base}/news/paywall", policy=CLI)
    found = extract_page(page.body, page.final_url, page.charset)
    for paragraph in PAYWALL_TEASER:
        assert paragraph in found.text
    assert PAYWALL_PROMPT not in found.text and "Log in" not in found.text
    assert PARAGRAPHS[3] not in found.text
    _no_furniture(found.text)


def test_page_without_article_text_is_a_clear_error(site: Site) -> None:
    page = fetch(f"{site.base}/news/hard-paywall", policy=CLI)
    with pytest.raises(FetchError) as err:
        extract_page(page.body, page.final_url, page.charset)
    assert err.value.kind == "no_article"
    assert str(err.value).startswith(f"{site.base}/news/hard-paywall: no article text")


@pytest.mark.parametrize("path", ["/news/cp1252", "/news/latin1"])
def test_non_utf8_page_declared_only_in_meta(site: Site, path: str) -> None:
    page = fetch(f"{site.base}{path}", policy=CLI)
    assert page.charset is None  # the server said nothing; only <meta> knows
    found = extract_page(page.body, page.final_url, page.charset)
    assert found.title == LATIN_TITLE
    assert found.encoding == "cp1252"
    assert "Mühlbach räumte am Dienstag drei Straßen" in found.text
    assert "Bäckerin Jördis Weiß" in found.text and "Höchststand" in found.text
    if path.endswith("cp1252"):
        assert LATIN_PARAGRAPHS[1] in found.text  # „…“ and € survive
    assert "\ufffd" not in found.text and "Ã" not in found.text


def test_decoding_rules() -> None:
    text = "Straße „Zürich“ – 40 €"
    cp = f'<html><head><meta charset="windows-1252"></head><body>{text}</body></html>'.encode(
        "cp1252"
    )
    assert decode_html(cp)[0].endswith(f"{text}</body></html>")
    # A header that lies (says UTF-8) falls back to the page's <meta>.
    decoded, codec, warnings = decode_html(cp, "utf-8")
    assert text in decoded and codec == "cp1252" and "does not decode as declared" in warnings[0]
    # A single-byte declaration on a UTF-8 page: the bytes win.
    utf = f'<meta charset="iso-8859-1"><p>{text}</p>'.encode()
    decoded, codec, warnings = decode_html(utf)
    assert text in decoded and codec == "utf_8" and warnings
    # Nothing declared, not UTF-8: detected.
    bare = ("<p>" + "Die Bäckerin sagte, das Wasser stieg über die Straße. " * 20 + "</p>").encode(
        "cp1252"
    )
    decoded, _codec, warnings = decode_html(bare)
    assert "Bäckerin" in decoded and "Straße" in decoded and "detected" in warnings[0]
    # An unknown label is reported and ignored.
    assert "unknown charset" in decode_html(b'<meta charset="x-klingon"><p>hi</p>')[2][0]


def test_plain_text_page_is_taken_as_it_is(site: Site) -> None:
    [(name, doc)] = expand_inputs([f"{site.base}/news/plain"], policy=CLI)
    assert isinstance(doc, RawDoc) and name == doc.source == f"{site.base}/news/plain"
    assert doc.text == "\n\n".join(PARAGRAPHS)


def test_redirect_is_followed(site: Site) -> None:
    page = fetch(f"{site.base}/moved", policy=CLI)
    assert page.final_url == f"{site.base}/news/flood" and page.redirects == (
        f"{site.base}/news/flood",
    )
    assert page.url == f"{site.base}/moved"


def test_redirect_loop_is_a_clear_error(site: Site) -> None:
    with pytest.raises(FetchError) as err:
        fetch(f"{site.base}/loop/a", policy=CLI)
    assert err.value.kind == "redirect"
    assert "redirect loop" in str(err.value) and "/loop/b" in str(err.value)


def test_too_many_redirects(site: Site) -> None:
    with pytest.raises(FetchError) as err:
        fetch(f"{site.base}/chain/0", policy=CLI, max_redirects=3)
    assert err.value.kind == "redirect" and "more than 3 redirects" in str(err.value)
    with pytest.raises(FetchError) as err:  # exactly 3 hops are followed, to the 404 at the end
        fetch(f"{site.base}/chain/5", policy=CLI, max_redirects=3)
    assert err.value.kind == "status" and "redirected to" in str(err.value)
    assert str(err.value).endswith("/chain/8): HTTP 404 Not Found")


def test_redirect_to_another_scheme_is_refused_even_for_the_cli(site: Site) -> None:
    with pytest.raises(FetchError) as err:
        fetch(f"{site.base}/to-file", policy=CLI)
    assert err.value.kind == "scheme" and "redirect refused" in str(err.value)


def test_50_mb_page_is_cut_off_while_streaming(site: Site) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch(f"{site.base}/huge", policy=CLI, max_bytes=5 * MB)
    assert err.value.kind == "too_large" and "larger than 5.0 MB; stopped reading" in str(err.value)
    assert time.monotonic() - started < 10


def test_compressed_page_is_limited_by_its_decoded_size(site: Site) -> None:
    assert len(_gzip_bomb.packed) < 100_000  # type: ignore[attr-defined]
    with pytest.raises(FetchError) as err:
        fetch(f"{site.base}/gzip-bomb", policy=CLI, max_bytes=5 * MB)
    assert err.value.kind == "too_large" and "stopped reading" in str(err.value)


def test_declared_length_over_the_limit_is_refused_before_reading(site: Site) -> None:
    with pytest.raises(FetchError) as err:
        fetch(f"{site.base}/huge-declared", policy=CLI, max_bytes=5 * MB)
    assert err.value.kind == "too_large" and "(50.0 MB)" in str(err.value)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/doc.pdf", "not an article page: application/pdf"),
        ("/disguised", "not an article page: application/pdf (served as text/html)"),
        ("/photo.png", "not an article page: image/png"),
    ],
)
def test_pdf_and_images_are_not_article_pages(site: Site, path: str, expected: str) -> None:
    with pytest.raises(FetchError) as err:
        fetch(f"{site.base}{path}", policy=CLI)
    assert err.value.kind == "content_type"
    assert str(err.value) == f"{site.base}{path}: {expected}"


def test_404_and_empty_pages(site: Site) -> None:
    with pytest.raises(FetchError) as err:
        fetch(f"{site.base}/news/nowhere", policy=CLI)
    assert err.value.kind == "status" and str(err.value).endswith("HTTP 404 Not Found")
    with pytest.raises(FetchError) as err:
        fetch(f"{site.base}/news/empty", policy=CLI)
    assert err.value.kind == "empty"


def test_a_server_that_hangs_times_out(site: Site) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch(f"{site.base}/hang", policy=CLI, timeout=0.5)
    assert err.value.kind == "timeout"
    assert time.monotonic() - started < 2.5


def test_a_trickling_server_hits_the_overall_limit(site: Site) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch(f"{site.base}/trickle", policy=CLI, timeout=2.0, total_timeout=1.0)
    assert err.value.kind == "timeout" and "took too long" in str(err.value)
    assert time.monotonic() - started < 3.5


def test_nothing_listening_is_a_connect_error() -> None:
    with serve() as gone:
        dead = gone.base
    with pytest.raises(FetchError) as err:
        fetch(f"{dead}/x", policy=CLI, timeout=2)
    assert err.value.kind == "connect" and "cannot connect" in str(err.value)


# --------------------------------------------------------------------------- feeds


def test_rss_feed_items_are_fetched_and_a_failed_item_falls_back_to_its_summary(site: Site) -> None:
    out = expand_inputs([f"{site.base}/feed.rss"], policy=CLI)
    assert [name for name, _ in out] == [
        f"{site.base}/news/flood",
        f"{site.base}/news/missing",
        f"{site.base}/news/hard-paywall",
    ]
    docs = [doc for _, doc in out]
    assert all(isinstance(d, RawDoc) for d in docs)
    first, missing, walled = docs  # type: ignore[misc]
    assert PARAGRAPHS[5] in first.text and first.title == TITLE and not first.warnings
    _no_furniture(first.text)
    assert missing.text == "Summary 2: " + PARAGRAPHS[2]
    assert missing.title == "Flood update 2" and missing.date == "2025-03-12"
    assert "HTTP 404" in missing.warnings[0] and "used the feed's summary" in missing.warnings[0]
    assert "no article text" in walled.warnings[0]


def test_feed_limit(site: Site) -> None:
    out = expand_inputs([f"{site.base}/feed.rss"], policy=CLI, limit=1)
    assert len(out) == 1 and isinstance(out[0][1], RawDoc)
    with pytest.raises(InputError, match="--limit must be at least 1"):
        expand_inputs([f"{site.base}/feed.rss"], policy=CLI, limit=0)


def test_atom_feed_with_relative_links(site: Site) -> None:
    out = expand_inputs([f"{site.base}/feed.atom"], policy=CLI)
    assert [name for name, _ in out] == [f"{site.base}/news/flood", f"{site.base}/news/cp1252"]
    flood, german = (doc for _, doc in out)
    assert isinstance(flood, RawDoc) and PARAGRAPHS[0] in flood.text
    assert isinstance(german, RawDoc) and "Mühlbach" in german.text and german.title == LATIN_TITLE


def test_feed_served_as_plain_xml_is_recognised(site: Site) -> None:
    [(name, doc)] = expand_inputs([f"{site.base}/feed-as-xml"], policy=CLI)
    assert name == f"{site.base}/news/flood" and isinstance(doc, RawDoc)


def test_parse_feed_and_looks_like_feed() -> None:
    rss = rss_feed("http://news.test", ["/a", "/b"])
    atom = atom_feed("http://news.test", ["c"])
    items = parse_feed(rss, "http://news.test/feed")
    assert [(i.title, i.link, i.published) for i in items] == [
        ("Flood update 1", "http://news.test/a", "2025-03-11"),
        ("Flood update 2", "http://news.test/b", "2025-03-12"),
    ]
    assert "<p>" not in items[0].summary and items[0].summary.startswith(
        "Summary 1: The river rose"
    )
    [entry] = parse_feed(atom, "http://news.test/atom")
    assert (entry.link, entry.published) == ("http://news.test/c", "2025-03-11")
    assert looks_like_feed("application/rss+xml", b"")
    assert looks_like_feed("text/xml", rss) and looks_like_feed(None, atom)
    assert looks_like_feed(
        "application/xml", b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- x -->\n<rdf:RDF>"
    )
    assert not looks_like_feed("text/html", article_page().encode())
    assert not looks_like_feed("application/xml", b"<?xml version='1.0'?><catalog/>")
    with pytest.raises(FetchError) as err:
        parse_feed(b"<html><body>not a feed</body></html>", "http://news.test/x")
    assert err.value.kind == "feed"
    with pytest.raises(FetchError) as err:
        parse_feed(b"/etc/passwd")  # bytes are data, never a file name to open
    assert err.value.kind == "feed"


# --------------------------------------------------------------------------- inputs


def test_mixed_inputs_one_failure_does_not_stop_the_rest(site: Site, tmp_path: Path) -> None:
    local = tmp_path / "story.html"
    local.write_text(article_page(), encoding="utf-8")
    german = tmp_path / "bericht.htm"
    german.write_bytes(cp1252_page())
    notes = tmp_path / "notes.txt"
    notes.write_text("plain text for the usual loader")
    feed = tmp_path / "saved.rss"
    feed.write_bytes(rss_feed(site.base, ["/news/flood"]))
    specs = [
        f"{site.base}/news/flood",
        f"{site.base}/news/gone",
        str(local),
        str(notes),
        str(german),
        str(tmp_path / "missing.html"),
        "ftp://files.example/story.txt",
        f"{site.base}/doc.pdf",
        f"{site.base}/data.xml",
        str(feed),
    ]
    results = expand_inputs(specs, policy=CLI)
    assert [name for name, _ in results] == specs[:-1] + [f"{site.base}/news/flood"]
    kinds = [type(r).__name__ if not isinstance(r, FetchError) else r.kind for _, r in results]
    assert kinds == [
        "RawDoc",
        "status",
        "RawDoc",
        "NoneType",
        "RawDoc",
        "file",
        "scheme",
        "content_type",
        "content_type",
        "RawDoc",
    ]
    from_file = results[2][1]
    assert isinstance(from_file, RawDoc) and from_file.text == results[0][1].text  # type: ignore[union-attr]
    assert from_file.url is None and from_file.source == str(local)
    assert "Straßen" in results[4][1].text  # type: ignore[union-attr]
    assert "ftp: refused" in str(results[6][1])


def test_local_html_file_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    with pytest.raises(FetchError) as err:
        read_html_file(empty)
    assert err.value.kind == "empty"
    nav_only = tmp_path / "index.html"
    nav_only.write_text(hard_paywall_page())
    with pytest.raises(FetchError) as err:
        read_html_file(nav_only)
    assert err.value.kind == "no_article" and str(nav_only) in str(err.value)


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x01\x02" * 100,
        b"<" * 10000,
        b"<div>" * 5000,
        b"<html><script>" + b"x" * 10000 + b"</script></html>",
        bytes(range(256)) * 20,
        b"<?xml version='1.0'?><rss><channel><item><title>cut",
    ],
    ids=["control", "angles", "deep", "script-only", "binary", "cut-feed"],
)
def test_broken_markup_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(FetchError) as err:
        extract_page(data, None, None, source="bad.html")
    assert err.value.kind == "no_article" and str(err.value).startswith("bad.html: ")
    with pytest.raises(FetchError) as err:
        parse_feed(data, "http://news.test/feed")
    assert err.value.kind == "feed" and str(err.value).startswith("http://news.test/feed: ")
