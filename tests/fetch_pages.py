"""Pages and a small HTTP server on 127.0.0.1 for the fetch tests (written for these tests).

The story is invented: a flood at a fictional river town. Each page wraps it in the
furniture real news sites carry (navigation, a cookie banner, share bars, related links,
comments, a newsletter box, a footer), so a test can check the article comes out and the
furniture does not.
"""

from __future__ import annotations

import http.server
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

PARAGRAPHS = [
    "Floodwater from the Vessa river reached the centre of Marrow Bridge early on Tuesday, "
    "forcing about 1,200 residents from their homes, the regional council said.",
    "The river rose 2.4 metres in eighteen hours after three days of heavy rain, according to "
    "readings from the gauge at the old mill, the highest level recorded since 1987.",
    "\u201cWe have never seen the water come up this fast,\u201d said Ilse Dornbach, who has "
    "run the bakery on Quay Street for twenty years. \u201cBy the time we moved the flour it "
    "was already at the door.\u201d",
    "Emergency crews evacuated two care homes overnight and opened a shelter in the sports hall "
    "on Linden Road, where 340 people slept on Tuesday night.",
    "The council leader, Tomas Reyl, said the flood barrier completed in 2019 had held along the "
    "northern bank but that water had come round its eastern end near the railway bridge.",
    "Forecasters expect the river to peak on Wednesday afternoon before falling slowly through "
    "the weekend, though more rain is forecast for the hills upstream.",
]
TITLE = "Hundreds evacuated as Vessa river floods Marrow Bridge"
AUTHOR = "Petra Halvorsen"
SITE = "The Valley Courier"
DATE = "2025-03-11"

NAV = """<header class="site-header"><div class="logo">The Valley Courier</div>
<nav class="main-nav"><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/business">Business</a></li>
<li><a href="/opinion">Opinion</a></li><li><a href="/weather">Weather</a></li></ul></nav>
</header>"""
COOKIE = """<div id="cookie-consent" class="cookie-banner" role="dialog"><p>We use cookies to give
you the best experience on our website. By clicking Accept all cookies you agree to the storing
of cookies on your device to enhance site navigation and analyse site usage.</p>
<button>Accept all cookies</button><button>Manage preferences</button></div>"""
SHARE = """<div class="share-bar"><a href="#">Share on Facebook</a> <a href="#">Share on X</a>
<a href="#">Email this article</a></div>"""
RELATED = """<aside class="related-articles"><h3>Related stories</h3><ul>
<li><a href="/news/2">Council approves budget for new library extension in the town centre</a></li>
<li><a href="/news/3">Local football club celebrates promotion after dramatic final match</a></li>
<li><a href="/news/4">Ten photographs that capture a remarkable spring in the valley hills</a></li>
</ul></aside>"""
NEWSLETTER = """<div class="newsletter-signup"><h3>Get the Morning Briefing</h3><p>Sign up for
our free newsletter and get the day's top stories delivered to your inbox every morning.</p>
<form><input type="email" placeholder="Your email"><button>Subscribe</button></form></div>"""
COMMENTS = """<section id="comments" class="comments"><h3>Comments (3)</h3>
<div class="comment"><p class="comment-author">riverwatcher42</p><p>Typical, the council was
warned about the eastern end of the barrier years ago and did nothing about it whatsoever.</p></div>
<div class="comment"><p class="comment-author">hannah_b</p><p>Thoughts with everyone on Quay
Street tonight, the bakery is the heart of that whole neighbourhood honestly.</p></div>
</section>"""
FOOTER = """<footer class="site-footer"><p>&copy; 2025 The Valley Courier. All rights reserved.</p>
<ul><li><a href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms of use</a></li>
<li><a href="/contact">Contact us</a></li></ul></footer>"""
FURNITURE = [
    "Accept all cookies",
    "We use cookies",
    "Related stories",
    "library extension",
    "Share on Facebook",
    "Morning Briefing",
    "riverwatcher42",
    "did nothing about it",
    "All rights reserved",
    "Privacy policy",
    "Sport",
]


def _head(title: str, charset_meta: str = '<meta charset="utf-8">') -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head>{charset_meta}
<title>{title} | {SITE}</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="{SITE}">
<meta name="author" content="{AUTHOR}">
<meta property="article:published_time" content="{DATE}T07:45:00Z">
<script>window.dataLayer = window.dataLayer || []; function track(){{}}</script>
<style>.cookie-banner{{position:fixed}}</style>
</head>"""


def article_page(
    paragraphs: list[str] | None = None, title: str = TITLE, charset_meta: str | None = None
) -> str:
    """A full news page: the article among all the furniture."""
    body = "\n".join(f"<p>{p}</p>" for p in (paragraphs or PARAGRAPHS))
    head = _head(title) if charset_meta is None else _head(title, charset_meta)
    return f"""{head}
<body>{COOKIE}{NAV}
<main><article class="story">
<h1 class="headline">{title}</h1>
<p class="byline">By <span class="author">{AUTHOR}</span> &middot;
<time datetime="{DATE}T07:45:00Z">11 March 2025</time></p>
{SHARE}
<div class="story-body">
{body}
</div>
{SHARE}
</article>
{NEWSLETTER}{RELATED}{COMMENTS}</main>
{FOOTER}</body></html>"""


PAYWALL_TEASER = PARAGRAPHS[:2]
PAYWALL_PROMPT = "Subscribe now to continue reading"


def paywall_page() -> str:
    """The first two paragraphs, then a subscription wall instead of the rest."""
    teaser = "\n".join(f"<p>{p}</p>" for p in PAYWALL_TEASER)
    return f"""{_head(TITLE)}<body>{COOKIE}{NAV}<main><article>
<h1>{TITLE}</h1><p class="byline">By {AUTHOR}</p>
<div class="article-body">{teaser}</div>
<div class="paywall" id="paywall"><h2>{PAYWALL_PROMPT}</h2>
<p>Get unlimited access to The Valley Courier for just 1 a month. Cancel any time.</p>
<a class="button" href="/subscribe">Subscribe</a>
<a href="/login">Already a subscriber? Log in</a></div>
</article>{RELATED}</main>{FOOTER}</body></html>"""


def hard_paywall_page() -> str:
    """Only a headline and the wall: no article text at all."""
    return f"""{_head(TITLE)}<body>{NAV}<main><article><h1>{TITLE}</h1>
<div class="paywall"><h2>{PAYWALL_PROMPT}</h2><a href="/subscribe">Subscribe</a></div>
</article></main>{FOOTER}</body></html>"""


LATIN_PARAGRAPHS = [
    "Die Feuerwehr von Mühlbach räumte am Dienstag drei Straßen, nachdem der Fluss über die Ufer "
    "getreten war, teilte die Stadtverwaltung mit.",
    "„Das Wasser stieg schneller als je zuvor“, sagte die Bäckerin Jördis Weiß, deren Geschäft "
    "seit 1998 am Marktplatz steht. Sie schätzt den Schaden auf 40.000 €.",
    "Nach Angaben des Landratsamts wurden 230 Menschen in der Turnhalle an der Lindenstraße "
    "untergebracht; die Pegelstände sollen am Mittwoch ihren Höchststand erreichen.",
]
LATIN_TITLE = "Hochwasser in Mühlbach: Straßen geräumt"


def cp1252_page() -> bytes:
    """A page in windows-1252, declared only in its <meta> (the server sends no charset)."""
    page = article_page(
        LATIN_PARAGRAPHS,
        title=LATIN_TITLE,
        charset_meta='<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
    )
    return page.encode("cp1252")


def latin1_page() -> bytes:
    """The same story in ISO-8859-1 (no curly quotes or euro sign in that charset)."""
    paras = [p.replace("„", '"').replace("“", '"').replace("€", "Euro") for p in LATIN_PARAGRAPHS]
    page = article_page(paras, title=LATIN_TITLE, charset_meta='<meta charset="iso-8859-1">')
    return page.encode("iso-8859-1")


def rss_feed(base: str, links: list[str]) -> bytes:
    items = "".join(
        f"""<item><title>Flood update {i}</title><link>{base}{link}</link>
<description>&lt;p&gt;Summary {i}: {PARAGRAPHS[i % len(PARAGRAPHS)]}&lt;/p&gt;</description>
<pubDate>Tue, 1{i} Mar 2025 08:0{i}:00 +0000</pubDate><guid>{base}{link}</guid></item>"""
        for i, link in enumerate(links, 1)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{SITE}: News</title><link>{base}/</link>
<description>Latest news</description>{items}</channel></rss>""".encode()


def atom_feed(base: str, links: list[str]) -> bytes:
    entries = "".join(
        f"""<entry><title>Flood report {i}</title><link rel="alternate" href="{link}"/>
<id>tag:valley-courier,2025:{i}</id><updated>2025-03-1{i}T09:00:00Z</updated>
<published>2025-03-1{i}T08:00:00Z</published>
<summary type="text">Atom summary {i}: {PARAGRAPHS[(i + 2) % len(PARAGRAPHS)]}</summary></entry>"""
        for i, link in enumerate(links, 1)
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{base}/"><title>{SITE}</title>
<id>tag:valley-courier,2025:feed</id><updated>2025-03-12T09:00:00Z</updated>
{entries}</feed>""".encode()


def self_signed(directory: str, name: str) -> tuple[str, str] | None:
    """A certificate and key for `name` made with the openssl tool (None without it)."""
    cert, key = f"{directory}/{name}.crt", f"{directory}/{name}.key"
    try:
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                key,
                "-out",
                cert,
                "-days",
                "2",
                "-subj",
                f"/CN={name}",
                "-addext",
                f"subjectAltName=DNS:{name}",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return cert, key


# --------------------------------------------------------------------------- the server

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


@dataclass
class Site:
    """Routes of one test server: path -> handler(request)."""

    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (path, user agent)
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def page(
        self,
        path: str,
        body: bytes | str,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.add(path, lambda req: send(req, status, data, content_type))

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        def handler(req: http.server.BaseHTTPRequestHandler) -> None:
            req.send_response(status)
            req.send_header("Location", location)
            req.send_header("Content-Length", "0")
            req.end_headers()

        self.add(path, handler)


def send(
    req: http.server.BaseHTTPRequestHandler, status: int, data: bytes, content_type: str | None
) -> None:
    req.send_response(status)
    if content_type:
        req.send_header("Content-Type", content_type)
    req.send_header("Content-Length", str(len(data)))
    req.end_headers()
    req.wfile.write(data)


def stream_huge(total: int, declare_length: bool) -> Handler:
    """A page of `total` bytes generated chunk by chunk (never held in memory)."""

    def handler(req: http.server.BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "text/html; charset=utf-8")
        if declare_length:
            req.send_header("Content-Length", str(total))
        req.end_headers()
        chunk = (b"<p>" + PARAGRAPHS[0].encode() + b"</p>\n") * 200
        req.wfile.write(b"<!DOCTYPE html><html><body>")
        sent = 0
        try:
            while sent < total:
                piece = chunk[: total - sent]
                req.wfile.write(piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client stopped reading, as it should
        req.server.huge_sent = sent  # type: ignore[attr-defined]

    return handler


def hang(seconds: float) -> Handler:
    """Send headers, then stall (a server that stops answering)."""

    def handler(req: http.server.BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.end_headers()
        req.wfile.write(b"<html><body><p>")
        req.wfile.flush()
        time.sleep(seconds)

    return handler


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    site: Site

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.site.seen.append((self.path, self.headers.get("User-Agent", "")))
        route = self.site.routes.get(self.path.split("?")[0])
        if route is None:
            send(self, 404, b"<html><body><h1>Not found</h1></body></html>", "text/html")
            return
        route(self)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet tests
        return


@contextmanager
def serve(site: Site | None = None, tls: ssl.SSLContext | None = None) -> Iterator[Site]:
    """Run a threaded HTTP server for `site` on 127.0.0.1 (a free port) while in the block;
    HTTPS with the server context `tls`."""
    site = site or Site()
    handler = type("Handler", (_Handler,), {"site": site})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.block_on_close = False  # a stalled handler (the hang test) must not hold teardown
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        server.handle_error = lambda request, address: None  # type: ignore[method-assign]
    site.port = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
