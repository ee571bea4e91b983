"""Draft -> verified `ArticleBrief`: every model item is checked against the source.

Code extraction (`agent.rules`) is authoritative for quotes, figures and events; the model's
items are merged into it when they match and kept, flagged, when they add something the
text supports. What the text does not support is never shown as verified: it is removed
and listed in `verification.dropped`, with each failed check in `verification.issues`.

Thresholds (shares of a claim's content words found in the cited text, see `support_score`):

* `SUPPORTED` (0.6): a key point at or above it is 'supported'; a re-citation must reach it;
* `PARTIAL` (0.3): 'partial' between the two (kept, with an issue); below it 'unsupported'
  (dropped). A summary sentence, headline or summary below it against the whole article
  is dropped too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from . import rules
from .schemas import (
    Article,
    ArticleBrief,
    ArticleDraft,
    DraftEntity,
    DraftEvent,
    DraftFigure,
    DraftKeyPoint,
    DraftQuote,
    Entity,
    EntityKind,
    Event,
    Figure,
    KeyPoint,
    ModelError,
    Origin,
    Quote,
    Sentence,
    SupportLevel,
    Verification,
    VerificationIssue,
)
from .textmatch import (
    content_words,
    coverage,
    dedupe_sentences,
    find_span,
    fold,
    has_phrase,
    is_degenerate,
    lead_sentences,
    sentence_at,
    sentence_map,
    similarity,
    split_sentences,
    trim,
)

__all__ = ["finalize_article", "support_score", "support_level", "is_degenerate", "SUPPORTED", "PARTIAL"]

SUPPORTED = 0.6
PARTIAL = 0.3
DUPLICATE = 0.85  # content-word Jaccard at which two key points are the same point
LEAD_COUNT = 3  # lead sentences standing in for a summary or key points
MIN_KEY_POINTS = 2  # fewer surviving model key points than this: lead sentences are added
SUMMARY_CHARS = 700
HEADLINE_CHARS = 160


D = TypeVar("D")  # a model draft item
T = TypeVar("T")  # the verified output item

# --------------------------------------------------------------------------- scores


def support_score(claim: str, texts: Sequence[str]) -> float:
    """Share (0..1) of the claim's distinct content words found in the texts: lower-cased,
    stopwords removed, lightly stemmed, '400,000' read as '400000' and 'five' as '5'."""
    return round(coverage(claim, texts), 3)


def support_level(score: float) -> SupportLevel:
    """'supported' at `SUPPORTED` or above, 'partial' at `PARTIAL` or above, else 'unsupported'."""
    if score >= SUPPORTED:
        return "supported"
    return "partial" if score >= PARTIAL else "unsupported"


# --------------------------------------------------------------------------- ledger

Failure = tuple[str, str]  # (check, detail)


@dataclass
class _Ledger:
    """Counts checked and passed model items; collects issues and dropped items."""

    checked: int = 0
    passed: int = 0
    issues: list[VerificationIssue] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def check(self, item: str, failures: Sequence[Failure], dropped: str | None = None) -> None:
        self.checked += 1
        self.passed += not failures
        self.issues += [VerificationIssue(item=item, check=check, detail=detail) for check, detail in failures]
        if dropped:
            self.dropped.append(f"{item}: {dropped}")

    def result(self) -> Verification:
        return Verification(checked=self.checked, passed=self.passed, issues=self.issues, dropped=self.dropped)


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


def _headline(article: Article, draft: ArticleDraft, ledger: _Ledger) -> str:
    text = fold(draft.headline)
    failure = _text_failure(text, article, "headline")
    ledger.check("headline", [failure] if failure else [], f"{trim(text, 80)!r} ({failure[0]})" if failure and text else None)
    return _fallback_headline(article) if failure else text


def lead_summary(article: Article) -> str:
    """The first body sentences, as many of `LEAD_COUNT` as fit in `SUMMARY_CHARS`."""
    taken: list[str] = []
    for sentence in lead_sentences(article, LEAD_COUNT):
        if taken and len(" ".join([*taken, sentence.text])) > SUMMARY_CHARS:
            break
        taken.append(fold(sentence.text))
    return trim(" ".join(taken), SUMMARY_CHARS) if taken else _fallback_headline(article)


def _summary_sentences(text: str, article: Article, ledger_failures: list[Failure], dropped: list[str]) -> list[str]:
    kept = []
    for sentence in split_sentences(text):
        score = support_score(sentence, [article.text])
        if score >= PARTIAL and not is_degenerate(sentence):
            kept.append(sentence)
        else:
            ledger_failures.append(("support", f"sentence {trim(sentence, 80)!r} scores {score:.2f} against the article"))
            dropped.append(f"summary sentence {trim(sentence, 120)!r}: not supported by the article")
    return kept


def _summary(article: Article, draft: ArticleDraft, ledger: _Ledger) -> tuple[str, Origin]:
    raw = fold(draft.summary)
    failure = _text_failure(raw, article, "summary")
    if failure:
        ledger.check("summary", [failure], f"{trim(raw, 120)!r} ({failure[0]}); lead sentences used" if raw else None)
        return lead_summary(article), "code"
    text, removed = dedupe_sentences(raw)
    failures: list[Failure] = [("duplicate", f"{removed} repeated sentence(s) removed")] if removed else []
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
        return [(round(len(wanted & found) / len(wanted), 3), s) for found, s in zip(self._sets, self.article.sentences, strict=True)]


def _best_citation(article: Article, text: str, words: _SentenceWords | None = None) -> tuple[list[str], float]:
    """The sentence (or pair of sentences) of the article that best supports `text`."""
    scored = sorted((words or _SentenceWords(article)).scores(text), key=lambda p: -p[0])
    if not scored:
        return [], 0.0
    best_score, best = scored[0]
    if best_score >= SUPPORTED or len(scored) < 2:
        return [best.id], best_score
    pair = sorted([best, scored[1][1]], key=lambda s: s.start)
    pair_score = support_score(text, [s.text for s in pair])
    return ([s.id for s in pair], pair_score) if pair_score > best_score else ([best.id], best_score)


def _cite(article: Article, point: DraftKeyPoint, text: str,
          words: _SentenceWords | None = None) -> tuple[list[str], float, list[Failure]]:
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
            failures.append(("sentence_id", f"re-cited from {', '.join(point.sentence_ids)} to {', '.join(better)}"))
            return better, better_score, failures
    return ids, score, failures


def _check_point(article: Article, point: DraftKeyPoint, kept: list[KeyPoint],
                 words: _SentenceWords | None = None) -> tuple[KeyPoint | None, list[Failure], str | None]:
    text = fold(point.text)
    if not text or is_degenerate(text):
        return None, [("degenerate", f"empty or repetitive: {trim(text, 80)!r}")], "empty or repetitive text"
    if any(similarity(text, other.text) >= DUPLICATE for other in kept):
        return None, [("duplicate", "repeats an earlier key point")], f"{trim(text, 120)!r}: duplicate"
    ids, score, failures = _cite(article, point, text, words)
    if not ids:
        failures.append(("support", "no sentence of this article supports it"))
        return None, failures, f"{trim(text, 120)!r}: invalid sentence ids and no supporting sentence"
    level = support_level(score)
    if level != "supported":
        failures.append(("support", f"{level}: {score:.2f} of its words are in {', '.join(ids)}"))
    if level == "unsupported":
        return None, failures, f"{trim(text, 120)!r}: not supported by {', '.join(ids)} (score {score:.2f})"
    return KeyPoint(text=text, sentence_ids=ids, support=level, support_score=score, origin="model"), failures, None


def _lead_points(article: Article, kept: list[KeyPoint]) -> list[KeyPoint]:
    """Lead sentences as code key points, for up to `LEAD_COUNT` points in total."""
    cited = {i for point in kept for i in point.sentence_ids}
    points = list(kept)
    for sentence in lead_sentences(article, LEAD_COUNT + len(kept)):
        if len(points) >= LEAD_COUNT:
            break
        if sentence.id in cited or any(similarity(sentence.text, p.text) >= DUPLICATE for p in points):
            continue
        points.append(KeyPoint(text=fold(sentence.text), sentence_ids=[sentence.id], support="supported",
                               support_score=1.0, origin="code"))
    return points


def _key_points(article: Article, draft: ArticleDraft, ledger: _Ledger) -> list[KeyPoint]:
    kept: list[KeyPoint] = []
    words = _SentenceWords(article)
    for index, point in enumerate(draft.key_points):
        checked, failures, dropped = _check_point(article, point, kept, words)
        ledger.check(f"key_points[{index}]", failures, dropped)
        if checked is not None:
            kept.append(checked)
    return kept if len(kept) >= MIN_KEY_POINTS else _lead_points(article, kept)


# --------------------------------------------------------------------------- entities


def _names(name: str, kind: str) -> list[str]:
    """The name, and for a person also the last name ('Sergei Lavrov' -> 'Lavrov')."""
    names = [name]
    last = name.split()[-1] if name.split() else ""
    if kind == "person" and len(name.split()) > 1 and len(last) >= 3 and last[0].isupper():
        names.append(last)
    return names


def _mentioning(article: Article, name: str, kind: str) -> list[str]:
    names = _names(name, kind)
    return [s.id for s in article.sentences if any(has_phrase(s.text, n) for n in names)]


def _same_person(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return has_phrase(a, b) or has_phrase(b, a) or rules.last_name_key(a) == rules.last_name_key(b)


def _check_entity(article: Article, entity: DraftEntity, kept: list[Entity]) -> tuple[Entity | None, list[Failure], str | None]:
    name = fold(entity.name)
    if any(name.lower() == other.name.lower() for other in kept):
        return None, [("duplicate", f"{name!r} listed twice")], None
    ids = _mentioning(article, name, entity.kind) if name else []
    if not ids:
        failure = ("entity_in_text", f"{name!r} does not appear in the article")
        return None, [failure], f"{name!r} ({entity.kind}): not in the article"
    role = "" if is_degenerate(entity.role) else trim(entity.role, 160)
    return Entity(name=name, kind=entity.kind, role=role, sentence_ids=ids, verified=True), [], None


def _speaker_entities(article: Article, quotes: list[Quote], entities: list[Entity]) -> list[Entity]:
    """Quote speakers not listed yet, as entities with role 'quoted'."""
    added = list(entities)
    for quote in quotes:
        speaker = quote.speaker
        if not speaker or not speaker[0].isupper() or any(_same_person(speaker, e.name) for e in added):
            continue
        kind: EntityKind = "organization" if any(w.lower() in rules.ORG_WORDS for w in speaker.split()) else "person"
        ids = _mentioning(article, speaker, kind) or [quote.sentence_id]
        added.append(Entity(name=speaker, kind=kind, role="quoted", sentence_ids=ids, verified=True))
    return added


def _entities(article: Article, draft: ArticleDraft, quotes: list[Quote], ledger: _Ledger) -> list[Entity]:
    kept: list[Entity] = []
    for index, entity in enumerate(draft.entities):
        checked, failures, dropped = _check_entity(article, entity, kept)
        ledger.check(f"entities[{index}]", failures, dropped)
        if checked is not None:
            kept.append(checked)
    return _speaker_entities(article, quotes, kept)


# --------------------------------------------------------------------------- quotes


def _inside_marks(article: Article, start: int, end: int) -> bool:
    """True when at least half of [start, end) lies within quotation marks."""
    inside = sum(max(0, min(end, s.end) - max(start, s.start)) for s in rules.quoted_spans(article.text))
    return inside * 2 >= end - start


def _merge_quote(quotes: list[Quote], index: int, draft: DraftQuote, near: bool) -> list[Failure]:
    code = quotes[index]
    if code.speaker is None and draft.speaker and near:
        quotes[index] = code.model_copy(update={"speaker": draft.speaker, "speaker_verified": True})
        return []
    if draft.speaker and not _same_person(draft.speaker, code.speaker):
        return [("speaker", f"the model names {draft.speaker!r}; the text attributes it to {code.speaker!r}")]
    return []


def _code_match(quotes: list[Quote], text: str) -> int | None:
    needle = fold(text).lower()
    for index, quote in enumerate(quotes):
        if quote.origin == "code" and (needle in fold(quote.text).lower() or fold(quote.text).lower() in needle):
            return index
    return None


def _check_quote(article: Article, draft: DraftQuote, quotes: list[Quote]) -> tuple[list[Failure], str | None]:
    text = fold(draft.text).strip("\"' ").rstrip(",;:").strip()
    where = find_span(text, article.text, first_letter_free=True) if len(content_words(text)) else None
    label = f"{trim(text, 100)!r} ({draft.speaker or 'no speaker'})"
    if where is None:
        return [("verbatim", "not found word for word in the article")], f"{label}: not in the article as written"
    sentence = sentence_at(article, where[0])
    failures: list[Failure] = []
    if sentence is not None and sentence.id != draft.sentence_id:
        failures.append(("sentence_id", f"cited {draft.sentence_id}, the words are in {sentence.id}"))
    near = rules.speaker_named_near(article, draft.speaker, *where)
    index = _code_match(quotes, text)
    if index is not None:
        return failures + _merge_quote(quotes, index, draft, near), None
    if any(q.origin == "model" and fold(q.text).lower() == fold(article.text[where[0]:where[1]]).lower() for q in quotes):
        return [("duplicate", "quoted twice")], None
    if sentence is None or not _inside_marks(article, *where):
        failure = ("quoted", "the words are in the article but not within quotation marks")
        return [*failures, failure], f"{label}: not a quote in the article"
    if not near:
        failures.append(("speaker", f"{draft.speaker!r} is not named in or next to {sentence.id}"))
    quotes.append(Quote(speaker=draft.speaker or None, text=article.text[where[0] : where[1]], sentence_id=sentence.id,
                        origin="model", verbatim=True, speaker_verified=near))
    return failures, None


# --------------------------------------------------------------------------- figures


_QUALIFIER_WORDS = {word for qualifier in rules.QUALIFIERS for word in qualifier.split()}


def _no_sentence(sentence_id: str, label: str) -> tuple[list[Failure], str]:
    return [("sentence_id", f"{sentence_id} is not a sentence of this article")], f"{label}: cites no sentence of this article"


def _model_value(text: str) -> float | None:
    """The number in a model's value ('more than 400,000 people' -> 400000.0)."""
    words = fold(text).split()
    while words and words[0].lower() in _QUALIFIER_WORDS:
        words = words[1:]
    for size in range(len(words), 0, -1):
        value = rules.parse_number(" ".join(words[:size]))
        if value is not None:
            return value
    return None


def _value_in(value: float, text: str) -> bool:
    return any(abs(found - value) <= 1e-9 * max(1.0, abs(value)) for found in rules.numbers_in(text))


def _weak_counts(figure: Figure) -> bool:
    return len(figure.counts.split()) <= 1 or figure.value_text in figure.counts


def _new_figure(draft: DraftFigure, value: float, sentence: Sentence) -> tuple[Figure, list[Failure]]:
    failures: list[Failure] = []
    counts = fold(draft.counts)
    if support_score(counts, [sentence.text]) < PARTIAL:
        failures.append(("support", f"counts {trim(counts, 60)!r} not supported by {sentence.id}"))
        counts = trim(sentence.text, 120)
    written = draft.unit and (has_phrase(sentence.text, draft.unit) or draft.unit.upper() in rules.CURRENCIES.values())
    unit = draft.unit if written else ""
    figure = Figure(value_text=fold(draft.value), value=value, unit=unit, counts=counts, qualifier=None,
                    sentence_id=sentence.id, origin="model", verified=True)
    return figure, failures


def _check_figure(article: Article, draft: DraftFigure, figures: list[Figure]) -> tuple[list[Failure], str | None]:
    sentence = sentence_map(article).get(draft.sentence_id)
    label = f"{draft.value} {draft.unit}".strip() + f" ({trim(draft.counts, 60)})"
    if sentence is None:
        return _no_sentence(draft.sentence_id, label)
    value = _model_value(draft.value)
    if value is None or not _value_in(value, sentence.text):
        return [("figure_in_sentence", f"{draft.value!r} is not in {sentence.id}")], f"{label}: not in the cited sentence"
    if value.is_integer() and 1900 <= value <= 2099 and not draft.unit:
        return [("figure_is_date", f"{draft.value!r} is a year")], f"{label}: a year, not a figure"
    index = next((i for i, f in enumerate(figures) if f.sentence_id == sentence.id and f.value == value), None)
    if index is None:
        figure, failures = _new_figure(draft, value, sentence)
        figures.append(figure)
        return failures, None
    if _weak_counts(figures[index]) and support_score(draft.counts, [sentence.text]) >= SUPPORTED:
        figures[index] = figures[index].model_copy(update={"counts": fold(draft.counts)})
    return [], None


# --------------------------------------------------------------------------- events


def _check_event(article: Article, draft: DraftEvent, events: list[Event]) -> tuple[list[Failure], str | None]:
    sentence = sentence_map(article).get(draft.sentence_id)
    when = fold(draft.when)
    label = f"{when!r} ({trim(draft.what, 60)})"
    if sentence is None:
        return _no_sentence(draft.sentence_id, label)
    where = find_span(when, sentence.text, ignore_case=True) if when else None
    if where is None or not has_phrase(sentence.text, when):
        return [("when_in_sentence", f"{when!r} is not in {sentence.id}")], f"{label}: not in the cited sentence"
    if any(e.sentence_id == sentence.id and (has_phrase(e.when_text, when) or has_phrase(when, e.when_text)) for e in events):
        return [], None
    written = sentence.text[where[0] : where[1]]
    date, precision = rules.resolve_date(written, article.date, sentence.text)
    what, failures = fold(draft.what), []
    if is_degenerate(what) or support_score(what, [sentence.text]) < SUPPORTED:
        failures.append(("support", f"'what' not supported by {sentence.id}; the sentence stands in"))
        what = rules.event_what(sentence.text, *where)
    events.append(Event(what=trim(what, 200), when_text=written, date=date, date_precision=precision,  # type: ignore[arg-type]
                        sentence_id=sentence.id, origin="model", verified=True))
    return failures, None


# --------------------------------------------------------------------------- assembly


def _merge_checked(article: Article, label: str, drafts: Sequence[D], code: list[T], ledger: _Ledger,
                   check: Callable[[Article, D, list[T]], tuple[list[Failure], str | None]]) -> list[T]:
    """Code's items first, then each model item that `check` verifies against the article
    (it appends the kept ones to the list); every model item's failures go to the ledger."""
    merged = list(code)
    for index, item in enumerate(drafts):
        failures, dropped = check(article, item, merged)
        ledger.check(f"{label}[{index}]", failures, dropped)
    return merged


def _brief(article: Article, error: ModelError | None, flags: Sequence[str], **parts: object) -> ArticleBrief:
    return ArticleBrief(article_id=article.id, source=article.source, title=article.title, outlet=article.outlet,
                        date=article.date, url=article.url, flags=list(flags), error=error, **parts)  # type: ignore[arg-type]


def extractive_brief(article: Article, error: ModelError | None = None, flags: Sequence[str] = ()) -> ArticleBrief:
    """The brief code alone can make: lead sentences, code quotes, figures and events."""
    quotes = rules.extract_quotes(article)
    return _brief(article, error, flags, headline=_fallback_headline(article), summary=lead_summary(article),
                  summary_origin="code", key_points=_lead_points(article, []),
                  entities=_speaker_entities(article, quotes, []), quotes=quotes,
                  figures=rules.extract_figures(article), events=rules.extract_events(article),
                  verification=Verification(checked=0, passed=0))


def finalize_article(article: Article, draft: ArticleDraft | None, error: ModelError | None = None,
                     flags: Sequence[str] = ()) -> ArticleBrief:
    """Check a model draft against the article and merge it with code extraction.

    Without a draft (the model failed) the brief is extractive, with `error` carried.
    """
    if draft is None:
        return extractive_brief(article, error, flags)
    ledger = _Ledger()
    headline = _headline(article, draft, ledger)
    summary, summary_origin = _summary(article, draft, ledger)
    key_points = _key_points(article, draft, ledger)
    quotes = _merge_checked(article, "quotes", draft.quotes, rules.extract_quotes(article), ledger, _check_quote)
    entities = _entities(article, draft, quotes, ledger)
    figures = _merge_checked(article, "figures", draft.figures, rules.extract_figures(article), ledger,
                             _check_figure)
    events = _merge_checked(article, "events", draft.events, rules.extract_events(article), ledger, _check_event)
    return _brief(article, error, flags, headline=headline, summary=summary, summary_origin=summary_origin,
                  key_points=key_points, entities=entities, quotes=quotes, figures=figures, events=events,
                  verification=ledger.result())
