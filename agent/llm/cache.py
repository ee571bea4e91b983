"""A response cache on disk, on by default: the same request is answered once.

`CachedBackend` wraps any backend of `agent.llm.base`. A reply is stored in one SQLite file
(`responses.sqlite3` in `platformdirs.user_cache_dir("newsbrief")`, or in `cache_dir`),
keyed by the SHA-256 of the endpoint, the model, the prompt version and the full request
(messages, schema and its name, mode, temperature, max tokens, seed). The file doubles as
an inspectable call log: each row keeps the request, the reply, its token counts, when it
was made and last used, and how often it was served again::

    sqlite3 ~/.cache/newsbrief/responses.sqlite3 \
        "select datetime(created,'unixepoch'), model, mode, hits, length(reply) from responses"

Only good replies are kept: an error (the inner backend raised), a refusal, an empty reply,
or one cut short (`finish_reason` "length" or "content_filter") is never stored, so the
next run asks again. The one failure that is kept is an endpoint's refusal of a structured
mode (`ModeRejected`: "this server does not do json_schema"): it is a fact about the
endpoint, not a mishap, and keeping it lets a re-run fall back to the next mode the way the
first run did without asking again (so a re-run makes zero model calls).

The contents are kept under `max_mb`; when over, the rows used least
recently go first. The file is shared safely by threads (one connection behind a lock;
model calls run outside it) and by processes (WAL journal, busy timeout). A cache file that
cannot be opened or read (corrupt, not a database, newer layout, read-only) gives one
logged warning and the run goes on without the cache; it never fails a run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from .base import Backend, Completion, Delegating, ModeRejected, Request

__all__ = ["CACHE_FILE", "DEFAULT_MAX_MB", "CachedBackend", "default_cache_dir", "endpoint_of"]

log = logging.getLogger("newsbrief.cache")

CACHE_FILE = "responses.sqlite3"
DEFAULT_MAX_MB = 256.0
SCHEMA_VERSION = 2  # 2: the running total of sizes (`cache_size`), kept by triggers
BUSY_TIMEOUT_MS = 10_000
SETUP_TRIES = 8  # opening a new cache file that another process is creating at the same time
UNCACHEABLE_FINISH = frozenset({"length", "content_filter"})

_SCHEMA = """
create table if not exists responses (
    key text primary key,
    created real not null,
    last_used real not null,
    hits integer not null default 0,
    endpoint text,
    backend text,
    model text,
    prompt_version text,
    mode text,
    request text not null,
    reply text not null,
    rejected text,
    prompt_tokens integer not null default 0,
    completion_tokens integer not null default 0,
    finish_reason text,
    size integer not null
);
create index if not exists responses_last_used on responses(last_used);
create table if not exists cache_size (
    id integer primary key check (id = 0),
    bytes integer not null
);
insert or ignore into cache_size (id, bytes) select 0, coalesce(sum(size), 0) from responses;
create trigger if not exists responses_added after insert on responses
    begin update cache_size set bytes = bytes + new.size where id = 0; end;
create trigger if not exists responses_removed after delete on responses
    begin update cache_size set bytes = bytes - old.size where id = 0; end;
create trigger if not exists responses_resized after update of size on responses
    begin update cache_size set bytes = bytes - old.size + new.size where id = 0; end;
"""


def default_cache_dir() -> Path:
    """The user cache directory for newsbrief (e.g. ~/.cache/newsbrief on Linux)."""
    try:
        import platformdirs
    except ImportError:  # a declared dependency; without it, the XDG location
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return Path(base) / "newsbrief"
    return Path(platformdirs.user_cache_dir("newsbrief"))


def endpoint_of(backend: Any) -> str:
    """Where a backend's answers come from: its base URL, its model file, else its name.

    Wrappers (recording, replay caching) are looked through via their `inner` backend.
    """
    seen = 0
    current = backend
    while current is not None and seen < 8:
        for attr in ("base_url", "model_path", "directory"):
            value = getattr(current, attr, None)
            if value:
                return f"{getattr(current, 'name', '?')}:{value}"
        if getattr(current, "name", None) == "openai":
            return "openai:https://api.openai.com/v1"
        current = getattr(current, "inner", None)
        seen += 1
    return str(getattr(backend, "name", "unknown"))


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_material(request: Request) -> dict[str, Any]:
    """Everything in a request that can change the reply."""
    return {
        "messages": request.messages,
        "schema": request.schema,
        "schema_name": request.schema_name,
        "mode": request.mode,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "seed": request.seed,
    }


def cacheable(completion: Completion) -> bool:
    """A reply worth keeping: not empty, not a refusal, not cut short."""
    if completion.refusal:
        return False
    if completion.finish_reason in UNCACHEABLE_FINISH:
        return False
    return bool((completion.text or "").strip())


class CachedBackend(Delegating):
    """Wraps `inner`; answers a request seen before from the cache (`cache_hit=True`).

    `prompt_version` (e.g. "article/3,synthesis/2") and `endpoint` (default: see
    `endpoint_of`) are part of every key. With `cache_rejections` (default) a structured
    mode the endpoint refused is remembered and refused again from the cache. `hits` and
    `misses` count lookups since creation;
    `stored` counts replies written, `skipped` replies not cacheable. `disabled` holds the
    reason when the cache could not be used (the backend then simply calls `inner`).
    """

    def __init__(
        self,
        inner: Backend,
        cache_dir: str | os.PathLike[str] | None = None,
        *,
        max_mb: float = DEFAULT_MAX_MB,
        prompt_version: str = "",
        endpoint: str | None = None,
        cache_rejections: bool = True,
    ):
        super().__init__(inner)  # a cache hit is free: its call record says cache_hit
        self.directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.path = self.directory / CACHE_FILE
        self.max_bytes = max(0, int(max_mb * 1024 * 1024))
        self.prompt_version = prompt_version
        self.endpoint = endpoint if endpoint is not None else endpoint_of(inner)
        self.cache_rejections = cache_rejections
        self.hits = 0
        self.misses = 0
        self.stored = 0
        self.skipped = 0
        self.evicted = 0
        self.disabled: str | None = None
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._opened = False

    # ------------------------------------------------------------------ Backend protocol

    def complete(self, request: Request) -> Completion:
        """The cached reply when there is one, else the inner backend's (stored if good)."""
        key = self.key(request)
        found = self._lookup(key)
        if found is not None:
            with self._lock:
                self.hits += 1
            if isinstance(found, ModeRejected):
                raise found
            return found
        with self._lock:
            self.misses += 1
        try:
            completion = self.inner.complete(request)  # other errors propagate, not stored
        except ModeRejected:
            if self.cache_rejections:
                reason = f"endpoint rejected structured mode {request.mode} (cached)"
                self._store(key, request, Completion(text=""), rejected=reason)
            raise
        if cacheable(completion):
            self._store(key, request, completion)
        else:
            with self._lock:
                self.skipped += 1
        return completion

    # ------------------------------------------------------------------ keys and stats

    def key(self, request: Request) -> str:
        """SHA-256 hex of endpoint, backend, model, prompt version and the full request."""
        material = {
            "endpoint": self.endpoint,
            "backend": self.inner.name,
            "model": self.inner.model,
            "prompt_version": self.prompt_version,
            "request": request_material(request),
        }
        return hashlib.sha256(_canonical(material).encode("utf-8")).hexdigest()

    def stats(self) -> dict[str, Any]:
        """Counters for the run summary and metadata."""
        return {
            "path": str(self.path),
            "hits": self.hits,
            "misses": self.misses,
            "stored": self.stored,
            "skipped": self.skipped,
            "evicted": self.evicted,
            "disabled": self.disabled,
        }

    def size_bytes(self) -> int:
        """Total size of the stored rows (requests and replies), 0 without a cache."""
        result = self._run(
            lambda c: c.execute("select coalesce(sum(size), 0) from responses").fetchone()
        )
        return int(result[0]) if result else 0

    def close(self) -> None:
        """Close the database connection (a later call reopens it)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            self._opened = False

    # ------------------------------------------------------------------ storage

    def _connect(self) -> sqlite3.Connection | None:
        """The open connection, opening it on first use; None when the cache is off."""
        if self.disabled is not None:
            return None
        if self._opened:
            return self._conn
        self._opened = True
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
                isolation_level=None,
            )
        except (OSError, sqlite3.Error) as err:
            self._disable(f"cannot open {self.path}: {err}")
            return None
        for attempt in range(SETUP_TRIES):
            try:
                conn.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
                version = int(conn.execute("pragma user_version").fetchone()[0])
                if version > SCHEMA_VERSION:
                    conn.close()
                    self._disable(
                        f"{self.path} was written by a newer newsbrief (layout {version})"
                    )
                    return None
                conn.execute("pragma journal_mode = wal")
                conn.execute("pragma synchronous = normal")
                conn.executescript(_SCHEMA)
                conn.execute(f"pragma user_version = {SCHEMA_VERSION}")
                conn.execute("select count(*) from responses").fetchone()
                break
            except sqlite3.OperationalError as err:
                # Two processes creating the same file race on the switch to WAL, which
                # SQLite answers with "locked" at once instead of waiting: try again.
                if attempt + 1 < SETUP_TRIES and ("locked" in str(err) or "busy" in str(err)):
                    time.sleep(0.05 * (attempt + 1))
                    continue
                conn.close()
                self._disable(f"{self.path} is not a usable cache ({err})")
                return None
            except sqlite3.Error as err:
                conn.close()
                self._disable(f"{self.path} is not a usable cache ({err})")
                return None
        self._conn = conn
        return conn

    def _disable(self, reason: str) -> None:
        self.disabled = reason
        self._conn = None
        log.warning("response cache off for this run: %s", reason)

    def _run(self, action: Any) -> Any:
        """Run `action(conn)` under the lock; a database error turns the cache off."""
        with self._lock:
            conn = self._connect()
            if conn is None:
                return None
            try:
                return action(conn)
            except sqlite3.OperationalError as err:
                if "locked" in str(err) or "busy" in str(err):
                    log.warning("response cache busy, skipped one %s", "lookup or write")
                    return None
                self._fail(conn, err)
            except sqlite3.Error as err:
                self._fail(conn, err)
            return None

    def _fail(self, conn: sqlite3.Connection, err: sqlite3.Error) -> None:
        try:
            conn.close()
        except sqlite3.Error:
            pass
        self._disable(f"{self.path} failed ({err})")

    def _lookup(self, key: str) -> Completion | ModeRejected | None:
        def action(conn: sqlite3.Connection) -> Completion | ModeRejected | None:
            row = conn.execute(
                "select reply, prompt_tokens, completion_tokens, finish_reason, rejected"
                " from responses where key = ?",
                (key,),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "update responses set last_used = ?, hits = hits + 1 where key = ?",
                (time.time(), key),
            )
            if row[4]:
                return ModeRejected(str(row[4]))
            return Completion(
                text=str(row[0]),
                prompt_tokens=int(row[1] or 0),
                completion_tokens=int(row[2] or 0),
                finish_reason=row[3],
                cache_hit=True,
            )

        return self._run(action)

    def _store(
        self, key: str, request: Request, completion: Completion, rejected: str | None = None
    ) -> None:
        request_json = _canonical(request_material(request))
        size = len(request_json.encode("utf-8")) + len(completion.text.encode("utf-8"))
        if self.max_bytes and size > self.max_bytes:
            with self._lock:
                self.skipped += 1
            return
        now = time.time()
        row = (
            key,
            now,
            now,
            self.endpoint,
            self.inner.name,
            self.inner.model,
            self.prompt_version,
            request.mode,
            request_json,
            completion.text,
            completion.prompt_tokens,
            completion.completion_tokens,
            completion.finish_reason,
            rejected,
            size,
        )

        def action(conn: sqlite3.Connection) -> bool:
            conn.execute("begin immediate")
            try:
                # delete, then insert (not "insert or replace", whose delete fires no trigger)
                conn.execute("delete from responses where key = ?", (key,))
                conn.execute(
                    "insert into responses (key, created, last_used, endpoint,"
                    " backend, model, prompt_version, mode, request, reply, prompt_tokens,"
                    " completion_tokens, finish_reason, rejected, size)"
                    " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                self.evicted += self._evict(conn)
                conn.execute("commit")
            except BaseException:
                conn.execute("rollback")
                raise
            self.stored += 1
            return True

        self._run(action)

    def _evict(self, conn: sqlite3.Connection) -> int:
        """Delete the least recently used rows until the total fits in `max_bytes`."""
        if not self.max_bytes:
            return 0
        # the running total the triggers keep: summing every row on each write made a run's
        # writes quadratic in the size of the cache
        total = int(conn.execute("select bytes from cache_size where id = 0").fetchone()[0])
        if total <= self.max_bytes:
            return 0
        doomed: list[str] = []
        for key, size in conn.execute(
            "select key, size from responses order by last_used, created"
        ):
            if total <= self.max_bytes:
                break
            doomed.append(key)
            total -= int(size)
        conn.executemany("delete from responses where key = ?", [(k,) for k in doomed])
        return len(doomed)
