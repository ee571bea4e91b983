"""One text to one `Article`: boilerplate out, title / date / outlet detected when not given,
sentences split with ids `aK.sN` and exact character offsets into `Article.text`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from ..errors import InputError
from ..schemas import Article, DateEvidence, Sentence
from .boilerplate import classify_lines, strip_pic_links, word_count
from .decode import clean_line, normalize_text
from .metadata import (
    DateMatch,
    dateline_date,
    find_dates,
    leading_date,
    looks_like_outlet,
    looks_like_title,
    parse_date_line,
    parse_date_value,
    parse_meta_line,
)
from .segment import split_sentences

# --------------------------------------------------------------------------- one article

_TOP = 6  # metadata is looked for in the first few kept lines


@dataclass
class _Line:
    text: str
    gap: bool  # a blank line came before it
    drop: bool = False


@dataclass
class _Meta:
    title: str | None = None
    outlet: str | None = None
    date: dt.date | None = None
    date_text: str | None = None
    found_dates: list[DateMatch] = field(default_factory=list)  # best first
    evidence: list[DateEvidence] = field(default_factory=list)  # every date line, byline...


def make_article(
    text: str,
    *,
    index: int,
    source: str,
    title: str | None = None,
    outlet: str | None = None,
    date: str | dt.date | None = None,
    url: str | None = None,
) -> Article:
    """Clean one article text and split it into sentences `a{index}.s1..`.

    Boilerplate lines go to `removed_lines`. A title, date and outlet not given are
    detected near the top (see `metadata.parse_date_line` for how 03-04-2016 and
    04/03/2016 are read) and their lines leave the body. Dates stated in date lines,
    bylines, a wire dateline and photo captions are kept in `date_evidence` (caption lines
    still leave the body). Raises InputError when no article text is left.
    """
    lines, removed, captions = _clean_lines(text)
    warnings: list[str] = []
    meta = _Meta(title=(title or "").strip() or None, outlet=(outlet or "").strip() or None)
    _take_metadata(lines, meta, removed)
    _resolve_date(meta, date, warnings)
    body = _join(lines)
    if not body:
        raise InputError(f"{source}: no article text (empty or only boilerplate)")
    opening = next((ln.text for ln in lines if not ln.drop), "")
    if found := dateline_date(opening):
        meta.evidence.append(DateEvidence(date=found.date, text=found.text, where="dateline"))
    meta.evidence += _caption_dates(captions)
    sentences = [
        Sentence(id=f"a{index}.s{n}", text=body[a:b], start=a, end=b)
        for n, (a, b) in enumerate(split_sentences(body), 1)
    ]
    return Article(
        id=f"a{index}",
        source=source,
        title=meta.title,
        outlet=meta.outlet,
        date=meta.date,
        date_text=meta.date_text,
        url=(url or "").strip() or None,
        text=body,
        sentences=sentences,
        removed_lines=removed,
        warnings=warnings,
        date_evidence=meta.evidence,
        sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(),
    )


def _clean_lines(text: str) -> tuple[list[_Line], list[str], list[str]]:
    """Kept lines, removed lines, and the removed lines that are photo captions."""
    raw = [clean_line(line) for line in normalize_text(text).split("\n")]
    removed: list[str] = []
    captions: list[str] = []
    for i, line in enumerate(raw):
        raw[i], pieces = strip_pic_links(line)
        removed.extend(pieces)
    kept: list[_Line] = []
    gap = False
    for line, verdict in zip(raw, classify_lines(raw), strict=True):
        if not line:
            gap = bool(kept)
        elif not verdict.keep:
            removed.append(line)
            if verdict.reason == "caption":
                captions.append(line)
        else:
            kept.append(_Line(line, gap))
            gap = False
    return kept, removed, captions


_FILE_PHOTO = re.compile(r"\bfile\b|\barchives?\b", re.I)


def _caption_dates(captions: list[str]) -> list[DateEvidence]:
    """The dates photo captions give ('... in Geneva on September 10, 2016. (AFP)'): a photo
    is taken before the article is written. File and archive photos date nothing.
    """
    return [
        DateEvidence(date=found.date, text=found.text, where="caption")
        for line in captions
        if not _FILE_PHOTO.search(line)
        for found in find_dates(line)
    ]


def _join(lines: list[_Line]) -> str:
    parts: list[str] = []
    gap = False
    for line in lines:
        gap = gap or line.gap
        if line.drop:
            continue
        if parts:
            parts.append("\n\n" if gap else "\n")
        parts.append(line.text)
        gap = False
    return "".join(parts)


def _take_metadata(lines: list[_Line], meta: _Meta, removed: list[str]) -> None:
    """Find date, byline, title and outlet lines near the top; mark them dropped."""
    top = range(min(_TOP, len(lines)))
    date_idx = next((i for i in top if parse_date_line(lines[i].text)), None)
    published: list[DateMatch] = []
    updated: list[DateMatch] = []
    outlet: str | None = None
    for i in top:
        found = parse_meta_line(lines[i].text) if i != date_idx else None
        if found:
            lines[i].drop = True
            removed.append(lines[i].text)
            (updated if found.date_kind == "updated" else published).extend(
                [found.date] if found.date else []
            )
            if found.date:
                meta.evidence.append(_evidence(found.date, "byline"))
            outlet = outlet or found.outlet
    if date_idx is not None:
        lines[date_idx].drop = True
        line_date = parse_date_line(lines[date_idx].text)
        assert line_date is not None
        meta.found_dates.append(line_date)
        meta.evidence.append(_evidence(line_date, "date line"))
    meta.found_dates[:0] = published
    meta.found_dates.extend(updated)
    if not meta.found_dates:
        _take_leading_date(lines, meta)
    if meta.outlet is None and outlet:
        meta.outlet = outlet
    if date_idx is not None and not any(not ln.drop for ln in lines[:date_idx]):
        _take_outlet_near(
            lines, meta, date_idx, None, offsets=(1,)
        )  # '20-05-2016 / Rudaw' opening the text
    title_idx = _take_title(lines, meta)
    if date_idx is not None:
        _take_outlet_near(lines, meta, date_idx, title_idx)


def _evidence(found: DateMatch, where: str) -> DateEvidence:
    return DateEvidence(date=found.date, text=found.text, where=where)  # type: ignore[arg-type]


def _take_leading_date(lines: list[_Line], meta: _Meta) -> None:
    """'Saturday, March 26, 2005 Up to four times...': the date is taken, the text stays."""
    for line in lines[:3]:
        if line.drop:
            continue
        found = leading_date(line.text, numeric=False)
        if found:
            meta.found_dates.append(found)
            meta.evidence.append(_evidence(found, "date line"))
            line.text = line.text[found.end :].lstrip()
            return


def _take_title(lines: list[_Line], meta: _Meta) -> int | None:
    first = next((i for i in range(min(_TOP, len(lines))) if not lines[i].drop), None)
    if first is None:
        return None
    line = lines[first]
    if meta.title is not None:
        if " ".join(line.text.split()).casefold() == " ".join(meta.title.split()).casefold():
            line.drop = True
            return first
        return None
    after = [j for j in range(first + 1, len(lines)) if not lines[j].drop]
    if not after:
        return None
    nxt = after[0]
    skipped_meta = nxt > first + 1
    gap_after = lines[nxt].gap or any(lines[j].gap for j in range(first + 1, nxt))
    short = skipped_meta or word_count(lines[nxt].text) <= 30
    candidate, lead = line.text, leading_date(line.text, numeric=True)
    if lead:
        candidate = line.text[lead.end :].strip()
    if not looks_like_title(candidate, has_body_after=True, gap_after=gap_after, next_short=short):
        return None
    meta.title = candidate
    if lead:
        meta.found_dates.append(lead)
        meta.evidence.append(_evidence(lead, "date line"))
    line.drop = True
    return first


def _take_outlet_near(
    lines: list[_Line],
    meta: _Meta,
    date_idx: int,
    title_idx: int | None,
    offsets: tuple[int, ...] = (1, -1),
) -> None:
    """An outlet name on the line just under (or above) the date line."""
    for j in (date_idx + k for k in offsets):
        if not 0 <= j < len(lines) or j == title_idx or lines[j].drop:
            continue
        text = lines[j].text
        if meta.outlet is not None:
            if text.casefold() == meta.outlet.casefold():
                lines[j].drop = True
            continue
        has_body_after = any(not ln.drop for ln in lines[j + 1 :])
        if has_body_after and looks_like_outlet(text):
            meta.outlet = text
            lines[j].drop = True
            return


def _resolve_date(meta: _Meta, given: str | dt.date | None, warnings: list[str]) -> None:
    if isinstance(given, dt.datetime):
        given = given.date()
    if isinstance(given, dt.date):
        meta.date, meta.date_text = given, given.isoformat()
        return
    if isinstance(given, str) and given.strip():
        parsed = parse_date_value(given)
        if parsed:
            meta.date, meta.date_text = parsed.date, given.strip()
            return
        warnings.append(f"could not read the given date {given.strip()!r}")
    if meta.found_dates:
        found = meta.found_dates[0]
        meta.date, meta.date_text = found.date, found.text
        if found.ambiguous:
            warnings.append(
                f"date {found.text!r} is ambiguous; read as {found.date.isoformat()} "
                "(day-first for '-' and '.', month-first for '/')"
            )
