"""Turning input specs (URLs, HTML files, feeds) into raw documents for ingest.

`expand_inputs` looks at each spec given on the command line (or by a chat tool):

- an `http://` / `https://` URL is fetched: an HTML page gives its article, a plain-text
  page its text, a feed its items (each item's page fetched in turn, up to `limit` items);
- a local `.html` / `.htm` / `.xhtml` file goes through the same extraction;
- a local `.rss` / `.atom` / `.xml` file that holds a feed brings in its items;
- anything else is not ours: it is returned untouched for the existing loader.

A failing input (or feed item) is returned with its error, and the rest goes on. When an
item's page fails but the feed itself carries the item's text, that text is used and the
document says so in its `warnings`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..files import confine, read_limited
from .feeds import FeedItem, looks_like_feed, parse_feed
from .fetch import Fetched, fetch
from .policy import AddressPolicy, FetchError
from .webpage import MAX_FILE_BYTES, MIN_WORDS, Extracted, decode_html, extract_page, read_html_file

__all__ = ["DEFAULT_FEED_LIMIT", "RawDoc", "expand_inputs", "is_url"]

DEFAULT_FEED_LIMIT = 10
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
FEED_SUFFIXES = (".rss", ".atom", ".xml")

Fetcher = Callable[..., Fetched]


@dataclass
class RawDoc:
    """One article's text and what its page says about it, before ingest cleans it."""

    text: str
    title: str | None = None
    author: str | None = None
    outlet: str | None = None
    date: str | None = None
    url: str | None = None
    source: str = ""  # the spec (or feed item link) it came from, for messages
    warnings: list[str] = field(default_factory=list)


Outcome = tuple[str, "RawDoc | InputError | None"]


def is_url(spec: str) -> bool:
    """True when the spec names a web address (http or https, any case)."""
    head = spec.strip()[:8].lower()
    return head.startswith(("http://", "https://"))


def _has_scheme(spec: str) -> bool:
    """'ftp://x', 'file:/x', 'data:...', 'gopher://': a URL we refuse, not a file name."""
    scheme, sep, _rest = spec.partition(":")
    return (
        bool(sep)
        and len(scheme) > 1
        and scheme.isascii()
        and scheme.replace("+", "").isalnum()
        and (not os.path.exists(spec))
    )


def expand_inputs(
    specs: list[str],
    *,
    policy: AddressPolicy,
    limit: int | None = None,
    fetcher: Fetcher = fetch,
    roots: Sequence[str | os.PathLike[str]] | None = None,
) -> list[Outcome]:
    """Expand each spec into (name, RawDoc | InputError | None) pairs, in order.

    None means "not a URL, HTML file or feed": pass the spec to the existing loader.
    `limit` caps the items taken from each feed (default DEFAULT_FEED_LIMIT); `fetcher`
    is `fetch` (any callable with its signature). With `roots`, an HTML or feed file is
    read only when it resolves inside one of them (InputError raised otherwise).
    """
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1 (got {limit})")
    cap = limit or DEFAULT_FEED_LIMIT
    out: list[Outcome] = []
    for spec in specs:
        try:
            if is_url(spec):
                out.extend(_from_url(spec, policy, cap, fetcher))
            elif _has_scheme(spec):
                scheme = spec.partition(":")[0].lower()
                shown = spec if len(spec) <= 80 else spec[:77] + "..."
                raise FetchError(
                    "scheme",
                    f"{shown}: only http and https URLs can be fetched ({scheme}: refused)",
                )
            elif roots is not None and not _confined(spec, roots):
                out.append((spec, None))  # the plain loader refuses it with the reason
            elif Path(spec).suffix.lower() in HTML_SUFFIXES:
                out.append((spec, _doc(read_html_file(spec), spec)))
            elif Path(spec).suffix.lower() in FEED_SUFFIXES and Path(spec).is_file():
                out.extend(_from_feed_file(spec, policy, cap, fetcher))
            else:
                out.append((spec, None))
        except InputError as err:
            out.append((spec, err))
    return out


def _confined(spec: str, roots: Sequence[str | os.PathLike[str]]) -> bool:
    try:
        confine(spec, roots)
    except InputError:
        return False
    return True


def _doc(found: Extracted, source: str) -> RawDoc:
    return RawDoc(
        text=found.text,
        title=found.title,
        author=found.author,
        outlet=found.outlet,
        date=found.date,
        url=found.url,
        source=source,
        warnings=list(found.warnings),
    )


def _from_url(url: str, policy: AddressPolicy, cap: int, fetcher: Fetcher) -> list[Outcome]:
    page = fetcher(url, policy=policy)
    if looks_like_feed(page.content_type, page.body):
        return _from_items(url, parse_feed(page.body, page.final_url), policy, cap, fetcher)
    return [(url, _page_doc(page, url))]


def _page_doc(page: Fetched, source: str) -> RawDoc:
    """A fetched page's article: HTML through trafilatura, plain text as it is."""
    if page.content_type == "text/plain":
        text, _codec, warnings = decode_html(page.body, page.charset)
        if len(text.split()) < MIN_WORDS:
            raise FetchError(
                "no_article", f"{source}: no article text (only {len(text.split())} words)"
            )
        return RawDoc(text=text, url=page.final_url, source=source, warnings=warnings)
    if page.content_type in ("application/xml", "text/xml"):
        raise FetchError(
            "content_type", f"{source}: an XML document that is not an RSS or Atom feed"
        )
    found = extract_page(page.body, url=page.final_url, charset=page.charset, source=source)
    return _doc(found, source)


def _from_feed_file(path: str, policy: AddressPolicy, cap: int, fetcher: Fetcher) -> list[Outcome]:
    try:
        data = read_limited(path, limit=MAX_FILE_BYTES)
    except InputError as err:
        raise FetchError("file", str(err)) from None
    if not looks_like_feed(None, data):
        return [(path, None)]  # an XML file that is not a feed: the plain loader decides
    return _from_items(path, parse_feed(data, None), policy, cap, fetcher)


def _from_items(
    feed: str, items: list[FeedItem], policy: AddressPolicy, cap: int, fetcher: Fetcher
) -> list[Outcome]:
    out: list[Outcome] = []
    for n, item in enumerate(items[:cap], 1):
        name = item.link or f"{feed}#item{n}"
        try:
            out.append((name, _item_doc(feed, item, name, policy, fetcher)))
        except InputError as err:
            out.append((name, err))
    return out


def _item_doc(
    feed: str, item: FeedItem, name: str, policy: AddressPolicy, fetcher: Fetcher
) -> RawDoc:
    """The item's page when it can be had; else the feed's own text for it, with a note."""
    failure: InputError | None = None
    if item.link:
        try:
            page = fetcher(item.link, policy=policy)
            doc = _page_doc(page, name)
        except InputError as err:
            failure = err
        else:
            doc.title = doc.title or item.title
            doc.date = doc.date or item.published
            return doc
    if item.summary.strip():
        why = f"page not used ({failure})" if failure else "the item has no link"
        return RawDoc(
            text=item.summary,
            title=item.title,
            date=item.published,
            url=item.link,
            source=name,
            warnings=[f"{why}; used the feed's summary from {feed}"],
        )
    if failure is not None:
        raise failure
    raise FetchError("no_article", f"{name}: the feed item has neither a link nor text")
