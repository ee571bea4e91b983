"""The story's timeline: dated events from every article, merged, sorted, split into episodes.

One story often spans separate episodes (talks one year, a deal the next). Episodes are
found by gaps between dates: more than `GAP_DAYS` days without a date starts a new one.

Which dates decide the episodes ("anchors")
-------------------------------------------
* events resolved to a day, and each article's publication date;
* not background: an event known only to the month or the year ("since March 2011",
  "In 2014, the UN said ...") or dated more than `BACKGROUND_DAYS` before its article's
  publication is context an article gives, not a step of the story. It is still listed in
  the timeline, in the episode whose dates it falls in or near, else in its article's
  episode, so a war's start does not become an episode of its own. Only when a story has
  no anchor at all do such dates form episodes.

Each article belongs to the episode holding most of its anchors. An article with no anchor
(no publication date, no resolvable day) joins an episode only when it shares two or more
10-word runs (the same quote, a copied sentence) with articles of exactly that episode;
otherwise it goes to a last episode "date unknown" (no start, no end) rather than being
guessed into a dated one; its background events are listed there too, unless they fall
within `GAP_DAYS` of a dated episode. So every article is in exactly one episode.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from ..schemas import Article, ArticleBrief, Episode, Event, TimelineEntry
from ..text.match import content_words

GAP_DAYS = 45
BACKGROUND_DAYS = 365
_SHINGLE = 10


def _similar(a: str, b: str) -> bool:
    """Two events' wordings share half the content words of the shorter one."""
    wa, wb = set(content_words(a)), set(content_words(b))
    return bool(wa and wb) and len(wa & wb) / min(len(wa), len(wb)) >= 0.5


Precision = Literal["day", "month", "year", "unknown"]


@dataclass
class _Entry:
    date: dt.date
    precision: Precision
    when_text: str
    what: str
    article_ids: list[str] = field(default_factory=list)
    sentence_ids: list[str] = field(default_factory=list)
    background: bool = True  # false as soon as one of its events is an anchor


def _events(briefs: list[ArticleBrief]) -> list[tuple[str, Event]]:
    out = []
    for brief in briefs:
        for event in brief.events:
            if (
                event.date is not None
                and event.date_precision != "unknown"
                and (event.verified or event.origin == "code")
                and event.sentence_id.startswith(brief.article_id + ".")
            ):
                out.append((brief.article_id, event))
    return out


def _is_background(event: Event, published: dt.date | None) -> bool:
    if event.date_precision in ("month", "year"):
        return True
    assert event.date is not None
    return published is not None and (published - event.date).days > BACKGROUND_DAYS


def _merge(
    events: list[tuple[str, Event]], published: dict[str, dt.date | None], order: dict[str, int]
) -> list[_Entry]:
    entries: list[_Entry] = []
    rank = {"day": 0, "month": 1, "year": 2}
    for article_id, event in sorted(
        events, key=lambda e: (e[1].date, rank[e[1].date_precision], order[e[0]])
    ):
        assert event.date is not None
        background = _is_background(event, published.get(article_id))
        for entry in entries:
            if (
                entry.date == event.date
                and entry.precision == event.date_precision
                and (event.sentence_id in entry.sentence_ids or _similar(entry.what, event.what))
            ):
                break
        else:
            entry = _Entry(event.date, event.date_precision, event.when_text, event.what)
            entries.append(entry)
        if article_id not in entry.article_ids:
            entry.article_ids.append(article_id)
        if event.sentence_id not in entry.sentence_ids:
            entry.sentence_ids.append(event.sentence_id)
        entry.background = entry.background and background
    return entries


def _clusters(dates: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    spans: list[list[dt.date]] = []
    for date in sorted(set(dates)):
        if spans and (date - spans[-1][1]).days <= GAP_DAYS:
            spans[-1][1] = date
        else:
            spans.append([date, date])
    return [(s, e) for s, e in spans]


def _episode_of(date: dt.date, spans: list[tuple[dt.date, dt.date]], slack: int = 0) -> int | None:
    for i, (start, end) in enumerate(spans, 1):
        if (start - date).days <= slack and (date - end).days <= slack:
            return i
    return None


def _nearest(date: dt.date, spans: list[tuple[dt.date, dt.date]]) -> int:
    return 1 + min(
        range(len(spans)), key=lambda i: max((spans[i][0] - date).days, (date - spans[i][1]).days)
    )


def _shingles(article: Article) -> set[tuple[str, ...]]:
    out = set()
    for sentence in article.sentences:
        words = re.findall(r"[a-z0-9]+", sentence.text.lower())
        out |= {tuple(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1)}
    return out


def _link_undated(assigned: dict[str, int], articles: list[Article]) -> None:
    """Give an article without anchors the episode of the articles it shares text with."""
    if not assigned or len(assigned) == len(articles):
        return
    shingles = {a.id: _shingles(a) for a in articles}
    parent = {a.id: a.id for a in articles}

    def root(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for i, a in enumerate(articles):
        for b in articles[i + 1 :]:
            if len(shingles[a.id] & shingles[b.id]) >= 2:
                parent[root(b.id)] = root(a.id)
    groups: dict[str, list[str]] = {}
    for a in articles:
        groups.setdefault(root(a.id), []).append(a.id)
    for members in groups.values():
        episodes = {assigned[m] for m in members if m in assigned}
        if len(episodes) == 1:
            episode = episodes.pop()
            for m in members:
                assigned.setdefault(m, episode)


def build_timeline(
    briefs: list[ArticleBrief], articles: list[Article]
) -> tuple[list[TimelineEntry], list[Episode]]:
    """Dated events of every article as one sorted timeline, and the story's episodes.

    Events with a resolved date (verified or code-extracted) become entries; events of
    different articles on the same date with similar wording merge into one entry citing
    them all. Undated events are left out. See the module docstring for episodes.
    """
    order = {a.id: i for i, a in enumerate(articles)}
    for brief in briefs:
        order.setdefault(brief.article_id, len(order))
    by_id = {a.id: a for a in articles}
    published = {
        b.article_id: b.date or (by_id[b.article_id].date if b.article_id in by_id else None)
        for b in briefs
    }
    entries = _merge(_events(briefs), published, order)

    anchors: dict[str, list[dt.date]] = {aid: ([d] if d else []) for aid, d in published.items()}
    for entry in entries:
        if not entry.background:
            for aid in entry.article_ids:
                anchors[aid].append(entry.date)
    if not any(anchors.values()):  # nothing but background: let it shape the episodes
        for entry in entries:
            for aid in entry.article_ids:
                anchors[aid].append(entry.date)
            entry.background = False
    spans = _clusters([d for dates in anchors.values() for d in dates])
    if not spans:
        return [], []

    assigned: dict[str, int] = {}
    for aid, dates in anchors.items():
        if dates:
            votes = Counter(_episode_of(d, spans) or 0 for d in dates)
            date = published.get(aid)
            pub = _episode_of(date, spans) if date else None
            assigned[aid] = max(votes, key=lambda e: (votes[e], e == pub, -e))
    _link_undated(assigned, [a for a in articles if a.id in published])
    undated = len(spans) + 1  # one bucket for the articles no date places
    for aid in published:
        assigned.setdefault(aid, undated)

    timeline = []
    for entry in entries:
        episode = _episode_of(entry.date, spans)
        if entry.background:
            episode = _episode_of(entry.date, spans, GAP_DAYS) or next(
                (assigned[a] for a in entry.article_ids if a in assigned), None
            )
        timeline.append(
            TimelineEntry(
                date=entry.date,
                date_precision=entry.precision,
                when_text=entry.when_text,
                what=entry.what,
                article_ids=sorted(entry.article_ids, key=order.__getitem__),
                sentence_ids=entry.sentence_ids,
                episode=episode or _nearest(entry.date, spans),
            )
        )
    return timeline, _episodes(spans, assigned, anchors, order)


def _episodes(
    spans: list[tuple[dt.date, dt.date]],
    assigned: dict[str, int],
    anchors: dict[str, list[dt.date]],
    order: dict[str, int],
) -> list[Episode]:
    episodes = []
    undated = sorted((a for a, e in assigned.items() if e == len(spans) + 1), key=order.__getitem__)
    for i, (start, end) in enumerate(spans, 1):
        members = [a for a, e in assigned.items() if e == i]
        if not members:  # only stray anchors of articles that mostly belong elsewhere
            members = [
                a for a, dates in anchors.items() if any(_episode_of(d, spans) == i for d in dates)
            ]
        members.sort(key=order.__getitem__)
        when = start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"
        episodes.append(
            Episode(
                id=i,
                label=f"{when} ({', '.join(members)})",
                start=start,
                end=end,
                article_ids=members,
            )
        )
    if undated:
        episodes.append(
            Episode(
                id=len(spans) + 1,
                label=f"date unknown ({', '.join(undated)})",
                start=None,
                end=None,
                article_ids=undated,
            )
        )
    return episodes
