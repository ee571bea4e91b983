"""newsbrief's claim verifier: does the source text account for a claim? Precision first.

For a claim sentence and candidate evidence sentences (in document order) `verify_claim`:

1. ranks the sentences by idf-weighted overlap of content words (a BM25-like search) and
   builds candidate evidence spans of one to three adjacent sentences of one article around
   the best few;
2. scores each span by the share of the claim's content words it accounts for (exact word,
   stem, or a small listed equivalence: said/told/stated, ceasefire/truce, US/United States);
3. runs the precision checks of `verifier_checks` on the best spans: every name, number and
   date present; negation and polarity agreeing; hedges and commitments agreeing; the
   claimed speaker speaking in the evidence; titles ("Foreign Minister") present.

`supported` needs a span with no failed check and a score at least the fitted threshold;
`partial` a span with no failed check and a lower score; a failed negation or number check
on well-matched evidence is `contradicted`; everything else `unsupported`. The thresholds
come from `verifier_thresholds.json`, written by `python -m evals.faithfulness.fit`.
Pure functions, no I/O except reading that small file once at import.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import BaseModel, Field

from .verifier_checks import (
    check_attribution,
    check_facts,
    check_links,
    check_modality,
    check_negation,
    check_roles,
    doc_name_keys,
    name_keys,
)
from .verifier_text import Analysed, analyse, split_sentences

VerdictLabel = Literal["supported", "partial", "unsupported", "contradicted"]
THRESHOLDS_PATH = Path(__file__).with_name("verifier_thresholds.json")
DEFAULT_THRESHOLDS: dict[str, float] = {
    "supported": 0.75,  # least score of a supported claim
    "partial": 0.5,  # least score of a partial one
    "prefix": 0.5,  # credit for a word matched only by its first six letters
    "span_penalty": 0.05,  # score taken off for each sentence a span adds
    "elsewhere": 0.0,  # credit for a plain word found only outside the span
    "state": 0.85,  # least score at which the brief states a supported model text as fact
}
SEEDS = 4  # best-ranked sentences around which spans are built
CHECKED_SPANS = 3  # best-scored spans on which the checks run


class Verdict(BaseModel):
    """What the evidence says about one claim."""

    verdict: VerdictLabel = Field(description="supported, partial, unsupported or contradicted.")
    score: float = Field(
        ge=0.0, le=1.0, description="Share of the claim the evidence accounts for."
    )
    evidence: list[str] = Field(default_factory=list, description="Ids of the evidence sentences.")
    reasons: list[str] = Field(default_factory=list, description="What failed, in words.")


def load_thresholds(path: Path = THRESHOLDS_PATH) -> dict[str, float]:
    """The fitted thresholds, or the defaults for any missing or unreadable value."""
    values = dict(DEFAULT_THRESHOLDS)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in values:
            if isinstance(data.get(key), (int, float)):
                values[key] = float(data[key])
    except (OSError, ValueError, AttributeError):
        pass
    return values


THRESHOLDS = load_thresholds()


def split_document(document: str) -> list[tuple[str, str]]:
    """A plain document as (sentence id, text) pairs with ids s1..sN."""
    return [(f"s{i}", text) for i, text in enumerate(split_sentences(document), start=1)]


@lru_cache(maxsize=8192)
def _analysed(text: str) -> Analysed:
    return analyse(text)


def _article_and_number(sentence_id: str) -> tuple[str, int | None]:
    article, _, rest = sentence_id.rpartition(".")
    match = re.fullmatch(r"s?(\d+)", rest)
    return article, int(match.group(1)) if match else None


def _adjacent(ids: Sequence[str]) -> list[bool]:
    """For each position, whether the next sentence continues the same article."""
    parsed = [_article_and_number(i) for i in ids]
    out = []
    for (art, num), (nart, nnum) in zip(parsed, parsed[1:], strict=False):
        out.append(art == nart and (num is None or nnum is None or nnum == num + 1))
    return out + [False]


class Doc:
    """The evidence analysed once: sentences, idf, names, all keys."""

    def __init__(self, evidence: Sequence[tuple[str, str]]) -> None:
        self.ids = [sid for sid, _ in evidence]
        self.sents = [_analysed(text) for _, text in evidence]
        self.next_adjacent = _adjacent(self.ids)
        df: dict[str, int] = {}
        for sent in self.sents:
            for key in sent.content:
                df[key] = df.get(key, 0) + 1
        n = len(self.sents) or 1
        self.idf = {k: math.log(1 + (n - v + 0.5) / (v + 0.5)) for k, v in df.items()}
        self.keys = set(df)
        self.names = doc_name_keys(self.sents)
        self.prefixes = {k[:6] for k in self.keys if len(k) >= 7 and k.isalpha()}

    def spans(self, wanted: set[str]) -> list[tuple[int, int]]:
        """Candidate spans [start, end) around the sentences that best match `wanted`."""
        ranked = sorted(
            range(len(self.sents)),
            key=lambda i: -sum(self.idf.get(k, 0.0) for k in wanted & self.sents[i].content),
        )[:SEEDS]
        spans: set[tuple[int, int]] = set()
        for i in ranked:
            for start in range(i - 2, i + 1):
                for end in range(i + 1, i + 4):
                    if start < 0 or end > len(self.sents) or end - start > 3:
                        continue
                    if all(self.next_adjacent[j] for j in range(start, end - 1)):
                        spans.add((start, end))
        return sorted(spans)


def _coverage(wanted: set[str], have: set[str], doc: Doc, th: Mapping[str, float]) -> float:
    """Share of `wanted` in `have`: 1 for a word, `prefix` for a word matched by its first six
    letters only, `elsewhere` for a word found only outside the span in the same evidence.
    """
    if not wanted:
        return 0.0
    got = 0.0
    prefix, elsewhere = th["prefix"], th["elsewhere"]
    for key in wanted:
        if key in have:
            got += 1.0
        elif prefix and len(key) >= 7 and any(h.startswith(key[:6]) for h in have):
            got += prefix
        elif elsewhere and key in doc.keys:
            got += elsewhere
    return got / len(wanted)


def _check(
    claim: Analysed, doc: Doc, span: tuple[int, int], speakers: Mapping[str, str]
) -> list[str]:
    sents = doc.sents[span[0] : span[1]]
    ev_keys = set().union(*(s.content for s in sents))
    names = name_keys(claim, doc.names)
    reasons = check_facts(claim, names, sents, ev_keys, doc.keys)
    reasons += check_negation(claim, sents)
    reasons += check_modality(claim, sents)
    reasons += check_roles(claim, sents)
    reasons += check_links(claim, names, sents)
    main = max(range(*span), key=lambda i: len(claim.content & doc.sents[i].content))
    near = [doc.sents[i] for i in (main - 1, main + 1) if 0 <= i < len(doc.sents)]
    known = speakers.get(doc.ids[main])
    mapped = {t.key for t in _analysed(known).tokens} if known else set()
    reasons += check_attribution(claim, names, doc.sents[main], near, mapped)
    return reasons


class Assessment(NamedTuple):
    """What the checks found on the best span, before thresholds turn it into a verdict."""

    score: float
    reasons: list[str]
    evidence: list[str]
    missing: list[str]
    contradiction: bool


def assess(
    claim_text: str, doc: Doc, speakers: Mapping[str, str], th: Mapping[str, float]
) -> Assessment | None:
    """The best span's coverage and failed checks (None when there is nothing to match)."""
    claim = _analysed(claim_text)
    wanted = claim.content
    if not wanted or not doc.sents:
        return None
    scored = []
    for span in doc.spans(wanted):
        have = set().union(*(s.content for s in doc.sents[span[0] : span[1]]))
        extra = th["span_penalty"] * (span[1] - span[0] - 1)
        scored.append((_coverage(wanted, have, doc, th) - extra, span[0] - span[1], span))
    scored.sort(reverse=True)
    checked = []
    for score, _, span in scored[:CHECKED_SPANS]:
        reasons = _check(claim, doc, span, speakers)
        checked.append((not reasons, score, reasons, span))
    _, score, reasons, span = max(checked, key=lambda c: (c[0], c[1]))
    sents = doc.sents[span[0] : span[1]]
    have = set().union(*(s.content for s in sents))
    other_numbers = set().union(*(s.numbers for s in sents)) - claim.numbers
    contradiction = any(r.startswith("negation") for r in reasons) or (
        any(r.startswith("number") for r in reasons) and bool(other_numbers)
    )
    return Assessment(score, reasons, doc.ids[span[0] : span[1]], sorted(wanted - have),
                      contradiction)  # fmt: skip


def label(found: Assessment | None, th: Mapping[str, float], empty: str = "") -> Verdict:
    """The verdict for an assessment under thresholds `th` (supported, partial)."""
    if found is None:
        return Verdict(verdict="unsupported", score=0.0, reasons=[empty or "nothing to match"])
    score, reasons = found.score, list(found.reasons)
    if reasons:
        strong = found.contradiction and score >= th["partial"]
        verdict: VerdictLabel = "contradicted" if strong else "unsupported"
        score = min(score, th["partial"]) * 0.5
    elif score >= th["supported"]:
        verdict = "supported"
    elif score >= th["partial"]:
        verdict = "partial"
        reasons = [f"words not in the evidence: {', '.join(found.missing[:8])}"]
    else:
        verdict = "unsupported"
        reasons = [f"the evidence accounts for only {score:.0%} of the claim's words"]
    score = round(min(max(score, 0.0), 1.0), 4)
    return Verdict(verdict=verdict, score=score, evidence=found.evidence, reasons=reasons)


def _verify(claim: str, doc: Doc, speakers: Mapping[str, str], th: Mapping[str, float]) -> Verdict:
    if not doc.sents:
        return label(None, th, "there is no evidence")
    return label(assess(claim, doc, speakers, th), th, "the claim has no content words")


def verify_claim(
    claim: str,
    evidence: Sequence[tuple[str, str]] | Doc,
    *,
    speakers: Mapping[str, str] | None = None,
) -> Verdict:
    """The verdict on one claim sentence against (sentence id, text) candidates in document
    order, or against a `Doc` of them analysed once for many claims; `speakers` maps a
    sentence id to who speaks in it, when known.
    """
    doc = evidence if isinstance(evidence, Doc) else Doc(evidence)
    return _verify(claim, doc, speakers or {}, THRESHOLDS)


def verify_text(
    text: str,
    evidence: Sequence[tuple[str, str]],
    *,
    speakers: Mapping[str, str] | None = None,
) -> list[tuple[str, Verdict]]:
    """Each sentence of a (multi-sentence) claim with its verdict; a text is supported only
    when every sentence is.
    """
    doc = Doc(evidence)
    return [(s, _verify(s, doc, speakers or {}, THRESHOLDS)) for s in split_sentences(text)]
