"""Matching output items to gold labels. Every threshold is a named constant here.

* A gold fact (key fact, consensus fact) is found by an output item when the item cites a
  sentence that overlaps the fact's evidence and at least `CITED_OVERLAP` of the fact's
  content words are in the item, or, citation or not, at least `CONTENT_OVERLAP` of them are.
  "Content words" and the overlap are `agent.grounding.support.support_score(fact, [item])`.
* A name matches a gold entity when, after folding case, punctuation and honorifics, it
  equals the entity's name or an alias; or it contains a multi-word name or alias as a
  run of whole words; or it is the surname of a multi-word person name.
* An output quote is compared with a gold quote when at least `QUOTE_MATCH` of the shorter
  one's words appear in the other, and the shorter has `QUOTE_MIN_WORDS` words or more.
* Two numbers are equal when they differ by less than `NUMBER_TOLERANCE` (relative).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..grounding.support import support_score
from ..schemas import Article, StoryBrief
from ..text.match import find_span, fold, words
from ..text.sentences import split_sentences
from .gold import GoldEntity

CITED_OVERLAP = 0.3
CONTENT_OVERLAP = 0.5
QUOTE_MATCH = 0.6
QUOTE_MIN_WORDS = 3  # a fragment shorter than this (or than the whole quote) is not compared
NUMBER_TOLERANCE = 0.005
GROUNDED = 0.6  # an output claim is grounded when this share of it is in its cited sentences

_HONORIFICS = {
    "dr",
    "mr",
    "mrs",
    "ms",
    "prof",
    "sir",
    "the",
    "gen",
    "lt",
    "col",
    "capt",
    "sen",
    "rep",
}


# --------------------------------------------------------------------------- evidence


def evidence_sentence_ids(article: Article | None, needles: list[str]) -> set[str]:
    """Ids of the article's sentences that overlap any of the cited substrings."""
    if article is None:
        return set()
    ids: set[str] = set()
    for needle in needles:
        span = find_span(needle, article.text)
        if span is None:
            continue
        start, end = span
        ids.update(s.id for s in article.sentences if s.start < end and s.end > start)
    return ids


def sentence_texts(articles: list[Article], ids: list[str]) -> list[str]:
    by_id = {s.id: s.text for article in articles for s in article.sentences}
    return [by_id[i] for i in ids if i in by_id]


# --------------------------------------------------------------------------- output items


@dataclass
class Item:
    """One piece of output prose that may state a fact."""

    ref: str  # where it is, e.g. 'a1.key_points[2]' or 'overview sentence 3'
    text: str
    article_ids: set[str] = field(default_factory=set)  # empty: story-wide (overview)
    sentence_ids: set[str] = field(default_factory=set)


def fact_items(brief: StoryBrief) -> list[Item]:
    """Key points, summary sentences, single-source claims, consensus claims, overview sentences."""
    items: list[Item] = []
    for art in brief.articles:
        aid = art.article_id
        for i, point in enumerate(art.key_points):
            items.append(Item(f"{aid}.key_points[{i}]", point.text, {aid}, set(point.sentence_ids)))
        for i, sentence in enumerate(split_sentences(art.summary), start=1):
            items.append(Item(f"{aid}.summary sentence {i}", sentence, {aid}))
    for i, single in enumerate(brief.single_source):
        items.append(
            Item(f"single_source[{i}]", single.claim, {single.article_id}, set(single.sentence_ids))
        )
    for i, claim in enumerate(brief.consensus):
        items.append(
            Item(f"consensus[{i}]", claim.claim, set(claim.article_ids), set(claim.sentence_ids))
        )
    for i, sentence in enumerate(split_sentences(brief.overview), start=1):
        items.append(Item(f"overview sentence {i}", sentence))
    return items


@dataclass
class FactMatch:
    ref: str
    rule: str  # 'cited' or 'content'
    overlap: float


def _rank(match: FactMatch) -> tuple[int, float]:
    return (1 if match.rule == "cited" else 0, match.overlap)


def match_fact(text: str, evidence_ids: set[str], items: list[Item]) -> FactMatch | None:
    """The best item stating the fact: a cited match first, then the highest overlap."""
    best: FactMatch | None = None
    for item in items:
        overlap = support_score(text, [item.text])
        if evidence_ids & item.sentence_ids and overlap >= CITED_OVERLAP:
            candidate = FactMatch(item.ref, "cited", overlap)
        elif overlap >= CONTENT_OVERLAP:
            candidate = FactMatch(item.ref, "content", overlap)
        else:
            continue
        if best is None or _rank(candidate) > _rank(best):
            best = candidate
    return best


# --------------------------------------------------------------------------- names


def name_key(name: str) -> list[str]:
    tokens = re.findall(r"[^\W_]+", fold(name).lower().replace("'s ", " "))
    while tokens and tokens[0] in _HONORIFICS:
        tokens = tokens[1:]
    return tokens


def _contains_run(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def name_matches(name: str | None, entity: GoldEntity) -> bool:
    if not name:
        return False
    out = name_key(name)
    if not out:
        return False
    for gold_name in entity.names():
        gold = name_key(gold_name)
        if not gold:
            continue
        if out == gold or (len(gold) >= 2 and _contains_run(out, gold)):
            return True
        if entity.kind == "person" and len(gold) >= 2 and out == gold[-1:]:
            return True
    return False


# --------------------------------------------------------------------------- numbers and quotes

_SMALL = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_SMALL.update(
    {
        "thirty": 30,
        "forty": 40,
        "fifty": 50,
        "sixty": 60,
        "seventy": 70,
        "eighty": 80,
        "ninety": 90,
        "hundred": 100,
        "dozen": 12,
    }
)
_SCALE = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
}


def parse_number(text: str) -> float | None:
    """'400,000' -> 400000; '$4.9 million' -> 4.9e6; 'five' -> 5; '$40M' -> 4e7."""
    folded = fold(text).lower().replace("half-billion", "0.5 billion")
    match = re.search(r"(\d[\d,]*(?:\.\d+)?)\s*(thousand|million|billion|mn|bn|k|m|b)?\b", folded)
    if match:
        number = float(match.group(1).replace(",", ""))
        return number * _SCALE.get(match.group(2) or "", 1.0)
    for token in re.findall(r"[a-z]+", folded):
        if token in _SMALL:
            return float(_SMALL[token])
    return None


def same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return False
    return abs(a - b) <= NUMBER_TOLERANCE * max(abs(a), abs(b), 1e-9)


def quote_overlap(a: str, b: str) -> float:
    left, right = words(a), words(b)
    if not left or not right:
        return 0.0
    shorter, longer = (left, right) if len(left) <= len(right) else (right, left)
    if len(shorter) < min(QUOTE_MIN_WORDS, len(longer)):
        return 0.0
    present = set(longer)
    return sum(1 for w in shorter if w in present) / len(shorter)


def verbatim_in(text: str, source: str) -> bool:
    """True when the quote's words stand in the source exactly (typography and case aside)."""
    cleaned = fold(text).strip(" \"'.,;:")
    return bool(cleaned) and find_span(cleaned, source, ignore_case=True) is not None
