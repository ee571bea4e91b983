"""Bounded reads of user-named files: regular files only, a size limit enforced while reading.

Every file newsbrief reads because a user (or a tool call) named it goes through
`read_limited`: articles, HTML pages, feed files, drafts to check, saved briefs, config and
pricing files, JSONL batches. Three things are refused with one `InputError` line, before
or while reading, never after the damage is done:

* anything that is not a regular file once symlinks are followed: a directory, a device
  (`/dev/zero` would never end, `/dev/stdin` would block), a FIFO (opening one blocks until
  a writer comes; it is opened non-blocking and refused), a socket;
* more bytes than `limit`: counted as they arrive, not taken from `st_size` (which is 0
  for devices and files in /proc, and can change while reading);
* a file that cannot be opened or read (missing, no permission): its reason, in words.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .errors import InputError

R = TypeVar("R")

__all__ = [
    "DEFAULT_LIMIT",
    "confine",
    "is_regular",
    "kind_of",
    "read_limited",
    "read_text_limited",
]

DEFAULT_LIMIT = 20 * 1024 * 1024
_CHUNK = 1 << 20


def kind_of(mode: int) -> str:
    """What a file of this `st_mode` is, in words (for refusals)."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _size_words(limit: int) -> str:
    return f"{limit / 2**20:g} MB" if limit >= 2**20 else f"{limit:,} bytes"


def read_limited(
    path: str | os.PathLike[str], *, limit: int = DEFAULT_LIMIT, name: str | None = None
) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them.

    `name` is how messages call the file (default: the path as given). Raises InputError
    for a missing or unreadable file, anything but a regular file, or one larger than
    `limit` (found while reading).
    """
    shown = name if name is not None else os.fspath(path)
    try:
        before = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file or directory") from None
    except OSError as err:
        raise InputError(f"{shown}: cannot read ({err.strerror or err})") from None
    if not stat.S_ISREG(before.st_mode):
        raise InputError(f"{shown}: {kind_of(before.st_mode)}, not a regular file; not read")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise InputError(f"{shown}: cannot read ({err.strerror or err})") from None
    try:
        now = os.fstat(fd)  # what was opened, which may not be what was checked
        if not stat.S_ISREG(now.st_mode):
            raise InputError(f"{shown}: {kind_of(now.st_mode)}, not a regular file; not read")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise InputError(f"{shown}: file is larger than {_size_words(limit)}; not read")
        return b"".join(chunks)
    except OSError as err:
        raise InputError(f"{shown}: cannot read ({err.strerror or err})") from None
    finally:
        os.close(fd)


def read_text_limited(
    path: str | os.PathLike[str], *, limit: int = DEFAULT_LIMIT, name: str | None = None
) -> str:
    """`read_limited` decoded as UTF-8 (a BOM is dropped; bad bytes become U+FFFD)."""
    return read_limited(path, limit=limit, name=name).decode("utf-8-sig", errors="replace")


def is_regular(path: str | os.PathLike[str]) -> bool:
    """True when `path` (symlinks followed) is a regular file."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def confine(path: str | os.PathLike[str], roots: Sequence[str | os.PathLike[str]]) -> Path:
    """`path` resolved (made absolute, every symlink followed), when it lies inside one of
    `roots` (also resolved); else InputError. With no roots, no path is allowed.

    A `../` that climbs out, an absolute path elsewhere, or a symlink inside a root that
    points outside all fail alike. The caller reads the returned path, not the one given.
    """
    shown = os.fspath(path)
    if not roots:
        raise InputError(
            f"{shown}: file paths are not accepted here (no allowed directories); "
            "pass the article as text"
        )
    try:
        target = Path(path).expanduser().resolve(strict=False)
    except (OSError, RuntimeError) as err:  # a symlink loop
        raise InputError(f"{shown}: cannot resolve the path ({err})") from None
    for root in roots:
        base = Path(root).expanduser().resolve(strict=False)
        if target == base or base in target.parents:
            return target
    raise InputError(f"{shown}: outside the allowed directories; not read")


# --------------------------------------------------------------------------- JSONL logs


def append_durably(path: Path, text: str) -> None:
    """Append `text` (whole lines) to `path` and wait until it is on disk."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def whole_records(path: Path, read: Callable[[Any], R]) -> list[R]:
    """The records of a JSONL log that `append_durably` writes, each line's JSON passed
    through `read` (which raises ValueError, KeyError, TypeError or AttributeError for a
    line that is not a record). The first line cut off by a kill, or not a record, ends the
    log: it and everything after it are cut from the file, so the next append starts clean.
    """
    data = path.read_bytes()
    records: list[R] = []
    keep = 0
    for raw in data.splitlines(keepends=True):
        if not raw.endswith(b"\n"):
            break
        try:
            records.append(read(json.loads(raw)))
        except (ValueError, KeyError, TypeError, AttributeError):
            break
        keep += len(raw)
    if keep < len(data):
        with path.open("r+b") as handle:
            handle.truncate(keep)
    return records
