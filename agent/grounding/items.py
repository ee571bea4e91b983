"""Checks of a draft's entities, quotes, figures and events against the article, and the ledger
that counts checked and passed items.

Code extraction (`agent.extract`) is authoritative for quotes, figures and events; the
model's items are merged into it when they match and kept, flagged, when they add something
the text supports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..extract.dates import event_what, reference_date, resolve_date
from ..extract.figures import numbers_in, parse_number
from ..extract.lexicon import CURRENCIES, ORG_WORDS, QUALIFIERS
from ..extract.names import last_name_key
from ..extract.quotes import quoted_spans, speaker_named_near
from ..schemas import (
    Article,
    ArticleDraft,
    DraftEntity,
    DraftEvent,
    DraftFigure,
    DraftQuote,
    Entity,
    EntityKind,
    Event,
    Figure,
    Quote,
    Sentence,
    Verification,
    VerificationIssue,
)
from ..text.match import PhraseIndex, content_words, find_span, fold, has_phrase
from ..text.sentences import (
    is_degenerate,
    sentence_at,
    sentence_map,
    trim,
)
from .support import PARTIAL, SUPPORTED, support_score

# --------------------------------------------------------------------------- ledger

Failure = tuple[str, str]  # (check, detail)


@dataclass
class Ledger:
    """Counts checked and passed model items; collects issues and dropped items."""

    checked: int = 0
    passed: int = 0
    issues: list[VerificationIssue] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def check(self, item: str, failures: Sequence[Failure], dropped: str | None = None) -> None:
        self.checked += 1
        self.passed += not failures
        self.issues += [
            VerificationIssue(item=item, check=check, detail=detail) for check, detail in failures
        ]
        if dropped:
            self.dropped.append(f"{item}: {dropped}")

    def result(self) -> Verification:
        return Verification(
            checked=self.checked, passed=self.passed, issues=self.issues, dropped=self.dropped
        )


# --------------------------------------------------------------------------- entities


def _names(name: str, kind: str) -> list[str]:
    """The name, and for a person also the last name ('Sergei Lavrov' -> 'Lavrov')."""
    names = [name]
    last = name.split()[-1] if name.split() else ""
    if kind == "person" and len(name.split()) > 1 and len(last) >= 3 and last[0].isupper():
        names.append(last)
    return names


def _mentioning(
    article: Article, name: str, kind: str, index: PhraseIndex | None = None
) -> list[str]:
    """Ids of the sentences naming `name` (a person also by last name); `index` holds the
    article's sentence texts, so many names are looked up without scanning every sentence.
    """
    names = _names(name, kind)
    if index is None:
        return [s.id for s in article.sentences if any(has_phrase(s.text, n) for n in names)]
    found = sorted({i for n in names for i in index.containing(n)})
    return [article.sentences[i].id for i in found]


def _same_person(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return has_phrase(a, b) or has_phrase(b, a) or last_name_key(a) == last_name_key(b)


def _check_entity(
    article: Article, entity: DraftEntity, kept: list[Entity]
) -> tuple[Entity | None, list[Failure], str | None]:
    name = fold(entity.name)
    if any(name.lower() == other.name.lower() for other in kept):
        return None, [("duplicate", f"{name!r} listed twice")], None
    ids = _mentioning(article, name, entity.kind) if name else []
    if not ids:
        failure = ("entity_in_text", f"{name!r} does not appear in the article")
        return None, [failure], f"{name!r} ({entity.kind}): not in the article"
    role = "" if is_degenerate(entity.role) else trim(entity.role, 160)
    return Entity(name=name, kind=entity.kind, role=role, sentence_ids=ids, verified=True), [], None


class _Listed:
    """The entities listed so far, indexed for `_same_person` with any of them: by last-name
    key and by the words of their names, so each speaker is compared with few, not all.
    """

    def __init__(self, entities: list[Entity]) -> None:
        self.names = PhraseIndex()
        self.keys: set[str] = set()
        for entity in entities:
            self.add(entity.name)

    def add(self, name: str) -> None:
        if name:  # `_same_person` is False for an empty name
            self.names.add(name)
            self.keys.add(last_name_key(name))

    def has_same_person(self, name: str) -> bool:
        """As `any(_same_person(name, e.name) for e in entities)`."""
        return bool(
            last_name_key(name) in self.keys
            or self.names.contained_in(name)
            or self.names.containing(name)
        )


def speaker_entities(article: Article, quotes: list[Quote], entities: list[Entity]) -> list[Entity]:
    """Quote speakers not listed yet, as entities with role 'quoted'."""
    added = list(entities)
    listed = _Listed(added)
    seen: set[str] = set()  # a speaker seen before is listed by now, or was skipped
    sentences: PhraseIndex | None = None
    for quote in quotes:
        speaker = quote.speaker
        if not speaker or speaker in seen:
            continue
        seen.add(speaker)
        if not speaker[0].isupper() or listed.has_same_person(speaker):
            continue
        kind: EntityKind = (
            "organization" if any(w.lower() in ORG_WORDS for w in speaker.split()) else "person"
        )
        if sentences is None:
            sentences = PhraseIndex(s.text for s in article.sentences)
        ids = _mentioning(article, speaker, kind, sentences) or [quote.sentence_id]
        added.append(
            Entity(name=speaker, kind=kind, role="quoted", sentence_ids=ids, verified=True)
        )
        listed.add(speaker)
    return added


def check_entities(
    article: Article, draft: ArticleDraft, quotes: list[Quote], ledger: Ledger
) -> list[Entity]:
    kept: list[Entity] = []
    for index, entity in enumerate(draft.entities):
        checked, failures, dropped = _check_entity(article, entity, kept)
        ledger.check(f"entities[{index}]", failures, dropped)
        if checked is not None:
            kept.append(checked)
    return speaker_entities(article, quotes, kept)


# --------------------------------------------------------------------------- quotes


def _inside_marks(article: Article, start: int, end: int) -> bool:
    """True when at least half of [start, end) lies within quotation marks."""
    inside = sum(max(0, min(end, s.end) - max(start, s.start)) for s in quoted_spans(article.text))
    return inside * 2 >= end - start


def _merge_quote(quotes: list[Quote], index: int, draft: DraftQuote, near: bool) -> list[Failure]:
    code = quotes[index]
    if code.speaker is None and draft.speaker and near:
        quotes[index] = code.model_copy(update={"speaker": draft.speaker, "speaker_verified": True})
        return []
    if draft.speaker and not _same_person(draft.speaker, code.speaker):
        return [
            (
                "speaker",
                f"the model names {draft.speaker!r}; the text attributes it to {code.speaker!r}",
            )
        ]
    return []


def _code_match(quotes: list[Quote], text: str) -> int | None:
    needle = fold(text).lower()
    for index, quote in enumerate(quotes):
        if quote.origin == "code" and (
            needle in fold(quote.text).lower() or fold(quote.text).lower() in needle
        ):
            return index
    return None


def check_quote(
    article: Article, draft: DraftQuote, quotes: list[Quote]
) -> tuple[list[Failure], str | None]:
    text = fold(draft.text).strip("\"' ").rstrip(",;:").strip()
    where = (
        find_span(text, article.text, first_letter_free=True) if len(content_words(text)) else None
    )
    label = f"{trim(text, 100)!r} ({draft.speaker or 'no speaker'})"
    if where is None:
        return [
            ("verbatim", "not found word for word in the article")
        ], f"{label}: not in the article as written"
    sentence = sentence_at(article, where[0])
    failures: list[Failure] = []
    if sentence is not None and sentence.id != draft.sentence_id:
        failures.append(
            ("sentence_id", f"cited {draft.sentence_id}, the words are in {sentence.id}")
        )
    near = speaker_named_near(article, draft.speaker, *where)
    index = _code_match(quotes, text)
    if index is not None:
        return failures + _merge_quote(quotes, index, draft, near), None
    if any(
        q.origin == "model"
        and fold(q.text).lower() == fold(article.text[where[0] : where[1]]).lower()
        for q in quotes
    ):
        return [("duplicate", "quoted twice")], None
    if sentence is None or not _inside_marks(article, *where):
        failure = ("quoted", "the words are in the article but not within quotation marks")
        return [*failures, failure], f"{label}: not a quote in the article"
    if not near:
        failures.append(("speaker", f"{draft.speaker!r} is not named in or next to {sentence.id}"))
    quotes.append(
        Quote(
            speaker=draft.speaker or None,
            text=article.text[where[0] : where[1]],
            sentence_id=sentence.id,
            origin="model",
            verbatim=True,
            speaker_verified=near,
        )
    )
    return failures, None


# --------------------------------------------------------------------------- figures


_QUALIFIER_WORDS = {word for qualifier in QUALIFIERS for word in qualifier.split()}


def _no_sentence(sentence_id: str, label: str) -> tuple[list[Failure], str]:
    return [
        ("sentence_id", f"{sentence_id} is not a sentence of this article")
    ], f"{label}: cites no sentence of this article"


def _model_value(text: str) -> float | None:
    """The number in a model's value ('more than 400,000 people' -> 400000.0)."""
    words = fold(text).split()
    while words and words[0].lower() in _QUALIFIER_WORDS:
        words = words[1:]
    for size in range(len(words), 0, -1):
        value = parse_number(" ".join(words[:size]))
        if value is not None:
            return value
    return None


def _value_in(value: float, text: str) -> bool:
    return any(abs(found - value) <= 1e-9 * max(1.0, abs(value)) for found in numbers_in(text))


def _weak_counts(figure: Figure) -> bool:
    return len(figure.counts.split()) <= 1 or figure.value_text in figure.counts


def _new_figure(
    draft: DraftFigure, value: float, sentence: Sentence
) -> tuple[Figure, list[Failure]]:
    failures: list[Failure] = []
    counts = fold(draft.counts)
    if support_score(counts, [sentence.text]) < PARTIAL:
        failures.append(("support", f"counts {trim(counts, 60)!r} not supported by {sentence.id}"))
        counts = trim(sentence.text, 120)
    written = draft.unit and (
        has_phrase(sentence.text, draft.unit) or draft.unit.upper() in CURRENCIES.values()
    )
    unit = draft.unit if written else ""
    figure = Figure(
        value_text=fold(draft.value),
        value=value,
        unit=unit,
        counts=counts,
        qualifier=None,
        sentence_id=sentence.id,
        origin="model",
        verified=True,
    )
    return figure, failures


def check_figure(
    article: Article, draft: DraftFigure, figures: list[Figure]
) -> tuple[list[Failure], str | None]:
    sentence = sentence_map(article).get(draft.sentence_id)
    label = f"{draft.value} {draft.unit}".strip() + f" ({trim(draft.counts, 60)})"
    if sentence is None:
        return _no_sentence(draft.sentence_id, label)
    value = _model_value(draft.value)
    if value is None or not _value_in(value, sentence.text):
        return [
            ("figure_in_sentence", f"{draft.value!r} is not in {sentence.id}")
        ], f"{label}: not in the cited sentence"
    if value.is_integer() and 1900 <= value <= 2099 and not draft.unit:
        return [("figure_is_date", f"{draft.value!r} is a year")], f"{label}: a year, not a figure"
    index = next(
        (i for i, f in enumerate(figures) if f.sentence_id == sentence.id and f.value == value),
        None,
    )
    if index is None:
        figure, failures = _new_figure(draft, value, sentence)
        figures.append(figure)
        return failures, None
    if _weak_counts(figures[index]) and support_score(draft.counts, [sentence.text]) >= SUPPORTED:
        figures[index] = figures[index].model_copy(update={"counts": fold(draft.counts)})
    return [], None


# --------------------------------------------------------------------------- events


def check_event(
    article: Article, draft: DraftEvent, events: list[Event]
) -> tuple[list[Failure], str | None]:
    sentence = sentence_map(article).get(draft.sentence_id)
    when = fold(draft.when)
    label = f"{when!r} ({trim(draft.what, 60)})"
    if sentence is None:
        return _no_sentence(draft.sentence_id, label)
    where = find_span(when, sentence.text, ignore_case=True) if when else None
    if where is None or not has_phrase(sentence.text, when):
        return [
            ("when_in_sentence", f"{when!r} is not in {sentence.id}")
        ], f"{label}: not in the cited sentence"
    if any(
        e.sentence_id == sentence.id
        and (has_phrase(e.when_text, when) or has_phrase(when, e.when_text))
        for e in events
    ):
        return [], None
    written = sentence.text[where[0] : where[1]]
    date, precision = resolve_date(written, reference_date(article), sentence.text)
    what, failures = fold(draft.what), []
    if is_degenerate(what) or support_score(what, [sentence.text]) < SUPPORTED:
        failures.append(
            ("support", f"'what' not supported by {sentence.id}; the sentence stands in")
        )
        what = event_what(sentence.text, *where)
    events.append(
        Event(
            what=trim(what, 200),
            when_text=written,
            date=date,
            date_precision=precision,  # type: ignore[arg-type]
            sentence_id=sentence.id,
            origin="model",
            verified=True,
        )
    )
    return failures, None
