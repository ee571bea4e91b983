"""Draft -> verified `ArticleBrief`: every model item is checked against the source.

What the text does not support is never shown as verified: it is removed and listed in
`verification.dropped`, with each failed check in `verification.issues`. Key points are
graded by `agent.grounding.support.support_level`; a summary sentence or headline below
`PARTIAL` against the whole article is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

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
    Sentence,
    Verification,
)
from ..text.match import content_words, fold, similarity
from ..text.sentences import (
    dedupe_sentences,
    is_degenerate,
    lead_sentences,
    sentence_map,
    split_sentences,
    trim,
)
from .items import (
    Failure,
    Ledger,
    check_entities,
    check_event,
    check_figure,
    check_quote,
    speaker_entities,
)
from .support import PARTIAL, SUPPORTED, support_level, support_score

DUPLICATE = 0.85  # content-word Jaccard at which two key points are the same point
LEAD_COUNT = 3  # lead sentences standing in for a summary or key points
MIN_KEY_POINTS = 2  # fewer surviving model key points than this: lead sentences are added
SUMMARY_CHARS = 700
HEADLINE_CHARS = 160


D = TypeVar("D")  # a model draft item
T = TypeVar("T")  # the verified output item


# --------------------------------------------------------------------------- headline and summary


def _fallback_headline(article: Article) -> str:
    if article.title and fold(article.title):
        return trim(article.title, HEADLINE_CHARS)
    first = lead_sentences(article, 1)
    return trim(" ".join(first[0].text.split()[:15]), HEADLINE_CHARS) if first else article.source


def _text_failure(text: str, article: Article, what: str) -> Failure | None:
    """Why `text` cannot stand: empty, degenerate, or unsupported by the article."""
    if not text:
        return "empty", f"the model gave no {what}"
    if is_degenerate(text):
        return "degenerate", f"repetitive text: {trim(text, 80)!r}"
    score = support_score(text, [article.text, article.title or ""])
    if score < PARTIAL:
        return "support", f"only {score:.2f} of its words are in the article"
    return None


def _headline(article: Article, draft: ArticleDraft, ledger: Ledger) -> str:
    text = fold(draft.headline)
    failure = _text_failure(text, article, "headline")
    ledger.check(
        "headline",
        [failure] if failure else [],
        f"{trim(text, 80)!r} ({failure[0]})" if failure and text else None,
    )
    return _fallback_headline(article) if failure else text


def lead_summary(article: Article) -> str:
    """The first body sentences, as many of `LEAD_COUNT` as fit in `SUMMARY_CHARS`."""
    taken: list[str] = []
    for sentence in lead_sentences(article, LEAD_COUNT):
        if taken and len(" ".join([*taken, sentence.text])) > SUMMARY_CHARS:
            break
        taken.append(fold(sentence.text))
    return trim(" ".join(taken), SUMMARY_CHARS) if taken else _fallback_headline(article)


def _summary_sentences(
    text: str, article: Article, ledger_failures: list[Failure], dropped: list[str]
) -> list[str]:
    kept = []
    for sentence in split_sentences(text):
        score = support_score(sentence, [article.text])
        if score >= PARTIAL and not is_degenerate(sentence):
            kept.append(sentence)
        else:
            ledger_failures.append(
                (
                    "support",
                    f"sentence {trim(sentence, 80)!r} scores {score:.2f} against the article",
                )
            )
            dropped.append(
                f"summary sentence {trim(sentence, 120)!r}: not supported by the article"
            )
    return kept


def _summary(article: Article, draft: ArticleDraft, ledger: Ledger) -> tuple[str, Origin]:
    raw = fold(draft.summary)
    failure = _text_failure(raw, article, "summary")
    if failure:
        ledger.check(
            "summary",
            [failure],
            f"{trim(raw, 120)!r} ({failure[0]}); lead sentences used" if raw else None,
        )
        return lead_summary(article), "code"
    text, removed = dedupe_sentences(raw)
    failures: list[Failure] = (
        [("duplicate", f"{removed} repeated sentence(s) removed")] if removed else []
    )
    dropped: list[str] = []
    kept = _summary_sentences(text, article, failures, dropped)
    ledger.check("summary", failures)
    ledger.dropped += [f"summary: {d}" for d in dropped]
    if not kept:
        return lead_summary(article), "code"
    return " ".join(kept), "model"


# --------------------------------------------------------------------------- key points


class _SentenceWords:
    """Content words of each sentence of an article, computed once (on first use)."""

    def __init__(self, article: Article):
        self.article = article
        self._sets: list[set[str]] | None = None

    def scores(self, text: str) -> list[tuple[float, Sentence]]:
        """support_score(text, [sentence]) for every sentence, in article order."""
        if self._sets is None:
            self._sets = [set(content_words(s.text)) for s in self.article.sentences]
        wanted = set(content_words(text))
        if not wanted:
            return [(0.0, s) for s in self.article.sentences]
        return [
            (round(len(wanted & found) / len(wanted), 3), s)
            for found, s in zip(self._sets, self.article.sentences, strict=True)
        ]


def _best_citation(
    article: Article, text: str, words: _SentenceWords | None = None
) -> tuple[list[str], float]:
    """The sentence (or pair of sentences) of the article that best supports `text`."""
    scored = sorted((words or _SentenceWords(article)).scores(text), key=lambda p: -p[0])
    if not scored:
        return [], 0.0
    best_score, best = scored[0]
    if best_score >= SUPPORTED or len(scored) < 2:
        return [best.id], best_score
    pair = sorted([best, scored[1][1]], key=lambda s: s.start)
    pair_score = support_score(text, [s.text for s in pair])
    return (
        ([s.id for s in pair], pair_score) if pair_score > best_score else ([best.id], best_score)
    )


def _cite(
    article: Article, point: DraftKeyPoint, text: str, words: _SentenceWords | None = None
) -> tuple[list[str], float, list[Failure]]:
    """Valid cited ids and their support; re-cited when the cited sentences do not support it."""
    sentences = sentence_map(article)
    ids = list(dict.fromkeys(i for i in point.sentence_ids if i in sentences))
    failures: list[Failure] = []
    invalid = [i for i in point.sentence_ids if i not in sentences]
    if invalid:
        failures.append(("sentence_id", f"{', '.join(invalid)} not in this article"))
    score = support_score(text, [sentences[i].text for i in ids]) if ids else 0.0
    if score < SUPPORTED:
        better, better_score = _best_citation(article, text, words)
        if better_score >= SUPPORTED and better_score > score:
            failures.append(
                (
                    "sentence_id",
                    f"re-cited from {', '.join(point.sentence_ids)} to {', '.join(better)}",
                )
            )
            return better, better_score, failures
    return ids, score, failures


def _check_point(
    article: Article,
    point: DraftKeyPoint,
    kept: list[KeyPoint],
    words: _SentenceWords | None = None,
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
    ids, score, failures = _cite(article, point, text, words)
    if not ids:
        failures.append(("support", "no sentence of this article supports it"))
        return (
            None,
            failures,
            f"{trim(text, 120)!r}: invalid sentence ids and no supporting sentence",
        )
    level = support_level(score)
    if level != "supported":
        failures.append(("support", f"{level}: {score:.2f} of its words are in {', '.join(ids)}"))
    if level == "unsupported":
        return (
            None,
            failures,
            f"{trim(text, 120)!r}: not supported by {', '.join(ids)} (score {score:.2f})",
        )
    return (
        KeyPoint(text=text, sentence_ids=ids, support=level, support_score=score, origin="model"),
        failures,
        None,
    )


def _lead_points(article: Article, kept: list[KeyPoint]) -> list[KeyPoint]:
    """Lead sentences as code key points, for up to `LEAD_COUNT` points in total."""
    cited = {i for point in kept for i in point.sentence_ids}
    points = list(kept)
    for sentence in lead_sentences(article, LEAD_COUNT + len(kept)):
        if len(points) >= LEAD_COUNT:
            break
        if sentence.id in cited or any(
            similarity(sentence.text, p.text) >= DUPLICATE for p in points
        ):
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


def _key_points(article: Article, draft: ArticleDraft, ledger: Ledger) -> list[KeyPoint]:
    kept: list[KeyPoint] = []
    words = _SentenceWords(article)
    for index, point in enumerate(draft.key_points):
        checked, failures, dropped = _check_point(article, point, kept, words)
        ledger.check(f"key_points[{index}]", failures, dropped)
        if checked is not None:
            kept.append(checked)
    return kept if len(kept) >= MIN_KEY_POINTS else _lead_points(article, kept)


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
        summary=lead_summary(article),
        summary_origin="code",
        key_points=_lead_points(article, []),
        entities=speaker_entities(article, quotes, []),
        quotes=quotes,
        figures=extract_figures(article),
        events=extract_events(article),
        verification=Verification(checked=0, passed=0),
    )


def finalize_article(
    article: Article,
    draft: ArticleDraft | None,
    error: ModelError | None = None,
    flags: Sequence[str] = (),
) -> ArticleBrief:
    """Check a model draft against the article and merge it with code extraction.

    Without a draft (the model failed) the brief is extractive, with `error` carried.
    """
    if draft is None:
        return extractive_brief(article, error, flags)
    ledger = Ledger()
    headline = _headline(article, draft, ledger)
    summary, summary_origin = _summary(article, draft, ledger)
    key_points = _key_points(article, draft, ledger)
    quotes = _merge_checked(
        article, "quotes", draft.quotes, extract_quotes(article), ledger, check_quote
    )
    entities = check_entities(article, draft, quotes, ledger)
    figures = _merge_checked(
        article, "figures", draft.figures, extract_figures(article), ledger, check_figure
    )
    events = _merge_checked(
        article, "events", draft.events, extract_events(article), ledger, check_event
    )
    return _brief(
        article,
        error,
        flags,
        headline=headline,
        summary=summary,
        summary_origin=summary_origin,
        key_points=key_points,
        entities=entities,
        quotes=quotes,
        figures=figures,
        events=events,
        verification=ledger.result(),
    )
