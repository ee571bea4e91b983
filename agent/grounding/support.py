"""Finding the sentences of an article that support a claim.

A scorer (by default `support_score` here: the share of the claim's content words
found in the texts) says how much of a claim some sentences cover. On its own it is fooled
by the names a story repeats everywhere ("The Rexford factory in Millbrook was sold" is
half covered by any sentence about the Rexford factory in Millbrook), so support here also
needs the rarity-weighted coverage, the claim's numbers, and, at the strict bar, a
sentence mostly about the claim.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..schemas import Article, SupportLevel
from ..text.match import content_words, coverage, words

__all__ = [
    "CITED",
    "TOPIC",
    "UNCITED",
    "Bar",
    "Scorer",
    "SupportIndex",
    "best_support",
    "default_scorer",
    "memo",
    "numbers_in",
]

Scorer = Callable[[str, list[str]], float]

SUPPORT = 0.5  # a sentence supports a claim when the scorer gives at least this
CODE_SUPPORT = 0.6  # stricter bar for consensus that code proposes on its own
REVERSE = 0.4  # ... which also needs this share of the supporting sentence found in the claim


def memo(scorer: Scorer) -> Scorer:
    """The scorer with its answers kept: wire copy repeats sentences across articles."""
    seen: dict[tuple[str, tuple[str, ...]], float] = {}

    def score(claim: str, texts: list[str]) -> float:
        key = (claim, tuple(texts))
        if key not in seen:
            seen[key] = scorer(claim, texts)
        return seen[key]

    return score


def default_scorer() -> Scorer:

    return support_score


def numbers_in(text: str) -> set[str]:
    """Numbers a text states, number words included ('Fifteen' -> '15', '400,000' -> '400000')."""
    return {w for w in words(text) if w[0].isdigit()}


class SupportIndex:
    """The story's sentences, indexed once.

    `rare` is coverage weighted by rarity (inverse sentence frequency): words many
    sentences of the story share (the names of its places and people) count for little,
    rare ones for much. Each text's content words and numbers are cached, so that plain
    coverage can rule a sentence out before the (slower) scorer is asked.
    """

    def __init__(self, articles: list[Article]) -> None:
        self._words: dict[str, frozenset[str]] = {}
        self._numbers: dict[str, set[str]] = {}
        sentences = [s.text for a in articles for s in a.sentences]
        df = Counter(w for text in sentences for w in self.words(text))
        self._idf = {w: math.log((len(sentences) + 1) / (n + 1)) + 0.1 for w, n in df.items()}
        self._unseen = math.log(len(sentences) + 1) + 0.1

    def words(self, text: str) -> frozenset[str]:
        if text not in self._words:
            self._words[text] = frozenset(content_words(text))
        return self._words[text]

    def numbers(self, text: str) -> set[str]:
        if text not in self._numbers:
            self._numbers[text] = numbers_in(text)
        return self._numbers[text]

    def plain(self, claim: str, texts: list[str]) -> float:
        """Share of the claim's content words found in the texts (unweighted)."""
        wanted = self.words(claim)
        found = wanted.intersection(frozenset().union(*(self.words(t) for t in texts)))
        return len(found) / len(wanted) if wanted else 0.0

    def rare(self, claim: str, texts: list[str]) -> float:
        """Share of the claim's content words found in the texts, weighted by rarity."""
        wanted = self.words(claim)
        found = wanted.intersection(frozenset().union(*(self.words(t) for t in texts)))
        total = sum(self._idf.get(w, self._unseen) for w in wanted)
        return sum(self._idf.get(w, self._unseen) for w in found) / total if total else 0.0


@dataclass(frozen=True)
class Bar:
    """What counts as support: a minimum score, whether two adjacent sentences may together
    support a claim, and whether the supporting sentence must be mostly about the claim.
    """

    threshold: float
    pairs: bool = False
    reverse: bool = False


CITED = Bar(SUPPORT, pairs=True)  # an article the model cites for a claim
UNCITED = Bar(CODE_SUPPORT, reverse=True)  # an article code adds, or code's own consensus
TOPIC = Bar(0.4)  # an article addressing the topic of a model conflict


def best_support(
    claim: str, article: Article, scorer: Scorer, index: SupportIndex, bar: Bar
) -> tuple[float, list[str]]:
    """Best score of `claim` against one sentence (or two adjacent ones) of `article`.

    Returns (score, sentence ids); the ids are empty when the score is under the bar. The
    score is the lower of the scorer's and the rarity-weighted one (`SupportIndex.rare`),
    so shared names alone
    do not support "the factory was sold"; every number the claim states must be in the
    supporting sentence(s), so "12 injured" does not support "15 injured"; with
    `bar.reverse`, a sentence less than `REVERSE` of whose words are in the claim (one
    mostly about something else) does not support it. Plain content-word coverage (cached)
    rules out first whole articles, then sentences, that are far under the bar (under 80%
    of it), so the scorer is only asked about plausible sentences.
    """
    numbers = index.numbers(claim)

    def score(texts: list[str]) -> float:
        if not numbers <= set().union(*(index.numbers(t) for t in texts)):
            return 0.0
        if index.plain(claim, texts) < bar.threshold * 0.8:  # far off: spare the scorer
            return 0.0
        value = scorer(claim, texts)
        if value < bar.threshold:
            return value
        if bar.reverse and scorer(" ".join(texts), [claim]) < REVERSE:
            return 0.0
        return min(value, index.rare(claim, texts))

    if not article.sentences or index.plain(claim, [article.text]) < bar.threshold * 0.8:
        return 0.0, []
    best, ids = 0.0, []
    for s in article.sentences:
        value = score([s.text])
        if value > best:
            best, ids = value, [s.id]
    if best < bar.threshold and bar.pairs:
        for s, t in zip(article.sentences, article.sentences[1:], strict=False):
            value = score([s.text, t.text])
            if value > best:
                best, ids = value, [s.id, t.id]
    return best, (ids if best >= bar.threshold else [])


SUPPORTED = 0.6
PARTIAL = 0.3


def support_score(claim: str, texts: Sequence[str]) -> float:
    """Share (0..1) of the claim's distinct content words found in the texts: lower-cased,
    stopwords removed, lightly stemmed, '400,000' read as '400000' and 'five' as '5'.
    """
    return round(coverage(claim, texts), 3)


def support_level(score: float) -> SupportLevel:
    """'supported' at `SUPPORTED` or above, 'partial' at `PARTIAL` or above, else 'unsupported'."""
    if score >= SUPPORTED:
        return "supported"
    return "partial" if score >= PARTIAL else "unsupported"
