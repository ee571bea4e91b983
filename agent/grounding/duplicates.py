"""Exact and near-duplicate articles (word shingles), counted once downstream."""

from __future__ import annotations

from ..schemas import (
    Article,
)
from ..text.match import jaccard, words

# --------------------------------------------------------------------------- duplicates


def _shingles(text: str, size: int = 5) -> set[tuple[str, ...]]:
    tokens = words(text)
    if len(tokens) < size:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def find_duplicates(
    articles: list[Article], threshold: float = 0.85
) -> list[tuple[str, str, float]]:
    """(duplicate id, original id, similarity) for exact and near-duplicate articles.

    Exact: the same SHA-256 of the cleaned text (similarity 1.0). Near: Jaccard similarity
    of word 5-gram shingles at or above `threshold`. The later article is the duplicate of
    the earliest original it matches; a duplicate is never itself an original.
    """
    result = []
    originals: list[tuple[Article, set]] = []
    for article in articles:
        shingles = _shingles(article.text)
        match = None
        for original, theirs in originals:
            if original.sha256 == article.sha256:
                match = (original.id, 1.0)
                break
            similarity = jaccard(shingles, theirs)
            if similarity >= threshold:
                match = (original.id, round(similarity, 3))
                break
        if match:
            result.append((article.id, match[0], match[1]))
        else:
            originals.append((article, shingles))
    return result
