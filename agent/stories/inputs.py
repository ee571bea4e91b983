"""Batch input: stories read from a JSONL file or a directory of story folders.

* JSONL: one story per line, `{"id": ..., "articles": [...]}`; an article is an object with
  `text` and optional `title`, `source` (or `outlet`), `date`, `url` (other keys, such as a
  dataset's bookkeeping, are ignored), or a path to a .txt/.md file (relative to the JSONL
  file). The format of ../shared/evalsets/benchmark-dev.jsonl is one.
* a directory: every sub-folder is a story (its name is the id) whose .txt/.md/.jsonl
  files are its articles, read as `newsbrief summarize FOLDER` reads them.

A line that cannot be used (not JSON, no articles, an article without text, a repeated id)
becomes a story with `problem` set: the batch records it as failed with an InputError and
goes on with the others.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..files import read_limited

MAX_BATCH_BYTES = 1024 * 1024 * 1024  # a batch file: thousands of stories

__all__ = ["StoryInput", "read_stories", "safe_name"]

ARTICLE_KEYS = {
    "text": "text",
    "title": "title",
    "source": "outlet",
    "outlet": "outlet",
    "date": "date",
    "url": "url",
}
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".jsonl")


@dataclass
class StoryInput:
    """One story to brief: its id, its articles (dicts or paths) or the problem that stops it."""

    id: str
    articles: list[dict[str, Any] | str] = field(default_factory=list)
    problem: str | None = None
    origin: str = ""


def safe_name(story_id: str) -> str:
    """A file name for a story id: safe characters kept, a short hash added when changed."""
    name = re.sub(r"[^A-Za-z0-9._+-]", "_", story_id).strip("._")[:80] or "story"
    if name != story_id:
        name += "-" + hashlib.sha1(story_id.encode("utf-8")).hexdigest()[:8]
    return name


def _article(obj: Any, base: Path, where: str) -> dict[str, Any] | str:
    if isinstance(obj, str):
        path = Path(obj) if Path(obj).is_absolute() else base / obj
        if not path.exists():
            raise InputError(f"{where}: no such file: {obj}")
        return str(path)
    if not isinstance(obj, dict):
        raise InputError(f"{where}: an article must be an object with 'text' or a path")
    if not isinstance(obj.get("text"), str) or not obj["text"].strip():
        raise InputError(f"{where}: the article has no 'text'")
    article: dict[str, Any] = {}
    for key, target in ARTICLE_KEYS.items():
        value = obj.get(key)
        if value is not None and target not in article:
            article[target] = str(value)
    return article


def _story_from_line(line: str, number: int, base: Path, name: str) -> StoryInput:
    where = f"{name}:{number}"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        return StoryInput(
            id=f"line-{number}", problem=f"{where}: not JSON ({err.msg})", origin=where
        )
    if not isinstance(obj, dict):
        return StoryInput(
            id=f"line-{number}", problem=f"{where}: expected a JSON object", origin=where
        )
    story_id = str(obj.get("id") or f"line-{number}")
    raw = obj.get("articles")
    if not isinstance(raw, list) or not raw:
        return StoryInput(
            id=story_id, problem=f"{where}: 'articles' must be a non-empty list", origin=where
        )
    try:
        articles = [
            _article(item, base, f"{where} article {k}") for k, item in enumerate(raw, start=1)
        ]
    except InputError as err:
        return StoryInput(id=story_id, problem=str(err), origin=where)
    return StoryInput(id=story_id, articles=articles, origin=where)


def _read_jsonl(path: Path) -> list[StoryInput]:
    try:
        text = read_limited(path, limit=MAX_BATCH_BYTES).decode("utf-8")
    except InputError as err:
        raise InputError(f"cannot read the batch file: {err}") from None
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: cannot read the batch file: {err}") from None
    stories = [
        _story_from_line(line, n, path.parent, path.name)
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]
    return stories


def _read_dir(path: Path) -> list[StoryInput]:
    stories = []
    for folder in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        has_files = any(f.suffix.lower() in TEXT_SUFFIXES for f in folder.iterdir() if f.is_file())
        problem = (
            None if has_files else f"{folder}: no .txt/.md/.jsonl articles in the story folder"
        )
        stories.append(
            StoryInput(
                id=folder.name,
                articles=[str(folder)] if has_files else [],
                problem=problem,
                origin=str(folder),
            )
        )
    return stories


def read_stories(path: str | Path) -> list[StoryInput]:
    """The stories of a batch input, in input order; repeated ids after the first fail alone."""
    where = Path(path)
    if where.is_dir():
        stories = _read_dir(where)
    elif where.is_file():
        stories = _read_jsonl(where)
    else:
        raise InputError(f"{where}: no such file or directory")
    if not stories:
        raise InputError(f"{where}: no stories found (expected JSONL lines or story folders)")
    seen: set[str] = set()
    for story in stories:
        if story.id in seen:
            story.problem = story.problem or f"{story.origin}: story id {story.id!r} is repeated"
            story.id = f"{story.id}@{story.origin.rsplit(':', 1)[-1]}"
        seen.add(story.id)
    return stories


def part_of(stories: Sequence[StoryInput], part: int, parts: int) -> list[StoryInput]:
    """The stories of part `part` (1-based) of `parts`: those whose id hashes there (CRC-32
    of the id), so N processes, one per part, share out a batch with no coordination and
    every story lands in exactly one part whatever the input order.
    """
    if not 1 <= part <= parts:
        raise InputError(f"part {part}/{parts}: the part must be between 1 and {parts}")
    return [s for s in stories if zlib.crc32(s.id.encode("utf-8")) % parts == part - 1]
