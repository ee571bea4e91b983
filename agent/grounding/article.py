"""Draft -> verified `ArticleBrief`: every model item is checked against the source.

Precision first, with the claim verifier (`agent.grounding.verifier`, through
`agent.grounding.compose`): the model's headline stands only when it is a headline and the
article supports it; each summary sentence stands when supported, is replaced by its source
sentences when partial, and is dropped otherwise; the summary is the lead sentences plus up
to two such supported model sentences that say something new; a key point is kept only when
supported (a partial one is dropped with what its evidence lacks), and the lead sentences
always stand beside the kept ones. What is dropped is listed in `verification.dropped`, with
each failed check and its reasons in `verification.issues`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from pydantic import BaseModel

from ..extract.dates import extract_events
from ..extract.figures import extract_figures
from ..extract.quotes import extract_quotes
from ..schemas import (
    Article,
    ArticleBrief,
    ArticleDraft,
    DraftKeyPoint,
    KeyPoint,
    ModelError,
    Origin,
    Verification,
    VerificationIssue,
)
from ..text.match import fold, similarity
from ..text.sentences import (
    dedupe_sentences,
    is_degenerate,
    lead_sentences,
    sentence_map,
    split_sentences,
    trim,
)
from .check import speakers_in
from .compose import Evidence, compose_text, is_headline, novel_sentences, source_headline
from .items import (
    Failure,
    Ledger,
    check_entities,
    check_event,
    check_figure,
    check_quote,
    speaker_entities,
)

DUPLICATE = 0.85  # content-word Jaccard at which two key points are the same point
LEAD_COUNT = 3  # lead sentences standing in for a summary or key points
SUMMARY_CHARS = 700
HEADLINE_CHARS = 160


D = TypeVar("D")  # a model draft item
T = TypeVar("T")  # the verified output item
_Item = TypeVar("_Item", bound=BaseModel)
TRUSTED = 0.5  # share of an article's model items that must pass for its sentences to be added


# --------------------------------------------------------------------------- headline and summary


def _fallback_headline(article: Article) -> str:
    """Code's headline from the article's own text (see `compose.source_headline`), else its
    title or first sentence as they are.
    """
    found = source_headline(article, HEADLINE_CHARS)
    if found:
        return found
    if article.title and fold(article.title):
        return trim(fold(article.title), HEADLINE_CHARS)
    first = lead_sentences(article, 1)
    return trim(fold(first[0].text), HEADLINE_CHARS) if first else article.source


def _headline(
    article: Article, draft: ArticleDraft, ledger: Ledger, evidence: Evidence
) -> tuple[str, Origin]:
    """The model's headline when it is a headline and the article supports it, else code's."""
    text = fold(draft.headline)
    if not text:
        failure: Failure | None = ("empty", "the model gave no headline")
    elif is_degenerate(text):
        failure = ("degenerate", f"repetitive text: {trim(text, 80)!r}")
    elif not is_headline(text.rstrip("."), drafted=True):
        failure = ("headline", f"not a headline: {trim(text, 80)!r}")
    else:
        verdict = evidence.verify(text)
        failure = (
            None
            if verdict.verdict == "supported"
            else ("support", f"{verdict.verdict}: {'; '.join(verdict.reasons[:3]) or 'weak'}")
        )
    ledger.check(
        "headline",
        [failure] if failure else [],
        f"headline {trim(text, 80)!r} ({failure[1]})" if failure and text else None,
    )
    return (_fallback_headline(article), "code") if failure else (text, "model")


def lead_summary(article: Article) -> str:
    """The first body sentences, as many of `LEAD_COUNT` as fit in `SUMMARY_CHARS`."""
    taken: list[str] = []
    for sentence in lead_sentences(article, LEAD_COUNT):
        if taken and len(" ".join([*taken, sentence.text])) > SUMMARY_CHARS:
            break
        taken.append(fold(sentence.text))
    return trim(" ".join(taken), SUMMARY_CHARS) if taken else _fallback_headline(article)


def _summary(
    article: Article, draft: ArticleDraft, ledger: Ledger, evidence: Evidence
) -> tuple[str, Origin]:
    """The model's summary sentences the article supports; partial ones replaced by their
    source sentences; the lead sentences when none stands.
    """
    raw = fold(draft.summary)
    if not raw or is_degenerate(raw):
        why: Failure = (
            ("empty", "the model gave no summary")
            if not raw
            else ("degenerate", f"repetitive text: {trim(raw, 80)!r}")
        )
        ledger.check(
            "summary", [why], f"summary {trim(raw, 120)!r}: lead sentences used" if raw else None
        )
        return lead_summary(article), "code"
    text, removed = dedupe_sentences(raw)
    composed = compose_text(text, evidence)
    failures: list[Failure] = (
        [("duplicate", f"{removed} repeated sentence(s) removed")] if removed else []
    )
    failures += [
        ("support", f"replaced by its source sentences: {trim(r, 120)}") for r in composed.replaced
    ]
    failures += [("support", trim(d, 200)) for d in composed.dropped]
    ledger.check("summary", failures)
    ledger.dropped += [f"summary sentence {trim(d, 160)}" for d in composed.dropped]
    lead = lead_summary(article)
    added = novel_sentences(composed, lead)
    if not added:
        return lead, "code"
    # The summary keeps the lead's length: what the model adds takes the place of the last
    # lead sentences (a reader's summary does not grow because a model spoke).
    kept = split_sentences(lead)
    size = len(lead.split())
    while len(kept) > 1 and len(" ".join([*kept, *added]).split()) > size:
        kept.pop()
    return trim(" ".join([*kept, *added]), SUMMARY_CHARS * 2), "model"


# --------------------------------------------------------------------------- key points


def _check_point(
    article: Article,
    point: DraftKeyPoint,
    kept: list[KeyPoint],
    evidence: Evidence,
) -> tuple[KeyPoint | None, list[Failure], str | None]:
    text = fold(point.text)
    if not text or is_degenerate(text):
        return (
            None,
            [("degenerate", f"empty or repetitive: {trim(text, 80)!r}")],
            "empty or repetitive text",
        )
    if any(similarity(text, other.text) >= DUPLICATE for other in kept):
        return (
            None,
            [("duplicate", "repeats an earlier key point")],
            f"{trim(text, 120)!r}: duplicate",
        )
    failures: list[Failure] = []
    known = sentence_map(article)
    invalid = [i for i in point.sentence_ids if i not in known]
    if invalid:
        failures.append(("sentence_id", f"{', '.join(invalid)} not in this article"))
    v = evidence.verify(text)
    reasons = "; ".join(v.reasons[:3])
    if v.verdict in ("unsupported", "contradicted") or not v.evidence:
        failures.append(("support", f"{v.verdict}: {reasons or 'no sentence accounts for it'}"))
        return None, failures, f"{trim(text, 120)!r}: {v.verdict} ({reasons or 'no evidence'})"
    cited = [i for i in point.sentence_ids if i in known]
    if point.sentence_ids and set(cited) != set(v.evidence):
        failures.append(
            (
                "sentence_id",
                f"re-cited from {', '.join(point.sentence_ids)} to {', '.join(v.evidence)}",
            )
        )
    if v.verdict == "partial":  # precision first: a paraphrase to check is not stated
        failures.append(("support", f"partial: {reasons or f'score {v.score:.2f}'}"))
        return None, failures, f"{trim(text, 120)!r}: only partly backed ({reasons})"
    return (
        KeyPoint(
            text=text,
            sentence_ids=list(v.evidence),
            support=v.verdict,
            support_score=round(v.score, 3),
            origin="model",
        ),
        failures,
        None,
    )


def _lead_points(article: Article, kept: list[KeyPoint]) -> list[KeyPoint]:
    """`kept` and then the lead sentences as code key points, `LEAD_COUNT` of them: the
    source's own opening always stands beside what the model adds (less what a kept point
    already says).
    """
    points = list(kept)
    for sentence in lead_sentences(article, LEAD_COUNT):
        if any(similarity(sentence.text, p.text) >= DUPLICATE for p in points):
            continue
        points.append(
            KeyPoint(
                text=fold(sentence.text),
                sentence_ids=[sentence.id],
                support="supported",
                support_score=1.0,
                origin="code",
            )
        )
    return points


def _key_points(
    article: Article, draft: ArticleDraft, ledger: Ledger, evidence: Evidence
) -> list[KeyPoint]:
    kept: list[KeyPoint] = []
    for index, point in enumerate(draft.key_points):
        checked, failures, dropped = _check_point(article, point, kept, evidence)
        ledger.check(f"key_points[{index}]", failures, dropped)
        if checked is not None:
            kept.append(checked)
    return _lead_points(article, kept)


# --------------------------------------------------------------------------- assembly


def _merge_checked(
    article: Article,
    label: str,
    drafts: Sequence[D],
    code: list[T],
    ledger: Ledger,
    check: Callable[[Article, D, list[T]], tuple[list[Failure], str | None]],
) -> list[T]:
    """Code's items first, then each model item that `check` verifies against the article
    (it appends the kept ones to the list); every model item's failures go to the ledger.
    """
    merged = list(code)
    for index, item in enumerate(drafts):
        failures, dropped = check(article, item, merged)
        ledger.check(f"{label}[{index}]", failures, dropped)
    return merged


def _brief(
    article: Article, error: ModelError | None, flags: Sequence[str], **parts: object
) -> ArticleBrief:
    return ArticleBrief(
        article_id=article.id,
        source=article.source,
        title=article.title,
        outlet=article.outlet,
        date=article.date,
        url=article.url,
        flags=list(flags),
        error=error,
        **parts,  # type: ignore[arg-type]
    )


def extractive_brief(
    article: Article, error: ModelError | None = None, flags: Sequence[str] = ()
) -> ArticleBrief:
    """The brief code alone can make: lead sentences, code quotes, figures and events."""
    quotes = extract_quotes(article)
    return _brief(
        article,
        error,
        flags,
        headline=_fallback_headline(article),
        headline_origin="code",
        summary=lead_summary(article),
        summary_origin="code",
        key_points=_lead_points(article, []),
        entities=speaker_entities(article, quotes, []),
        quotes=quotes,
        figures=extract_figures(article),
        events=extract_events(article),
        verification=Verification(checked=0, passed=0),
    )


def _copies(items: Sequence[_Item]) -> list[_Item]:
    return [item.model_copy(deep=True) for item in items]


def finalize_article(
    article: Article,
    draft: ArticleDraft | None,
    error: ModelError | None = None,
    flags: Sequence[str] = (),
    code: ArticleBrief | None = None,
) -> ArticleBrief:
    """Check a model draft against the article and merge it with code extraction.

    Without a draft (the model failed) the brief is extractive, with `error` carried.
    `code`: the article's `extractive_brief`, when the run made it already (its quotes,
    figures and events are copied, not extracted again).
    """
    if draft is None:
        if code is None:
            return extractive_brief(article, error, flags)
        return code.model_copy(update={"error": error, "flags": list(flags)}, deep=True)
    ledger = Ledger()
    code_quotes = _copies(code.quotes) if code else extract_quotes(article)
    evidence = Evidence([article], speakers_in(code_quotes))
    headline, headline_origin = _headline(article, draft, ledger, evidence)
    summary, summary_origin = _summary(article, draft, ledger, evidence)
    key_points = _key_points(article, draft, ledger, evidence)
    quotes = _merge_checked(article, "quotes", draft.quotes, code_quotes, ledger, check_quote)
    entities = check_entities(article, draft, quotes, ledger)
    code_figures = _copies(code.figures) if code else extract_figures(article)
    figures = _merge_checked(article, "figures", draft.figures, code_figures, ledger, check_figure)
    code_events = _copies(code.events) if code else extract_events(article)
    events = _merge_checked(article, "events", draft.events, code_events, ledger, check_event)
    if summary_origin == "model" and ledger.passed < TRUSTED * ledger.checked:
        # The model got most of its items wrong in this article: its sentences, each
        # supported on its own, are not added to the summary (the verifier's misses lie
        # where a model confabulates, and a reader takes the summary as fact).
        ledger.issues.append(
            VerificationIssue(
                item="summary",
                check="trust",
                detail=f"model sentences left out: {ledger.passed} of {ledger.checked} "
                f"model items passed (under {TRUSTED:.0%})",
            )
        )
        summary, summary_origin = lead_summary(article), "code"
    return _brief(
        article,
        error,
        flags,
        headline=headline,
        headline_origin=headline_origin,
        summary=summary,
        summary_origin=summary_origin,
        key_points=key_points,
        entities=entities,
        quotes=quotes,
        figures=figures,
        events=events,
        verification=ledger.result(),
    )
