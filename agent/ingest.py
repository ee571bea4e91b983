"""Reading input into `Article`s: files, directories, JSONL and stdin.

`load_inputs` finds and decodes the inputs (refusing binary, empty or malformed ones with
one clear `InputError` line), `make_article` cleans one text: boilerplate out
(`agent.textclean`), title / date / outlet detected when not given, sentences split with
ids `aK.sN` and exact character offsets into `Article.text`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import textclean as tc
from .errors import InputError
from .schemas import Article, Sentence
from .textclean import decode_bytes

__all__ = ["MAX_BYTES", "decode_bytes", "load_inputs", "make_article"]

log = logging.getLogger("newsbrief.ingest")

MAX_BYTES = 20 * 1024 * 1024
TEXT_SUFFIXES = (".txt", ".md", ".markdown")
DIR_SUFFIXES = (*TEXT_SUFFIXES, ".jsonl")

# --------------------------------------------------------------------------- reading inputs


class _MalformedInput(InputError):
    """A defect inside a file (a bad JSONL line): an error even inside a directory."""


@dataclass
class _Record:
    text: str
    source: str
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    explicit: bool = True  # an error (not a skip) when it holds no article text


def load_inputs(paths: Sequence[str | os.PathLike[str]], stdin: IO[bytes] | IO[str] | None = None) -> list[Article]:
    """Read every input into Articles numbered a1..aN in the order given.

    A path may be a .txt/.md file, a directory (its *.txt, *.md, *.markdown, *.jsonl files,
    not recursive, sorted by name), a .jsonl file (one object per line: `text`, optional
    `title`, `outlet` or `source`, `date`, `url`), another file that decodes as text, or '-'
    for stdin (default `sys.stdin.buffer`; read as JSONL when every line is such an object).
    With no paths, `stdin` is read when given. Files in a directory that are empty, binary or
    only boilerplate are skipped with a logged warning; anything named explicitly must hold
    an article, or InputError says why in one line.
    """
    names = [os.fspath(p) for p in paths]
    if not names:
        if stdin is None:
            raise InputError("no input: give article files, a directory, a .jsonl file, or - for stdin")
        names = ["-"]
    if names.count("-") > 1:
        raise InputError("-: stdin can be read only once")
    records: list[_Record] = []
    for name in names:
        records.extend(_read_stdin(stdin) if name == "-" else _read_path(Path(name), name))
    articles: list[Article] = []
    for rec in records:
        try:
            article = make_article(rec.text, index=len(articles) + 1, source=rec.source, **rec.meta)
        except InputError as err:
            if rec.explicit:
                raise
            log.warning("skipped %s", err)
            continue
        article.warnings[:0] = rec.warnings
        articles.append(article)
    if not articles:
        raise InputError(f"{', '.join(names)}: no readable articles")
    return articles


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{name}: file is larger than 20 MB ({size / 2**20:.1f} MB)")
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file or directory") from None
    except OSError as err:
        raise InputError(f"{name}: cannot read ({err.strerror or err})") from None


def _read_path(path: Path, name: str) -> list[_Record]:
    if path.is_dir():
        return _read_dir(path, name)
    data = _read_bytes(path, name)
    if not data.strip():
        raise InputError(f"{name}: file is empty")
    text, warnings = decode_bytes(data, name)
    return _records_from_text(text, name, path.suffix.lower(), warnings)


def _records_from_text(text: str, name: str, suffix: str, warnings: list[str], explicit: bool = True) -> list[_Record]:
    if not text.strip():
        raise InputError(f"{name}: file is empty (only whitespace)")
    if suffix == ".jsonl":
        return _parse_jsonl(text, name, warnings)
    if suffix not in TEXT_SUFFIXES and _looks_like_jsonl(text):
        return _parse_jsonl(text, name, warnings)
    if suffix in (".md", ".markdown"):
        text = tc.strip_markdown(text)
    return [_Record(text, name, warnings=warnings, explicit=explicit)]


def _read_dir(path: Path, name: str) -> list[_Record]:
    try:
        entries = sorted(p for p in path.iterdir() if p.suffix.lower() in DIR_SUFFIXES and not p.name.startswith("."))
    except OSError as err:
        raise InputError(f"{name}: cannot list directory ({err.strerror or err})") from None
    records: list[_Record] = []
    for entry in entries:
        if not entry.is_file():
            continue
        member = str(Path(name) / entry.name)
        try:
            data = _read_bytes(entry, member)
            if not data.strip():
                raise InputError(f"{member}: file is empty")
            text, warnings = decode_bytes(data, member)
            found = _records_from_text(text, member, entry.suffix.lower(), warnings, explicit=False)
        except _MalformedInput:
            raise
        except InputError as err:
            log.warning("skipped %s", err)
            continue
        for rec in found:
            rec.explicit = False
        records.extend(found)
    if not records:
        raise InputError(f"{name}: no readable articles (looked for *.txt, *.md, *.markdown, *.jsonl)")
    return records


def _read_stdin(stdin: IO[bytes] | IO[str] | None) -> list[_Record]:
    stream: IO[Any] = stdin if stdin is not None else sys.stdin.buffer
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InputError("<stdin>: input is larger than 20 MB")
    if isinstance(data, str):
        text, warnings = tc.normalize_text(data), list[str]()
    else:
        if not data.strip():
            raise InputError("<stdin>: no text on standard input")
        text, warnings = decode_bytes(data, "<stdin>")
    if not text.strip():
        raise InputError("<stdin>: no text on standard input")
    return _records_from_text(text, "<stdin>", "", warnings)


def _looks_like_jsonl(text: str) -> bool:
    lines = [ln for ln in text.split("\n") if ln.strip()]
    for line in lines:
        if not line.lstrip().startswith("{"):
            return False
        try:
            obj = json.loads(line)
        except ValueError:
            return False
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            return False
    return bool(lines)


def _parse_jsonl(text: str, name: str, warnings: list[str]) -> list[_Record]:
    records = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{name}: line {lineno}"
        try:
            obj = json.loads(line)
        except ValueError as err:
            raise _MalformedInput(f"{where}: not valid JSON ({getattr(err, 'msg', err)})") from None
        if not isinstance(obj, dict):
            raise _MalformedInput(f"{where}: expected a JSON object with a \"text\" field")
        body = obj.get("text")
        if not isinstance(body, str) or not body.strip():
            raise _MalformedInput(f"{where}: no non-empty \"text\" field")
        meta = {}
        for key, target in (("title", "title"), ("outlet", "outlet"), ("source", "outlet"), ("date", "date"),
                            ("url", "url")):
            value = obj.get(key)
            if value is None or (isinstance(value, str) and not value.strip()) or target in meta:
                continue
            if not isinstance(value, str):
                raise _MalformedInput(f"{where}: field \"{key}\" must be a string")
            meta[target] = value.strip()
        records.append(_Record(body, f"{name}:{lineno}", meta, list(warnings), explicit=False))
    if not records:
        raise InputError(f"{name}: no articles in the JSONL file")
    return records


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
    found_dates: list[tc.DateMatch] = field(default_factory=list)  # best first


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
    detected near the top (see `textclean.parse_date_line` for how 03-04-2016 and
    04/03/2016 are read) and their lines leave the body. Raises InputError when no
    article text is left.
    """
    lines, removed = _clean_lines(text)
    warnings: list[str] = []
    meta = _Meta(title=(title or "").strip() or None, outlet=(outlet or "").strip() or None)
    _take_metadata(lines, meta, removed)
    _resolve_date(meta, date, warnings)
    body = _join(lines)
    if not body:
        raise InputError(f"{source}: no article text (empty or only boilerplate)")
    sentences = [
        Sentence(id=f"a{index}.s{n}", text=body[a:b], start=a, end=b)
        for n, (a, b) in enumerate(tc.split_sentences(body), 1)
    ]
    return Article(
        id=f"a{index}", source=source, title=meta.title, outlet=meta.outlet, date=meta.date,
        date_text=meta.date_text, url=(url or "").strip() or None, text=body, sentences=sentences,
        removed_lines=removed, warnings=warnings, sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(),
    )


def _clean_lines(text: str) -> tuple[list[_Line], list[str]]:
    raw = [tc.clean_line(line) for line in tc.normalize_text(text).split("\n")]
    removed: list[str] = []
    for i, line in enumerate(raw):
        raw[i], pieces = tc.strip_pic_links(line)
        removed.extend(pieces)
    kept: list[_Line] = []
    gap = False
    for line, verdict in zip(raw, tc.classify_lines(raw), strict=True):
        if not line:
            gap = bool(kept)
        elif not verdict.keep:
            removed.append(line)
        else:
            kept.append(_Line(line, gap))
            gap = False
    return kept, removed


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
    date_idx = next((i for i in top if tc.parse_date_line(lines[i].text)), None)
    published: list[tc.DateMatch] = []
    updated: list[tc.DateMatch] = []
    outlet: str | None = None
    for i in top:
        found = tc.parse_meta_line(lines[i].text) if i != date_idx else None
        if found:
            lines[i].drop = True
            removed.append(lines[i].text)
            (updated if found.date_kind == "updated" else published).extend([found.date] if found.date else [])
            outlet = outlet or found.outlet
    if date_idx is not None:
        lines[date_idx].drop = True
        meta.found_dates.append(tc.parse_date_line(lines[date_idx].text))  # type: ignore[arg-type]
    meta.found_dates[:0] = published
    meta.found_dates.extend(updated)
    if not meta.found_dates:
        _take_leading_date(lines, meta)
    if meta.outlet is None and outlet:
        meta.outlet = outlet
    if date_idx is not None and not any(not ln.drop for ln in lines[:date_idx]):
        _take_outlet_near(lines, meta, date_idx, None, offsets=(1,))  # '20-05-2016 / Rudaw' opening the text
    title_idx = _take_title(lines, meta)
    if date_idx is not None:
        _take_outlet_near(lines, meta, date_idx, title_idx)


def _take_leading_date(lines: list[_Line], meta: _Meta) -> None:
    """'Saturday, March 26, 2005 Up to four times...': the date is taken, the text stays."""
    for line in lines[:3]:
        if line.drop:
            continue
        found = tc.leading_date(line.text, numeric=False)
        if found:
            meta.found_dates.append(found)
            line.text = line.text[found.end:].lstrip()
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
    short = skipped_meta or tc.word_count(lines[nxt].text) <= 30
    candidate, lead = line.text, tc.leading_date(line.text, numeric=True)
    if lead:
        candidate = line.text[lead.end:].strip()
    if not tc.looks_like_title(candidate, has_body_after=True, gap_after=gap_after, next_short=short):
        return None
    meta.title = candidate
    if lead:
        meta.found_dates.append(lead)
    line.drop = True
    return first


def _take_outlet_near(
    lines: list[_Line], meta: _Meta, date_idx: int, title_idx: int | None, offsets: tuple[int, ...] = (1, -1)
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
        has_body_after = any(not ln.drop for ln in lines[j + 1:])
        if has_body_after and tc.looks_like_outlet(text):
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
        parsed = tc.parse_date_value(given)
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
