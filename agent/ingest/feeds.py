"""RSS and Atom feeds as input: recognising one, and reading its items with feedparser.

feedparser is only ever given a stream of bytes, never a URL or a file name (it would
open those itself), so it cannot fetch or read anything on its own; fetching is the job
of `agent.ingest.fetch`, under the address policy.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import io
import re
from dataclasses import dataclass

from .policy import FetchError

__all__ = ["FEED_CONTENT_TYPES", "FeedItem", "looks_like_feed", "parse_feed"]

FEED_CONTENT_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/x-rss+xml",
        "application/x-atom+xml",
    }
)
_XMLISH = frozenset({"application/xml", "text/xml", "application/octet-stream", "text/plain", ""})
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(rss|feed|RDF)\b", re.I)
_PROLOGUE = re.compile(
    rb"\A(?:\s+|<\?xml[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>]*>|<\?xml-stylesheet[^>]*\?>)*", re.S | re.I
)
_TAGS = re.compile(r"<[^>]+>")
_BLOCKS = re.compile(r"</?(?:p|div|br|li|h[1-6]|blockquote|tr)\b[^>]*>", re.I)


@dataclass(frozen=True)
class FeedItem:
    """One item of a feed. `summary` is plain text: the item's content or description,
    whichever is longer; `published` an ISO date (YYYY-MM-DD) when the feed gives one.
    """

    title: str | None
    link: str | None
    published: str | None
    summary: str


def looks_like_feed(content_type: str | None, body: bytes) -> bool:
    """Is this an RSS / Atom / RDF feed? By its media type, else by its root element."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in FEED_CONTENT_TYPES:
        return True
    if kind not in _XMLISH:
        return False
    head = body[:4096].lstrip(b"\xef\xbb\xbf")
    start = _PROLOGUE.match(head)
    rest = head[start.end() if start else 0 :]
    match = _ROOT.match(rest)
    return bool(match)


def _plain(value: str | None) -> str:
    """Feed HTML (descriptions often carry markup, escaped once or twice) to plain text."""
    if not value:
        return ""
    text = value
    for _ in range(2):
        if "<" not in text and "&" not in text:
            break
        text = _BLOCKS.sub("\n", text)
        text = _TAGS.sub("", text)
        text = html.unescape(text)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n\n".join(line for line in lines if line)


def _date(entry: dict) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                stamp = calendar.timegm(parsed)
                return dt.datetime.fromtimestamp(stamp, tz=dt.timezone.utc).date().isoformat()
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def parse_feed(body: bytes | str, url: str | None = None) -> list[FeedItem]:
    """The items of an RSS or Atom feed, in feed order.

    Relative item links are resolved against `url` (or the feed's xml:base). Raises
    FetchError("feed") when the body is not a feed or holds no items.
    """
    import feedparser

    data = body.encode("utf-8") if isinstance(body, str) else body
    where = url or "<feed>"
    headers = {"content-location": url} if url else {}
    # A stream, never bytes or str: feedparser would treat those as a URL or file name.
    try:
        parsed = feedparser.parse(
            io.BytesIO(data),
            response_headers=headers,
            sanitize_html=True,
            resolve_relative_uris=True,
        )
    except Exception as err:  # noqa: BLE001 - feedparser is lenient; anything else is bad input
        raise FetchError(
            "feed", f"{where}: the feed could not be parsed ({type(err).__name__})"
        ) from None
    version = parsed.get("version") or ""
    entries = parsed.get("entries") or []
    if not version and not entries:
        reason = parsed.get("bozo_exception")
        detail = f" ({type(reason).__name__}: {reason})" if reason else ""
        raise FetchError("feed", f"{where}: not a readable RSS or Atom feed{detail}")
    items: list[FeedItem] = []
    for entry in entries:
        link = (entry.get("link") or "").strip() or None
        summary = _plain(entry.get("summary"))
        for content in entry.get("content") or []:
            text = _plain(content.get("value"))
            if len(text) > len(summary):
                summary = text
        title = _plain(entry.get("title")) or None
        if not (link or summary):
            continue
        items.append(FeedItem(title=title, link=link, published=_date(entry), summary=summary))
    if not items:
        raise FetchError("feed", f"{where}: the feed has no items")
    return items
