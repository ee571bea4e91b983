"""Checks a gold file against its article texts; every problem names its path.

A problem reads like `articles[2].key_facts[1].evidence[0]: text not found in article
003_x.txt`; the caller prefixes the file name. Checks never stop at the first problem.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from pydantic import ValidationError

from ..errors import validation_lines
from ..text.match import find_span
from .gold import StoryGold, anchor_too_long, parse_date_text
from .text import contains


@dataclass(frozen=True)
class ArticleText:
    """An article as the checks see it: its id, a label for messages, and its text."""

    id: str
    label: str
    text: str


def pydantic_problems(error: ValidationError, prefix: str = "") -> list[str]:
    """One line per validation error, with a JSON-style path (`articles[2].key_facts[1].text`)."""
    return validation_lines(error, empty="(top)", json_style=True, prefix=prefix)


class _Checker:
    def __init__(self, gold: StoryGold, texts: list[ArticleText], max_anchor_words: int | None):
        self.gold = gold
        self.texts = {t.id: t for t in texts}
        self.max_words = max_anchor_words
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def known(self, path: str, article_id: str) -> ArticleText | None:
        text = self.texts.get(article_id)
        if text is None:
            self.add(path, f"unknown article {article_id} (the set has {len(self.texts)})")
        return text

    def cite(self, path: str, article: ArticleText, needle: str) -> None:
        if self.max_words is not None and anchor_too_long(needle, self.max_words):
            self.add(
                path, f"anchor has more than {self.max_words} words; quote a short anchor only"
            )
        if find_span(needle, article.text) is None:
            self.add(path, f"text not found in article {article.label}")


def _check_articles(c: _Checker) -> None:
    if len(c.gold.articles) != len(c.texts):
        c.add(
            "articles", f"{len(c.gold.articles)} labelled, but the set has {len(c.texts)} articles"
        )
    for i, article in enumerate(c.gold.articles):
        base = f"articles[{i}]"
        text = c.known(f"{base}.id", article.id)
        if text is None:
            continue
        for j, fact in enumerate(article.key_facts or []):
            for k, needle in enumerate(fact.evidence):
                c.cite(f"{base}.key_facts[{j}].evidence[{k}]", text, needle)
        for j, entity in enumerate(article.entities or []):
            if not any(contains(text.text, name) for name in entity.names()):
                c.add(
                    f"{base}.entities[{j}]",
                    f"neither {entity.name!r} nor an alias occurs in article {text.label}",
                )
        for j, quote in enumerate(article.quotes or []):
            if c.max_words is not None and anchor_too_long(quote.text, c.max_words):
                c.add(
                    f"{base}.quotes[{j}].text",
                    f"quote has more than {c.max_words} words; label short quotes only",
                )
            if find_span(quote.text, text.text) is None:
                c.add(
                    f"{base}.quotes[{j}].text", f"quote not found verbatim in article {text.label}"
                )
        for j, figure in enumerate(article.figures or []):
            c.cite(f"{base}.figures[{j}].evidence", text, figure.evidence)
            if not contains(figure.evidence, figure.value_text):
                c.add(
                    f"{base}.figures[{j}].value_text",
                    f"{figure.value_text!r} is not in the evidence",
                )


def _check_unique_ids(c: _Checker) -> None:
    counts = Counter(fact.id for article in c.gold.articles for fact in article.key_facts or [])
    for fact_id, count in sorted(counts.items()):
        if count > 1:
            c.add("articles", f"key fact id {fact_id!r} is used {count} times")


def _check_speakers(c: _Checker) -> None:
    names = {n.lower() for entity in c.gold.all_entities() for n in entity.names()}
    for i, article in enumerate(c.gold.articles):
        for j, quote in enumerate(article.quotes or []):
            if quote.speaker.lower() not in names:
                c.add(
                    f"articles[{i}].quotes[{j}].speaker",
                    f"{quote.speaker!r} is not a labelled entity or alias",
                )


def _check_story(c: _Checker) -> None:
    for i, claim in enumerate(c.gold.consensus or []):
        for j, article_id in enumerate(claim.articles):
            c.known(f"consensus[{i}].articles[{j}]", article_id)
        for j, ev in enumerate(claim.evidence):
            text = c.known(f"consensus[{i}].evidence[{j}].article", ev.article)
            if text is not None:
                c.cite(f"consensus[{i}].evidence[{j}].text", text, ev.text)
    for i, conflict in enumerate(c.gold.conflicts or []):
        for j, pos in enumerate(conflict.positions):
            base = f"conflicts[{i}].positions[{j}]"
            text = c.known(f"{base}.article", pos.article)
            if text is not None:
                c.cite(f"{base}.evidence", text, pos.evidence)
            if conflict.kind == "numeric" and pos.value is None:
                c.add(f"{base}.value", "a numeric conflict needs each position's value")
        if conflict.kind == "numeric" and len({p.value for p in conflict.positions}) < 2:
            c.add(f"conflicts[{i}].positions", "the positions give no differing values")


def _check_timeline(c: _Checker) -> None:
    episode_ids = {e.id for e in c.gold.episodes or []}
    for i, entry in enumerate(c.gold.timeline or []):
        base = f"timeline[{i}]"
        for field, value in [
            ("date", entry.date),
            *[(f"also_accept[{k}]", d) for k, d in enumerate(entry.also_accept)],
        ]:
            if value is not None:
                try:
                    parse_date_text(value)
                except ValueError as exc:
                    c.add(f"{base}.{field}", f"not a date: {exc}")
        for j, article_id in enumerate(entry.articles):
            c.known(f"{base}.articles[{j}]", article_id)
        for j, ev in enumerate(entry.evidence):
            text = c.known(f"{base}.evidence[{j}].article", ev.article)
            if text is not None:
                c.cite(f"{base}.evidence[{j}].text", text, ev.text)
        if episode_ids and entry.episode not in episode_ids:
            c.add(f"{base}.episode", f"episode {entry.episode} is not listed under 'episodes'")
    seen: dict[str, int] = {}
    for i, episode in enumerate(c.gold.episodes or []):
        for j, article_id in enumerate(episode.articles):
            if c.known(f"episodes[{i}].articles[{j}]", article_id) is None:
                continue
            if article_id in seen:
                c.add(
                    f"episodes[{i}].articles[{j}]",
                    f"{article_id} is already in episode {seen[article_id]}",
                )
            seen[article_id] = episode.id


def check_gold(
    gold: StoryGold, texts: list[ArticleText], max_anchor_words: int | None = None
) -> list[str]:
    """Every problem of `gold` against the article texts (empty when the labels hold)."""
    checker = _Checker(gold, texts, max_anchor_words)
    for step in (
        _check_articles,
        _check_unique_ids,
        _check_speakers,
        _check_story,
        _check_timeline,
    ):
        step(checker)
    return checker.problems
