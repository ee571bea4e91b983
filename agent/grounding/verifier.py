"""newsbrief's claim verifier: does the source text account for a claim? Precision first.

For a claim sentence and candidate evidence sentences (in document order) `verify_claim`:

1. ranks the sentences by idf-weighted overlap of content words (a BM25-like search) and
   builds candidate evidence spans of one to three adjacent sentences of one article around
   the best few;
2. scores each span by the share of the claim's content words it accounts for (exact word,
   stem, or a small listed equivalence: said/told/stated, ceasefire/truce, US/United States,
   Welsh/Wales);
3. runs the precision checks of `verifier_checks` on the best spans: every name, number and
   date present, every nationality in the document; negation and polarity agreeing; hedges
   and commitments agreeing; the claimed speaker speaking in the evidence; titles ("Foreign
   Minister") present;
4. turns a few measurements of the claim against the best span and against the whole
   evidence (`FEATURES`: coverage by the span and by the document, words and word pairs the
   document never has) into a probability that the evidence supports the claim, with the
   logistic model fitted by `python -m evals.faithfulness.fit`.

A failed check overrides the model: a failed negation or number check on well-matched
evidence is `contradicted`, any other failure `unsupported`. Otherwise the probability is
the score (1.0 for a claim that is word for word one of the evidence sentences; at most the
span's coverage when no span holds half the claim's words). `supported` needs at least the
fitted `supported` bar and a span holding half the claim's words (`supportable`: scattered
or invented words never make a supported claim); `partial` needs the `partial` bar: the
balanced call, a paraphrase the evidence may well bear out but does not account for. The
thresholds and the model come from `verifier_thresholds.json`; without a model there, the
score is the span's coverage as before. A text of several sentences is verified sentence by
sentence (`verify_text`), and is supported only when its weakest sentence is.
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
    "state": 0.85,  # least score at which the brief states a supported model text as fact
}
SEEDS = 4  # best-ranked sentences around which spans are built
CHECKED_SPANS = 3  # best-scored spans on which the checks run
WELL_MATCHED = 0.45  # least span coverage at which a failed negation or number contradicts
# Under this span coverage the score is at most the coverage and the claim is never
# supported (at best partial): a claim whose words are spread over the sources, or mostly
# not in them, with no span holding half of them (`supportable`).
MIN_SPAN = 0.5
# What the logistic model reads, per claim sentence (see `features`).
FEATURES = ("span", "document", "novel", "novel_pairs")


class Verdict(BaseModel):
    """What the evidence says about one claim."""

    verdict: VerdictLabel = Field(description="supported, partial, unsupported or contradicted.")
    score: float = Field(
        ge=0.0,
        le=1.0,
        description="How likely the evidence supports the claim (1.0: a verbatim sentence).",
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


class Model(NamedTuple):
    """A fitted logistic model: p = 1 / (1 + exp(-(bias + sum w * (x - mean) / scale)))."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def probability(self, values: Sequence[float]) -> float:
        """The model's probability for one feature vector (in `FEATURES` order)."""
        z = self.bias + sum(
            w * (x - m) / s
            for w, x, m, s in zip(self.weights, values, self.mean, self.scale, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def load_model(path: Path = THRESHOLDS_PATH) -> Model | None:
    """The fitted model of the thresholds file, or None when it is absent, unreadable or for
    other features than `FEATURES`.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["model"]
        if tuple(data["features"]) != FEATURES:
            return None
        mean, scale, weights = (tuple(float(x) for x in data[k])
                                for k in ("mean", "scale", "weights"))  # fmt: skip
        if any(len(part) != len(FEATURES) for part in (mean, scale, weights)) or min(scale) <= 0:
            return None
        return Model(mean, scale, weights, float(data["bias"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


THRESHOLDS = load_thresholds()
MODEL = load_model()


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
        # what the document as a whole says: content keys with the initials of its names,
        # and adjacent word pairs
        self.known = self.keys.union(*(s.acronyms for s in self.sents))
        self.pairs = set().union(*(_pairs(s) for s in self.sents))

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


def _coverage(wanted: set[str], have: set[str]) -> float:
    """Share of `wanted` in `have`."""
    return len(wanted & have) / len(wanted) if wanted else 0.0


def _pairs(sent: Analysed) -> set[tuple[str, str]]:
    """Adjacent word pairs (keys of words and numbers) of a sentence."""
    keys = [t.key for t in sent.tokens if t.low.isalnum() or t.key[:1].isdigit()]
    return set(zip(keys, keys[1:], strict=False))


def _plain(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def features(claim: Analysed, doc: Doc, span_coverage: float) -> tuple[float, ...]:
    """What the model reads (`FEATURES`): the best span's coverage of the claim's content
    words; the whole document's (the initials of its names count: "PIRC"); the log count of
    the claim's content words the document never has; the share of the claim's adjacent word
    pairs the document never has.
    """
    wanted = claim.content
    pairs = _pairs(claim)
    absent = len(wanted - doc.known)
    return (
        span_coverage,
        1.0 - absent / len(wanted),
        math.log1p(absent),
        len(pairs - doc.pairs) / len(pairs) if pairs else 0.0,
    )


def _check(
    claim: Analysed, doc: Doc, span: tuple[int, int], speakers: Mapping[str, str]
) -> list[str]:
    sents = doc.sents[span[0] : span[1]]
    ev_keys = set().union(*(s.content | s.acronyms for s in sents))
    names = name_keys(claim, doc.names)
    reasons = check_facts(claim, names, sents, ev_keys, doc.known)
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

    score: float  # the span's coverage of the claim's content words
    reasons: list[str]
    evidence: list[str]
    missing: list[str]
    contradiction: bool
    features: tuple[float, ...] = ()
    verbatim: bool = False  # the claim is word for word one of the evidence sentences


def assess(claim_text: str, doc: Doc, speakers: Mapping[str, str]) -> Assessment | None:
    """The best span's coverage, failed checks and features (None when there is nothing to
    match).
    """
    claim = _analysed(claim_text)
    wanted = claim.content
    if not wanted or not doc.sents:
        return None
    scored = []
    for span in doc.spans(wanted):
        have = set().union(*(s.content for s in doc.sents[span[0] : span[1]]))
        scored.append((_coverage(wanted, have), span[0] - span[1], span))
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
    plain = _plain(claim_text)
    verbatim = any(_plain(s.text) == plain for s in sents)
    return Assessment(score, reasons, doc.ids[span[0] : span[1]], sorted(wanted - have),
                      contradiction, features(claim, doc, score), verbatim)  # fmt: skip


def supportable(found: Assessment) -> bool:
    """Whether the evidence can support the claim at all: one of its sentences word for word,
    or a span holding at least MIN_SPAN of the claim's content words. A claim whose words
    are mostly not in the evidence is never `supported`, however likely the model finds it;
    at best it is `partial`, a paraphrase to check.
    """
    return found.verbatim or found.score >= MIN_SPAN


def probability(found: Assessment, model: Model | None) -> float:
    """The score of an assessment with no failed check: 1.0 for a verbatim sentence, else
    the model's probability (at most the span's coverage when that is under MIN_SPAN), else
    (no model) the span's coverage.
    """
    if found.verbatim:
        return 1.0
    if model is None or len(found.features) != len(FEATURES):
        return found.score
    p = model.probability(found.features)
    return min(p, found.score) if found.score < MIN_SPAN else p


def label(
    found: Assessment | None,
    th: Mapping[str, float],
    empty: str = "",
    model: Model | None = None,
) -> Verdict:
    """The verdict for an assessment under thresholds `th` (supported, partial) and a model
    (`MODEL` unless given).
    """
    if found is None:
        return Verdict(verdict="unsupported", score=0.0, reasons=[empty or "nothing to match"])
    reasons = list(found.reasons)
    if reasons:
        strong = found.contradiction and found.score >= WELL_MATCHED
        verdict: VerdictLabel = "contradicted" if strong else "unsupported"
        score = min(found.score, th["partial"]) * 0.5
    else:
        score = probability(found, model or MODEL)
        if score >= th["supported"] and supportable(found):
            verdict = "supported"
        elif score >= th["partial"]:
            verdict = "partial"
            reasons = [_shortfall(found, score)]
        else:
            verdict = "unsupported"
            reasons = [_shortfall(found, score)]
            if found.score < 1.0:
                reasons.insert(0, f"the evidence accounts for only {found.score:.0%} of the "
                               "claim's words")  # fmt: skip
    score = round(min(max(score, 0.0), 1.0), 4)
    return Verdict(verdict=verdict, score=score, evidence=found.evidence, reasons=reasons)


def _shortfall(found: Assessment, score: float) -> str:
    if found.missing:
        return f"words not in the evidence: {', '.join(found.missing[:8])}"
    return f"the evidence words it differently (score {score:.2f})"


def _verify(claim: str, doc: Doc, speakers: Mapping[str, str], th: Mapping[str, float]) -> Verdict:
    if not doc.sents:
        return label(None, th, "there is no evidence")
    return label(assess(claim, doc, speakers), th, "the claim has no content words")


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
