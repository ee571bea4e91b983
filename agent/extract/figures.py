"""Figures: numbers with qualifier, unit and what they count (`extract_figures`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ..schemas import Article, Figure, Sentence
from .lexicon import (
    AUXILIARIES,
    COUNT_UNITS,
    CURRENCIES,
    DETERMINERS,
    FUNCTION_WORDS,
    HYPHEN_UNITS,
    MEASURES,
    MONTHS,
    ONES,
    OUTCOMES,
    QUALIFIERS,
    RANGE_WORDS,
    SCALES,
    TENS,
    TIME_UNITS,
)

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
_WORD_FIGURE = re.compile(
    rf"(?<![\w-])(?P<num>{_NUMBER_WORD}){_HYPHEN_UNIT}(?![\w-])", re.IGNORECASE
)
_QUALIFIER_WORDS = {word for qualifier in QUALIFIERS for word in qualifier.split()}
_QUALIFIER_ALTERNATIVES = "|".join(sorted(map(re.escape, QUALIFIERS), key=len, reverse=True))
_QUALIFIER_RE = re.compile(rf"(?:^|\s)({_QUALIFIER_ALTERNATIVES})\s+$", re.IGNORECASE)
_WORD_OR_MARK = re.compile(r"[A-Za-z][\w'’-]*|\d[\d,.]*\d|\d|[^\w\s]")
_STREET = re.compile(
    r"\s+(?:[A-Z]\w*\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Drive|Way|Highway)\b"
)
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
    """The value of a figure's text, or None.

    '400,000' -> 400000.0, 'five' -> 5.0, '1.5 million' -> 1500000.0, '$5bn' -> 5e9, '3.5%' -> 3.5.
    """
    cleaned = re.sub(
        r"^(?:US\$|[$€£])|\s*(?:%|percent|per cent)$", "", text.strip(), flags=re.I
    ).strip()
    match = re.fullmatch(r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*([a-zA-Z]+)?", cleaned)
    if match:
        scale = (match.group(2) or "").lower()
        if scale and scale not in SCALES:
            return None
        return float(Decimal(match.group(1).replace(",", "")) * Decimal(str(SCALES.get(scale, 1))))
    return _parse_words(cleaned) if cleaned else None


_ANY_DIGITS = re.compile(
    r"(?:US\$|[$€£])?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|trillion|thousand|bn|mn|m|k)\b)?"
)


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
    value_text = (
        match.group(0)[: match.start("hyunit") - 1 - match.start()] if hyphen else match.group(0)
    )
    value = parse_number(value_text.strip())
    if value is None:
        return None
    groups = match.groupdict()
    unit = (
        CURRENCIES[groups["cur"].lower()]
        if groups.get("cur")
        else "percent"
        if groups.get("pct")
        else ""
    )
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
    if (
        raw.isdigit()
        and len(raw) == 4
        and 1000 <= int(raw) <= 2099
        and after.lower() not in COUNT_UNITS
    ):
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
    return bool(
        before[:1].isupper() and prefix.split()[:-1] and not _QUALIFIER_RE.search(prefix + " ")
    )


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
    plural = (
        len(lower) > 3 and lower.endswith("s") and not lower.endswith(("ss", "us", "is", "ous"))
    )
    return lower in COUNT_UNITS or lower in MEASURES or plural


def _unit_phrase(words: list[str]) -> tuple[str, list[str]]:
    """The unit among the next words ('138 various armed units' -> 'units') and the phrase to it."""
    if len(words) > 2 and words[0] in RANGE_WORDS and words[1][0].isdigit():
        words = words[2:]  # '5 to 6 lbs'
    for index, word in enumerate(words[:3]):
        lower = word.lower()
        if (
            not word[0].isalpha()
            or word[0].isupper()
            or lower in FUNCTION_WORDS
            and lower not in COUNT_UNITS
        ):
            break
        if _is_unit_word(lower):
            phrase, rest = words[: index + 1], words[index + 1 :]
            if (
                rest[:1] == ["of"]
                and len(rest) > 1
                and rest[1][0].islower()
                and rest[1] not in FUNCTION_WORDS
            ):
                phrase += (
                    rest[:3]
                    if len(rest) > 2 and rest[2][0].islower() and rest[2] not in FUNCTION_WORDS
                    else rest[:2]
                )
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
    nouns = [
        w for w in after_words[:2] if w[0].isalpha() and w[0].islower() and w not in FUNCTION_WORDS
    ]
    return " ".join([text[number.start : number.end], *nouns[:1]])


def _counts(
    text: str, number: _Number, start: int, phrase: list[str], after_words: list[str]
) -> str:
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
    return Figure(
        value_text=number.value_text,
        value=number.value,
        unit=number.unit or unit,
        counts=_counts(text, number, start, phrase, after_words),
        qualifier=qualifier.group(1).lower() if qualifier else None,
        sentence_id=sentence.id,
        origin="code",
        verified=True,
    )


def extract_figures(article: Article) -> list[Figure]:
    """Numbers with qualifier, unit and what they count; years, dates and times left out."""
    figures = []
    for sentence in article.sentences:
        for number in _number_matches(sentence.text):
            figure = _figure(sentence, number)
            if figure is not None:
                figures.append(figure)
    return figures
