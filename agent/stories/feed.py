"""Reading a feed of articles for clustering: a directory, a JSONL file or an RSS/Atom file.

* a directory: its .txt/.md files (sorted by name) are articles; a directory of story folders
  gives the articles of every folder, each tagged with the folder name as its `story`;
* a JSONL file: one article per line (`text`, optional `title`, `source`/`outlet`, `date`,
  `url`, `id`), or one story per line (`{"id", "articles": [...]}`, articles tagged with the
  story id; an article may also be a path string);
* an .xml/.rss/.atom file: feed entries (title, summary or content, published date) read with
  feedparser when it is installed.

For plain text files the title is the first line that looks like a headline and the date the
first short line near the top that reads as a date with a year.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..files import read_text_limited
from .cluster import ClusterItem, parse_date

__all__ = ["FeedArticle", "read_feed", "read_text_article"]

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
FEED_SUFFIXES = (".xml", ".rss", ".atom")
_JUNK_LINE = re.compile(r"^(skip to|share|menu|home|advertisement|a\+ a-|sign in|log in)\b", re.I)


@dataclass(frozen=True)
class FeedArticle:
    """One article read from a feed; `story` is a known story id (batch input) or None."""

    id: str
    text: str
    title: str | None = None
    date: str | None = None
    outlet: str | None = None
    url: str | None = None
    origin: str = ""
    story: str | None = None

    def cluster_item(self) -> ClusterItem:
        """This article as the clusterer's input."""
        return ClusterItem(id=self.id, title=self.title, text=self.text, date=self.date)

    def as_input(self) -> dict[str, Any]:
        """This article as an `ArticleInput`-shaped dict for `agent.summarize`."""
        fields = {
            "text": self.text,
            "title": self.title,
            "outlet": self.outlet,
            "date": self.date,
            "url": self.url,
        }
        return {k: v for k, v in fields.items() if v is not None}


def _read(path: Path) -> str:
    try:
        return read_text_limited(path)
    except InputError as err:
        raise InputError(f"cannot read: {err}") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror or err}") from None


def scan_header(text: str) -> tuple[str | None, str | None]:
    """(title, date text) from the top lines of a text: the first headline-like line and the
    first short line that reads as a date with a year (either may be None).
    """
    title = date = None
    for line in (line.strip() for line in text.splitlines()[:12]):
        if not line or _JUNK_LINE.match(line):
            continue
        if date is None and len(line) <= 40 and parse_date(line) is not None:
            date = line
        elif title is None and 3 <= len(line.split()) <= 25 and not line.endswith((".", ":")):
            title = line
    return title, date


def read_text_article(
    path: Path, *, story: str | None = None, ident: str | None = None
) -> FeedArticle:
    """A .txt/.md file as an article: headline-like first line as title, an early date line."""
    raw = _read(path)
    if not raw.strip():
        raise InputError(f"{path}: the file is empty")
    title, date = scan_header(raw)
    return FeedArticle(
        id=ident or path.stem, text=raw, title=title, date=date, origin=str(path), story=story
    )


def _from_object(obj: Any, where: str, ident: str, story: str | None, base: Path) -> FeedArticle:
    if isinstance(obj, str):
        target = Path(obj) if Path(obj).is_absolute() else base / obj
        if target.suffix.lower() not in TEXT_SUFFIXES or not target.is_file():
            raise InputError(f"{where}: {obj!r} is not a readable .txt/.md file")
        return read_text_article(target, story=story, ident=ident)
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected an article object or a path, not {type(obj).__name__}")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: the article has no 'text'")

    def opt(*keys: str) -> str | None:
        for key in keys:
            if isinstance(obj.get(key), str) and obj[key].strip():
                return obj[key].strip()
        return None

    date = opt("date", "published")
    if date is None:  # a date line under the title, as WikiNews-style texts have
        date = scan_header(text)[1]
    return FeedArticle(
        id=opt("id") or ident,
        text=text,
        title=opt("title"),
        date=date,
        outlet=opt("outlet", "source"),
        url=opt("url"),
        origin=where,
        story=story,
    )


def _read_jsonl(path: Path) -> list[FeedArticle]:
    articles: list[FeedArticle] = []
    for number, line in enumerate(_read(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{where}: not JSON ({err.msg})") from None
        if isinstance(obj, dict) and isinstance(obj.get("articles"), list):
            story = str(obj.get("id") or f"line{number}")
            for k, item in enumerate(obj["articles"], start=1):
                articles.append(
                    _from_object(item, f"{where} article {k}", f"{story}#{k}", story, path.parent)
                )
        else:
            articles.append(_from_object(obj, where, f"{path.stem}:{number}", None, path.parent))
    return articles


def _read_xml_feed(path: Path) -> list[FeedArticle]:
    try:
        import feedparser  # type: ignore[import-untyped]
    except ImportError:
        raise InputError(
            f"{path}: reading RSS/Atom needs feedparser (pip install feedparser)"
        ) from None
    parsed = feedparser.parse(str(path))
    if parsed.get("bozo") and not parsed.entries:
        raise InputError(f"{path}: not a readable RSS/Atom feed")
    articles = []
    for k, entry in enumerate(parsed.entries, start=1):
        content = entry.get("content") or []
        text = (content[0].get("value") if content else None) or entry.get("summary") or ""
        text = re.sub(r"<[^>]+>", " ", text)
        if not text.strip() and not entry.get("title"):
            continue
        articles.append(
            FeedArticle(
                id=str(entry.get("id") or f"{path.stem}:{k}"),
                text=text or entry.get("title", ""),
                title=entry.get("title"),
                date=entry.get("published") or entry.get("updated"),
                outlet=(parsed.feed.get("title") or None),
                url=entry.get("link"),
                origin=f"{path.name}:{k}",
            )
        )
    return articles


def _read_dir(path: Path) -> list[FeedArticle]:
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
    if files:
        return [read_text_article(p, ident=p.stem) for p in files]
    articles: list[FeedArticle] = []
    for folder in sorted(p for p in path.iterdir() if p.is_dir()):
        for p in sorted(
            q for q in folder.iterdir() if q.is_file() and q.suffix.lower() in TEXT_SUFFIXES
        ):
            articles.append(
                read_text_article(p, story=folder.name, ident=f"{folder.name}/{p.stem}")
            )
    return articles


def read_feed(path: str | Path) -> list[FeedArticle]:
    """Every article of a feed path (see the module docstring), in file / line order."""
    where = Path(path)
    if where.is_dir():
        articles = _read_dir(where)
    elif not where.exists():
        raise InputError(f"{where}: no such file or directory")
    elif where.suffix.lower() == ".jsonl":
        articles = _read_jsonl(where)
    elif where.suffix.lower() in FEED_SUFFIXES:
        articles = _read_xml_feed(where)
    elif where.suffix.lower() in TEXT_SUFFIXES:
        articles = [read_text_article(where)]
    else:
        raise InputError(f"{where}: expected a directory, .jsonl, .txt/.md or an RSS/Atom file")
    if not articles:
        raise InputError(f"{where}: no articles found")
    return articles
