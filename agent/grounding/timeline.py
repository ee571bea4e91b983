"""The story's timeline: dated events from every article, merged, sorted, split into episodes.

One story often spans separate episodes (talks one year, a deal the next). Episodes are
found from dated evidence first and from the articles' content second.

The timeline
------------
* Events come with the dates `extract.dates` resolved against each article's reference
  date (its publication date, else the latest date its date lines, bylines, dateline or
  photo captions give). Events of different articles on the same date that say the same
  thing (the same sentence, or similar wording) are one entry citing them all.
* "this week", "next week": dated to the Monday of that week, precision "week".
* An undated article's mention of one day ("on Monday", "from May 25") is kept with no
  date: it is a step of its episode all the same. It joins an entry of the same episode that
  names the same day and says the same thing; otherwise it stands alone, date unknown.
* Background: an event known only to the month or the year ("since March 2011", "In 2014")
  or dated more than `BACKGROUND_DAYS` before its article (for an undated article: before
  the latest day the article itself names) is context, not a step. It is marked
  `background` and listed apart, in the episode whose dates it falls in or near, else in
  its article's episode, so a war's start does not become an episode of its own.

Episodes
--------
1. Dated evidence. An article's anchors are its reference date and its events resolved to
   a day that are not background. All anchors are clustered: more than `GAP_DAYS` days
   without one starts a new episode. A dated article belongs to the episode holding most of
   its anchors. Only when a story has no anchor at all do background dates form episodes.
2. Content evidence places an article no date places. Two articles are linked when they
   share copied text (two or more 10-word runs: the same quote, a copied sentence) or
   distinctive phrases worth `LINK_SCORE`: pairs of content words, each weighted by how few
   of the story's articles use it, leaving out what every article says and what articles of
   two different dated episodes both say (the story's general names, "Sergei Lavrov",
   "harbour district"). An undated article joins the dated episode it is linked to, the
   strongest when it outweighs the next by `DOMINANCE`; rounds repeat, so an article linked
   to one just placed follows it.
3. What is still unplaced is never guessed into a dated episode: linked articles form an
   episode together, labelled "a3: date unknown; different event from a1/a4/a5?" (the
   closest other episode by content). When nothing in the story has a date, all its
   articles form one episode, date unknown.

Every choice sorts by content (dates, wording), never by input position, so shuffling the
articles gives the same timeline and episodes up to the articles' ids.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from ..extract.dates import day_key, names_a_day, reference_date
from ..schemas import Article, ArticleBrief, Episode, Event, TimelineEntry
from ..text.match import SimilarSets, content_words

GAP_DAYS = 45
BACKGROUND_DAYS = 365
LINK_SCORE = 10.0  # distinctive phrases two articles must share to be linked
DOMINANCE = 2.0  # the best episode's link must outweigh the next one's this many times
_SHINGLE = 10

Precision = Literal["day", "week", "month", "year", "unknown"]
_RANK = {"day": 0, "week": 1, "month": 2, "year": 3, "unknown": 4}


def _similar(a: str, b: str, share: float = 0.5) -> bool:
    """Two events' wordings share `share` of the content words of the shorter one."""
    wa, wb = set(content_words(a)), set(content_words(b))
    return bool(wa and wb) and len(wa & wb) / min(len(wa), len(wb)) >= share


@dataclass
class _Entry:
    date: dt.date | None
    precision: Precision
    when_text: str
    what: str
    article_ids: list[str] = field(default_factory=list)
    sentence_ids: list[str] = field(default_factory=list)
    background: bool = True  # false as soon as one of its events is not background
    episode: int | None = None
    _sentences: set[str] = field(default_factory=set, repr=False, compare=False)

    @property
    def day(self) -> str | None:
        """The day it names ('monday'), for matching undated mentions of it."""
        return day_key(self.when_text) if self.precision in ("day", "unknown") else None

    def add(self, article_id: str, sentence_id: str, background: bool) -> None:
        if article_id not in self.article_ids:
            self.article_ids.append(article_id)
        if sentence_id not in self._sentences:  # a set beside the list: many events merge
            self._sentences.add(sentence_id)
            self.sentence_ids.append(sentence_id)
        self.background = self.background and background

    def same(self, event: Event, share: float = 0.5) -> bool:
        return event.sentence_id in self.sentence_ids or _similar(self.what, event.what, share)


def _usable(brief: ArticleBrief, event: Event) -> bool:
    return (event.verified or event.origin == "code") and event.sentence_id.startswith(
        brief.article_id + "."
    )


def _precision(event: Event) -> Precision:
    """Event precision as the timeline states it: a resolved 'unknown' is a week."""
    if event.date is not None and event.date_precision == "unknown":
        return "week"
    return event.date_precision


def _by_content(item: tuple[str, Event]) -> tuple:
    event = item[1]
    return (event.date or dt.date.max, _RANK[_precision(event)], event.what, event.when_text)


def _events(briefs: list[ArticleBrief]) -> tuple[list[tuple[str, Event]], list[tuple[str, Event]]]:
    """(dated events, undated mentions of one day), each sorted by content."""
    dated, undated = [], []
    for brief in briefs:
        for event in brief.events:
            if not _usable(brief, event):
                continue
            if event.date is not None:
                dated.append((brief.article_id, event))
            elif names_a_day(event.when_text):
                undated.append((brief.article_id, event))
    return sorted(dated, key=_by_content), sorted(undated, key=_by_content)


def _is_background(precision: Precision, date: dt.date, reference: dt.date | None) -> bool:
    if precision in ("month", "year"):
        return True
    return reference is not None and (reference - date).days > BACKGROUND_DAYS


class _SameDate:
    """The entries of one date and precision, in order, indexed for `_Entry.same`: by the
    sentences they cite and by their words (`SimilarSets`), so an event is not compared
    with every entry of a long article's busiest day.
    """

    def __init__(self, frequency: Counter[str]) -> None:
        self.entries: list[_Entry] = []
        self.similar = SimilarSets(0.5, frequency)
        self.citing: dict[str, int] = {}  # sentence id -> the first entry citing it

    def first_same(self, sentence_id: str, words: frozenset[str]) -> int | None:
        """The first entry `same` as an event of this sentence with these content words."""
        found = [
            i for i in (self.citing.get(sentence_id), self.similar.first(words)) if i is not None
        ]
        return min(found, default=None)

    def add(self, entry: _Entry) -> int:
        self.entries.append(entry)
        return self.similar.add(frozenset(content_words(entry.what)))

    def cites(self, position: int, sentence_id: str) -> None:
        self.citing[sentence_id] = min(position, self.citing.get(sentence_id, position))


def _merge(events: list[tuple[str, Event]], reference: dict[str, dt.date | None]) -> list[_Entry]:
    entries: list[_Entry] = []
    words = [frozenset(content_words(event.what)) for _, event in events]
    frequency = Counter(word for found in words for word in found)
    dates: dict[tuple[dt.date, Precision], _SameDate] = {}
    for (article_id, event), event_words in zip(events, words, strict=True):
        assert event.date is not None
        precision = _precision(event)
        same_date = dates.setdefault((event.date, precision), _SameDate(frequency))
        position = same_date.first_same(event.sentence_id, event_words)
        if position is None:
            entry = _Entry(event.date, precision, event.when_text, event.what)
            entries.append(entry)
            position = same_date.add(entry)
        entry = same_date.entries[position]
        entry.add(
            article_id,
            event.sentence_id,
            _is_background(precision, event.date, reference.get(article_id)),
        )
        same_date.cites(position, event.sentence_id)
    days: dict[str, list[dt.date]] = {}  # sentence id -> the days of the day entries citing it
    for e in entries:
        if e.precision == "day" and e.date:
            for sid in e.sentence_ids:
                days.setdefault(sid, []).append(e.date)
    return [e for e in entries if not _within_a_day_entry(e, days)]


def _within_a_day_entry(week: _Entry, days: dict[str, list[dt.date]]) -> bool:
    """'On Monday of this week': the week says no more than the day its sentence names
    (`days`: sentence id -> the days of the day entries citing it).
    """
    if week.precision != "week" or week.date is None:
        return False
    end = week.date + dt.timedelta(days=6)
    return all(
        any(week.date <= day <= end for day in days.get(sid, [])) for sid in week.sentence_ids
    )


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


# --------------------------------------------------------------------------- content links


def _phrases(article: Article) -> set[str]:
    """Pairs of neighbouring content words of the title and every sentence."""
    out: set[str] = set()
    for text in [article.title or "", *(s.text for s in article.sentences)]:
        words = content_words(text)
        out |= {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
    return out


def _shingles(article: Article) -> set[tuple[str, ...]]:
    out = set()
    for sentence in article.sentences:
        words = re.findall(r"[a-z0-9]+", sentence.text.lower())
        out |= {tuple(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1)}
    return out


class _Links:
    """How strongly the content of two articles says they report the same episode.

    The phrases, shingles and weights are worked out when two articles are first compared:
    a story of one article (however long) never needs them.
    """

    def __init__(self, articles: list[Article], dated_episode: dict[str, int]) -> None:
        self.articles = {a.id: a for a in articles}
        self.sha = {a.id: a.sha256 for a in articles}
        self.dated_episode = dated_episode
        self._phrases: dict[str, set[str]] | None = None
        self._shingles: dict[str, set[tuple[str, ...]]] = {}
        self._weight: dict[str, float] | None = None

    @property
    def phrases(self) -> dict[str, set[str]]:
        if self._phrases is None:
            self._phrases = {aid: _phrases(a) for aid, a in self.articles.items()}
        return self._phrases

    def shingles(self, article_id: str) -> set[tuple[str, ...]]:
        if article_id not in self._shingles:
            self._shingles[article_id] = _shingles(self.articles[article_id])
        return self._shingles[article_id]

    def general_across(self, dated_episode: dict[str, int]) -> None:
        """Weigh phrases by the articles' episodes from now on (see `weight`)."""
        self.dated_episode = dated_episode
        self._weight = None

    @property
    def weight(self) -> dict[str, float]:
        """Each phrase's weight: one that two articles share counts 1, less the more of the
        story's articles use it, nothing when all do (two articles alone cannot tell their
        story's general names apart) or when articles of two dated episodes do.
        """
        if self._weight is not None:
            return self._weight
        count = len(self.phrases)
        users: dict[str, list[str]] = {}
        for aid, phrases in self.phrases.items():
            for phrase in phrases:
                users.setdefault(phrase, []).append(aid)
        weights: dict[str, float] = {}
        for phrase, ids in users.items():
            episodes = {self.dated_episode[i] for i in ids if i in self.dated_episode}
            weight = (count - len(ids)) / (count - 2) if count > 2 else 1.0
            weights[phrase] = 0.0 if len(episodes) > 1 else min(1.0, weight)
        self._weight = weights
        return weights

    def key(self, article_id: str) -> str:
        """A content key to order articles by (their text's hash), never their position."""
        return self.sha.get(article_id, article_id)

    def __call__(self, a: str, b: str) -> float:
        if a not in self.articles or b not in self.articles:
            return 0.0
        if len(self.shingles(a) & self.shingles(b)) >= 2:
            return math.inf  # copied text: the same quote or sentence
        weight = self.weight
        return sum(weight[p] for p in self.phrases[a] & self.phrases[b])

    def best(self, group: Iterable[str], others: Iterable[str]) -> float:
        others = list(others)
        return max((self(a, b) for a in group for b in others), default=0.0)


def _dominant(scores: dict[int, float]) -> int | None:
    """The episode whose link clearly outweighs the others', if one does."""
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    if not ranked:
        return None
    if len(ranked) == 1:
        return ranked[0][0]
    best, second = ranked[0][1], ranked[1][1]
    if math.isinf(best):
        return ranked[0][0] if not math.isinf(second) else None
    return ranked[0][0] if best >= DOMINANCE * second else None


def _place_by_content(assigned: dict[str, int], unplaced: set[str], links: _Links) -> None:
    """Undated articles join the dated episode their content links them to (in rounds)."""
    while unplaced:
        moves: dict[str, int] = {}
        for u in unplaced:
            scores: dict[int, float] = {}
            for v, episode in assigned.items():
                score = links(u, v)
                if score >= LINK_SCORE:
                    scores[episode] = max(scores.get(episode, 0.0), score)
            best = _dominant(scores)
            if best is not None:
                moves[u] = best
        if not moves:
            return
        assigned.update(moves)
        unplaced -= set(moves)


def _groups(ids: set[str], links: _Links) -> list[list[str]]:
    """Connected groups of the still unplaced articles, linked by content."""
    parent = {i: i for i in ids}

    def root(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    ordered = sorted(ids)
    for n, a in enumerate(ordered):
        for b in ordered[n + 1 :]:
            if links(a, b) >= LINK_SCORE:
                parent[root(b)] = root(a)
    groups: dict[str, list[str]] = {}
    for member in ordered:
        groups.setdefault(root(member), []).append(member)
    return list(groups.values())


# --------------------------------------------------------------------------- build


def build_timeline(
    briefs: list[ArticleBrief], articles: list[Article]
) -> tuple[list[TimelineEntry], list[Episode]]:
    """Events of every article as one sorted timeline, and the story's episodes.

    Events with a resolved date (verified or code-extracted) become entries; events of
    different articles on the same date with similar wording merge into one entry citing
    them all; an undated article's mentions of a day stand with no date. See the module
    docstring for background and episodes.
    """
    order = {a.id: i for i, a in enumerate(articles)}
    for brief in briefs:
        order.setdefault(brief.article_id, len(order))
    by_id = {a.id: a for a in articles}
    published: dict[str, dt.date | None] = {
        b.article_id: b.date
        or (reference_date(by_id[b.article_id]) if b.article_id in by_id else None)
        for b in briefs
    }
    dated_events, undated_events = _events(briefs)
    own_latest: dict[str, dt.date] = {}
    for aid, event in dated_events:
        if event.date_precision == "day" and event.date is not None:
            own_latest[aid] = max(own_latest.get(aid, event.date), event.date)
    entries = _merge(
        dated_events, {aid: date or own_latest.get(aid) for aid, date in published.items()}
    )
    anchors = _anchors(published, entries)
    spans = _clusters([d for dates in anchors.values() for d in dates])
    if not spans and not undated_events:
        return [], []

    links = _Links([by_id[aid] for aid in published if aid in by_id], {})
    assigned, groups = _assign(anchors, published, spans, links)
    for entry in entries:
        entry.episode = _entry_episode(entry, spans, assigned)
    entries += _undated_entries(undated_events, entries, assigned)
    timeline = [
        TimelineEntry(
            date=entry.date,
            date_precision=entry.precision,
            when_text=entry.when_text,
            what=entry.what,
            article_ids=sorted(entry.article_ids, key=order.__getitem__),
            sentence_ids=entry.sentence_ids,
            episode=entry.episode or 1,
            background=entry.background,
        )
        for entry in entries
    ]
    return timeline, _episodes(spans, groups, assigned, anchors, order, links)


def _anchors(published: dict[str, dt.date | None], entries: list[_Entry]) -> dict[str, list]:
    """Each article's reference date and its days that are not background."""
    anchors: dict[str, list] = {aid: ([d] if d else []) for aid, d in published.items()}
    for entry in entries:
        if not entry.background and entry.precision == "day":
            for aid in entry.article_ids:
                anchors[aid].append(entry.date)
    if not any(anchors.values()):  # nothing but background: let it shape the episodes
        for entry in entries:
            for aid in entry.article_ids:
                anchors[aid].append(entry.date)
            entry.background = False
    return anchors


def _assign(
    anchors: dict[str, list[dt.date]],
    published: dict[str, dt.date | None],
    spans: list[tuple[dt.date, dt.date]],
    links: _Links,
) -> tuple[dict[str, int], list[list[str]]]:
    """Every article's episode: by its dates, else by its content, else an undated episode
    of its own (with the articles its content links it to); and those undated groups.
    """
    assigned: dict[str, int] = {}
    for aid, dates in anchors.items():
        if dates:
            votes = Counter(_episode_of(d, spans) or 0 for d in dates)
            date = published.get(aid)
            pub = _episode_of(date, spans) if date else None
            assigned[aid] = max(votes, key=lambda e: (votes[e], e == pub, -e))
    links.general_across(assigned)
    unplaced = set(published) - set(assigned)
    groups: list[list[str]] = []
    if spans:
        _place_by_content(assigned, unplaced, links)
        groups = sorted(_groups(unplaced, links), key=lambda g: min(links.key(a) for a in g))
    elif unplaced:
        groups = [sorted(unplaced)]  # nothing in the story has a date: one episode
    for n, group in enumerate(groups, len(spans) + 1):
        for aid in group:
            assigned[aid] = n
    return assigned, groups


def _entry_episode(
    entry: _Entry, spans: list[tuple[dt.date, dt.date]], assigned: dict[str, int]
) -> int:
    """A step's episode is the one its day falls in; background goes to the episode whose
    dates it falls in or near, else (like a week) to its articles' episode.
    """
    assert entry.date is not None
    episode = _episode_of(entry.date, spans) if entry.precision == "day" else None
    if entry.background or episode is None:
        near = _episode_of(entry.date, spans, GAP_DAYS) if entry.background else None
        episode = near or min(
            (assigned[a] for a in entry.article_ids if a in assigned), default=None
        )
    return episode or _nearest(entry.date, spans)


def _sentence_index(sentence_id: str) -> int:
    return int(sentence_id.rsplit(".s", 1)[-1]) if ".s" in sentence_id else 0


def _undated_entries(
    events: list[tuple[str, Event]], entries: list[_Entry], assigned: dict[str, int]
) -> list[_Entry]:
    """Undated mentions of a day: one entry per article and day (its first mention stated,
    every sentence cited), joined to an entry of its episode that names the same day and
    says the same thing (a dated one with a third of the words), or standing with no date.
    """
    mentions: dict[tuple[str, str], list[Event]] = {}
    for article_id, event in events:
        mentions.setdefault((article_id, day_key(event.when_text)), []).append(event)
    for group in mentions.values():
        group.sort(key=lambda e: (_sentence_index(e.sentence_id), e.when_text))
    out: list[_Entry] = []
    for (article_id, day), group in sorted(
        mentions.items(), key=lambda kv: (kv[0][1], kv[1][0].what, kv[1][0].when_text)
    ):
        episode, first = assigned[article_id], group[0]
        entry = next(
            (
                e
                for e in [*entries, *out]
                if e.episode == episode
                and not e.background
                and e.day == day
                and e.same(first, 0.25 if e.date else 0.5)
            ),
            None,
        )
        if entry is None:
            entry = _Entry(None, "unknown", first.when_text, first.what, episode=episode)
            out.append(entry)
        for event in group:
            entry.add(article_id, event.sentence_id, False)
    return sorted(out, key=lambda e: (e.episode or 0, e.when_text, e.what))


def _episodes(
    spans: list[tuple[dt.date, dt.date]],
    groups: list[list[str]],
    assigned: dict[str, int],
    anchors: dict[str, list[dt.date]],
    order: dict[str, int],
    links: _Links,
) -> list[Episode]:
    episodes = []
    members_of: dict[int, list[str]] = {}
    for i, (start, end) in enumerate(spans, 1):
        members = [a for a, e in assigned.items() if e == i]
        if not members:  # only stray anchors of articles that mostly belong elsewhere
            members = [
                a for a, dates in anchors.items() if any(_episode_of(d, spans) == i for d in dates)
            ]
        members.sort(key=order.__getitem__)
        members_of[i] = members
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
    for n, group in enumerate(groups, len(spans) + 1):
        members_of[n] = sorted(group, key=order.__getitem__)
    for n in range(len(spans) + 1, len(spans) + len(groups) + 1):
        members = members_of[n]
        label = f"{', '.join(members)}: date unknown"
        others = {e: m for e, m in members_of.items() if e != n and m}
        if others:
            scores = {e: links.best(members, m) for e, m in others.items()}
            closest = max(sorted(scores), key=lambda e: scores[e])
            if scores[closest] > 0 or len(others) == 1:
                label += f"; different event from {'/'.join(others[closest])}?"
        episodes.append(Episode(id=n, label=label, start=None, end=None, article_ids=members))
    return episodes
