"""Time expressions and dates.

`extract_events(article)`, `resolve_date(expr, anchor, sentence)` and `reference_date(article)`
(the date relative expressions are resolved against).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from ..schemas import Article, Event
from ..text.sentences import trim
from .lexicon import COUNT_UNITS, FUTURE_MARKERS, MONTHS, PAST_MARKERS, WEEKDAYS

Precision = Literal["day", "month", "year", "unknown"]


# --------------------------------------------------------------------------- dates

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_PREP = (
    r"(?:(?i:on|in|since|until|by|from|before|after|last|next|this|early|late|earlier|later)\s+)"
)
_REL_WORD = (
    r"(?:yesterday|today|tomorrow|tonight|last\s+night|this\s+(?:morning|afternoon|evening))"
)
_REL_PERIOD = (
    r"(?:(?:last|this|next|earlier\s+this|later\s+this|early\s+this|late\s+this"
    r"|earlier\s+in\s+the)\s+(?:week|month|year))"
)
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
    return (
        "future"
        if re.search(FUTURE_MARKERS, lowered) and not re.search(PAST_MARKERS, lowered)
        else "past"
    )


def _weekday(expr: str, anchor: dt.date, sentence: str) -> dt.date:
    target = WEEKDAYS[re.search(_WEEKDAY, expr).group(0).lower()]  # type: ignore[union-attr]
    lowered = expr.lower()
    direction = (
        "future"
        if lowered.startswith("next")
        else "past"
        if lowered.startswith("last")
        else _tense(expr, sentence)
    )
    if direction == "future":
        return anchor + dt.timedelta(days=(target - anchor.weekday()) % 7 or 7)
    back = (anchor.weekday() - target) % 7
    return anchor - dt.timedelta(days=back or (7 if lowered.startswith("last") else 0))


RELATIVE_DAYS = {
    "yesterday": -1,
    "last night": -1,
    "today": 0,
    "tonight": 0,
    "this morning": 0,
    "this afternoon": 0,
    "this evening": 0,
    "tomorrow": 1,
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
    if lowered.startswith(
        ("last", "next")
    ):  # 'last August': the latest August before the anchor month
        shift = 1 if lowered.startswith("next") else -1
        year = anchor.year + (shift if (month - anchor.month) * shift <= 0 else 0)
        return dt.date(year, month, 1), "month"
    return _nearest_year(month, 1, anchor), "month"


def resolve_date(
    expr: str, anchor: dt.date | None, sentence: str = ""
) -> tuple[dt.date | None, Precision]:
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
    resolved = _relative(expr, anchor) or _by_tense(
        _day_month(expr, anchor), expr, anchor, sentence
    )
    return resolved if resolved and resolved[0] else (None, "unknown")


def _by_tense(
    resolved: tuple[dt.date | None, Precision] | None, expr: str, anchor: dt.date, sentence: str
) -> tuple[dt.date | None, Precision] | None:
    """A month without a year: the clause's tense decides between the nearest past and the
    nearest future one ('damaged in March' in September is last March).
    """
    if (
        not resolved
        or resolved[0] is None
        or resolved[1] != "month"
        or expr.lower().startswith(("last", "next"))
    ):
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


def reference_date(article: Article) -> dt.date | None:
    """The date an article's 'on Monday' and 'next week' count from: its publication date,
    else the latest date its date lines, bylines, dateline or photo captions give (a photo
    is taken, and a dateline written, no later than the article).
    """
    if article.date is not None:
        return article.date
    return max((e.date for e in article.date_evidence), default=None)


_ANY_DAY = dt.date(2001, 1, 3)


def names_a_day(expr: str, sentence: str = "") -> bool:
    """True when `expr` names one day once a reference date is known ('on Monday',
    'yesterday', 'from May 25'), so it marks a step of the story even in an undated article.
    """
    return resolve_date(expr, _ANY_DAY, sentence)[1] == "day"


def day_key(expr: str) -> str:
    """The day an expression names ('monday', 'yesterday', '5-25' for May 25), so undated
    mentions of one day in articles of one episode can be matched.
    """
    lowered = " ".join(expr.lower().split())
    if match := re.search(_WEEKDAY, expr, re.I):
        return match.group(0).lower()
    for word in RELATIVE_DAYS:
        if word in lowered:
            return word
    month, day = _month_of(expr), re.search(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?(?!\d)", expr)
    if month and day:
        return f"{month}-{int(day[1])}"
    return lowered


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
    followed by another capitalised word, is part of a name.
    """
    if not text[start].isupper():
        return False
    return bool(text[:start].strip(" \"'“‘([—-")) or bool(re.match(r"\s+[A-Z]", text[end:]))


def extract_events(article: Article) -> list[Event]:
    """Time expressions of every sentence with the dates they resolve to (relative ones
    against `reference_date`).
    """
    anchor = reference_date(article)
    events: list[Event] = []
    for sentence in article.sentences:
        seen: set[str] = set()
        for match in TIME_EXPRESSION.finditer(sentence.text):
            when = match.group(0)
            if (
                when.lower() in seen
                or match.group("rel")
                and _named(sentence.text, match.start(), match.end())
            ):
                continue
            seen.add(when.lower())
            date, precision = resolve_date(when, anchor, sentence.text)
            events.append(
                Event(
                    what=event_what(sentence.text, match.start(), match.end()),
                    when_text=when,
                    date=date,
                    date_precision=precision,
                    sentence_id=sentence.id,
                    origin="code",
                    verified=True,
                )
            )
    return events
