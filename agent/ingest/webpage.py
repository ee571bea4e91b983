"""Article text and metadata out of an HTML page, offline, with trafilatura.

`extract_page` decodes the page (the charset of the HTTP header, a byte-order mark, a
`<meta>` or XML declaration, else UTF-8, else charset-normalizer's guess), then lets
trafilatura find the main text: navigation, cookie banners, comments, related links, share
bars and the like stay out. Title, author, site name and publication date come from the
page's own markup (meta tags, JSON-LD, bylines); nothing is downloaded. A page without an
article (a hard paywall, a login wall, an index page) is a `FetchError` of kind
"no_article". `read_html_file` does the same for a local `.html` / `.htm` file.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import InputError
from ..files import read_limited
from .policy import FetchError

__all__ = [
    "MAX_FILE_BYTES",
    "MIN_WORDS",
    "Extracted",
    "decode_html",
    "extract_page",
    "read_html_file",
]

MIN_WORDS = 25  # fewer words than this is a teaser or a wall, not an article
MAX_FILE_BYTES = 20 * 1024 * 1024
_PRESCAN = 8192

_META_CHARSET = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(
    rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""", re.I
)
# WHATWG: these labels mean windows-1252 on the web.
_AS_CP1252 = {"latin_1", "ascii", "iso8859_1", "cp819"}
_SINGLE_BYTE = {"cp1252", "cp1250", "cp1251", "iso8859_2", "iso8859_15", "mac_roman", "koi8_r"}


@dataclass(frozen=True)
class Extracted:
    """One page's article: plain text (paragraphs apart by a blank line) and metadata."""

    text: str
    title: str | None
    author: str | None
    outlet: str | None
    date: str | None  # ISO date, as the page states it
    url: str | None
    encoding: str = "utf-8"
    warnings: tuple[str, ...] = field(default=())


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().lower()).name.replace("-", "_")
    except LookupError:
        return None
    if name in _AS_CP1252:
        return "cp1252"
    if name in ("utf_16", "utf_16_le", "utf_16_be", "utf_32"):  # meta can't honestly say so
        return None
    return name


def decode_html(body: bytes, declared: str | None = None) -> tuple[str, str, list[str]]:
    """Page bytes to text: returns (text, codec used, warnings).

    Tried in order, the first that decodes cleanly wins: a byte-order mark, the declared
    (HTTP header) charset, a `<meta charset>` / http-equiv or XML encoding in the first
    8 kB, UTF-8, charset-normalizer's guess; else windows-1252 with replacements. A
    single-byte declaration on a body that is valid non-ASCII UTF-8 is read as UTF-8.
    """
    warnings: list[str] = []
    for bom, codec in (
        (codecs.BOM_UTF8, "utf_8_sig"),
        (codecs.BOM_UTF16_LE, "utf_16"),
        (codecs.BOM_UTF16_BE, "utf_16"),
    ):
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), codec, warnings
    head = body[:_PRESCAN]
    meta = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    candidates: list[tuple[str, str]] = []
    for label, origin in (
        (declared, "the HTTP header"),
        (meta.group(1).decode("ascii") if meta else None, "<meta>"),
    ):
        known = _codec(label)
        if label and known is None:
            warnings.append(f"unknown charset {label!r} declared in {origin}; ignored")
        if known and all(known != c for c, _ in candidates):
            candidates.append((known, origin))
    for codec, origin in candidates:
        if codec in _SINGLE_BYTE and _is_utf8_non_ascii(body):
            warnings.append(f"declared {codec} in {origin} but the page is UTF-8; read as UTF-8")
            return body.decode("utf-8"), "utf_8", warnings
        try:
            return body.decode(codec), codec, warnings
        except UnicodeDecodeError:
            warnings.append(f"page does not decode as declared {codec} ({origin})")
    try:
        return body.decode("utf-8"), "utf_8", warnings
    except UnicodeDecodeError:
        pass
    guessed = _guess(body)
    if guessed:
        warnings.append(f"no usable charset declared; detected {guessed}")
        try:
            return body.decode(guessed), guessed, warnings
        except (UnicodeDecodeError, LookupError):
            pass
    warnings.append("no usable charset; read as windows-1252 with replacements")
    return body.decode("cp1252", errors="replace"), "cp1252", warnings


def _is_utf8_non_ascii(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _guess(body: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(body[: 1 << 20]).best()
    if best is None:
        return None
    return _codec(best.encoding)


def _paragraphs(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n\n".join(line for line in lines if line)


def _host(url: str | None) -> str | None:
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host or None


def extract_page(
    html: bytes | str,
    url: str | None = None,
    charset: str | None = None,
    *,
    source: str | None = None,
) -> Extracted:
    """The article of one HTML page; FetchError("no_article") when there is none.

    `url` (where the page came from) resolves relative links and names the outlet when the
    page gives no site name; `charset` is the one the HTTP header declared; `source`
    names the input in error messages (default: the URL).
    """
    import trafilatura

    name = source or url or "<page>"
    warnings: list[str] = []
    if isinstance(html, bytes):
        text, encoding, warnings = decode_html(html, charset)
    else:
        text, encoding = html, "utf-8"
    if not text.strip():
        raise FetchError("empty", f"{name}: the page is empty")
    try:
        doc = trafilatura.bare_extraction(
            text,
            url=url,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            include_formatting=False,
            favor_precision=True,
            with_metadata=True,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as err:  # noqa: BLE001 - a parser failure on hostile markup is bad input
        raise FetchError(
            "no_article", f"{name}: the page could not be parsed ({type(err).__name__})"
        ) from None
    body = _paragraphs(getattr(doc, "text", None) or "") if doc is not None else ""
    title = _clean(getattr(doc, "title", None))
    body = _drop_title_line(body, title)
    if len(body.split()) < MIN_WORDS:
        found = f" (only {len(body.split())} words)" if body else ""
        raise FetchError("no_article", f"{name}: no article text found on the page{found}")
    sitename = _clean(getattr(doc, "sitename", None))
    return Extracted(
        text=body,
        title=title,
        author=_clean(getattr(doc, "author", None)),
        outlet=sitename or _host(url),
        date=_clean(getattr(doc, "date", None)),
        url=url or _clean(getattr(doc, "url", None)),
        encoding=encoding.replace("_", "-"),
        warnings=tuple(warnings),
    )


def _drop_title_line(body: str, title: str | None) -> str:
    """Trafilatura keeps the <h1> as the first paragraph; the title is metadata."""
    if not title:
        return body
    first, _, rest = body.partition("\n\n")
    if rest and first.casefold() == title.casefold():
        return rest
    return body


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def read_html_file(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES) -> Extracted:
    """Extract the article of a local .html / .htm file (same rules as a fetched page)."""
    path = Path(path)
    try:
        data = read_limited(path, limit=max_bytes)
    except InputError as err:
        raise FetchError("file", str(err)) from None
    if not data.strip():
        raise FetchError("empty", f"{path}: file is empty")
    return extract_page(data, url=None, charset=None, source=str(path))
