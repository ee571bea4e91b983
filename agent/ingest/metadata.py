"""Publication dates, titles, bylines and outlets found in the first lines of an article."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .boilerplate import is_ui_line, word_count
from .segment import split_line

# --------------------------------------------------------------------------- dates

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_WEEKDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6}\.?"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_DATE_FORMS = [
    ("ymd", rf"(?P<y>{_YEAR})(?P<sep>[-/.])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}})"),
    ("num", rf"(?P<a>\d{{1,2}})(?P<sep>[-/.])(?P<b>\d{{1,2}})(?P=sep)(?P<y>{_YEAR})"),
    ("mdy", rf"(?P<mon>{_MONTH})\s+(?P<d>{_DAY}),?\s+(?P<y>{_YEAR})"),
    ("dmy", rf"(?P<d>{_DAY})\s+(?:of\s+)?(?P<mon>{_MONTH}),?\s+(?P<y>{_YEAR})"),
]
_TIME = (
    r"(?:\s*(?:,|at|\||-|–|—|T)?\s*\d{1,2}[:.h]\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?\s?m\.?)?"
    r"(?:\s*(?:Z|[+-]\d{2}:?\d{2}|(?:GMT|UTC)(?:\s?[+-]\s?\d{1,2}(?::?\d{2})?)?|[A-Z]{2,4}))?)?"
)
_DATE_ONLY = [
    (kind, re.compile(rf"\s*(?:{_WEEKDAY},?\s+)?{form}{_TIME}\s*[.,]?\s*", re.I))
    for kind, form in _DATE_FORMS
]
_DATE_ANY = [
    (kind, re.compile(rf"(?<![\w/.-]){form}(?![\w/-]|\.\d)", re.I)) for kind, form in _DATE_FORMS
]
_WEEKDAY_LEAD = [
    (kind, re.compile(rf"\s*{_WEEKDAY},?\s+{form}(?:,|\s*[-–—:])?\s*(?=[A-Z“\"'‘(])", re.I))
    for kind, form in _DATE_FORMS
    if kind in ("mdy", "dmy")
]
_YMD_LEAD = re.compile(
    rf"\s*(?P<y>{_YEAR})(?P<sep>[-/.])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}})\s+(?=\S)"
)


@dataclass(frozen=True)
class DateMatch:
    date: dt.date
    text: str  # as written
    start: int
    end: int
    ambiguous: bool = False


def _build(kind: str, m: re.Match[str]) -> tuple[dt.date, bool] | None:
    ambiguous = False
    try:
        year = int(m.group("y"))
        if kind == "ymd":
            month, day = int(m.group("m")), int(m.group("d"))
        elif kind == "num":
            a, b = int(m.group("a")), int(m.group("b"))
            if a > 12:
                day, month = a, b
            elif b > 12:
                month, day = a, b
            else:
                ambiguous = a != b
                day, month = (a, b) if m.group("sep") in "-." else (b, a)
        else:
            month = _MONTHS[m.group("mon").lower()[:3]]
            day = int(re.match(r"\d+", m.group("d")).group())  # type: ignore[union-attr]
        return dt.date(year, month, day), ambiguous
    except (ValueError, KeyError):
        return None


def parse_date_line(line: str) -> DateMatch | None:
    """The date when `line` is only a date (weekday and time allowed), else None.

    Numeric dates: a part above 12 decides day vs month; otherwise day-first for '-' and
    '.' separators (20-05-2016, 03.04.2016) and month-first for '/' (04/03/2016), and the
    match is marked ambiguous. Year-first dates (2005/01/08) are always year-month-day.
    """
    for kind, rx in _DATE_ONLY:
        m = rx.fullmatch(line)
        if m:
            built = _build(kind, m)
            if built:
                return DateMatch(
                    built[0], line.strip().rstrip(".,").strip(), 0, len(line), built[1]
                )
    return None


def find_date(text: str) -> DateMatch | None:
    """The first date written anywhere in `text` (same rules as `parse_date_line`)."""
    best: DateMatch | None = None
    for kind, rx in _DATE_ANY:
        for m in rx.finditer(text):
            built = _build(kind, m)
            if built and (best is None or m.start() < best.start):
                best = DateMatch(built[0], m.group(), m.start(), m.end(), built[1])
                break
    return best


def find_dates(text: str) -> list[DateMatch]:
    """Every date written in `text`, in text order (same rules as `parse_date_line`)."""
    found: dict[int, DateMatch] = {}
    for kind, rx in _DATE_ANY:
        for m in rx.finditer(text):
            built = _build(kind, m)
            if built and not any(d.start <= m.start() < d.end for d in found.values()):
                found[m.start()] = DateMatch(built[0], m.group(), m.start(), m.end(), built[1])
    return [found[k] for k in sorted(found)]


_DATELINE = re.compile(
    r"\s*(?P<place>[A-Z][A-Z.'’-]+(?:\s+[A-Z][A-Z.'’-]+)*),\s*(?P<rest>[^—–()]{4,80}?)\s*"
    r"(?:\([^()]{1,40}\)\s*)?(?:[—–]|--|\s-\s)"
)


def dateline_date(line: str) -> DateMatch | None:
    """The date of a wire dateline opening the body: 'GENEVA, Sept. 10, 2016 (Reuters) -'.

    The place must be in capitals and the date, written in full, must end the dateline (a
    dateline without the year, 'GENEVA, Sept. 10 -', dates nothing on its own).
    """
    m = _DATELINE.match(line)
    if not m or len(m.group("place").replace(".", "")) < 2:
        return None
    rest = m.group("rest").rstrip(" ,")
    dates = find_dates(rest)
    if not dates or dates[-1].end != len(rest):
        return None
    last = dates[-1]
    before = rest[: last.start].replace(",", " ").split()
    if len(before) > 4 or not all(w[0].isupper() for w in before):
        return None  # 'US, Russia agree on May 3, 2016 - ...' is a sentence, not a dateline
    offset = m.start("rest")
    return DateMatch(last.date, last.text, offset + last.start, offset + last.end, last.ambiguous)


def leading_date(line: str, *, numeric: bool) -> DateMatch | None:
    """A date opening a line that goes on with text: 'Saturday, March 26, 2005 Up to...'
    (weekday required) or, with numeric=True, '2005/01/08 Tsunami aid...'.
    """
    forms = [("ymd", _YMD_LEAD)] if numeric else _WEEKDAY_LEAD
    for kind, rx in forms:
        m = rx.match(line)
        if m:
            built = _build(kind, m)
            if built:
                return DateMatch(built[0], m.group().strip(" ,:-–—"), 0, m.end(), built[1])
    return None


def parse_date_value(value: str) -> DateMatch | None:
    """Parse a date given as metadata (ISO, the formats above, or whatever dateutil reads)."""
    value = value.strip()
    try:
        return DateMatch(
            dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date(), value, 0, len(value)
        )
    except ValueError:
        pass
    found = parse_date_line(value) or find_date(value)
    if found:
        return DateMatch(found.date, value, 0, len(value), found.ambiguous)
    return _dateutil_date(value)


def _dateutil_date(value: str) -> DateMatch | None:
    """Dateutil as a last resort, refusing values that lack a day or a month."""
    try:
        from dateutil import parser as du_parser

        one = du_parser.parse(value, default=dt.datetime(2000, 1, 1))
        two = du_parser.parse(value, default=dt.datetime(2001, 2, 2))
    except (ImportError, ValueError, OverflowError, TypeError):
        return None
    return DateMatch(one.date(), value, 0, len(value)) if one.date() == two.date() else None


# --------------------------------------------------------------------------- title, byline, outlet

_SMALL_WORDS = frozenset("of the and & de al el la le du di da von van for on in at a an".split())
_META_PREFIX = re.compile(
    r"(?P<kind>(?:first |originally )?published|posted|updated|last updated|last modified|dated?"
    r"|publication date)"
    r"(?: on| at)?\s*[:\-–—]?\s*(?P<rest>.*)",
    re.I,
)
_BYLINE = re.compile(
    r"(?:[Bb]y|BY)\s+[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|&|de|van|von|al|bin|la))*", re.U
)
_SOURCE = re.compile(r"(?:source|via)\s*:\s*(?P<outlet>\S.*)", re.I)
_SEGMENT_SPLIT = re.compile(r"\s*[|•·]\s*")
_ABBREV_END = re.compile(r"(?:\b(?:[A-Za-z]\.){2,}|\b(?:Jr|Sr|Inc|Co|Corp|Ltd|St)\.)$")


@dataclass(frozen=True)
class MetaLine:
    """What a dateline / byline near the top says (any part may be None)."""

    date: DateMatch | None
    date_kind: str | None  # "published" or "updated"
    outlet: str | None


def looks_like_outlet(line: str) -> bool:
    """1-4 capitalised words, no sentence punctuation, not a date or a UI word."""
    words = line.split()
    if not 1 <= len(words) <= 4 or len(line) > 40 or re.search(r"[,;:!?\"“”()]|\.(?!\w)", line):
        return False
    if not all(w[0].isupper() or w[0].isdigit() or w.lower() in _SMALL_WORDS for w in words):
        return False
    if (
        words[0].lower() in _SMALL_WORDS - {"the", "al", "el", "la", "le"}
        or words[0].lower() == "by"
    ):
        return False
    return not (line.replace(" ", "").isdigit() or find_date(line) or is_ui_line(line))


def looks_like_title(line: str, *, has_body_after: bool, gap_after: bool, next_short: bool) -> bool:
    """A short headline line: <= 200 chars and 25 words, one sentence, no closing period
    (except after an abbreviation such as 'U.S.'), followed by a blank or a short line.
    """
    if not has_body_after or not (gap_after or next_short):
        return False
    if len(line) > 200 or not 1 <= word_count(line) <= 25:
        return False
    if not (line[0].isupper() or line[0].isdigit() or line[0] in "\"'“‘"):
        return False
    if re.search(r"[,;:]$", line) or (line.endswith(".") and not _ABBREV_END.search(line)):
        return False
    return len(split_line(line)) <= 1


def parse_meta_line(line: str) -> MetaLine | None:
    """A dateline/byline such as 'Published: May 3, 2021', 'By Jane Doe | Daily Planet',
    'Source: Daily Planet' or 'By Jane Doe | Updated 4 May 2021'. None for anything else.
    """
    if word_count(line) > 20:
        return None
    segments = [seg for seg in _SEGMENT_SPLIT.split(line.strip()) if seg]
    date: DateMatch | None = None
    kind: str | None = None
    outlet: str | None = None
    strong = False
    pending: list[str] = []
    for seg in segments:
        prefix = _META_PREFIX.fullmatch(seg)
        found = find_date(prefix.group("rest")) if prefix else None
        if prefix and found:
            strong = True
            updated = re.match(r"(?:last )?(?:updated|modified)", prefix.group("kind"), re.I)
            seg_kind = "updated" if updated else "published"
            if date is None or (kind == "updated" and seg_kind == "published"):
                date, kind = found, seg_kind
        elif parse_date_line(seg):
            date = date or parse_date_line(seg)
            kind = kind or "published"
        elif _BYLINE.fullmatch(seg) and word_count(seg) <= 8:
            strong = True
        elif _SOURCE.fullmatch(seg) and word_count(seg) <= 7:
            strong, outlet = True, outlet or _SOURCE.fullmatch(seg).group("outlet").strip()  # type: ignore[union-attr]
        elif looks_like_outlet(seg):
            pending.append(seg)
        else:
            return None
    if not strong:
        return None
    if outlet is None and len(pending) == 1:
        outlet = pending[0]
    return MetaLine(date, kind if date else None, outlet)
