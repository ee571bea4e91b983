"""Many stories in one run: `run_batch(stories, settings=..., out=..., concurrency=...)`.

Stories (a JSONL file, a directory of story folders, or `StoryInput`s; see
agent.stories.inputs) are briefed concurrently with `agent.asummarize`, at most
`concurrency` stories in flight; each story's pipeline makes up to `settings.concurrency`
model calls at a time, so at most `concurrency * settings.concurrency` calls are in flight,
and at most `max_calls` when it is given (one limit shared by every story: more stories can
be in flight than the endpoint has slots, each waiting for a slot only when it calls).

Output, by the shape of `out`:

* `*.jsonl`: one line per story, `{"id", "status", "brief" | "error", "errors", "usage",
  "seconds"}`, appended (and fsync'ed) as each story finishes, in finishing order;
* anything else is a directory: `<id>.json` (the same record) and `<id>.md` per story, each
  written to a temporary file and renamed, and an `index.md` of every story at the end.

`status` is "ok" (every article and the synthesis made by the model), "partial" (a brief was
made but some calls failed; `errors` lists them) or "failed" (no brief; `error` has the
error's type and message). One story's failure never stops the others.

Resuming: the output is the done-file. Rerun the same command after a kill and the stories
already recorded are skipped (a line cut off by the kill is dropped and that story redone);
`retry_failed=True` also redoes the failed ones. A batch budget (`max_cost` in USD,
`max_tokens`) stops starting stories once spent; the rest stay for a rerun.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..errors import InputError, NewsbriefError
from ..files import append_durably, whole_records
from ..schemas import StoryBrief
from .inputs import StoryInput, read_stories, safe_name

__all__ = ["BatchSummary", "StoryResult", "arun_batch", "run_batch", "story_status"]


@dataclass
class StoryResult:
    """The outcome of one story."""

    id: str
    status: str  # ok | partial | failed
    brief: StoryBrief | None = None
    error: dict[str, str] | None = None
    seconds: float = 0.0
    dropped: list[dict[str, str]] = field(
        default_factory=list
    )  # unreadable input articles left out

    def usage(self) -> dict[str, Any]:
        if self.brief is None:
            return {"prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0}
        return self.brief.run.usage.model_dump()

    def record(self) -> dict[str, Any]:
        """The JSON record written for this story."""
        errors = [*self.dropped, *(story_errors(self.brief) if self.brief is not None else [])]
        return {
            "id": self.id,
            "status": self.status,
            "error": self.error,
            "errors": errors,
            "usage": self.usage(),
            "seconds": round(self.seconds, 3),
            "brief": self.brief.model_dump(mode="json") if self.brief is not None else None,
        }


@dataclass
class BatchSummary:
    """Counts, tokens, cost and time of one batch run (stories resumed count as skipped)."""

    total: int = 0
    skipped: int = 0
    ok: int = 0
    partial: int = 0
    failed: int = 0
    not_started: int = 0
    waiting: int = 0  # Batch API mode: stories whose batches still ran at --batch-timeout
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    note: str = ""  # added to the summary line (the Batch API mode's batches)
    results: list[StoryResult] = field(default_factory=list, repr=False)

    @property
    def done(self) -> int:
        return self.ok + self.partial + self.failed

    def add(self, result: StoryResult) -> None:
        setattr(self, result.status, getattr(self, result.status) + 1)
        usage = result.usage()
        self.prompt_tokens += int(usage["prompt_tokens"])
        self.completion_tokens += int(usage["completion_tokens"])
        self.cost_usd += float(usage["cost_usd"])
        self.results.append(result)

    def line(self) -> str:
        """The final summary line."""
        rate = self.done / self.seconds if self.seconds > 0 else 0.0
        text = (
            f"batch: {self.done} stories run ({self.ok} ok, {self.partial} partial, {self.failed} "
            f"failed)"
            f", {self.skipped} already done, {self.not_started} not started"
            + (f", {self.waiting} waiting for their batch" if self.waiting else "")
            + f"; {self.prompt_tokens + self.completion_tokens:,} tokens ({self.prompt_tokens:,} "
            f"prompt), "
            f"${self.cost_usd:.4f}; {self.seconds:.1f} s ({rate:.2f} stories/s)" + self.note
        )
        return text


def story_errors(brief: StoryBrief) -> list[dict[str, str]]:
    """Every model failure recorded in a brief: where, kind and message."""
    found = [
        {"where": a.article_id, "kind": a.error.kind, "message": a.error.message}
        for a in brief.articles
        if a.error is not None
    ]
    if brief.synthesis_error is not None:
        found.append(
            {
                "where": "synthesis",
                "kind": brief.synthesis_error.kind,
                "message": brief.synthesis_error.message,
            }
        )
    return found


def story_status(brief: StoryBrief) -> str:
    """'ok' when no call failed, else 'partial' (the brief still stands)."""
    return "partial" if story_errors(brief) else "ok"


def _markdown(brief: StoryBrief, story_id: str) -> str:
    try:
        from ..render.markdown import render_markdown
    except ImportError:  # the renderer moved: a minimal page
        return f"# {brief.headline}\n\n{brief.overview}\n"
    return f"<!-- story {story_id} -->\n" + render_markdown(brief)


# --------------------------------------------------------------------------- outputs


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class JsonlStore:
    """Append-only JSONL output; the lines already there are the stories done."""

    def __init__(self, path: Path):
        self.path = path
        self.done: dict[str, str] = {}
        if path.exists():
            self._load()
        elif not path.parent.is_dir():
            raise InputError(f"--out {path}: the directory {path.parent} does not exist")

    def _load(self) -> None:
        def read(record: Any) -> tuple[str, str]:
            return str(record["id"]), str(record["status"])

        self.done.update(whole_records(self.path, read))  # a line cut off by a kill goes

    def write(self, result: StoryResult) -> None:
        append_durably(self.path, json.dumps(result.record(), ensure_ascii=False) + "\n")

    def finish(self) -> None:
        """Nothing to add: the file is complete line by line."""


class DirStore:
    """A folder with `<id>.json` and `<id>.md` per story (atomic renames) and `index.md`."""

    def __init__(self, path: Path):
        self.path = path
        if path.exists() and not path.is_dir():
            raise InputError(f"--out {path}: not a directory (give a .jsonl name for one file)")
        if not path.parent.is_dir():
            raise InputError(f"--out {path}: the directory {path.parent} does not exist")
        path.mkdir(exist_ok=True)
        self.done: dict[str, str] = {}
        for record in self._records():
            self.done[str(record["id"])] = str(record["status"])

    def _records(self) -> list[dict[str, Any]]:
        records = []
        for file in sorted(self.path.glob("*.json")):
            try:
                record = json.loads(file.read_text(encoding="utf-8"))
                if isinstance(record, dict) and "id" in record and "status" in record:
                    records.append(record)
            except (OSError, ValueError):
                continue  # not one of ours, or unreadable: that story is redone
        return records

    def write(self, result: StoryResult) -> None:
        name = safe_name(result.id)
        if result.brief is not None:
            from ..render.html import render_html

            _write_atomic(self.path / f"{name}.md", _markdown(result.brief, result.id))
            _write_atomic(self.path / f"{name}.html", render_html(result.brief))
        _write_atomic(
            self.path / f"{name}.json",
            json.dumps(result.record(), ensure_ascii=False, indent=1) + "\n",
        )

    def finish(self) -> None:
        lines = ["# Batch index", "", "| story | status | headline | tokens |", "|---|---|---|---|"]
        for record in sorted(self._records(), key=lambda r: str(r["id"])):
            name = safe_name(str(record["id"]))
            brief = record.get("brief") or {}
            headline = brief.get("headline") or (record.get("error") or {}).get("message") or ""
            headline = headline.replace("|", "/").replace("\n", " ")[:120]
            usage = record.get("usage") or {}
            tokens = int(usage.get("prompt_tokens", 0)) + int(usage.get("completion_tokens", 0))
            link = f"[{record['id']}]({name}.md)" if brief else str(record["id"])
            lines.append(f"| {link} | {record['status']} | {headline} | {tokens} |")
        _write_atomic(self.path / "index.md", "\n".join(lines) + "\n")
        _write_atomic(self.path / "index.html", _index_html(self._records()))


def _index_html(records: list[dict[str, Any]]) -> str:
    """The index page of a batch folder: one row per story, linking its page (escaped)."""
    from html import escape

    from ..text.sanitize import clean

    rows = []
    for record in sorted(records, key=lambda r: str(r["id"])):
        name = safe_name(str(record["id"]))
        brief = record.get("brief") or {}
        headline = brief.get("headline") or (record.get("error") or {}).get("message") or ""
        story = escape(clean(str(record["id"]), fold_newlines=True))
        cell = f'<a href="{escape(name)}.html">{story}</a>' if brief else story
        status = escape(str(record["status"]))
        text = escape(clean(str(headline), fold_newlines=True)[:200])
        rows.append(f"<tr><td>{cell}</td><td>{status}</td><td>{text}</td></tr>")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>newsbrief batch</title><style>body{font:16px/1.45 system-ui,sans-serif;"
        "margin:1rem auto;max-width:60rem;padding:0 1rem}table{border-collapse:collapse;"
        "width:100%}td,th{border-bottom:1px solid #ccc;padding:.3rem;text-align:left}</style>"
        "</head><body><h1>Batch index</h1><table><thead><tr><th>story</th><th>status</th>"
        f"<th>headline</th></tr></thead><tbody>{''.join(rows)}</tbody></table></body></html>\n"
    )


def open_store(out: str | Path) -> JsonlStore | DirStore:
    """The output for `out`: a JSONL file when it ends in .jsonl, else a directory."""
    path = Path(out)
    return JsonlStore(path) if path.suffix.lower() == ".jsonl" else DirStore(path)


# --------------------------------------------------------------------------- running


class _Progress:
    def __init__(self, stream: TextIO | None, todo: int, every: float):
        self.stream, self.todo, self.every = stream, todo, every
        self.start = time.monotonic()
        self.last = 0.0

    def update(self, summary: BatchSummary, final: bool = False) -> None:
        now = time.monotonic()
        if self.stream is None or (not final and now - self.last < self.every):
            return
        self.last = now
        elapsed = now - self.start
        rate = summary.done / elapsed if elapsed > 0 else 0.0
        left = self.todo - summary.done - summary.not_started
        eta = f"{left / rate:.0f} s" if rate > 0 and left > 0 else ("0 s" if left <= 0 else "?")
        self.stream.write(
            f"batch: {summary.done}/{self.todo} (ok {summary.ok}, partial {summary.partial}, "
            f"failed {summary.failed}) {rate:.2f} stories/s, ETA {eta}\n"
        )
        self.stream.flush()


def _failure(story_id: str, err: BaseException, started: float) -> StoryResult:
    message = " ".join(str(err).split())[:300] or type(err).__name__
    return StoryResult(
        story_id,
        "failed",
        error={"type": type(err).__name__, "message": message},
        seconds=time.monotonic() - started,
    )


def _readable(articles: list[Any]) -> tuple[list[Any], list[dict[str, str]]]:
    """The articles that load on their own, and an error entry for each one that does not
    (e.g. a scraped page that is only boilerplate), so the rest of the story can be briefed.
    """
    from ..api import load_articles

    kept, dropped = [], []
    for position, article in enumerate(articles, start=1):
        try:
            load_articles([article])
        except InputError as err:
            dropped.append(
                {"where": f"input article {position}", "kind": "input", "message": str(err)}
            )
        else:
            kept.append(article)
    return kept, dropped


async def _run_one(
    story: StoryInput, settings: Any, slots: threading.Semaphore | None = None
) -> StoryResult:
    from ..api import asummarize

    started = time.monotonic()
    if story.problem is not None:
        return _failure(story.id, InputError(story.problem), started)
    articles = list(story.articles)
    dropped: list[dict[str, str]] = []
    try:
        try:
            brief = await asummarize(articles, settings, call_slots=slots)
        except InputError as first:
            articles, dropped = _readable(articles)
            if not dropped or not articles:
                raise first from None
            brief = await asummarize(articles, settings, call_slots=slots)
    except NewsbriefError as err:
        return _failure(story.id, err, started)
    except Exception as err:  # noqa: BLE001 - one story's bug must not stop the batch
        return _failure(story.id, err, started)
    status = "partial" if dropped else story_status(brief)
    return StoryResult(
        story.id, status, brief=brief, seconds=time.monotonic() - started, dropped=dropped
    )


async def arun_batch(
    stories: str | Path | Sequence[StoryInput],
    *,
    settings: Any = None,
    out: str | Path,
    concurrency: int = 8,
    retry_failed: bool = False,
    max_cost: float | None = None,
    max_tokens: int | None = None,
    progress: TextIO | None = sys.stderr,
    progress_every: float = 1.0,
    max_calls: int | None = None,
) -> BatchSummary:
    """Brief every story not yet recorded in `out` (see the module docstring); async."""
    import anyio.to_thread

    from ..config import Settings

    if concurrency < 1:
        raise InputError("concurrency must be at least 1")
    if max_calls is not None and max_calls < 1:
        raise InputError("max_calls must be at least 1")
    slots = threading.BoundedSemaphore(max_calls) if max_calls else None
    settings = settings if settings is not None else Settings()
    todo_all = read_stories(stories) if isinstance(stories, (str, Path)) else list(stories)
    store = open_store(out)
    redo = {"failed"} if retry_failed else set()
    todo = [s for s in todo_all if s.id not in store.done or store.done[s.id] in redo]
    summary = BatchSummary(total=len(todo_all), skipped=len(todo_all) - len(todo))
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = max(limiter.total_tokens, concurrency + 2)
    queue: asyncio.Queue[StoryInput] = asyncio.Queue()
    for story in todo:
        queue.put_nowait(story)
    meter = _Progress(progress, len(todo), progress_every)
    started = time.monotonic()

    def over_budget() -> bool:
        spent = summary.prompt_tokens + summary.completion_tokens
        return (max_cost is not None and summary.cost_usd >= max_cost) or (
            max_tokens is not None and spent >= max_tokens
        )

    async def worker() -> None:
        while not queue.empty():
            story = queue.get_nowait()
            if over_budget():
                summary.not_started += 1
                continue
            result = await _run_one(story, settings, slots)
            store.write(result)
            summary.add(result)
            meter.update(summary)

    await asyncio.gather(*(worker() for _ in range(min(concurrency, max(1, len(todo))))))
    store.finish()
    summary.seconds = time.monotonic() - started
    meter.update(summary, final=True)
    if progress is not None:
        progress.write(summary.line() + "\n")
    return summary


def run_batch(
    stories: str | Path | Sequence[StoryInput],
    *,
    settings: Any = None,
    out: str | Path,
    concurrency: int = 8,
    retry_failed: bool = False,
    max_cost: float | None = None,
    max_tokens: int | None = None,
    progress: TextIO | None = sys.stderr,
    progress_every: float = 1.0,
    max_calls: int | None = None,
) -> BatchSummary:
    """Brief many stories concurrently into `out`, skipping those already there.

    `stories`: a JSONL file or story-folder directory path, or `StoryInput`s. `settings`: an
    `agent.Settings` (default: environment and config file). `concurrency`: stories in flight.
    Returns a `BatchSummary`; a story's failure is recorded, never raised. Raises InputError
    when the input or `out` cannot be used at all.
    """
    return asyncio.run(
        arun_batch(
            stories,
            settings=settings,
            out=out,
            concurrency=concurrency,
            retry_failed=retry_failed,
            max_cost=max_cost,
            max_tokens=max_tokens,
            progress=progress,
            progress_every=progress_every,
            max_calls=max_calls,
        )
    )
