"""Run directories: each finished article is saved as it completes, so a killed run resumes.

Layout of `--run-dir DIR`:
  articles/<key>.json   one finished ArticleBrief with its call records and warnings
  brief.json            the last complete StoryBrief
  .lock                 held (flock) by the run using DIR; it names that run's process id
The key hashes the article's cleaned text and position with everything that changes its
brief (backend, model, prompt versions, token limits), so a changed setting re-does the work.
Files are written to a temporary name, flushed to disk and renamed, so a kill never leaves
half a file. A record that cannot be used (not JSON, not an object, a brief that fails the
schema, unreadable) is ignored with a warning and its article is redone.

One process at a time: `RunDir` takes an exclusive `flock` on `DIR/.lock` when it opens
and releases it in `close()` (the pipeline calls it when the run ends, however it ends). A
run in another process given the same directory meanwhile does not wait: it stops at once
with a `ConfigError` naming the directory and the process that holds it (exit 2 on the
command line). Runs inside one process (the stories of a batch, concurrent API or MCP
calls) share the lock, counted, and only ever write whole files under names of their own.
The kernel drops the lock when its process dies, so a killed run (even SIGKILL) leaves no
stale lock behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..errors import ConfigError, validation_lines
from ..llm.base import Backend
from ..schemas import Article, ArticleBrief, CallRecord, StoryBrief

try:  # POSIX only; elsewhere runs sharing a directory are not kept apart
    import fcntl
except ImportError:  # pragma: no cover - not on Linux or macOS
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from .options import ArticleResult, RunOptions

LOCK_FILE = ".lock"

# Locks this process holds: resolved directory -> [descriptor, runs using it].
_HELD: dict[str, list[int]] = {}
_HELD_LOCK = threading.Lock()


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file, flushed to disk, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class RunDir:
    """A run directory, locked for this run from creation until `close()`."""

    def __init__(self, root: Path, backend: Backend | None, options: RunOptions):
        self.root = Path(root)
        self.warnings: list[str] = []
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ConfigError(
                f"--run-dir {self.root}: cannot create it: {err.strerror or err}"
            ) from None
        if not self.root.is_dir():
            raise ConfigError(f"--run-dir {self.root}: not a directory")
        self._held: str | None = None
        self._lock()
        self._settings = json.dumps(
            {
                "backend": backend.name if backend else "none",
                "model": backend.model if backend else "none",
                "prompts": options.prompt_versions,
                "article_max_tokens": options.article_max_tokens,
                "max_reasks": options.max_reasks,
                "max_chunks": options.max_chunks,
            },
            sort_keys=True,
        )

    # ------------------------------------------------------------------ the lock

    def _lock(self) -> None:
        if fcntl is None:  # pragma: no cover
            return
        key = str(self.root.resolve())
        with _HELD_LOCK:
            held = _HELD.get(key)
            if held is None:
                _HELD[key] = [self._take_lock(), 1]
            else:
                held[1] += 1
        self._held = key

    def _take_lock(self) -> int:
        """Open and flock DIR/.lock for this process; its descriptor."""
        path = self.root / LOCK_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as err:
            raise ConfigError(
                f"--run-dir {self.root}: cannot open its lock file: {err.strerror or err}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f" (process {holder})" if holder else ""
            raise ConfigError(
                f"--run-dir {self.root} is in use by another newsbrief run{who}; wait for it "
                "to finish or give another directory"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return fd

    def close(self) -> None:
        """Release the directory (a second call does nothing)."""
        key, self._held = self._held, None
        if key is None:
            return
        with _HELD_LOCK:
            held = _HELD[key]
            held[1] -= 1
            if held[1] == 0:
                del _HELD[key]
                os.close(held[0])  # closing the descriptor releases the flock

    def __enter__(self) -> RunDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ records

    def _path(self, article: Article) -> Path:
        key = hashlib.sha256(
            f"{article.id}|{article.sha256}|{self._settings}".encode()
        ).hexdigest()[:32]
        return self.root / "articles" / f"{key}.json"

    def save_article(
        self, article: Article, brief: ArticleBrief, calls: list[CallRecord], warnings: list[str]
    ) -> None:
        """Save a finished article; a failed write is a warning (a rerun redoes it)."""
        record: dict[str, Any] = {
            "brief": brief.model_dump(mode="json"),
            "calls": [c.model_dump(mode="json") for c in calls],
            "warnings": warnings,
        }
        path = self._path(article)
        try:
            write_atomic(path, json.dumps(record, ensure_ascii=False, indent=1))
        except OSError as err:
            self.warnings.append(
                f"run dir: could not save {article.id} to {path}: {err.strerror or err}; "
                "a rerun will redo it"
            )

    def load_article(self, article: Article) -> ArticleResult | None:
        """The saved result of `article`, or None (not saved, or a record that cannot be used:
        then a warning says why and the article is redone).
        """
        from .options import ArticleResult

        path = self._path(article)
        if not path.is_file():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(record, dict):
                raise _Damaged(f"a JSON {_json_type(record)}, not an object")
            if not isinstance(record.get("calls"), list):
                raise _Damaged("no list of calls")
            warnings = record.get("warnings", [])
            if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
                raise _Damaged("its warnings are not a list of strings")
            brief = ArticleBrief.model_validate(record.get("brief"))
            calls = [CallRecord.model_validate(c) for c in record["calls"]]
            if brief.article_id != article.id:
                raise _Damaged(f"it holds {brief.article_id}, not {article.id}")
        except _Damaged as err:
            why = str(err)
        except ValidationError as err:
            why = "it fails the schema: " + validation_lines(err, limit=1)[0]
        except UnicodeDecodeError:
            why = "it is not UTF-8 text"
        except ValueError as err:  # json.JSONDecodeError
            why = f"it is not valid JSON ({err})"
        except OSError as err:
            why = f"it cannot be read ({err.strerror or err})"
        else:
            return ArticleResult(brief, calls, list(warnings), resumed=True)
        self.warnings.append(
            f"run dir: ignored the saved record of {article.id} ({path.name}): {why}; "
            "the article was redone"
        )
        return None

    def save_brief(self, brief: StoryBrief) -> None:
        """Save the brief; a failed write is a warning on the brief (which is still returned)."""
        path = self.root / "brief.json"
        try:
            write_atomic(path, brief.model_dump_json(indent=2))
        except OSError as err:
            brief.run.warnings.append(f"run dir: could not save {path}: {err.strerror or err}")


class _Damaged(ValueError):
    """A saved record that parses but is not a record."""


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else type(value).__name__


def _read_pid(fd: int) -> int | None:
    """The process id written in a lock file, when it holds one."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
