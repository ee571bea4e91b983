"""Composing what a brief states, precision first, with the claim verifier.

The model drafts; these functions decide what of it is stated. Only text the verifier finds
`supported` by the sources is stated as the model's; a `partial` sentence is replaced by
the source sentences that back it (source text, chosen by code); anything else is dropped.
Where nothing of the model's stands, code's text from the sources stands in. Headlines must
be headlines: a title or a sentence, never a cut fragment, a photo caption or page
furniture.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..schemas import Article, Origin
from ..text.match import coverage, fold
from ..text.sentences import ends_a_sentence, is_degenerate, lead_sentences, split_sentences
from .check import evidence_of, speakers_of
from .verifier import THRESHOLDS, Doc, Verdict, verify_claim

__all__ = [
    "Evidence",
    "Composed",
    "compose_text",
    "is_headline",
    "source_headline",
]

NOVEL = 0.5  # share of a model sentence's content words already said, under which it is new
MAX_ADDED = 2  # model sentences added to the sources' lead in a summary or the overview
DRAFT_HEADLINE_CHARS = 120  # the drafts' max_length: a model headline this long was cut
HEADLINE_MIN_WORDS = 4
HEADLINE_MAX_WORDS = 30
_FURNITURE = re.compile(
    r"\bpage \d+ of \d+\b|^(?:photo|image|picture|video|file photo|caption)\b|"
    r"\((?:afp|ap|reuters|getty[^)]*|file)\)\s*$|\bclick here\b|\bsubscribe\b|"
    r"^(?:advertisement|related|read more|share)\b",
    re.IGNORECASE,
)
_CUT = re.compile(
    r"(?:[,;:\u2013\u2014-]|\.\.\.|\u2026|\b(?:and|or|of|the|a|to|in|for|with))\s*$", re.I
)


class Evidence:
    """The sentences of some articles, with the speakers code found, for the verifier."""

    def __init__(
        self, articles: Sequence[Article], speakers: Mapping[str, str] | None = None
    ) -> None:
        self.articles = list(articles)
        self.pairs = evidence_of(self.articles)
        self.doc = Doc(self.pairs)  # analysed once, for every claim checked against it
        self.speakers = speakers_of(self.articles) if speakers is None else dict(speakers)
        self.text = dict(self.pairs)

    def verify(self, claim: str) -> Verdict:
        """The verifier's verdict, with the bar for stating text as fact applied: a
        supported claim scoring under `THRESHOLDS["state"]` is `partial` here.
        """
        verdict = verify_claim(claim, self.doc, speakers=self.speakers)
        if verdict.verdict == "supported" and verdict.score < THRESHOLDS["state"]:
            return verdict.model_copy(
                update={
                    "verdict": "partial",
                    "reasons": [
                        f"supported at {verdict.score:.2f}, under the bar for stating it as "
                        f"fact ({THRESHOLDS['state']:.2f})"
                    ],
                }
            )
        return verdict

    def cite(self, statement: str) -> list[str]:
        """The evidence sentence ids of a supported or partial statement, else none."""
        verdict = self.verify(statement)
        return list(verdict.evidence) if verdict.verdict in ("supported", "partial") else []


@dataclass
class Composed:
    """A composed text: its sentences, where they came from, and what was left out."""

    text: str
    origin: Origin
    parts: list[tuple[str, Origin]] = field(default_factory=list)  # each sentence, its origin
    sentence_ids: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # partial model sentences -> source
    dropped: list[str] = field(default_factory=list)  # "sentence: reasons"


def _why(v: Verdict) -> str:
    reasons = "; ".join(v.reasons[:3]) or f"score {v.score:.2f}"
    return f"{v.verdict} ({reasons})"


def compose_text(
    draft: str, evidence: Evidence, *, max_sentences: int = 6, allow_partial: bool = True
) -> Composed:
    """The draft's sentences that the evidence supports (model text), partial ones replaced
    by their evidence sentences (source text), the rest dropped with the verifier's reasons.

    `origin` is "model" when any model sentence stands (text derived from model output is
    model text, whoever assembled it), "code" when only source sentences do; `text` is empty
    when nothing stands.
    """
    kept: list[str] = []
    ids: list[str] = []
    composed = Composed(text="", origin="code")
    model_kept = False
    for sentence in split_sentences(fold(draft)):
        sentence = sentence.strip()
        if not sentence or is_degenerate(sentence):
            continue
        if len(kept) >= max_sentences:
            break
        v = evidence.verify(sentence)
        if v.verdict == "supported":
            if sentence not in kept:
                kept.append(sentence)
                composed.parts.append((sentence, "model"))
                ids += [i for i in v.evidence if i not in ids]
                model_kept = True
        elif v.verdict == "partial" and allow_partial and v.evidence and len(v.evidence) <= 2:
            source = " ".join(evidence.text[i] for i in v.evidence if i in evidence.text)
            if source and source not in kept and not any(i in ids for i in v.evidence):
                kept.append(fold(source))
                composed.parts.append((fold(source), "code"))
                ids += list(v.evidence)
                composed.replaced.append(f"{sentence} -> {', '.join(v.evidence)}")
        else:
            composed.dropped.append(f"{sentence}: {_why(v)}")
    composed.text = " ".join(kept)
    composed.origin = "model" if model_kept else "code"
    composed.sentence_ids = ids
    return composed


# A sentence opening on a word that points back to one before it: added on its own after
# other sentences, it would point at the wrong one or at nothing.
_DANGLING = re.compile(
    r"[\"'\u201c\u2018]?(?:that|this|these|those|it|he|she|they|his|her|their|its|such)\b", re.I
)


_SENTENCE_START = re.compile(r"[\"'\u201c\u2018(]?[A-Z0-9\u00c0-\u00de]")


def novel_sentences(composed: Composed, lead: str) -> list[str]:
    """The model's stated sentences of `composed` that say something `lead` (source text)
    does not, at most `MAX_ADDED`: what the model adds beside the sources' own opening. New
    means most of its content words are in no sentence before it: a short sentence that
    restates part of a long one is not new, however little of the long one it repeats. A
    sentence that opens by pointing back ("That is what...", "He said..."), opens in lower
    case or ends without a full stop (a piece of a sentence) is not added.
    """
    leads = split_sentences(lead)
    out: list[str] = []
    for text, origin in composed.parts:
        if origin != "model" or len(out) >= MAX_ADDED:
            continue
        if _DANGLING.match(text) or not _SENTENCE_START.match(text) or not ends_a_sentence(text):
            continue  # "That is what we hoped" leans on a sentence the reader lacks; "the
            # truce, agreed ..." and "About 5 million people are" are pieces of one
        if coverage(text, [*leads, *out]) < NOVEL:  # half its content words are new
            out.append(text)
    return out


def is_headline(text: str | None, *, drafted: bool = False) -> bool:
    """A headline and not furniture: 4-30 words, not cut off, not a caption or a page
    marker, not all upper-case shouting of a section label, not degenerate. A `drafted`
    (model) headline that fills the draft's length limit was cut there: not a headline.
    """
    if not text:
        return False
    if drafted and len(text) >= DRAFT_HEADLINE_CHARS - 2:
        return False
    words = text.split()
    if not HEADLINE_MIN_WORDS <= len(words) <= HEADLINE_MAX_WORDS:
        return False
    if _FURNITURE.search(text) or _CUT.search(text) or is_degenerate(text):
        return False
    return not (text.isupper() and len(words) < 6)


def source_headline(article: Article, limit: int = 160) -> str | None:
    """Code's headline for an article from its own text: its title when that is a
    headline, else its first lead sentence when that is short enough to be one.
    """
    if article.title and is_headline(fold(article.title)):
        return fold(article.title)
    for sentence in lead_sentences(article, 2):
        text = fold(sentence.text)
        if len(text) <= limit and is_headline(text.rstrip(".")):
            return text.rstrip(".")
    return None


@dataclass
class StoryText:
    """The story's headline and overview as composed, with true origins."""

    headline: str
    headline_origin: Origin
    overview: str
    overview_origin: Origin
    warnings: list[str] = field(default_factory=list)


def code_story_text(articles: Sequence[Article], limit: int = 3) -> tuple[str, str]:
    """Code's headline and overview from the sources' own text only: the first article's
    headline (its title or lead sentence), and the lead sentence of up to `limit` articles.
    """
    headline = ""
    for article in articles:
        headline = source_headline(article) or ""
        if headline:
            break
    if not headline and articles:
        first = articles[0]
        headline = fold(first.title or "") or (
            fold(lead_sentences(first, 1)[0].text) if lead_sentences(first, 1) else first.source
        )
    leads: list[str] = []
    for article in articles[:limit]:
        for sentence in lead_sentences(article, 1):
            text = fold(sentence.text)
            if text and text not in leads:
                leads.append(text)
    return headline or "No articles", " ".join(leads)


def compose_story_text(
    draft_headline: str | None,
    draft_overview: str | None,
    articles: Sequence[Article],
    code_overview: str | None = None,
) -> StoryText:
    """The model's headline when it is a headline the sources support, else code's from
    the sources; the overview is code's (`code_overview`, else the sources' lead sentences)
    followed by up to `MAX_ADDED` model sentences the sources support (at the bar for
    stating fact) that say something code's overview does not.
    """
    headline, overview = code_story_text(articles)
    if code_overview:
        overview = code_overview
    out = StoryText(headline, "code", overview, "code")
    if draft_headline is None and draft_overview is None:
        return out
    evidence = Evidence(articles)
    candidate = fold(draft_headline or "").rstrip(".")
    if (
        candidate
        and is_headline(candidate, drafted=True)
        and evidence.verify(candidate).verdict == "supported"
    ):
        out.headline, out.headline_origin = candidate, "model"
    elif candidate:
        out.warnings.append(
            f"synthesis: the model's headline {candidate[:80]!r} is not supported or not a "
            "headline; code's headline from the sources stands in"
        )
    composed = compose_text(draft_overview or "", evidence, max_sentences=4)
    out.warnings += [f"synthesis: overview sentence dropped: {d[:200]}" for d in composed.dropped]
    out.warnings += [
        f"synthesis: overview sentence replaced by its sources: {r[:200]}"
        for r in composed.replaced
    ]
    added = novel_sentences(composed, overview)
    if added:
        out.overview, out.overview_origin = " ".join([overview, *added]), "model"
    else:
        out.warnings.append(
            "synthesis: no sentence of the model's overview is supported and new; the "
            "overview is the sources' lead sentences"
        )
    return out
