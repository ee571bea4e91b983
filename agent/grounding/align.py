"""Claim alignment: which sentences of which articles say the same thing.

A reader picks a brief over one article because it lines the sources up. `align_story`
groups the sentences of different articles that report the same statement, with no model:

1. **Units.** Every sentence of every independent article (copies and near-copies count
   once, see `independent_articles`) with at least four content words. Each has its bag of
   stemmed content words, split into *names* (capitalised words inside the sentence, and
   title words such as "minister") and *predicate* words (everything else: what is said
   about the names), its numbers, and the dates code resolved for it.
2. **Weights.** A word weighs its inverse sentence frequency over the story, times a
   discount for the words every article uses (the names a story repeats everywhere say
   little about which statement a sentence makes).
3. **Pair score.** For two sentences of different articles: the shared predicate weight
   over the smaller sentence's predicate weight (an overlap coefficient, so a short
   statement inside a long sentence still matches), with two shared predicate words at
   least. Shared numbers (with their unit word) and shared dates at day precision are
   anchors: with one shared predicate word they align a pair; a number or date that
   differs where both give one is not counted against it here (that is a conflict
   candidate, `agent.grounding.conflicts`).
4. **Groups.** Candidate pairs are taken best first when each is the other's best match in
   its article (mutual best); a pair joins two groups only when no article would then have
   two sentences in one group. A group backed by two or more articles is consensus.

Everything is sorted by content (article ids and sentence positions break no ties that text
could break), so shuffling the input order gives the same groups.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..extract.dates import resolve_date
from ..extract.lexicon import PERSON_TITLES, SPEECH_VERBS, WEEKDAYS
from ..schemas import AlignedGroup, Article, ArticleBrief, Conflict, ConsensusClaim
from ..text.match import content_words, fold, stem, words
from .synthesis import independent_articles, same_claim

__all__ = ["Alignment", "Unit", "align_story", "consensus_of", "undisputed"]

MIN_CONTENT = 4  # content words a sentence needs to be a unit
MIN_SHARED = 2  # shared predicate words a pair needs without an anchor
OVERLAP = 0.34  # least weighted predicate overlap coefficient of an aligned pair
RARE = 2.2  # ... or this much shared predicate weight when the words are rare
ANCHORED = 0.2  # least overlap of a pair that shares a number or a day
COMMON_DISCOUNT = 0.35  # weight kept by a word every article uses
CONSENSUS_LIMIT = 10
MAX_ALIGNED = 30  # articles compared pairwise (see `aligned_articles`)

_TITLE_STEMS = frozenset(stem(w) for t in PERSON_TITLES for w in t.lower().split())
_EXTRA_TITLES = frozenset(
    stem(w)
    for w in "counterpart official officials spokesman spokeswoman spokesperson head".split()
)
_CAPITAL = re.compile(r"[A-Z][\w'\u2019-]*")


@dataclass(frozen=True)
class Unit:
    """One sentence as the alignment sees it."""

    article_id: str
    sentence_id: str
    index: int  # position in its article
    text: str
    names: frozenset[str]
    predicate: frozenset[str]
    numbers: frozenset[str]
    figures: frozenset[str]  # a number of two digits or more and the word it counts: "13 hour"
    days: frozenset[str]  # ISO dates at day precision code resolved in it
    weekdays: frozenset[str]  # weekday names it uses ("friday")

    @property
    def words(self) -> frozenset[str]:
        return self.names | self.predicate


@dataclass
class Alignment:
    """The aligned groups of a story and the scored pairs they came from."""

    units: dict[str, Unit]
    groups: list[list[Unit]]
    pairs: dict[tuple[str, str], float] = field(default_factory=dict)
    weight: dict[str, float] = field(default_factory=dict)

    def group_of(self, sentence_id: str) -> int | None:
        for n, group in enumerate(self.groups):
            if any(u.sentence_id == sentence_id for u in group):
                return n
        return None


def _name_stems(text: str) -> set[str]:
    """Stems of capitalised words that do not start the sentence or follow a colon/quote."""
    out: set[str] = set()
    folded = fold(text)
    for m in _CAPITAL.finditer(folded):
        before = folded[: m.start()].rstrip()
        if not before or before[-1] in ".:!?\"'(":
            continue
        out.update(content_words(m.group(0)))
    return out


def _units(articles: Sequence[Article], briefs: Sequence[ArticleBrief]) -> list[Unit]:
    days: dict[str, set[str]] = defaultdict(set)
    for brief in briefs:
        for event in brief.events:
            if event.date is not None and event.date_precision == "day":
                days[event.sentence_id].add(event.date.isoformat())
    units = []
    for article in articles:
        for i, s in enumerate(article.sentences):
            bag = set(content_words(s.text))
            if len(bag) < MIN_CONTENT:
                continue
            named = [w for w in words(s.text) if w in WEEKDAYS]
            for day in named if article.date else []:
                when, precision = resolve_date(day, article.date, s.text)
                if when is not None and precision == "day":
                    days[s.id].add(when.isoformat())
            names = (_name_stems(s.text) | (bag & (_TITLE_STEMS | _EXTRA_TITLES))) & bag
            tokens = words(s.text)
            numbers = frozenset(w for w in tokens if w[0].isdigit())
            units.append(
                Unit(
                    article_id=article.id,
                    sentence_id=s.id,
                    index=i,
                    text=s.text,
                    names=frozenset(names),
                    predicate=frozenset(bag - names - numbers),
                    numbers=numbers,
                    figures=_figures(tokens),
                    days=frozenset(days.get(s.id, ())),
                    weekdays=frozenset(named),
                )
            )
    return units


_YEAR = re.compile(r"(?:1[89]|20)\d\d")


def _figures(tokens: list[str]) -> frozenset[str]:
    """Each number of two digits or more (not a year) with the content word right after it,
    stemmed: "some 13 hours of talks" -> "13 hour". Two sentences stating the same figure of
    the same thing pin one statement down even when the rest of their wording differs.
    """
    out = set()
    for number, after in zip(tokens, tokens[1:], strict=False):
        if number[0].isdigit() and len(number) >= 2 and not _YEAR.fullmatch(number):
            unit = content_words(after)
            if unit and not unit[0][0].isdigit():
                out.add(f"{number} {unit[0]}")
    return frozenset(out)


def _weights(units: Sequence[Unit], articles: int) -> dict[str, float]:
    df = Counter(w for u in units for w in u.words | u.numbers)
    spread = Counter(w for aid in {u.article_id for u in units} for w in _article_words(units, aid))
    total = len(units) + 1
    weight = {}
    for w, n in df.items():
        idf = math.log(total / (n + 0.5))
        share = spread[w] / max(articles, 1)
        weight[w] = max(idf, 0.05) * (COMMON_DISCOUNT if share >= 0.99 and articles > 2 else 1.0)
    return weight


def _article_words(units: Sequence[Unit], article_id: str) -> set[str]:
    return {w for u in units if u.article_id == article_id for w in u.words | u.numbers}


def shared_predicate(a: Unit, b: Unit) -> frozenset[str]:
    """Words both sentences use that are a predicate word in at least one of them (so
    "High School" in one and "high school" in the other still count).
    """
    return (a.words & b.words) - (a.names & b.names)


def pair_score(a: Unit, b: Unit, weight: dict[str, float]) -> float:
    """How surely two sentences of different articles make the same statement (0 = not)."""
    shared = a.predicate & b.predicate
    mass = math.fsum(weight.get(w, 0.0) for w in shared)
    smaller = min(
        math.fsum(weight.get(w, 0.0) for w in a.predicate),
        math.fsum(weight.get(w, 0.0) for w in b.predicate),
    )
    if not shared or smaller <= 0 or different_days(a, b) or different_figures(a, b):
        return 0.0
    overlap = mass / smaller
    anchored = bool((a.days & b.days) or _shared_numbers(a, b))
    if len(shared) >= MIN_SHARED and (overlap >= OVERLAP or mass >= RARE * 2):
        return overlap + (0.1 if anchored else 0.0)
    if anchored and overlap >= ANCHORED and (a.names & b.names or len(shared) >= MIN_SHARED):
        return overlap + 0.1
    if a.figures & b.figures and a.names & b.names:  # "13 hours" of talks in Geneva, twice
        return ANCHORED + 0.1
    return 0.0


def different_figures(a: Unit, b: Unit) -> bool:
    """Both sentences state figures (two digits or more) and share none: "about 9,000
    vehicles a day" and "roughly 12,000 vehicles a day" disagree, they are not one statement
    (the numeric conflict check says whether they count the same thing).
    """
    mine = {n for n in a.numbers if len(n) >= 2}
    theirs = {n for n in b.numbers if len(n) >= 2}
    return bool(mine and theirs and not mine & theirs)


def different_days(a: Unit, b: Unit) -> bool:
    """Both sentences are dated (a resolved day, else a weekday name) and no day is shared:
    they report different events, or the same one on different days (a date conflict), never
    the same statement.
    """
    if a.days and b.days:
        return not a.days & b.days
    return bool(a.weekdays and b.weekdays and not a.weekdays & b.weekdays)


def _shared_numbers(a: Unit, b: Unit) -> bool:
    """A number both state, other than a bare small count or a year-like token shared by chance."""
    return any(n in b.numbers and (len(n) >= 2 or n in ("0",)) for n in a.numbers)


_EVENT_BOUND = re.compile(
    rf"\b{SPEECH_VERBS}\b|\b(?:today|yesterday|tomorrow|tonight|this week|last week|"
    r"next week|this month|(?:is|are|was|were) \w+ing)\b",
    re.I,
)


def _background(u: Unit) -> bool:
    """A timeless statement (no day, no speech event, no 'this week', no 'is meeting'):
    the kind of background fact two episodes of a story can share.
    """
    return not (u.days or u.weekdays or _EVENT_BOUND.search(fold(u.text)))


def aligned_articles(articles: Sequence[Article], limit: int = MAX_ALIGNED) -> list[Article]:
    """The articles the alignment compares: all of them up to `limit`, else the `limit` most
    recent (undated last; ties by content), so a story of hundreds of articles costs what
    one of `limit` does. Pairwise comparison is quadratic; a reader gains nothing from a
    consensus of 200 copies of one wire story that 30 of them would not show.
    """
    if len(articles) <= limit:
        return list(articles)
    ranked = sorted(
        articles, key=lambda a: (a.date is None, -(a.date.toordinal() if a.date else 0), a.sha256)
    )
    keep = {a.id for a in ranked[:limit]}
    return [a for a in articles if a.id in keep]


def align_story(
    articles: Sequence[Article],
    briefs: Sequence[ArticleBrief] = (),
    episode_of: dict[str, int] | None = None,
) -> Alignment:
    """Group the sentences of different independent articles that say the same thing.

    `episode_of` (article id -> episode) keeps apart the articles of different episodes:
    across episodes only background statements align (two meetings a year apart are not
    one statement because the same people met).
    """
    episode_of = episode_of or {}
    independent = aligned_articles(independent_articles(list(articles)))
    if len(independent) < 2:  # nothing to line up
        return Alignment(units={}, groups=[])
    units = _units(independent, briefs)
    weight = _weights(units, len(independent))
    by_article: dict[str, list[Unit]] = defaultdict(list)
    for u in units:
        by_article[u.article_id].append(u)
    scores: dict[tuple[str, str], float] = {}
    # (unit, other article) -> its best match there: (score, text, id); ties go by text
    best: dict[tuple[str, str], tuple[float, str, str]] = {}
    ids = sorted(by_article)
    for i, x in enumerate(ids):
        for y in ids[i + 1 :]:
            for a in by_article[x]:
                for b in by_article[y]:
                    if not (a.predicate & b.predicate):
                        continue
                    if episode_of.get(x, 0) != episode_of.get(y, 0) and not (
                        _background(a) and _background(b)
                    ):
                        continue
                    score = pair_score(a, b, weight)
                    if score <= 0:
                        continue
                    scores[(a.sentence_id, b.sentence_id)] = score
                    for u, v in ((a, b), (b, a)):
                        key = (u.sentence_id, v.article_id)
                        if key not in best or (score, v.text) > best[key][:2]:
                            best[key] = (score, v.text, v.sentence_id)
    lookup = {u.sentence_id: u for u in units}
    mutual = [
        (score, a, b)
        for (a, b), score in scores.items()
        if best[(a, lookup[b].article_id)][2] == b and best[(b, lookup[a].article_id)][2] == a
    ]
    mutual.sort(key=lambda t: (-t[0], *sorted((lookup[t[1]].text, lookup[t[2]].text))))
    groups = _merge(mutual, lookup)
    groups += _anchored_pairs(scores, lookup, groups)
    return Alignment(units=lookup, groups=groups, pairs=scores, weight=weight)


def _anchored_pairs(
    scores: dict[tuple[str, str], float], lookup: dict[str, Unit], groups: list[list[Unit]]
) -> list[list[Unit]]:
    """Pairs that state the same specific figure ("13 hours", "$85 million") with a word it
    counts, kept as groups of their own even when a sentence is already in another group: a
    sentence can carry several statements, and a shared figure pins one of them down. One
    pair per figure and pair of articles, best first.
    """
    together = {frozenset(u.sentence_id for u in g) for g in groups}
    seen: set[tuple[str, frozenset[str]]] = set()
    out: list[list[Unit]] = []
    for (a, b), _score in sorted(
        scores.items(), key=lambda t: (-t[1], *sorted((lookup[t[0][0]].text, lookup[t[0][1]].text)))
    ):
        ua, ub = lookup[a], lookup[b]
        figures = sorted(n for n in ua.numbers & ub.numbers if len(n) >= 2)
        if not figures or not (ua.predicate & ub.predicate) or different_days(ua, ub):
            continue
        if any({a, b} <= members for members in together):
            continue
        key = (figures[0], frozenset((ua.article_id, ub.article_id)))
        if key in seen:
            continue
        seen.add(key)
        out.append(sorted((ua, ub), key=lambda u: (u.article_id, u.index)))
    return out


def _merge(pairs: list[tuple[float, str, str]], lookup: dict[str, Unit]) -> list[list[Unit]]:
    """Union of the pairs, best first: never two sentences of one article in a group, nor two
    dated on different days.
    """
    group_of: dict[str, int] = {}
    groups: dict[int, list[Unit]] = {}
    for n, (_, a, b) in enumerate(pairs):
        ga, gb = group_of.get(a), group_of.get(b)
        if ga is not None and ga == gb:
            continue
        left = groups.pop(ga) if ga is not None else [lookup[a]]
        right = groups.pop(gb) if gb is not None else [lookup[b]]
        if {u.article_id for u in left} & {u.article_id for u in right} or any(
            different_days(u, v) or different_figures(u, v) for u in left for v in right
        ):
            for g, members in ((ga, left), (gb, right)):  # put back what was taken
                if g is not None:
                    groups[g] = members
            continue
        groups[n] = left + right
        for u in groups[n]:
            group_of[u.sentence_id] = n
    return sorted(
        (sorted(g, key=lambda u: (u.article_id, u.index)) for g in groups.values()),
        key=lambda g: (-len(g), min(u.index for u in g), min(u.text for u in g)),
    )


def representative(group: Sequence[Unit], alignment: Alignment, hub: bool = True) -> Unit:
    """The sentence that states the group.

    With `hub` (the consensus list): the member the others align with most strongly (the
    sum of its pair scores within the group: the hub, not a member that joined through one
    neighbour). Then, and alone without `hub` (the overview, which reads as prose and gains
    from the fuller sentence): the member that says most of what the others say (shared
    weight with them); then the shortest.
    """
    weight, pairs = alignment.weight, alignment.pairs
    uses = Counter(w for v in group for w in v.predicate)  # linear in the group's size

    def central(u: Unit) -> tuple[float, float, int, str]:
        linked = (
            math.fsum(
                pairs.get((u.sentence_id, v.sentence_id), 0.0)
                + pairs.get((v.sentence_id, u.sentence_id), 0.0)
                for v in group
            )
            if hub
            else 0.0
        )
        shared = math.fsum(weight.get(w, 0.0) * (uses[w] - 1) for w in u.predicate)
        return (-round(linked, 9), -shared, len(u.text), u.text)

    return min(group, key=central)


def consensus_of(alignment: Alignment, limit: int = CONSENSUS_LIMIT) -> list[ConsensusClaim]:
    """Consensus: each group backed by two or more articles, stated by its representative
    sentence, each source's sentence cited; ranked by how many sources back it, then by how
    early the sources put it (central statements lead); no two saying the same thing.
    """
    chosen: list[ConsensusClaim] = []
    ranked = sorted(
        (g for g in alignment.groups if len({u.article_id for u in g}) >= 2),
        key=lambda g: (
            -len({u.article_id for u in g}),
            sum(u.index for u in g) / len(g),
            representative(g, alignment).text,
        ),
    )
    for group in ranked:
        rep = representative(group, alignment)
        if any(same_claim(c.claim, rep.text) for c in chosen):
            continue
        ordered = sorted(group, key=lambda u: _article_number(u.article_id))
        chosen.append(
            ConsensusClaim(
                claim=rep.text,
                article_ids=[u.article_id for u in ordered],
                sentence_ids=[u.sentence_id for u in ordered],
                verified=True,
                origin="code",
            )
        )
        if len(chosen) >= limit:
            break
    return chosen


def _article_number(article_id: str) -> int:
    digits = article_id[1:]
    return int(digits) if digits.isdigit() else 0


def aligned_groups(alignment: Alignment) -> list[AlignedGroup]:
    """The alignment as output: every group of two or more articles, with its statement."""
    out = []
    for group in alignment.groups:
        if len({u.article_id for u in group}) < 2:
            continue
        rep = representative(group, alignment)
        ordered = sorted(group, key=lambda u: _article_number(u.article_id))
        out.append(
            AlignedGroup(
                statement=rep.text,
                statement_id=rep.sentence_id,
                article_ids=[u.article_id for u in ordered],
                sentence_ids=[u.sentence_id for u in ordered],
            )
        )
    return out


def undisputed(
    consensus: Sequence[ConsensusClaim], conflicts: Sequence[Conflict], text: dict[str, str]
) -> list[ConsensusClaim]:
    """Consensus less what a conflict disputes: when an item's sentences stand on different
    sides of one conflict, only the largest side stays (two sources saying 400,000 still
    agree when a third says 500,000; on a two-sided claim conflict neither side stays). An
    item with fewer than two articles left is dropped; when its stated sentence went, the
    shortest remaining sentence states it (`text`: sentence id -> text).
    """
    out = []
    for item in consensus:
        keep = list(item.sentence_ids)
        for conflict in conflicts:
            side = {
                s: (p.value if p.value is not None else n)
                for n, p in enumerate(conflict.positions)
                for s in p.sentence_ids
            }
            sides = Counter(side[s] for s in keep if s in side)
            if len(sides) < 2:
                continue
            (top, count), *rest = sides.most_common()
            winner = top if not rest or rest[0][1] < count else None
            keep = [s for s in keep if s not in side or side[s] == winner]
        articles = list(dict.fromkeys(s.split(".")[0] for s in keep))
        if len(articles) < 2:
            continue
        if keep == list(item.sentence_ids):
            out.append(item)
            continue
        claim = item.claim
        remaining = sorted((text[s] for s in keep if s in text), key=lambda t: (len(t), t))
        if item.origin == "code" and remaining and claim not in remaining:
            claim = remaining[0]  # by content, not by which article came first
        out.append(
            item.model_copy(update={"claim": claim, "article_ids": articles, "sentence_ids": keep})
        )
    return out
