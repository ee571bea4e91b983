"""Quotes and their speakers: words within quotation marks, attributed by the clause around them.

`extract_quotes(article)` keeps quotes of 4+ words (shorter ones are scare quotes and only
serve verification, see `quoted_spans`) with `origin="code"`.
"""

from __future__ import annotations

import bisect
import itertools
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

from ..schemas import Article, Quote
from ..text.match import has_phrase
from ..text.sentences import SentenceIndex, sentences_between
from .lexicon import SPEECH_VERBS
from .names import NAME, OffsetRuns, People, split_title

# --------------------------------------------------------------------------- quoted spans


@dataclass(frozen=True)
class Span:
    """Text within quotation marks: [start, end) inside the marks, [open, close) with them."""

    start: int
    end: int
    open: int
    close: int


_CURLY = re.compile(r"\u201c([^\u201c\u201d\n]+)\u201d|\u00ab([^\u00ab\u00bb\n]+)\u00bb")
_SINGLE = re.compile(
    r"(?<!\w)[\u2018'](?=\w)((?:[^\u2018\u2019'\n]|[\u2019'](?=\w))+?)(?<=[\w.,!?])[\u2019'](?!\w)"
)


_OPEN_TO_END = re.compile(r"(?:(?<=^)|(?<=[\s:(]))[\u201c\"](?=\w)([^\u201c\u201d\"\n]+)$")


def _straight_pairs(line: str, base: int) -> list[Span]:
    marks = [m.start() for m in re.finditer('"', line)]
    return [
        Span(base + a + 1, base + b, base + a, base + b + 1)
        for a, b in zip(marks[::2], marks[1::2], strict=False)
    ]


def _open_to_end(line: str, base: int, spans: list[Span]) -> list[Span]:
    """A quote left open at the end of a paragraph because the next paragraph goes on with it."""
    match = _OPEN_TO_END.search(line)
    if match is None or any(s.open <= base + match.start() < s.close for s in spans):
        return []
    return [
        Span(base + match.start() + 1, base + match.end(), base + match.start(), base + match.end())
    ]


def _line_spans(line: str, base: int, continued: bool = False) -> list[Span]:
    spans = [
        Span(base + m.start() + 1, base + m.end() - 1, base + m.start(), base + m.end())
        for m in _CURLY.finditer(line)
    ]
    spans += _straight_pairs(line, base)
    if continued:
        spans += _open_to_end(line, base, spans)
    inside = _Inside(spans)  # the single quotes found are never inside one another
    for match in _SINGLE.finditer(line):
        at = base + match.start()
        if not inside(at):
            spans.append(Span(at + 1, base + match.end() - 1, at, base + match.end()))
    return sorted(spans, key=lambda s: s.open)


class _Inside:
    """Whether an offset lies within any of some spans (marks included), by bisection: a
    long line has many spans.
    """

    def __init__(self, spans: list[Span]) -> None:
        ordered = sorted(spans, key=lambda s: s.open)
        self.opens = [s.open for s in ordered]
        self.reach = list(itertools.accumulate((s.close for s in ordered), max))

    def __call__(self, at: int) -> bool:
        index = bisect.bisect_right(self.opens, at) - 1
        return index >= 0 and at < self.reach[index]


def quoted_spans(text: str) -> list[Span]:
    """Every span within quotation marks (any length), never across a line break."""
    spans: list[Span] = []
    lines = [line for line in re.finditer(r"[^\n]+", text) if line.group(0).strip()]
    for index, line in enumerate(lines):
        following = lines[index + 1].group(0).lstrip() if index + 1 < len(lines) else ""
        spans += _line_spans(
            line.group(0), line.start(), continued=following[:1] in ('"', "\u201c")
        )
    return spans


def quote_text(text: str, span: Span) -> str:
    """The quoted words, without the trailing comma a writer puts before the attribution."""
    return text[span.start : span.end].strip().rstrip(",;:").strip()


def _word_count(text: str) -> int:
    return len(re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", text))


# --------------------------------------------------------------------------- attribution

_ADVERBS = (
    r"(?:\s*,\s*[a-z][a-z\s'’]{0,30},)?(?:\s*,\s*who)?"  # ', for his part,' ', who'
    r"(?:\s+(?:also|further|then|later|again|once|earlier|previously|\w+ly))*"
)
_ROLE = r"(?:[Tt]he|[Aa]n?)\s+(?:[\w'’-]+\s+){0,5}?[a-z][\w'’-]*"  # head noun in lower case
_SUBJECT = (
    rf"(?P<pron>\b[Hh]e|\b[Ss]he)|(?P<role>\b{_ROLE})|(?P<name>{NAME})(?:\s*,[^,\"“”\n]{{1,80}},)?"
)
_LEAD = r"^[\s,;:.\-–—”\"]*"
_DESCRIBED = r"(?:(?:[a-z][\w'’-]*\s+){1,3}(?=[A-Z]))?"  # 'team leader Professor X told'
_AFTER_SUBJECT_VERB = re.compile(rf"{_LEAD}{_DESCRIBED}(?:{_SUBJECT}){_ADVERBS}\s+{SPEECH_VERBS}\b")
_AFTER_NAME_LOOSE = re.compile(  # 'X of the U.N. University and ..., told Reuters'
    rf"{_LEAD}{_DESCRIBED}(?P<name>{NAME})"
    rf"(?:\s+(?:of|from|at|with)\s+[^,\"“”\n]{{1,120}}|\s*,[^\"“”\n]{{1,120}})?,?\s+(?:also\s+)?{SPEECH_VERBS}\b"
)
_AFTER_VERB_SUBJECT = re.compile(
    rf"{_LEAD}{SPEECH_VERBS}\s+(?:(?P<role>{_ROLE}(?=[\s,.;]|$))|(?P<name>{NAME}))"
)
_AFTER_WORDS = re.compile(rf"{_LEAD}in\s+(?P<name>{NAME})\s+(?:own\s+)?words")
_SUBJECT_AT_END = re.compile(rf"(?:{_SUBJECT}){_ADVERBS}\s*$")
_ACCORDING = re.compile(
    rf"\b[Aa]ccording to\s+(?:(?P<name>{NAME})"
    rf"|(?P<role>(?:the|an?)\s+(?:[\w'’-]+\s+){{0,4}}?[\w'’-]+)(?=[\s,.;]|$))"
)
_VERB_THEN_NAME = re.compile(rf"(?:said|says|added|adds|wrote|explained|noted)\s+(?P<name>{NAME})")
_VERB_RE = re.compile(rf"\b{SPEECH_VERBS}\b")
_END = re.compile(
    r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bNo)(?<!\b[A-Z])[.!?][\"”’']?(?=\s+[\"“‘A-Z0-9])"
)


_NONSPACE = re.compile(r"\S")
_MARK = re.compile(r"[.!?]")


def _clause_before(text: str, pos: int, floor: int) -> tuple[str, int]:
    """Text from the last sentence end in [floor, pos) to pos, and its start offset."""
    ends = [m.end() for m in _END.finditer(text, floor, pos)]
    start = ends[-1] if ends else floor
    return text[start:pos], start


class _Ends:
    """`_clause_before` for many offsets of one text, from the sentence ends found once.

    `_END.finditer(text, floor, pos)` finds the ends of the whole text that start at or
    after `floor` (its look-behinds see before `floor`) and whose look-ahead (spaces, then a
    capital, digit or opening quote) fits before `pos`, that is whose next non-space
    character is before `pos`; those positions rise with the ends.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.nexts: list[int] = []  # the first non-space character after each end
        for mark in _MARK.finditer(text):  # an end starts with one: try only there
            if self.ends and mark.start() < self.ends[-1]:
                continue
            match = _END.match(text, mark.start())
            if match is None:
                continue
            following = _NONSPACE.search(text, match.end())
            self.starts.append(match.start())
            self.ends.append(match.end())
            self.nexts.append(following.start() if following else len(text))

    def clause_before(self, pos: int, floor: int) -> tuple[str, int]:
        """As `_clause_before(text, pos, floor)`."""
        index = bisect.bisect_left(self.nexts, pos) - 1
        start = self.ends[index] if index >= 0 and self.starts[index] >= floor else floor
        return self.text[start:pos], start


def _clause_after(text: str, pos: int, ceiling: int) -> str:
    """Text from pos to the first sentence end before ceiling."""
    match = _END.search(text, pos, ceiling)
    return text[pos : match.end() if match else ceiling]


class _Records(OffsetRuns[str]):
    """(offset, speaker) records in the order they were made: the attributions in text
    order, then the quotes in text order.
    """

    def last_within(self, start: int, end: int) -> str | None:
        """The last record made with start <= offset < end."""
        for offsets, names in zip(reversed(self.offsets), reversed(self.values), strict=True):
            index = bisect.bisect_left(offsets, end) - 1
            if index >= 0 and offsets[index] >= start:
                return names[index]
        return None


class _Speakers:
    """Resolves the subject of an attribution to a speaker name, tracking who spoke last."""

    def __init__(self, text: str):
        self.text = text
        self.people = People(text)
        self.records = _Records()
        self.ends = _Ends(text)
        for verb in _VERB_RE.finditer(text):
            clause, start = self.ends.clause_before(verb.start(), max(0, verb.start() - 200))
            subject = _SUBJECT_AT_END.search(clause)
            if subject and not subject.group("pron"):
                self.record(self.resolve(subject, start), verb.start())
            elif after := _VERB_THEN_NAME.match(text, verb.start()):
                self.record(self.resolve(after, verb.start()), verb.start())

    def record(self, name: str | None, offset: int) -> None:
        if name and name[0].isupper() and self.people.is_person(name):
            self.records.add(offset, self.people.add(name, offset))

    def last_speaker(self, before: int) -> str | None:
        return self.records.last_within(-1, before)

    def resolve(self, match: re.Match[str], offset: int) -> str | None:
        groups = match.groupdict()
        if groups.get("pron"):
            return self.last_speaker(offset)
        if groups.get("role"):
            return self._role(groups["role"], offset)
        title, name = split_title(groups["name"])
        if not name:
            return self._role(" ".join(title), offset)
        return self.people.full_name(" ".join(name))

    def _role(self, phrase: str, offset: int) -> str | None:
        person = self.people.by_role(phrase, offset)
        if person:
            return person
        words = phrase.split()
        if (
            words[0].lower() in ("the", "a", "an")
            and len(words) > 1
            and all(w[0].isupper() for w in words[1:])
        ):
            return " ".join(words[1:])  # 'the Pentagon' -> 'Pentagon'
        return phrase[0].lower() + phrase[1:]


def _from_suffix(speakers: _Speakers, suffix: str, offset: int) -> str | None:
    for pattern in (_AFTER_SUBJECT_VERB, _AFTER_VERB_SUBJECT, _AFTER_WORDS, _AFTER_NAME_LOOSE):
        match = pattern.match(suffix)
        if match:
            return speakers.resolve(match, offset)
    return None


def _from_prefix(speakers: _Speakers, prefix: str, start: int) -> str | None:
    verbs = list(_VERB_RE.finditer(prefix))
    if not verbs:
        return None
    before = prefix[: verbs[-1].start()]
    subject = _SUBJECT_AT_END.search(before)
    if subject:
        return speakers.resolve(subject, start + subject.start())
    return speakers.people.last_mention(start, start + len(before))


def _according(speakers: _Speakers, clause: str, offset: int) -> str | None:
    match = _ACCORDING.search(clause)
    return speakers.resolve(match, offset) if match else None


@dataclass
class _Found:
    span: Span
    speaker: str | None


def _attribute(
    speakers: _Speakers, span: Span, previous: _Found | None, line: tuple[int, int]
) -> str | None:
    text = speakers.text
    floor = max(line[0], previous.span.close if previous else line[0])
    prefix, start = speakers.ends.clause_before(span.open, floor)
    suffix = _clause_after(text, span.close, line[1])
    return (
        _from_suffix(speakers, suffix, span.close)
        or _from_prefix(speakers, prefix, start)
        or _according(speakers, prefix + " " + suffix, span.open)
        or (previous.speaker if previous else None)
        or _paragraph_before(speakers, span, line)
    )


def _paragraph_before(speakers: _Speakers, span: Span, line: tuple[int, int]) -> str | None:
    """For a paragraph that opens with a quote: the last speaker named in the paragraph before."""
    text = speakers.text
    if _NONSPACE.search(text, line[0], span.open):
        return None
    end = line[0]  # the end of the text before, blank lines and spaces left out
    while end > 0 and text[end - 1].isspace():
        end -= 1
    start = text.rfind("\n", 0, end) + 1
    return speakers.records.last_within(start, end)


def speaker_named_near(
    article: Article,
    speaker: str | None,
    start: int,
    end: int,
    index: SentenceIndex | None = None,
) -> bool:
    """True when `speaker` (or a person's last name) is named in the sentences overlapping
    [start, end) or in the sentence just before or after them. `index`: the article's
    `SentenceIndex`, for many lookups in one article.
    """
    if not speaker:
        return False
    around = (
        index.between(start, end, margin=1)
        if index is not None
        else sentences_between(article, start, end, margin=1)
    )
    near = " ".join(s.text for s in around)
    last = speaker.split()[-1]
    names = {speaker, last} if last[:1].isupper() and len(last) >= 3 else {speaker}
    return any(has_phrase(near, name, ignore_case=False) for name in names)


class _LineBounds:
    """The line (start, end) around an offset, by bisection on the line breaks: a long
    one-line text is not searched from each quote to its ends.
    """

    def __init__(self, text: str) -> None:
        self.length = len(text)
        self.breaks = [m.start() for m in re.finditer("\n", text)]

    def __call__(self, pos: int) -> tuple[int, int]:
        index = bisect.bisect_left(self.breaks, pos)
        start = self.breaks[index - 1] + 1 if index else 0
        return start, self.breaks[index] if index < len(self.breaks) else self.length


# The quotes of the last few articles: the brief, the citations of its overview and the
# prompt's hints all ask for the quotes of one article, and on a long one finding them takes
# a while. Keyed by the text and the sentences, which are all the answer depends on.
_KEPT = 4
_kept: OrderedDict[tuple[object, ...], list[Quote]] = OrderedDict()
_kept_lock = threading.Lock()


def extract_quotes(article: Article) -> list[Quote]:
    """Quotes of 4+ words within quotation marks, with speakers (None when unattributable)."""
    key = (article.text, tuple((s.id, s.start, s.end, s.text) for s in article.sentences))
    with _kept_lock:
        quotes = _kept.get(key)
        if quotes is not None:
            _kept.move_to_end(key)
    if quotes is None:
        quotes = _extract_quotes(article)
        with _kept_lock:
            _kept[key] = quotes
            while len(_kept) > _KEPT:
                _kept.popitem(last=False)
    return [quote.model_copy() for quote in quotes]


def _extract_quotes(article: Article) -> list[Quote]:
    text, speakers = article.text, _Speakers(article.text)
    quotes: list[Quote] = []
    previous: _Found | None = None
    line_bounds, sentences = _LineBounds(text), SentenceIndex(article)
    for span in quoted_spans(text):
        words = quote_text(text, span)
        if _word_count(words) < 4:
            continue
        sentence = sentences.at(span.start)
        line = line_bounds(span.open)
        speaker = _attribute(
            speakers, span, previous if previous and previous.span.open >= line[0] else None, line
        )
        previous = _Found(span, speaker)
        if speaker and speaker[0].isupper():
            speakers.record(speaker, span.open)
        if sentence is not None:
            quotes.append(
                Quote(
                    speaker=speaker,
                    text=words,
                    sentence_id=sentence.id,
                    origin="code",
                    verbatim=True,
                    speaker_verified=speaker_named_near(
                        article, speaker, span.open, span.close, sentences
                    ),
                )
            )
    return quotes
