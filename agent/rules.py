"""What code extracts exactly: quotes and speakers, figures, time expressions and dates.

Nothing here calls a model. The functions read `Article.text` and `Article.sentences`
(offsets into the text) and return output models with `origin="code"`:

* `extract_quotes(article)`: words within quotation marks (4+ words; shorter ones are scare
  quotes and only serve verification, see `quoted_spans`) with their speakers;
* `extract_figures(article)`: numbers with qualifier, unit and what they count;
* `extract_events(article)`: time expressions with the date `resolve_date` gives them;
* `resolve_date(expr, anchor, sentence)`: a time expression to (date, precision).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from .schemas import Article, Event, Figure, Quote, Sentence
from .textmatch import STOPWORDS, has_phrase, sentence_at, sentences_between, trim

Precision = Literal["day", "month", "year", "unknown"]

# --------------------------------------------------------------------------- tables

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
ONES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
SCALES = {
    "hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
    "k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "tn": 1e12, "dozen": 12,
}
CURRENCIES = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP"}
QUALIFIERS = (
    "more than", "less than", "fewer than", "over", "under", "up to", "as many as", "as few as",
    "almost", "nearly", "about", "around", "roughly", "approximately", "some", "at least",
    "at most", "close to", "just over", "just under", "well over", "upwards of", "an estimated",
    "estimated", "only", "exactly",
)
TIME_UNITS = {"second", "minute", "hour", "day", "week", "month", "year", "decade", "century"}
COUNT_UNITS = {
    "people", "persons", "civilians", "children", "women", "men", "soldiers", "troops", "fighters",
    "militants", "rebels", "refugees", "migrants", "residents", "deaths", "dead", "casualties",
    "victims", "units", "groups", "countries", "nations", "families", "homes", "buildings",
    "villages", "towns", "documents", "tonnes", "tons", "barrels", "km", "kilometres",
    "kilometers", "miles", "metres", "meters", "aircraft", "jets", "planes", "vehicles",
    "members", "votes", "seats", "points", "dollars", "euros", "pounds", "hostages",
    "prisoners", "detainees", "journalists", "patients", "workers", "officials", "police",
    "officers", "protesters", "staff", "percent", "euro", "dollar", "doses",
} | {unit + "s" for unit in TIME_UNITS} | TIME_UNITS | {"person", "child", "civilian", "centuries"}
OUTCOMES = {
    "killed": "killed", "killing": "killed", "dead": "dead", "died": "dead", "wounded": "wounded",
    "wounding": "wounded", "injured": "injured", "injuring": "injured", "displaced": "displaced",
    "displacing": "displaced", "arrested": "arrested", "detained": "detained",
    "evacuated": "evacuated", "missing": "missing", "fled": "fled", "rescued": "rescued",
    "captured": "captured", "executed": "executed", "kidnapped": "kidnapped",
    "abducted": "abducted", "released": "released", "deployed": "deployed", "joined": "joined",
}
MEASURES = {
    "kg", "kilogram", "kilograms", "g", "gram", "grams", "lb", "lbs", "pound", "km", "kilometre",
    "kilometer", "mile", "metre", "meter", "cm", "mm", "ft", "feet", "foot", "inch", "inches",
    "acre", "acres", "hectare", "hectares", "litre", "liter", "litres", "liters", "gallon",
    "gallons", "tonne", "ton", "mph", "kph", "degree", "degrees",
}
HYPHEN_UNITS = TIME_UNITS | {
    "mile", "kilometre", "kilometer", "km", "member", "man", "person", "seat", "point", "foot",
    "metre", "meter", "page", "story", "storey",
}
RANGE_WORDS = {"to", "and", "or", "-", "–"}
FUNCTION_WORDS = STOPWORDS | {
    "since", "per", "last", "next", "each", "every", "via", "within", "across", "among", "towards",
    "toward", "upon", "like", "including", "another", "such", "many", "much", "several", "less",
    "even", "perhaps", "still", "yet", "ago", "later", "earlier",
}
DETERMINERS = {"the", "these", "those", "both", "its", "their", "his", "her", "our", "all"}
AUXILIARIES = {
    "have", "has", "had", "been", "were", "was", "are", "is", "be", "reportedly", "already", "now", "also",
    "being", "so", "far", "still", "believed", "feared", "presumed", "thought", "to", "confirmed",
}
PERSON_TITLES = {
    "minister", "secretary", "president", "envoy", "ambassador", "spokesman", "spokeswoman",
    "spokesperson", "chancellor", "premier", "senator", "governor", "mayor", "general", "gen",
    "commander", "chairman", "chairwoman", "director", "king", "queen", "prince", "sheikh",
    "emir", "pope", "judge", "colonel", "col", "lieutenant", "captain", "admiral", "mr", "mrs",
    "ms", "dr", "sir", "lord", "lady", "rep", "sen", "representative", "commissioner", "leader",
    "chief", "official", "diplomat", "counterpart", "adviser", "advisor", "negotiator",
    "professor", "prof", "spokesmen", "head",
}
ORG_WORDS = {
    "ministry", "department", "house", "council", "group", "front", "army", "forces", "agency",
    "news", "times", "post", "government", "committee", "union", "nations", "states", "state",
    "republic", "assembly", "center", "centre", "party", "organisation", "organization",
    "federation", "kingdom", "office", "court", "bank", "university", "institute", "force",
    "coalition", "movement", "brigade", "television", "tv", "radio", "press", "network",
    "observatory", "commission", "parliament", "congress", "senate", "pentagon", "kremlin",
}
PARTICLES = r"(?:de|da|di|del|della|der|den|van|von|bin|ibn|al|el|le|la|du|dos|das|ter)"
SPEECH_VERBS = (
    r"(?:said|says|added|adds|told|tells|stated|noted|notes|stressed|warned|insisted|declared|"
    r"announced|explained|argued|claimed|asked|replied|wrote|continued|remarked|commented|"
    r"emphasi[sz]ed|admitted|acknowledged|urged|recalled|concluded|confirmed|tweeted|cautioned|"
    r"suggested|predicted|promised|vowed|pledged|conceded|observed|joked|quipped|jibed|"
    r"claims|insists|argues|warns|explains|recalls|writes|"
    r"saying|adding|noting|claiming|stressing|warning|insisting|telling|arguing|explaining|declaring)"
)
FUTURE_MARKERS = (
    r"\b(?:will|would|shall|'ll|is to|are to|was to|were to|going to|set to|due to|expected to|"
    r"supposed to|scheduled|planned|plans to|plan to|to begin|to start|come into force|comes into force|"
    r"take effect|takes effect|next|upcoming|tomorrow|later)\b"
)
PAST_MARKERS = (
    r"\b(?:said|says|was|were|had|did|met|discussed|approved|agreed|announced|held|signed|took|"
    r"began|ended|started|told|added|stressed|reached|launched|called|killed|took place|visited|"
    r"voted|passed|broadcast|published|reported|last|ago|earlier|yesterday)\b"
)

# --------------------------------------------------------------------------- names

_TOKEN = r"(?:[A-Z][a-z]{0,2}\.(?:[A-Z]\.)*|[A-Z][\w'’-]*(?:\.[A-Z][\w'’-]*)*|(?:al|el|ad|as|ash|ibn|bin|abu)-[A-Z][\w'’-]*)"
NAME = rf"(?<![\w/@#.'’-]){_TOKEN}(?:[ \t]+(?:(?:{PARTICLES}|of|for)[ \t]+)?{_TOKEN})*"
_NAME_RE = re.compile(NAME)


def _clean_token(token: str) -> str:
    token = re.sub(r"['’]s?$", "", token)
    return token.rstrip(".") if len(token.rstrip(".")) > 3 else token


def _is_title(token: str) -> bool:
    return _clean_token(token).lower().rstrip(".") in PERSON_TITLES


def split_title(chain: str) -> tuple[list[str], list[str]]:
    """'US Secretary of State John Kerry' -> (['US', 'Secretary', 'of', 'State'], ['John', 'Kerry'])."""
    tokens = [_clean_token(t) for t in chain.split()]
    last = max((i for i, t in enumerate(tokens) if _is_title(t)), default=-1)
    cut = last + 1
    if cut and cut + 1 < len(tokens) and tokens[cut] in ("of", "for"):
        cut += 2  # the complement of a title: 'Secretary of State', 'Envoy for Syria'
    name = tokens[cut:]
    for index, token in enumerate(name):
        if token in ("of", "for"):  # 'Ruediger Kuehr of United Nations University'
            return tokens[:cut], name[:index]
    return tokens[:cut], name


def last_name_key(name: str) -> str:
    last = name.split()[-1] if name.split() else ""
    return re.sub(r"^(?:al|el|ad|as|ash)-", "", last, flags=re.I).lower()


@dataclass
class Person:
    name: str
    roles: set[str]
    mentions: list[int]


class People:
    """Person names of one article: titled names ('Foreign Minister Sergei Lavrov') and
    speech subjects, with their role words and mention offsets."""

    def __init__(self, text: str):
        self.text = text
        self.persons: dict[str, Person] = {}
        self.chains: list[tuple[int, list[str]]] = []
        # The first person-like chain (2-4 words, no organisation word) of each length, by
        # last-name key: looking a name up does not scan the whole article again.
        self._by_key: dict[str, dict[int, list[str]]] = {}
        for match in _NAME_RE.finditer(text):
            title, name = split_title(match.group(0))
            self.chains.append((match.start(), name))
            if 1 < len(name) <= 4 and not any(t.lower() in ORG_WORDS or t.isupper() for t in name):
                self._by_key.setdefault(last_name_key(" ".join(name)), {}).setdefault(len(name), name)
            if name and title and any(_is_title(t) for t in title):
                self.add(" ".join(name), match.start(), {t.lower().strip(".") for t in title})

    def add(self, name: str, offset: int, roles: set[str] | None = None) -> str:
        full = self.full_name(name)
        person = self.persons.setdefault(last_name_key(full), Person(full, set(), []))
        if len(full.split()) > len(person.name.split()):
            person.name = full
        person.roles |= roles or set()
        person.mentions.append(offset)
        return person.name

    def full_name(self, name: str) -> str:
        """The longest name in the article that ends with `name`'s last word (the first one
        of that length)."""
        firsts = self._by_key.get(last_name_key(name), {})
        longest = max(firsts, default=0)
        return " ".join(firsts[longest]) if longest > len(name.split()) else name

    def is_person(self, name: str) -> bool:
        if last_name_key(name) in self.persons:
            return True
        tokens = self.full_name(name).split()
        return len(tokens) >= 2 and not any(t.lower().strip(".") in ORG_WORDS for t in tokens)

    def by_role(self, phrase: str, before: int) -> str | None:
        """The person whose title words include every word of `phrase`, last named before `before`."""
        ignored = ("the", "a", "an", "senior", "top", "former")
        wanted = {w for w in re.findall(r"[\w.]+", phrase.lower()) if w not in ignored}
        if not wanted & PERSON_TITLES:
            return None
        found = [p for p in self.persons.values() if wanted <= p.roles]
        found.sort(key=lambda p: max([m for m in p.mentions if m < before], default=-1))
        return found[-1].name if found else None

    def last_mention(self, start: int, end: int) -> str | None:
        """The last person named within [start, end)."""
        hits = [(off, " ".join(tokens)) for off, tokens in self.chains if start <= off < end and tokens]
        hits = [(off, name) for off, name in hits if self.is_person(name)]
        return self.full_name(hits[-1][1]) if hits else None


# --------------------------------------------------------------------------- quoted spans


@dataclass(frozen=True)
class Span:
    """Text within quotation marks: [start, end) inside the marks, [open, close) with them."""

    start: int
    end: int
    open: int
    close: int


_CURLY = re.compile(r"\u201c([^\u201c\u201d\n]+)\u201d|\u00ab([^\u00ab\u00bb\n]+)\u00bb")
_SINGLE = re.compile(r"(?<!\w)[\u2018'](?=\w)((?:[^\u2018\u2019'\n]|[\u2019'](?=\w))+?)(?<=[\w.,!?])[\u2019'](?!\w)")


_OPEN_TO_END = re.compile(r"(?:(?<=^)|(?<=[\s:(]))[\u201c\"](?=\w)([^\u201c\u201d\"\n]+)$")


def _straight_pairs(line: str, base: int) -> list[Span]:
    marks = [m.start() for m in re.finditer('"', line)]
    return [Span(base + a + 1, base + b, base + a, base + b + 1) for a, b in zip(marks[::2], marks[1::2], strict=False)]


def _open_to_end(line: str, base: int, spans: list[Span]) -> list[Span]:
    """A quote left open at the end of a paragraph because the next paragraph goes on with it."""
    match = _OPEN_TO_END.search(line)
    if match is None or any(s.open <= base + match.start() < s.close for s in spans):
        return []
    return [Span(base + match.start() + 1, base + match.end(), base + match.start(), base + match.end())]


def _line_spans(line: str, base: int, continued: bool = False) -> list[Span]:
    spans = [Span(base + m.start() + 1, base + m.end() - 1, base + m.start(), base + m.end()) for m in _CURLY.finditer(line)]
    spans += _straight_pairs(line, base)
    if continued:
        spans += _open_to_end(line, base, spans)
    for match in _SINGLE.finditer(line):
        at = base + match.start()
        if not any(s.open <= at < s.close for s in spans):
            spans.append(Span(at + 1, base + match.end() - 1, at, base + match.end()))
    return sorted(spans, key=lambda s: s.open)


def quoted_spans(text: str) -> list[Span]:
    """Every span within quotation marks (any length), never across a line break."""
    spans: list[Span] = []
    lines = [line for line in re.finditer(r"[^\n]+", text) if line.group(0).strip()]
    for index, line in enumerate(lines):
        following = lines[index + 1].group(0).lstrip() if index + 1 < len(lines) else ""
        spans += _line_spans(line.group(0), line.start(), continued=following[:1] in ('"', "\u201c"))
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
_SUBJECT = rf"(?P<pron>\b[Hh]e|\b[Ss]he)|(?P<role>\b{_ROLE})|(?P<name>{NAME})(?:\s*,[^,\"“”\n]{{1,80}},)?"
_LEAD = r"^[\s,;:.\-–—”\"]*"
_DESCRIBED = r"(?:(?:[a-z][\w'’-]*\s+){1,3}(?=[A-Z]))?"  # 'team leader Professor X told'
_AFTER_SUBJECT_VERB = re.compile(rf"{_LEAD}{_DESCRIBED}(?:{_SUBJECT}){_ADVERBS}\s+{SPEECH_VERBS}\b")
_AFTER_NAME_LOOSE = re.compile(  # 'X of the U.N. University and ..., told Reuters'
    rf"{_LEAD}{_DESCRIBED}(?P<name>{NAME})"
    rf"(?:\s+(?:of|from|at|with)\s+[^,\"“”\n]{{1,120}}|\s*,[^\"“”\n]{{1,120}})?,?\s+(?:also\s+)?{SPEECH_VERBS}\b"
)
_AFTER_VERB_SUBJECT = re.compile(rf"{_LEAD}{SPEECH_VERBS}\s+(?:(?P<role>{_ROLE}(?=[\s,.;]|$))|(?P<name>{NAME}))")
_AFTER_WORDS = re.compile(rf"{_LEAD}in\s+(?P<name>{NAME})\s+(?:own\s+)?words")
_SUBJECT_AT_END = re.compile(rf"(?:{_SUBJECT}){_ADVERBS}\s*$")
_ACCORDING = re.compile(
    rf"\b[Aa]ccording to\s+(?:(?P<name>{NAME})|(?P<role>(?:the|an?)\s+(?:[\w'’-]+\s+){{0,4}}?[\w'’-]+)(?=[\s,.;]|$))"
)
_VERB_THEN_NAME = re.compile(rf"(?:said|says|added|adds|wrote|explained|noted)\s+(?P<name>{NAME})")
_VERB_RE = re.compile(rf"\b{SPEECH_VERBS}\b")
_END = re.compile(r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bNo)(?<!\b[A-Z])[.!?][\"”’']?(?=\s+[\"“‘A-Z0-9])")


def _clause_before(text: str, pos: int, floor: int) -> tuple[str, int]:
    """Text from the last sentence end in [floor, pos) to pos, and its start offset."""
    ends = [m.end() for m in _END.finditer(text, floor, pos)]
    start = ends[-1] if ends else floor
    return text[start:pos], start


def _clause_after(text: str, pos: int, ceiling: int) -> str:
    """Text from pos to the first sentence end before ceiling."""
    match = _END.search(text, pos, ceiling)
    return text[pos : match.end() if match else ceiling]


class _Speakers:
    """Resolves the subject of an attribution to a speaker name, tracking who spoke last."""

    def __init__(self, text: str):
        self.text = text
        self.people = People(text)
        self.records: list[tuple[int, str]] = []
        for verb in _VERB_RE.finditer(text):
            clause, start = _clause_before(text, verb.start(), max(0, verb.start() - 200))
            subject = _SUBJECT_AT_END.search(clause)
            if subject and not subject.group("pron"):
                self.record(self.resolve(subject, start), verb.start())
            elif after := _VERB_THEN_NAME.match(text, verb.start()):
                self.record(self.resolve(after, verb.start()), verb.start())

    def record(self, name: str | None, offset: int) -> None:
        if name and name[0].isupper() and self.people.is_person(name):
            self.records.append((offset, self.people.add(name, offset)))

    def last_speaker(self, before: int) -> str | None:
        earlier = [name for offset, name in self.records if offset < before]
        return earlier[-1] if earlier else None

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
        if words[0].lower() in ("the", "a", "an") and len(words) > 1 and all(w[0].isupper() for w in words[1:]):
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


def _attribute(speakers: _Speakers, span: Span, previous: _Found | None, line: tuple[int, int]) -> str | None:
    text = speakers.text
    floor = max(line[0], previous.span.close if previous else line[0])
    prefix, start = _clause_before(text, span.open, floor)
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
    if text[line[0] : span.open].strip():
        return None
    before = text[: line[0]].rstrip()
    start = before.rfind("\n") + 1
    named = [name for offset, name in speakers.records if start <= offset < len(before)]
    return named[-1] if named else None


def speaker_named_near(article: Article, speaker: str | None, start: int, end: int) -> bool:
    """True when `speaker` (or a person's last name) is named in the sentences overlapping
    [start, end) or in the sentence just before or after them."""
    if not speaker:
        return False
    near = " ".join(s.text for s in sentences_between(article, start, end, margin=1))
    last = speaker.split()[-1]
    names = {speaker, last} if last[:1].isupper() and len(last) >= 3 else {speaker}
    return any(has_phrase(near, name, ignore_case=False) for name in names)


def _line_bounds(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end < 0 else end


def extract_quotes(article: Article) -> list[Quote]:
    """Quotes of 4+ words within quotation marks, with speakers (None when unattributable)."""
    text, speakers = article.text, _Speakers(article.text)
    quotes: list[Quote] = []
    previous: _Found | None = None
    for span in quoted_spans(text):
        words = quote_text(text, span)
        if _word_count(words) < 4:
            continue
        sentence = sentence_at(article, span.start)
        line = _line_bounds(text, span.open)
        speaker = _attribute(speakers, span, previous if previous and previous.span.open >= line[0] else None, line)
        previous = _Found(span, speaker)
        if speaker and speaker[0].isupper():
            speakers.record(speaker, span.open)
        if sentence is not None:
            quotes.append(Quote(speaker=speaker, text=words, sentence_id=sentence.id, origin="code",
                                verbatim=True, speaker_verified=speaker_named_near(article, speaker, span.open, span.close)))
    return quotes


# --------------------------------------------------------------------------- numbers

_ONES_RE = "|".join(sorted(ONES, key=len, reverse=True))
_TENS_RE = "|".join(TENS)
_NUMBER_WORD = (
    rf"(?:(?:{_TENS_RE})(?:-(?:{_ONES_RE}))?|{_ONES_RE})(?:\s+(?:hundred|thousand|million|billion|dozen))?"
    r"|a\s+(?:dozen|hundred|thousand|million|billion)"
)
_HYPHEN_UNIT = r"(?:-(?P<hyunit>[a-z]+)(?:-(?:long|old))?)?"
_DIGIT_FIGURE = re.compile(
    r"(?<![\w.,/:$€£-])(?P<cur>US\$|[$€£])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s(?P<scale>million|billion|trillion|thousand|hundred)\b|(?P<abbr>bn|mn|tn|m|k)\b)?"
    r"(?P<pct>\s?%|\s(?:percent|per cent)\b)?" + _HYPHEN_UNIT + r"(?![\w/:]|[.,]\d|-\d)"
)
_WORD_FIGURE = re.compile(rf"(?<![\w-])(?P<num>{_NUMBER_WORD}){_HYPHEN_UNIT}(?![\w-])", re.IGNORECASE)
_QUALIFIER_WORDS = {word for qualifier in QUALIFIERS for word in qualifier.split()}
_QUALIFIER_ALTERNATIVES = "|".join(sorted(map(re.escape, QUALIFIERS), key=len, reverse=True))
_QUALIFIER_RE = re.compile(rf"(?:^|\s)({_QUALIFIER_ALTERNATIVES})\s+$", re.IGNORECASE)
_WORD_OR_MARK = re.compile(r"[A-Za-z][\w'’-]*|\d[\d,.]*\d|\d|[^\w\s]")
_STREET = re.compile(r"\s+(?:[A-Z]\w*\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Drive|Way|Highway)\b")
_TIME_OF_DAY = re.compile(r"\s*(?:[ap]\.?m\b|GMT|UTC|hrs\b|o'clock)", re.IGNORECASE)


def _parse_words(text: str) -> float | None:
    total = 0.0
    for part in re.split(r"[\s-]+", text.lower()):
        if part == "a":
            total = total or 1.0
        elif part in ONES or part in TENS:
            total += ONES.get(part, TENS.get(part, 0))
        elif part in SCALES:
            total = (total or 1.0) * SCALES[part]
        elif part != "and":
            return None
    return total


def parse_number(text: str) -> float | None:
    """'400,000' -> 400000.0, 'five' -> 5.0, '1.5 million' -> 1500000.0, '$5bn' -> 5e9, '3.5%' -> 3.5."""
    cleaned = re.sub(r"^(?:US\$|[$€£])|\s*(?:%|percent|per cent)$", "", text.strip(), flags=re.I).strip()
    match = re.fullmatch(r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*([a-zA-Z]+)?", cleaned)
    if match:
        scale = (match.group(2) or "").lower()
        if scale and scale not in SCALES:
            return None
        return float(Decimal(match.group(1).replace(",", "")) * Decimal(str(SCALES.get(scale, 1))))
    return _parse_words(cleaned) if cleaned else None


_ANY_DIGITS = re.compile(r"(?:US\$|[$€£])?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|trillion|thousand|bn|mn|m|k)\b)?")


def numbers_in(text: str) -> list[float]:
    """Every number written in `text` (digits or words, years and dates included)."""
    values = [parse_number(m.group("num")) for m in _WORD_FIGURE.finditer(text)]
    values += [parse_number(m.group(0)) for m in _ANY_DIGITS.finditer(text)]
    return [v for v in values if v is not None]


@dataclass
class _Number:
    start: int
    end: int
    value_text: str
    value: float
    unit: str = ""
    hyphen_unit: str = ""


def _to_number(text: str, match: re.Match[str]) -> _Number | None:
    hyphen = match.group("hyunit") or ""
    if hyphen and hyphen not in HYPHEN_UNITS:
        return None  # '1776-like', 'two-thirds': part of a word, not a count
    value_text = match.group(0)[: match.start("hyunit") - 1 - match.start()] if hyphen else match.group(0)
    value = parse_number(value_text.strip())
    if value is None:
        return None
    groups = match.groupdict()
    unit = CURRENCIES[groups["cur"].lower()] if groups.get("cur") else "percent" if groups.get("pct") else ""
    return _Number(match.start(), match.end(), value_text.strip(), value, unit, hyphen)


def _number_matches(text: str) -> list[_Number]:
    found: list[_Number] = []
    for match in [*_DIGIT_FIGURE.finditer(text), *_WORD_FIGURE.finditer(text)]:
        number = _to_number(text, match)
        if number and not any(f.start < number.end and number.start < f.end for f in found):
            found.append(number)
    return sorted(found, key=lambda n: n.start)


def _previous_word(text: str, pos: int) -> str:
    words = re.findall(r"[\w.#]+", text[:pos])
    return words[-1] if words else ""


def _is_date_or_time(text: str, number: _Number, before: str, after: str) -> bool:
    raw = number.value_text
    if raw.isdigit() and len(raw) == 4 and 1000 <= int(raw) <= 2099 and after.lower() not in COUNT_UNITS:
        return True  # a year
    if any(word[:1].isupper() and word.lower().rstrip(".") in MONTHS for word in (before, after)):
        return True  # 'May 25', '10 September'
    return bool(_TIME_OF_DAY.match(text, number.end))


def _is_label(text: str, number: _Number, before: str) -> bool:
    """List numbers, '#1', addresses and names such as 'Resolution 2254' or 'Boeing 737'."""
    prefix = text[: number.start].rstrip()
    if not prefix and text[number.end : number.end + 1] in (".", ")"):
        return True
    if before in ("#", "No.", "no.") or prefix.endswith("#") or _STREET.match(text, number.end):
        return True
    return bool(before[:1].isupper() and prefix.split()[:-1] and not _QUALIFIER_RE.search(prefix + " "))


def _excluded(text: str, number: _Number, next_words: list[str]) -> bool:
    """Years, dates, times, labels and anaphoric 'the two' are not figures."""
    if number.unit or number.hyphen_unit:
        return False
    before, after = _previous_word(text, number.start), (next_words[0] if next_words else "")
    if _is_date_or_time(text, number, before, after) or _is_label(text, number, before):
        return True
    if number.value_text.lower() == "one" and after.lower() not in COUNT_UNITS:
        return True
    return number.value_text[0].isalpha() and before.lower() in DETERMINERS  # 'the two countries'


def _is_unit_word(lower: str) -> bool:
    plural = len(lower) > 3 and lower.endswith("s") and not lower.endswith(("ss", "us", "is", "ous"))
    return lower in COUNT_UNITS or lower in MEASURES or plural


def _unit_phrase(words: list[str]) -> tuple[str, list[str]]:
    """The unit among the next words ('138 various armed units' -> 'units') and the phrase to it."""
    if len(words) > 2 and words[0] in RANGE_WORDS and words[1][0].isdigit():
        words = words[2:]  # '5 to 6 lbs'
    for index, word in enumerate(words[:3]):
        lower = word.lower()
        if not word[0].isalpha() or word[0].isupper() or lower in FUNCTION_WORDS and lower not in COUNT_UNITS:
            break
        if _is_unit_word(lower):
            phrase, rest = words[: index + 1], words[index + 1 :]
            if rest[:1] == ["of"] and len(rest) > 1 and rest[1][0].islower() and rest[1] not in FUNCTION_WORDS:
                phrase += rest[:3] if len(rest) > 2 and rest[2][0].islower() and rest[2] not in FUNCTION_WORDS else rest[:2]
            return lower, phrase
    return "", []


def _outcome_before(text: str, start: int) -> str | None:
    """'killed almost 700' -> 'killed'; after 'including' the verb may stand further back."""
    words = [w.lower() for w in re.findall(r"[\w'’]+", text[:start])]
    if words[-1:] in (["including"], ["among"]):
        return next((OUTCOMES[w] for w in reversed(words[-10:]) if w in OUTCOMES), None)
    for word in reversed(words[-4:]):
        if word in OUTCOMES:
            return OUTCOMES[word]
        if word not in _QUALIFIER_WORDS and not word.endswith("ly"):
            return None
    return None


def _outcome_after(words: list[str]) -> str | None:
    for word in words[:5]:
        lower = word.lower()
        if lower in OUTCOMES:
            return OUTCOMES[lower]
        if lower not in AUXILIARIES:
            return None
    return None


def _words_until_stop(words: list[str], limit: int = 3) -> list[str]:
    taken: list[str] = []
    for word in words[:limit]:
        if not word[0].isalpha() or word.lower() in FUNCTION_WORDS and taken:
            break
        taken.append(word)
    return taken


def _context(text: str, start: int, end: int, tail: list[str]) -> str:
    """A few words around the number: 'which lasted more than 13 hours'."""
    clause = re.split(r"[,;:()\"“”]", text[:start])[-1].split()[-3:]
    return " ".join([*clause, text[start:end].strip(), *tail]).strip()


def _compound(text: str, number: _Number, after_words: list[str]) -> str:
    """'the seven-day truce' -> 'seven-day truce'."""
    nouns = [w for w in after_words[:2] if w[0].isalpha() and w[0].islower() and w not in FUNCTION_WORDS]
    return " ".join([text[number.start : number.end], *nouns[:1]])


def _counts(text: str, number: _Number, start: int, phrase: list[str], after_words: list[str]) -> str:
    """What the number counts: 'people killed', 'hours of marathon talks', or its context."""
    if number.hyphen_unit:
        return _compound(text, number, after_words)
    outcome = _outcome_after(after_words[len(phrase) :]) or _outcome_before(text, start)
    if outcome:
        return f"{' '.join(phrase) or 'people'} {outcome}"
    if len(phrase) >= 2:
        return " ".join(phrase)
    return _context(text, start, number.end, phrase or _words_until_stop(after_words))


def _figure(sentence: Sentence, number: _Number) -> Figure | None:
    text = sentence.text
    after_words = _WORD_OR_MARK.findall(text[number.end :])
    if _excluded(text, number, after_words):
        return None
    qualifier = _QUALIFIER_RE.search(text[: number.start])
    start = qualifier.start(1) if qualifier else number.start
    if number.hyphen_unit:
        unit = number.hyphen_unit + ("s" if number.hyphen_unit in TIME_UNITS else "")
        phrase = [unit]
    else:
        unit, phrase = _unit_phrase(after_words)
    return Figure(value_text=number.value_text, value=number.value, unit=number.unit or unit,
                  counts=_counts(text, number, start, phrase, after_words),
                  qualifier=qualifier.group(1).lower() if qualifier else None, sentence_id=sentence.id,
                  origin="code", verified=True)


def extract_figures(article: Article) -> list[Figure]:
    """Numbers with qualifier, unit and what they count; years, dates and times left out."""
    figures = []
    for sentence in article.sentences:
        for number in _number_matches(sentence.text):
            figure = _figure(sentence, number)
            if figure is not None:
                figures.append(figure)
    return figures


# --------------------------------------------------------------------------- dates

_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_PREP = r"(?:(?i:on|in|since|until|by|from|before|after|last|next|this|early|late|earlier|later)\s+)"
_REL_WORD = r"(?:yesterday|today|tomorrow|tonight|last\s+night|this\s+(?:morning|afternoon|evening))"
_REL_PERIOD = r"(?:(?:last|this|next|earlier\s+this|later\s+this|early\s+this|late\s+this|earlier\s+in\s+the)\s+(?:week|month|year))"
TIME_EXPRESSION = re.compile(
    rf"(?<![\w-])(?:{_PREP}?(?:{_MONTH}\s+{_DAY},?\s+\d{{4}}|{_DAY}\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}[-./]\d{{1,2}}[-./]\d{{4}}"
    rf"|{_MONTH}\s+{_DAY}(?![\d,]*\s*\d{{4}})|{_DAY}\s+(?:of\s+)?{_MONTH}|{_MONTH}\s+(?:of\s+)?\d{{4}}|{_WEEKDAY})"
    rf"|{_PREP}(?:{_MONTH}(?!\s+\d)|(?:1\d|20)\d{{2}}(?![\d-]|\s+(?:{'|'.join(sorted(COUNT_UNITS))})\b))"
    rf"|(?P<rel>(?i:{_REL_WORD}|{_REL_PERIOD})))(?![\w-])"
)


def _nearest_year(month: int, day: int, anchor: dt.date) -> dt.date | None:
    """The date with that month and day closest to the anchor (within a year either way)."""
    options = []
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            options.append(dt.date(year, month, day))
        except ValueError:
            continue
    return min(options, key=lambda d: abs((d - anchor).days)) if options else None


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _month_of(text: str) -> int | None:
    match = re.search(_MONTH, text)
    return MONTHS.get(match.group(0).lower().rstrip(".")) if match else None


def _absolute(expr: str) -> tuple[dt.date | None, Precision] | None:
    """Dates that need no anchor: full dates, numeric dates, month-year, year."""
    if m := re.search(r"(\d{4})-(\d{2})-(\d{2})", expr):
        return _safe_date(int(m[1]), int(m[2]), int(m[3])), "day"
    if m := re.search(r"(\d{1,2})[-./](\d{1,2})[-./](\d{4})", expr):
        first, second = int(m[1]), int(m[2])
        day_month = (first, second) if second <= 12 else (second, first)
        return _safe_date(int(m[3]), day_month[1], day_month[0]), "day"
    month, year = _month_of(expr), re.search(r"\b(1\d{3}|20\d{2})\b", expr)
    day = re.search(r"(?<![\d])(\d{1,2})(?:st|nd|rd|th)?\b(?!\d)", expr)
    if month and year and day:
        return _safe_date(int(year[1]), month, int(day[1])), "day"
    if month and year:
        return dt.date(int(year[1]), month, 1), "month"
    if year and not month:
        return dt.date(int(year[1]), 1, 1), "year"
    return None


def _tense(expr: str, sentence: str) -> str:
    """'future' or 'past' for the clause around `expr` in `sentence` (nearest marker wins)."""
    lowered, where = sentence.lower(), sentence.lower().find(expr.lower())
    if where < 0:
        where = len(lowered)
    before = " ".join(lowered[:where].split()[-8:])
    after = " ".join(lowered[where + len(expr) :].split()[:8])
    hits = [(m.end(), "future") for m in re.finditer(FUTURE_MARKERS, before)]
    hits += [(m.end(), "past") for m in re.finditer(PAST_MARKERS, before)]
    if hits:
        return max(hits)[1]
    hits = [(m.start(), "future") for m in re.finditer(FUTURE_MARKERS, after)]
    hits += [(m.start(), "past") for m in re.finditer(PAST_MARKERS, after)]
    if hits:
        return min(hits)[1]
    return "future" if re.search(FUTURE_MARKERS, lowered) and not re.search(PAST_MARKERS, lowered) else "past"


def _weekday(expr: str, anchor: dt.date, sentence: str) -> dt.date:
    target = WEEKDAYS[re.search(_WEEKDAY, expr).group(0).lower()]  # type: ignore[union-attr]
    lowered = expr.lower()
    direction = "future" if lowered.startswith("next") else "past" if lowered.startswith("last") else _tense(expr, sentence)
    if direction == "future":
        return anchor + dt.timedelta(days=(target - anchor.weekday()) % 7 or 7)
    back = (anchor.weekday() - target) % 7
    return anchor - dt.timedelta(days=back or (7 if lowered.startswith("last") else 0))


RELATIVE_DAYS = {
    "yesterday": -1, "last night": -1, "today": 0, "tonight": 0, "this morning": 0,
    "this afternoon": 0, "this evening": 0, "tomorrow": 1,
}


def _relative(expr: str, anchor: dt.date) -> tuple[dt.date | None, Precision] | None:
    lowered = " ".join(expr.lower().split())
    for word, days in RELATIVE_DAYS.items():
        if word in lowered:
            return anchor + dt.timedelta(days=days), "day"
    shift = -1 if "last" in lowered else 1 if "next" in lowered else 0
    if lowered.endswith("week"):
        monday = anchor - dt.timedelta(days=anchor.weekday())
        return monday + dt.timedelta(weeks=shift), "unknown"  # a week: placed, not dated
    if lowered.endswith("month"):
        index = anchor.year * 12 + anchor.month - 1 + shift
        return dt.date(index // 12, index % 12 + 1, 1), "month"
    if lowered.endswith("year"):
        return dt.date(anchor.year + shift, 1, 1), "year"
    return None


def _day_month(expr: str, anchor: dt.date) -> tuple[dt.date | None, Precision] | None:
    month = _month_of(expr)
    if month is None:
        return None
    day = re.search(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?(?!\d)", expr)
    if day:
        return _nearest_year(month, int(day[1]), anchor), "day"
    lowered = expr.lower()
    if lowered.startswith(("last", "next")):  # 'last August': the latest August before the anchor month
        shift = 1 if lowered.startswith("next") else -1
        year = anchor.year + (shift if (month - anchor.month) * shift <= 0 else 0)
        return dt.date(year, month, 1), "month"
    return _nearest_year(month, 1, anchor), "month"


def resolve_date(expr: str, anchor: dt.date | None, sentence: str = "") -> tuple[dt.date | None, Precision]:
    """A time expression to (date, precision), relative to the publication date `anchor`.

    Absolute dates resolve without an anchor; a day and month without a year take the year
    that puts them nearest the anchor; weekdays count back from the anchor (the same day
    included) unless the clause speaks of the future ('will', 'next', 'come into force'...),
    then forward (the anchor's own weekday excluded). Weeks give an approximate date
    (the Monday of that week) with precision 'unknown'.
    """
    absolute = _absolute(expr)
    if absolute is not None:
        return absolute if absolute[0] else (None, "unknown")
    if anchor is None:
        return None, "unknown"
    if re.search(_WEEKDAY, expr):
        return _weekday(expr, anchor, sentence), "day"
    resolved = _relative(expr, anchor) or _by_tense(_day_month(expr, anchor), expr, anchor, sentence)
    return resolved if resolved and resolved[0] else (None, "unknown")


def _by_tense(resolved: tuple[dt.date | None, Precision] | None, expr: str, anchor: dt.date,
              sentence: str) -> tuple[dt.date | None, Precision] | None:
    """A month without a year: the clause's tense decides between the nearest past and the
    nearest future one ('damaged in March' in September is last March)."""
    if not resolved or resolved[0] is None or resolved[1] != "month" or expr.lower().startswith(("last", "next")):
        return resolved  # a day and month keep the nearest year: tense words are too loose for them
    date, precision = resolved
    if date is None:
        return resolved
    lowered = sentence.lower()
    if not (re.search(FUTURE_MARKERS, lowered) or re.search(PAST_MARKERS, lowered)):
        return resolved  # no tense marker: the nearest date stands
    tense = _tense(expr, sentence)
    if tense == "past" and date > anchor:
        return _year_shift(date, -1), precision
    if tense == "future" and date < anchor:
        return _year_shift(date, 1), precision
    return resolved


def _year_shift(date: dt.date, years: int) -> dt.date:
    try:
        return date.replace(year=date.year + years)
    except ValueError:  # 29 February
        return date.replace(year=date.year + years, day=28)


def event_what(sentence: str, start: int, end: int, limit: int = 200) -> str:
    """The sentence, or when longer than `limit` a window around the expression."""
    if len(sentence) <= limit:
        return sentence.strip()
    left = max(0, min(start - limit // 2, len(sentence) - limit))
    window = sentence[left : left + limit]
    if left:
        window = "…" + window.split(" ", 1)[-1]
    return trim(window, limit)


def _named(text: str, start: int, end: int) -> bool:
    """'The Tonight Show', 'USA Today': a capitalised relative word inside a sentence, or
    followed by another capitalised word, is part of a name."""
    if not text[start].isupper():
        return False
    return bool(text[:start].strip(" \"'“‘([—-")) or bool(re.match(r"\s+[A-Z]", text[end:]))


def extract_events(article: Article) -> list[Event]:
    """Time expressions of every sentence with the dates they resolve to."""
    events: list[Event] = []
    for sentence in article.sentences:
        seen: set[str] = set()
        for match in TIME_EXPRESSION.finditer(sentence.text):
            when = match.group(0)
            if when.lower() in seen or match.group("rel") and _named(sentence.text, match.start(), match.end()):
                continue
            seen.add(when.lower())
            date, precision = resolve_date(when, article.date, sentence.text)
            events.append(Event(what=event_what(sentence.text, match.start(), match.end()), when_text=when, date=date,
                                date_precision=precision, sentence_id=sentence.id, origin="code", verified=True))
    return events
