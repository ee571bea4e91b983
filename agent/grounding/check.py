"""Checking a text (a draft, a chat assistant's answer) against articles, sentence by sentence.

`check_text` splits the text into sentences and gives each the verifier's verdict against
every sentence of the articles (ids `a2.s14`), with the speakers code found for quoted
sentences, so "X said ..." is checked against who speaks in the evidence. This is the same
verifier the brief is composed with (`agent.grounding.verifier`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, Field

from ..extract.quotes import extract_quotes
from ..schemas import Article, Quote
from .verifier import Doc, Verdict, VerdictLabel, verify_claim
from .verifier_text import split_sentences

__all__ = ["SentenceCheck", "TextCheck", "check_text", "evidence_of", "speakers_in", "speakers_of"]


class SentenceCheck(Verdict):
    """One sentence of the checked text with its verdict."""

    sentence: str = Field(description="The sentence of the checked text.")


class TextCheck(BaseModel):
    """Every sentence of a text with its verdict, and the counts."""

    sentences: list[SentenceCheck]
    counts: dict[VerdictLabel, int] = Field(description="Sentences per verdict.")
    all_supported: bool = Field(description="True when every sentence is supported.")
    evidence_text: dict[str, str] = Field(
        default_factory=dict, description="The text of every evidence sentence cited."
    )


def evidence_of(articles: Sequence[Article]) -> list[tuple[str, str]]:
    """Every sentence of the articles as (id, text), in article and sentence order."""
    return [(s.id, s.text) for a in articles for s in a.sentences]


def speakers_in(quotes: Iterable[Quote]) -> dict[str, str]:
    """Sentence id -> the speaker of the first attributed quote in it."""
    found: dict[str, str] = {}
    for quote in quotes:
        if quote.speaker and quote.sentence_id not in found:
            found[quote.sentence_id] = quote.speaker
    return found


def speakers_of(articles: Sequence[Article]) -> dict[str, str]:
    """Sentence id -> the speaker code attributed a quote in it to."""
    return speakers_in(q for article in articles for q in extract_quotes(article))


def check_text(text: str, articles: Sequence[Article]) -> TextCheck:
    """The verdict on each sentence of `text` against all sentences of `articles`."""
    evidence = evidence_of(articles)
    doc = Doc(evidence)
    speakers = speakers_of(articles)
    checks = [
        SentenceCheck(sentence=s, **verify_claim(s, doc, speakers=speakers).model_dump())
        for s in split_sentences(text)
        if s.strip()
    ]
    counts: dict[VerdictLabel, int] = {
        "supported": 0,
        "partial": 0,
        "unsupported": 0,
        "contradicted": 0,
    }
    for c in checks:
        counts[c.verdict] += 1
    by_id = dict(evidence)
    cited = {sid: by_id[sid] for c in checks for sid in c.evidence if sid in by_id}
    return TextCheck(
        sentences=checks,
        counts=counts,
        all_supported=bool(checks) and counts["supported"] == len(checks),
        evidence_text=cited,
    )
