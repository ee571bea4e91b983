"""Reading input into `Article`s: files, directories, JSONL and stdin.

`load_inputs` finds and decodes the inputs (refusing binary, empty or malformed ones with
one clear `InputError` line); `agent.ingest.article.make_article` cleans each text.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import InputError
from ..files import confine, read_limited
from ..schemas import Article
from .article import make_article
from .decode import decode_bytes, normalize_text, strip_markdown

log = logging.getLogger("newsbrief.ingest")

MAX_BYTES = 20 * 1024 * 1024
TEXT_SUFFIXES = (".txt", ".md", ".markdown")
DIR_SUFFIXES = (*TEXT_SUFFIXES, ".jsonl")

# --------------------------------------------------------------------------- reading inputs


class _MalformedInput(InputError):
    """A defect inside a file (a bad JSONL line): an error even inside a directory."""


@dataclass
class Record:
    text: str
    source: str
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    explicit: bool = True  # an error (not a skip) when it holds no article text


def load_inputs(
    paths: Sequence[str | os.PathLike[str]], stdin: IO[bytes] | IO[str] | None = None
) -> list[Article]:
    """Read every input into Articles numbered a1..aN in the order given.

    A path may be a .txt/.md file, a directory (its *.txt, *.md, *.markdown, *.jsonl files,
    not recursive, sorted by name), a .jsonl file (one object per line: `text`, optional
    `title`, `outlet` or `source`, `date`, `url`), another file that decodes as text, or '-'
    for stdin (default `sys.stdin.buffer`; read as JSONL when every line is such an object).
    With no paths, `stdin` is read when given. Files in a directory that are empty, binary or
    only boilerplate are skipped with a logged warning; anything named explicitly must hold
    an article, or InputError says why in one line.
    """
    names = check_names(paths, stdin)
    records: list[Record | Skipped] = []
    for name in names:
        records.extend(read_records(name, stdin))
    articles = records_to_articles(records)
    if not articles:
        raise InputError(f"{', '.join(names)}: no readable articles")
    return articles


def check_names(
    paths: Sequence[str | os.PathLike[str]], stdin: IO[bytes] | IO[str] | None
) -> list[str]:
    """The inputs as strings ('-' for stdin when none are given and `stdin` is)."""
    names = [os.fspath(p) for p in paths]
    if not names:
        if stdin is None:
            raise InputError(
                "no input: give article files, a directory, a .jsonl file, or - for stdin"
            )
        names = ["-"]
    if names.count("-") > 1:
        raise InputError("-: stdin can be read only once")
    return names


@dataclass
class ReadOptions:
    """How local inputs are read.

    `roots`: when not None, every file read (a named file, each file of a named directory,
    symlinks followed) must lie inside one of these directories, else InputError; an empty
    list allows no file at all. `skip_bad_lines`: a malformed JSONL line is skipped and
    reported (a `Skipped` record) instead of refusing the whole file.
    """

    roots: Sequence[str | os.PathLike[str]] | None = None
    skip_bad_lines: bool = False


@dataclass
class Skipped:
    """An input record that gave no article: where it was and why. It keeps its position."""

    source: str
    kind: str
    message: str


def read_records(
    name: str, stdin: IO[bytes] | IO[str] | None = None, options: ReadOptions | None = None
) -> list[Record | Skipped]:
    """The article records of one input: a path, a directory, or '-' for stdin."""
    options = options or ReadOptions()
    if name == "-":
        return _read_stdin(stdin, options)
    if options.roots is not None:
        confine(name, options.roots)
    return _read_path(Path(name), name, options)


def records_to_articles(
    records: Sequence[Record | Skipped],
    first: int = 1,
    skipped: list[tuple[int, Skipped]] | None = None,
) -> list[Article]:
    """Clean each record into an Article numbered by its position from a<first>.

    Ids follow positions: a record that gives no article (a `Skipped` one, or a
    non-explicit record holding no article text, which is logged) leaves a gap, so a later
    article keeps its number; such records are appended to `skipped` with the number they
    took, when given. An
    explicit record with no article text raises InputError.
    """
    articles: list[Article] = []
    for offset, rec in enumerate(records):
        index = first + offset
        if isinstance(rec, Skipped):
            bad = rec
        else:
            try:
                article = make_article(rec.text, index=index, source=rec.source, **rec.meta)
            except InputError as err:
                if rec.explicit:
                    raise
                bad = Skipped(rec.source, "no_article", str(err))
            else:
                article.warnings[:0] = rec.warnings
                articles.append(article)
                continue
        if skipped is None:
            log.warning("skipped %s", bad.message)
        else:
            skipped.append((index, bad))
    return articles


def _read_bytes(path: Path, name: str) -> bytes:
    """A regular file's bytes, at most MAX_BYTES (counted while reading): see agent.files."""
    return read_limited(path, limit=MAX_BYTES, name=name)


def _read_path(path: Path, name: str, options: ReadOptions) -> list[Record | Skipped]:
    if path.is_dir():
        return _read_dir(path, name, options)
    data = _read_bytes(path, name)
    if not data.strip():
        raise InputError(f"{name}: file is empty")
    text, warnings = decode_bytes(data, name)
    return _records_from_text(text, name, path.suffix.lower(), warnings, options)


def _records_from_text(
    text: str,
    name: str,
    suffix: str,
    warnings: list[str],
    options: ReadOptions,
    explicit: bool = True,
) -> list[Record | Skipped]:
    if not text.strip():
        raise InputError(f"{name}: file is empty (only whitespace)")
    if suffix == ".jsonl" or (suffix not in TEXT_SUFFIXES and _looks_like_jsonl(text)):
        return _parse_jsonl(text, name, warnings, options.skip_bad_lines)
    if suffix in (".md", ".markdown"):
        text = strip_markdown(text)
    return [Record(text, name, warnings=warnings, explicit=explicit)]


def _read_dir(path: Path, name: str, options: ReadOptions) -> list[Record | Skipped]:
    try:
        entries = sorted(
            p
            for p in path.iterdir()
            if p.suffix.lower() in DIR_SUFFIXES and not p.name.startswith(".")
        )
    except OSError as err:
        raise InputError(f"{name}: cannot list directory ({err.strerror or err})") from None
    records: list[Record | Skipped] = []
    for entry in entries:
        if entry.is_dir():
            continue
        member = str(Path(name) / entry.name)
        try:
            if options.roots is not None:
                confine(entry, options.roots)
            data = _read_bytes(entry, member)
            if not data.strip():
                raise InputError(f"{member}: file is empty")
            text, warnings = decode_bytes(data, member)
            found = _records_from_text(
                text, member, entry.suffix.lower(), warnings, options, explicit=False
            )
        except _MalformedInput:
            raise
        except InputError as err:
            records.append(Skipped(member, "input", str(err)))
            continue
        for rec in found:
            if isinstance(rec, Record):
                rec.explicit = False
        records.extend(found)
    if not records:
        raise InputError(
            f"{name}: no readable articles (looked for *.txt, *.md, *.markdown, *.jsonl)"
        )
    return records


def _read_stdin(stdin: IO[bytes] | IO[str] | None, options: ReadOptions) -> list[Record | Skipped]:
    stream: IO[Any] = stdin if stdin is not None else sys.stdin.buffer
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InputError("<stdin>: input is larger than 20 MB")
    if isinstance(data, str):
        text, warnings = normalize_text(data), list[str]()
    else:
        if not data.strip():
            raise InputError("<stdin>: no text on standard input")
        text, warnings = decode_bytes(data, "<stdin>")
    if not text.strip():
        raise InputError("<stdin>: no text on standard input")
    return _records_from_text(text, "<stdin>", "", warnings, options)


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


def _parse_jsonl(
    text: str, name: str, warnings: list[str], skip_bad_lines: bool = False
) -> list[Record | Skipped]:
    """One record per non-blank line. A malformed line refuses the file (with a hint), or
    with `skip_bad_lines` becomes a `Skipped` record that keeps its position.
    """
    records: list[Record | Skipped] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            records.append(
                _jsonl_record(line, f"{name}:{lineno}", f"{name}: line {lineno}", warnings)
            )
        except _MalformedInput as err:
            if not skip_bad_lines:
                raise _MalformedInput(f"{err} (--skip-bad-lines skips such lines)") from None
            records.append(Skipped(f"{name}:{lineno}", "bad_line", str(err)))
    if not any(isinstance(r, Record) for r in records):
        raise InputError(f"{name}: no articles in the JSONL file")
    return records


def _jsonl_record(line: str, source: str, where: str, warnings: list[str]) -> Record:
    try:
        obj = json.loads(line)
    except ValueError as err:
        raise _MalformedInput(f"{where}: not valid JSON ({getattr(err, 'msg', err)})") from None
    if not isinstance(obj, dict):
        raise _MalformedInput(f'{where}: expected a JSON object with a "text" field')
    body = obj.get("text")
    if not isinstance(body, str) or not body.strip():
        raise _MalformedInput(f'{where}: no non-empty "text" field')
    meta = {}
    for key, target in (
        ("title", "title"),
        ("outlet", "outlet"),
        ("source", "outlet"),
        ("date", "date"),
        ("url", "url"),
    ):
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()) or target in meta:
            continue
        if not isinstance(value, str):
            raise _MalformedInput(f'{where}: field "{key}" must be a string')
        meta[target] = value.strip()
    return Record(body, source, meta, list(warnings), explicit=False)
