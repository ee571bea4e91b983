"""Sentences of model prose and of articles: splitting, degenerate text, trimming, lookups by id."""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from collections.abc import Sequence

from ..schemas import Article, Sentence
from .match import fold, has_phrase, similarity, words

_CREDIT = re.compile(r"\((?:AFP|AP|Reuters|Getty[^)]*|file)\)\s*$")  # a photo caption
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")

# Thresholds of `is_degenerate` (see its docstring).
MAX_SAME_WORD_RUN = 3  # "the the the the" (4 in a row) is degenerate
MAX_TOP_WORD_SHARE = 0.5  # one word making up more than half of 6+ words
MIN_DISTINCT_TRIGRAMS = 0.5  # fewer than half the 3-grams distinct (12+ words)
MAX_SENTENCE_REPEATS = 2  # one sentence written 3 times or more


# --------------------------------------------------------------------------- prose


_STATEMENT_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)]?\s+(?=[\"'\u201c\u2018(]?[A-Z0-9])")


_ENDS_SENTENCE = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s*$")


def ends_a_sentence(text: str) -> bool:
    """True when `text` ends as a sentence does (a full stop, ! or ?, then closing quotes or
    brackets): not a heading, a cut line or a piece of a sentence.
    """
    return _ENDS_SENTENCE.search(text) is not None


def split_statements(text: str) -> list[str]:
    """A brief's composed text (its overview) as the statements a reader sees, one per
    sentence; curly quotes count as quotes.
    """
    parts = [p for p in _STATEMENT_END.split(text) if p.strip()]
    return parts or ([text] if text.strip() else [])


def split_sentences(text: str) -> list[str]:
    """A plain sentence split for model prose (summaries), not for articles."""
    return [part.strip() for part in _SENTENCE_END.split(fold(text)) if part.strip()]


def _longest_run(tokens: Sequence[str]) -> int:
    best = run = 0
    for index, token in enumerate(tokens):
        run = run + 1 if index and token == tokens[index - 1] else 1
        best = max(best, run)
    return best


def is_degenerate(text: str) -> bool:
    """True for looping text: the same word 4+ times in a row, one word over half of 6+ words,
    under half the 3-grams distinct (12+ words), or one sentence written 3+ times.
    """
    tokens = re.findall(r"\w+", fold(text).lower())
    if len(tokens) < 4:
        return False
    if _longest_run(tokens) > MAX_SAME_WORD_RUN:
        return True
    if len(tokens) >= 6 and Counter(tokens).most_common(1)[0][1] / len(tokens) > MAX_TOP_WORD_SHARE:
        return True
    trigrams = list(zip(tokens, tokens[1:], tokens[2:], strict=False))
    if len(tokens) >= 12 and len(set(trigrams)) / len(trigrams) < MIN_DISTINCT_TRIGRAMS:
        return True
    sentences = Counter(" ".join(words(s)) for s in split_sentences(text))
    return any(count > MAX_SENTENCE_REPEATS for key, count in sentences.items() if key)


def dedupe_sentences(text: str, threshold: float = 0.85) -> tuple[str, int]:
    """`text` without sentences near-identical to an earlier one; also how many were removed."""
    kept: list[str] = []
    for sentence in split_sentences(text):
        if not any(similarity(sentence, other) >= threshold for other in kept):
            kept.append(sentence)
    return " ".join(kept), len(split_sentences(text)) - len(kept)


def trim(text: str, limit: int) -> str:
    """`text` folded and cut at a word boundary to at most `limit` characters (with '…')."""
    text = fold(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


# --------------------------------------------------------------------------- articles


def _is_lead_like(sentence: Sentence) -> bool:
    """A body sentence rather than a heading, caption or dateline."""
    text = sentence.text.strip()
    ends_like_prose = re.search(r"[.!?][\"'\u201d\u2019)\]]*$", text) is not None
    return len(text.split()) >= 8 and ends_like_prose and not _CREDIT.search(text)


def lead_sentences(article: Article, count: int = 3) -> list[Sentence]:
    """The first `count` body-like sentences (the first sentences if none look like body)."""
    lead = list(itertools.islice((s for s in article.sentences if _is_lead_like(s)), count))
    return lead or article.sentences[:count]


def sentence_by_id(article: Article, sentence_id: str) -> Sentence | None:
    """The sentence with this id, found by binary search on its number (sentences are in
    id order, some may be left out), so looking up every figure of a long article stays fast.
    """
    number = _sentence_number(sentence_id)
    sentences = article.sentences
    at = bisect.bisect_left(sentences, number, key=lambda s: _sentence_number(s.id))
    return sentences[at] if at < len(sentences) and sentences[at].id == sentence_id else None


def sentence_text(articles: dict[str, Article], sentence_id: str) -> str | None:
    """The text of sentence `sentence_id` ('a2.s14') among articles keyed by id, or None."""
    article = articles.get(sentence_id.split(".")[0])
    if article is None:
        return None
    sentence = sentence_by_id(article, sentence_id)
    return sentence.text if sentence is not None else None


def _sentence_number(sentence_id: str) -> int:
    _, _, number = sentence_id.rpartition(".s")
    return int(number) if number.isdigit() else -1


def sentence_map(article: Article) -> dict[str, Sentence]:
    return {sentence.id: sentence for sentence in article.sentences}


def sentence_at(article: Article, offset: int) -> Sentence | None:
    """The sentence containing `offset`, else the first one starting after it."""
    for sentence in article.sentences:
        if sentence.start <= offset < sentence.end:
            return sentence
    return next((s for s in article.sentences if s.start >= offset), None)


def sentences_between(article: Article, start: int, end: int, margin: int = 0) -> list[Sentence]:
    """Sentences overlapping [start, end), plus `margin` sentences either side."""
    indexes = [
        i
        for i, s in enumerate(article.sentences)
        if s.start < max(end, start + 1) and s.end > start
    ]
    if not indexes:
        return []
    low, high = max(indexes[0] - margin, 0), indexes[-1] + margin + 1
    return article.sentences[low:high]


class SentenceIndex:
    """`sentence_at` and `sentences_between` for many offsets of one article, by binary
    search on the sentence offsets (built once; each lookup is O(log n), not a scan).

    Sentences of `make_article` are in text order, non-empty and non-overlapping; for any
    other list the lookups scan, exactly as the functions do.
    """

    def __init__(self, article: Article) -> None:
        self.article = article
        self.sentences = article.sentences
        self.starts = [s.start for s in self.sentences]
        self.ends = [s.end for s in self.sentences]
        self.ordered = all(s.start < s.end for s in self.sentences) and all(
            a.end <= b.start for a, b in zip(self.sentences, self.sentences[1:], strict=False)
        )

    def at(self, offset: int) -> Sentence | None:
        """As `sentence_at(article, offset)`."""
        if not self.ordered:
            return sentence_at(self.article, offset)
        index = bisect.bisect_right(self.starts, offset) - 1
        if index >= 0 and offset < self.ends[index]:
            return self.sentences[index]
        after = bisect.bisect_left(self.starts, offset)
        return self.sentences[after] if after < len(self.sentences) else None

    def between(self, start: int, end: int, margin: int = 0) -> list[Sentence]:
        """As `sentences_between(article, start, end, margin)`."""
        if not self.ordered:
            return sentences_between(self.article, start, end, margin)
        first = bisect.bisect_right(self.ends, start)  # the first sentence ending after start
        last = bisect.bisect_left(self.starts, max(end, start + 1)) - 1
        if first > last:
            return []
        return self.sentences[max(first - margin, 0) : last + margin + 1]


def mentions(name: str, text: str) -> bool:
    """True when `name` appears in `text` as whole words (case-insensitive)."""
    return has_phrase(text, name)
