"""Online clustering of a stream of news articles into stories.

Articles are taken in arrival order and each is either added to the most similar existing
story or starts a new one (single pass, no revisiting), in the spirit of Miranda et al.
2018, "Multilingual clustering of streaming news" (ideas only, English only here):

* each article is a bag of words over its title (counted twice) and its lead text (the first
  `lead_words` words), with stopwords and very short tokens removed;
* term weights are TF-IDF with document frequencies updated incrementally as articles
  arrive (an article is weighted with the frequencies known once it is counted);
* a story is the sum of its members' normalised term vectors; similarity is the cosine
  between the article and that centroid, both weighted with the current IDF;
* names and numbers (capitalised words inside a sentence, digits) can get `entity_boost`
  (off by default: on the eval mix it merged unrelated stories more than it joined related ones);
* when the article and the story both have dates, similarity decays with the gap in days
  between the article and the nearest date of the story: `exp(-max(0, gap - grace) / tau)`;
* the article joins the best story when the similarity reaches `threshold`.

The result depends only on the items and their order (ties go to the older story).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["ClusterItem", "ClusterParams", "StreamClusterer", "cluster_articles", "parse_date"]


@dataclass(frozen=True)
class ClusterItem:
    """One article of the stream: an id, a title (may be None), text and a date (may be None)."""

    id: str
    title: str | None
    text: str
    date: dt.date | str | None = None


@dataclass(frozen=True)
class ClusterParams:
    """The few parameters of the clusterer (defaults tuned on the small eval mix, see bench/)."""

    threshold: float = 0.08
    lead_words: int = 250
    title_weight: float = 2.0
    entity_boost: float = 1.0  # >1 weights names and numbers up; on the eval mix it did not help
    grace_days: float = 3.0
    tau_days: float = 365.0


STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours said says say told according one two
    new last first year years week day days time people like get got make made may might must
    many much us mr mrs ms since still even well back way going go see know think want per
    monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow
    january february march april june july august september october november december
    percent cent share click read comment comments email print advertisement photo image video
    subscribe newsletter sign""".split()
)
_TOKEN = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?]['\"’”)]*$")
_THOUSANDS = re.compile(r"(?<=\d)[,\u00a0 ](?=\d{3}\b)")  # '80,000' -> '80000'


_MONTHS = {
    m[:3]: n
    for n, m in enumerate(
        (
            "january february march april may june july august september october november december"
        ).split(),
        1,
    )
}
_ISO = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
_DMY_NUM = re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\b")
_DMY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
_MDY = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")


def _make(year: str, month: str | int, day: str) -> dt.date | None:
    number = (
        _MONTHS.get(month[:3].lower())
        if isinstance(month, str) and not month.isdigit()
        else int(month)
    )
    if number is None:
        return None
    try:
        return dt.date(int(year), number, int(day))
    except ValueError:
        return None


def parse_date(value: dt.date | str | None) -> dt.date | None:
    """A date from a date, a datetime or a string like '2016-09-10', '10 Sep 2016',
    'Saturday, January 8, 2005' or '20-05-2016' (day first); None when absent or unreadable
    (a date without a year, like 'March 5', is not a usable timestamp).
    """
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    text = str(value)
    if m := _ISO.search(text):
        return _make(m.group(1), m.group(2), m.group(3))
    if m := _DMY_NUM.search(text):
        return _make(m.group(3), m.group(2), m.group(1))
    if m := _DMY.search(text):
        return _make(m.group(3), m.group(2), m.group(1))
    if m := _MDY.search(text):
        return _make(m.group(3), m.group(1), m.group(2))
    return None


def _normal(token: str) -> str:
    """Lower case with a light plural strip ('strikes' ~ 'strike'), numbers kept whole."""
    word = token.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def item_terms(item: ClusterItem, params: ClusterParams) -> dict[str, float]:
    """Weighted term counts of an article: title twice, lead text once, names/numbers boosted."""
    counts: defaultdict[str, float] = defaultdict(float)
    for part, weight, limit in (
        (item.title or "", params.title_weight, 40),
        (item.text, 1.0, params.lead_words),
    ):
        previous = ""
        part = _THOUSANDS.sub("", part)
        for n, match in enumerate(_TOKEN.finditer(part)):
            if n >= limit:
                break
            raw = match.group(0)
            word = _normal(raw)
            sentence_start = n == 0 or bool(_SENTENCE_END.search(previous))
            previous = part[match.start() : match.end() + 1]
            if word in STOPWORDS or (len(word) < 3 and not word.isdigit()):
                continue
            named = raw[:1].isupper() and not sentence_start
            counts[word] += weight * (params.entity_boost if named or raw[:1].isdigit() else 1.0)
    return counts


@dataclass
class _Story:
    index: int
    members: list[int] = field(default_factory=list)
    centroid: dict[str, float] = field(default_factory=dict)  # sum of members' unit tf vectors
    dates: list[dt.date] = field(default_factory=list)


class StreamClusterer:
    """Incremental clusterer: `add(item)` returns the story index the item was put in."""

    def __init__(self, params: ClusterParams | None = None):
        self.params = params or ClusterParams()
        self.df: Counter[str] = Counter()
        self.docs = 0
        self.stories: list[_Story] = []
        self._postings: dict[str, set[int]] = {}

    def _idf(self, term: str) -> float:
        return math.log((1 + self.docs) / (1 + self.df[term])) + 1.0

    def _decay(self, date: dt.date | None, story: _Story) -> float:
        if date is None or not story.dates:
            return 1.0
        gap = min(abs((date - known).days) for known in story.dates)
        return math.exp(-max(0.0, gap - self.params.grace_days) / self.params.tau_days)

    def similarity(self, terms: dict[str, float], date: dt.date | None, story: _Story) -> float:
        """Cosine of the article's and the story's TF-IDF vectors, times the time decay."""
        idf = {t: self._idf(t) for t in story.centroid.keys() | terms.keys()}
        dot = sum(w * story.centroid.get(t, 0.0) * idf[t] ** 2 for t, w in terms.items())
        if dot <= 0:
            return 0.0
        norm_a = math.sqrt(sum((w * idf[t]) ** 2 for t, w in terms.items()))
        norm_b = math.sqrt(sum((w * idf[t]) ** 2 for t, w in story.centroid.items()))
        return dot / (norm_a * norm_b) * self._decay(date, story)

    def add(self, item: ClusterItem, position: int) -> int:
        """Place one article (its `position` in the stream is what the story records)."""
        terms = item_terms(item, self.params)
        date = parse_date(item.date)
        self.docs += 1
        self.df.update(terms.keys())
        candidates = sorted({s for t in terms for s in self._postings.get(t, ())})
        best, best_score = None, 0.0
        for index in candidates:
            score = self.similarity(terms, date, self.stories[index])
            if score > best_score:
                best, best_score = index, score
        if best is None or best_score < self.params.threshold:
            best = len(self.stories)
            self.stories.append(_Story(best))
        story = self.stories[best]
        story.members.append(position)
        length = math.sqrt(sum(w * w for w in terms.values())) or 1.0
        for term, weight in terms.items():
            story.centroid[term] = story.centroid.get(term, 0.0) + weight / length
            self._postings.setdefault(term, set()).add(best)
        if date is not None:
            story.dates.append(date)
        return best


def cluster_articles(
    items: Sequence[ClusterItem], params: ClusterParams | None = None
) -> list[list[int]]:
    """Group a stream of articles (in arrival order) into stories.

    Returns the stories as lists of positions into `items`, each list in arrival order and the
    stories in the order they were started. Deterministic for a given sequence.
    """
    clusterer = StreamClusterer(params)
    for position, item in enumerate(items):
        clusterer.add(item, position)
    return [list(story.members) for story in clusterer.stories]
