"""`newsbrief batch --batch-api`: many stories through the OpenAI Batch API, at half price.

The stories run through the ordinary pipeline (`agent.pipeline.run.summarize_articles`) in
passes, over a `PassBackend` (agent.llm.batch_api) that answers from the batch results
collected so far and records every other request instead of sending it:

1. pass 1 records every story's per-article requests; they go out as one batch (the
   Files API, purpose "batch", one JSONL line per request: `{"custom_id", "method": "POST",
   "url": "/v1/chat/completions", "body"}`; `/v1/batches` with a 24 h window), which is
   polled until it ends and its output and error files are collected;
2. pass 2 answers the article calls from those results, exactly as live replies are read
   and checked (`agent.llm.structured`), and records the synthesis request of each story
   whose articles are all answered: the second batch;
3. pass 3 answers the synthesis; the brief is finished as the normal path finishes it
   (verification, composition, cross-checks) and written to the output.

A request body is what the normal path sends (`OpenAIBackend.chat_body`: messages,
response_format, max_tokens, temperature, seed), so a story's brief is the one the normal
path makes from the same replies. A reply that fails validation cannot be re-asked inside a
batch: its re-ask (the same repair conversation as live) goes into the next batch, at most
`reasks` times (default 1; 0: the article keeps code's extractive brief with the typed error
at once), beside the synthesis requests of the stories that are ready. A story's synthesis
waits until none of its article requests is pending. The number of rounds is bounded
(`2 + 2 * reasks + 2`); the last pass answers any request still without a result with a
`batch_failed` error.

Failures, per request: a failed line (non-200 status, or an error-file line) gives that call
a `batch_failed` error, so the article keeps code's extractive brief and the story is
"partial"; an expired or cancelled batch gives its finished lines normally and the rest
`batch_expired` / `batch_cancelled`. A batch that fails validation stops the run with one
line (`BatchRejected`, exit 1); nothing in it ran or was charged.

Resuming: the batch ids and states are saved in `OUT.batch-state.json` and every collected
line in `OUT.batch-results.jsonl` (beside OUT) as soon as they exist, so a killed run, rerun
with the same command, polls the same batches instead of submitting (and paying) again; a
batch created just before a kill and not yet saved is found again by its input file. Stories
already in OUT are skipped as in the normal batch. Both files are removed once every story
is written. `timeout` caps the time one invocation waits; past it the batches keep running
at OpenAI and the stories not finished count as `waiting` (exit 4: rerun to go on).

Cost: every answer is priced at half the list price (`agent.llm.pricing.BATCH_DISCOUNT`).
A batch budget (`max_cost`, `max_tokens`) is checked before each batch is submitted, against
the worst case of its requests (prompt plus `max_tokens`, at the batch price) plus what is
spent; stories that do not fit are not submitted and count as not started (exit 4).

The response cache is not used in this mode (the results file plays its part for a resumed
run), and `--record`/`--replay` are refused.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import ConfigError, InputError, NewsbriefError
from .batch import (
    BatchSummary,
    StoryResult,
    _failure,
    _readable,
    _write_atomic,
    open_store,
    story_status,
)
from .inputs import StoryInput, read_stories

if TYPE_CHECKING:
    from ..ingest.gather import Loaded
    from ..llm.batch_api import BatchAnswers, BatchClient, Pending
    from ..llm.openai_backend import OpenAIBackend
    from ..pipeline.options import RunOptions

__all__ = ["BatchRejected", "arun_batch_api", "run_batch_api", "state_paths"]

STATE_VERSION = 1
DEFAULT_POLL = 60.0
DEFAULT_TIMEOUT = 25 * 3600.0  # the 24 h window and an hour to finalise


class BatchRejected(NewsbriefError):
    """A batch failed validation at the endpoint: nothing in it ran or was charged."""


def state_paths(out: str | Path) -> tuple[Path, Path]:
    """The state file and the results file of a Batch API run writing to `out`."""
    path = Path(out)
    return (
        path.with_name(path.name + ".batch-state.json"),
        path.with_name(path.name + ".batch-results.jsonl"),
    )


class BatchState:
    """The batches of one Batch API run: ids, rounds, status, request keys (a JSON file)."""

    def __init__(self, path: Path, model: str, endpoint: str):
        self.path = path
        self.batches: list[dict[str, Any]] = []
        if path.exists():
            self._load(model, endpoint)
        self.model, self.endpoint = model, endpoint

    def _load(self, model: str, endpoint: str) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            version, batches = data["version"], data["batches"]
            if version != STATE_VERSION or not isinstance(batches, list):
                raise ValueError(f"version {version}")
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise InputError(
                f"{self.path}: not a newsbrief batch state ({' '.join(str(err).split())[:80]});"
                " remove it to start over (batches already submitted are then paid again)"
            ) from None
        if (data.get("model"), data.get("endpoint")) != (model, endpoint):
            raise ConfigError(
                f"{self.path} belongs to a run of model {data.get('model')!r} at "
                f"{data.get('endpoint')}; rerun with the same --model and --base-url to collect "
                "its batches, or remove it to start over"
            )
        self.batches = batches

    def save(self) -> None:
        data = {
            "version": STATE_VERSION,
            "model": self.model,
            "endpoint": self.endpoint,
            "batches": self.batches,
        }
        _write_atomic(self.path, json.dumps(data, indent=1) + "\n")

    def active(self) -> list[dict[str, Any]]:
        """Batches submitted (or uploaded for) and not yet collected nor failed."""
        return [b for b in self.batches if not b.get("collected") and b["status"] != "failed"]

    def rounds_done(self) -> int:
        return len({b["round"] for b in self.batches if b.get("collected")})

    def next_round(self) -> int:
        return max((int(b["round"]) for b in self.batches), default=0) + 1


@dataclass
class _Story:
    input: StoryInput
    loaded: Loaded
    dropped: list[dict[str, str]] = field(default_factory=list)


@dataclass
class BatchApiRun:
    """One invocation of the Batch API mode (see the module docstring)."""

    inner: OpenAIBackend
    client: BatchClient
    answers: BatchAnswers
    state: BatchState
    options: RunOptions
    summary: BatchSummary
    progress: TextIO | None
    poll_every: float
    deadline: float
    max_rounds: int
    max_cost: float | None = None
    max_tokens: int | None = None
    progress_every: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    submitted: int = 0  # batches created by this invocation

    def say(self, text: str) -> None:
        if self.progress is not None:
            self.progress.write(f"batch-api: {text}\n")
            self.progress.flush()

    # ------------------------------------------------------------------ passes

    def run_pass(self, story: _Story, final: bool) -> tuple[StoryResult | None, dict[str, Pending]]:
        """One pass of a story's pipeline: its result when nothing is pending, else the
        requests to send (a synthesis request only once no article request is pending).
        """
        from ..llm.batch_api import PassBackend
        from ..pipeline.run import summarize_articles
        from ..schemas import SynthesisDraft

        backend = PassBackend(self.inner, self.answers, defer=not final)
        started = time.monotonic()
        try:
            brief = summarize_articles(
                story.loaded.articles, backend, self.options, story.loaded.failures
            )
        except Exception as err:  # noqa: BLE001 - one story's bug must not stop the batch
            return _failure(story.input.id, err, started), {}
        pending = dict(backend.pending)
        synthesis = SynthesisDraft.__name__
        if any(p.request.schema_name != synthesis for p in pending.values()):
            pending = {k: p for k, p in pending.items() if p.request.schema_name != synthesis}
        if pending:
            return None, pending
        status = "partial" if story.dropped else story_status(brief)
        seconds = time.monotonic() - started
        return StoryResult(
            story.input.id, status, brief, seconds=seconds, dropped=story.dropped
        ), {}

    # ------------------------------------------------------------------ budget

    def _spent(self) -> tuple[int, float]:
        from ..llm.pricing import estimate_cost

        prompt, completion = self.answers.usage()
        cost = estimate_cost(self.inner.model, prompt, completion, self.options.pricing, batch=True)
        return prompt + completion, cost

    def _worst_case(self, pending: Pending) -> tuple[int, float]:
        from ..llm.pricing import estimate_cost

        request = pending.request
        count = self.inner.count_tokens
        prompt = sum(count(m["content"]) for m in request.messages)
        if request.schema is not None and request.mode != "prompted":
            prompt += count(json.dumps(request.schema, separators=(",", ":")))
        if not self.inner.priced:
            return prompt + request.max_tokens, 0.0
        cost = estimate_cost(
            self.inner.model, prompt, request.max_tokens, self.options.pricing, batch=True
        )
        return prompt + request.max_tokens, cost

    def within_budget(self, per_story: dict[str, dict[str, Pending]]) -> dict[str, Pending]:
        """The requests of the stories whose worst case fits the budget, in input order; the
        stories after the first that does not fit are dropped from this run (not started).
        """
        chosen: dict[str, Pending] = {}
        if self.max_cost is None and self.max_tokens is None:
            for pending in per_story.values():
                chosen.update(pending)
            return chosen
        tokens, cost = self._spent()
        for story_id, pending in per_story.items():
            extra = [self._worst_case(p) for k, p in pending.items() if k not in chosen]
            more_tokens, more_cost = sum(t for t, _ in extra), sum(c for _, c in extra)
            if (self.max_tokens is not None and tokens + more_tokens > self.max_tokens) or (
                self.max_cost is not None and cost + more_cost > self.max_cost
            ):
                left = list(per_story)[list(per_story).index(story_id) :]
                self.summary.not_started += len(left)
                for gone in left:
                    per_story.pop(gone)
                what = (
                    f"--max-cost {self.max_cost} USD (spent {cost:.4f}, next batch up to "
                    f"{cost + more_cost:.4f})"
                    if self.max_cost is not None and cost + more_cost > self.max_cost
                    else f"--max-tokens {self.max_tokens} (spent {tokens}, next batch up to "
                    f"{tokens + more_tokens})"
                )
                self.say(f"budget reached: {what}; {len(left)} stories not submitted")
                break
            tokens, cost = tokens + more_tokens, cost + more_cost
            chosen.update(pending)
        return chosen

    # ------------------------------------------------------------------ submitting

    def submit(self, pending: dict[str, Pending], stories: int) -> None:
        """Upload the requests as one batch (or several, past OpenAI's file limits) and save
        each batch id in the state file as soon as the batch exists.
        """
        from ..llm.batch_api import input_files

        round_no = self.state.next_round()
        files = input_files({key: p.body for key, p in pending.items()})
        keys = list(pending)
        start = 0
        for part, data in enumerate(files, start=1):
            count = data.count(b"\n")
            entry: dict[str, Any] = {
                "round": round_no,
                "id": None,
                "status": "uploading",
                "keys": keys[start : start + count],
            }
            start += count
            name = f"newsbrief-round{round_no}-{part}.jsonl"
            entry["input_file_id"] = self._control(self.client.upload, name, data)
            entry["status"] = "uploaded"
            self.state.batches.append(entry)
            self.state.save()
            self._create(entry)
        self.say(
            f"round {round_no}: {len(pending)} requests of {stories} stories submitted as "
            + ", ".join(b["id"] for b in self.state.batches if b["round"] == round_no)
        )

    def _create(self, entry: dict[str, Any]) -> None:
        metadata = {"newsbrief_round": str(entry["round"])}
        batch = self._control(self.client.create, entry["input_file_id"], metadata)
        entry.update(id=batch["id"], status=batch["status"])
        self.submitted += 1
        self.state.save()

    def adopt_uploads(self) -> None:
        """Batches whose file was uploaded but whose id was not saved (a kill in between):
        find the batch made from that file, or create it now.
        """
        for entry in self.state.active():
            if entry["id"] is None and entry["status"] == "uploaded":
                found = self._control(self.client.find, entry["input_file_id"])
                if found is not None:
                    entry.update(id=found["id"], status=found["status"])
                    self.state.save()
                else:
                    self._create(entry)
            elif entry["id"] is None:  # killed while uploading: nothing was submitted
                self.state.batches.remove(entry)
                self.state.save()

    def _control(self, call: Callable[..., Any], *args: Any) -> Any:
        """A files/batches call; its failure as one line (the endpoint has no Batch API, the
        key was refused, or it failed after the client's retries).
        """
        from ..llm.batch_api import BatchApiError

        try:
            return call(*args)
        except BatchApiError as err:
            raise _fatal(err) from None

    # ------------------------------------------------------------------ polling

    def wait(self) -> bool:
        """Poll the active batches until each ends and is collected: True; False when the
        time cap passed first (the batches keep running; a rerun goes on polling).
        """
        from ..llm.batch_api import BatchApiError

        seen: dict[str, tuple[str, int, int]] = {}
        last_line = 0.0
        while True:
            for entry in self.state.active():
                try:
                    info = self.client.retrieve(entry["id"])
                except BatchApiError as err:
                    if not err.transient:
                        raise _fatal(err) from None
                    self.say(f"{err}; polling again")
                    continue
                status = str(info.get("status"))
                counts = info.get("request_counts") or {}
                now = (status, int(counts.get("completed") or 0), int(counts.get("failed") or 0))
                changed = seen.get(entry["id"]) != now
                if changed or time.monotonic() - last_line >= self.progress_every:
                    seen[entry["id"]] = now
                    last_line = time.monotonic()
                    total = int(counts.get("total") or len(entry["keys"]))
                    self.say(
                        f"{entry['id']} (round {entry['round']}) {status}: {now[1]}/{total} done, "
                        f"{now[2]} failed"
                    )
                if entry["status"] != status:  # kept, so the state file says where it is
                    entry["status"] = status
                    self.state.save()
                if status == "failed":
                    raise BatchRejected(_rejection(entry, info))
                if status in ("completed", "expired", "cancelled"):
                    self.collect(entry, info)
            if not self.state.active():
                return True
            if time.monotonic() >= self.deadline:
                self.state.save()
                return False
            self.sleep(max(0.0, min(self.poll_every, self.deadline - time.monotonic())))

    def collect(self, entry: dict[str, Any], info: dict[str, Any]) -> None:
        """Download an ended batch's output and error files and keep every line's result."""
        from ..llm.batch_api import BatchApiError, read_results

        texts = []
        for key in ("output_file_id", "error_file_id"):
            file_id = info.get(key)
            if not file_id:
                texts.append("")
                continue
            try:
                texts.append(self.client.content(str(file_id)))
            except BatchApiError as err:
                if not err.transient:
                    raise _fatal(err) from None
                self.say(f"{err}; trying again at the next poll")
                return
        results, unreadable = read_results(
            entry["keys"], entry["status"], entry["id"], texts[0], texts[1]
        )
        if unreadable:
            self.say(f"{entry['id']}: {unreadable} result lines could not be read")
        self.answers.add(results)
        entry["collected"] = True
        self.state.save()


def _rejection(entry: dict[str, Any], info: dict[str, Any]) -> str:
    errors = ((info.get("errors") or {}).get("data") or [])[:3]
    details = "; ".join(
        (f"line {e.get('line')}: " if e.get("line") else "")
        + " ".join(str(e.get("message") or e.get("code") or "?").split())[:200]
        for e in errors
        if isinstance(e, dict)
    )
    return (
        f"batch {entry['id']} (round {entry['round']}) failed validation: "
        f"{details or 'no reason given'}; nothing in it ran or was charged (stories finished "
        "before it are kept; fix the cause and rerun)"
    )


def _fatal(err: Exception) -> NewsbriefError:
    """A files/batches failure as the error that stops the run (one line)."""
    status = getattr(err, "status", None)
    if status == 404:
        return ConfigError(
            f"{err}: the endpoint has no Batch API (vLLM, llama.cpp's server and most local "
            "servers have none); run without --batch-api, which sends the calls concurrently"
        )
    if status in (401, 403):
        return ConfigError(f"{err}: check the API key (OPENAI_API_KEY) and --base-url")
    message = f"{err}; rerun the same command to go on (batches already submitted are kept)"
    return NewsbriefError(message)


# --------------------------------------------------------------------------- setting up


def _openai_backend(settings: Any) -> OpenAIBackend:
    """The plain openai backend the settings describe (no cache, no recording), or a
    ConfigError when they describe another.
    """
    from ..llm.factory import make_backend
    from ..llm.openai_backend import OpenAIBackend

    name = settings.backend_name() or ("openai" if settings.base_url else "local")
    if name != "openai":
        raise ConfigError(
            f"--batch-api needs the OpenAI endpoint (--base-url https://api.openai.com/v1 and "
            f"OPENAI_API_KEY), not the {name} backend"
        )
    if settings.record_dir is not None:
        raise ConfigError("--batch-api cannot record responses (--record): leave it out")
    backend = make_backend(
        "openai",
        model=settings.model,
        base_url=settings.base_url,
        api_key=settings.api_key.get_secret_value() if settings.api_key else None,
        timeout=settings.timeout,
    )
    assert isinstance(backend, OpenAIBackend)
    return backend


def _load(story: StoryInput, settings: Any) -> _Story | StoryResult:
    """Read a story's articles (as the normal batch does: an article that does not load on
    its own is left out and reported, and the rest briefed); a StoryResult when none can be.
    """
    from ..api import load_story

    started = time.monotonic()
    if story.problem is not None:
        return _failure(story.id, InputError(story.problem), started)
    articles = list(story.articles)
    try:
        try:
            return _Story(story, load_story(articles, settings))
        except InputError as first:
            kept, dropped = _readable(articles)
            if not dropped or not kept:
                raise first from None
            return _Story(story, load_story(kept, settings), dropped)
    except Exception as err:  # noqa: BLE001 - one story's bad input must not stop the batch
        return _failure(story.id, err, started)


def _options(settings: Any, reasks: int) -> RunOptions:
    """The pipeline options of a pass: one thread (a pass only reads answers), no run
    directory, no per-story budget (the batch checks its own), re-asks capped at `reasks`.
    """
    options = settings.run_options()
    return dataclasses.replace(
        options,
        concurrency=1,
        run_dir=None,
        max_cost=None,
        max_tokens=None,
        max_reasks=min(options.max_reasks, reasks),
        on_progress=None,
    )


def _endpoint(backend: OpenAIBackend) -> str:
    """The endpoint, as the state file records it (no user info or query)."""
    from ..llm.openai_backend import _safe_url

    return _safe_url(backend.base_url) if backend.base_url else "https://api.openai.com/v1"


async def arun_batch_api(stories: str | Path | Sequence[StoryInput], **kwargs: Any) -> BatchSummary:
    """`run_batch_api` in a worker thread, for async code."""
    import functools

    import anyio.to_thread

    return await anyio.to_thread.run_sync(functools.partial(run_batch_api, stories, **kwargs))


def run_batch_api(
    stories: str | Path | Sequence[StoryInput],
    *,
    settings: Any = None,
    out: str | Path,
    retry_failed: bool = False,
    max_cost: float | None = None,
    max_tokens: int | None = None,
    progress: TextIO | None = sys.stderr,
    progress_every: float = 30.0,
    poll_every: float = DEFAULT_POLL,
    timeout: float = DEFAULT_TIMEOUT,
    reasks: int = 1,
    sleep: Callable[[float], None] = time.sleep,
) -> BatchSummary:
    """Brief every story not yet in `out` through the OpenAI Batch API (module docstring).

    Returns the `BatchSummary` (`waiting`: stories whose batches were still running when
    `timeout` seconds had passed). Raises `InputError` / `ConfigError` for unusable input,
    output or settings, `BatchRejected` when the endpoint refuses a batch, and
    `NewsbriefError` when the files or batches endpoints keep failing.
    """
    from ..config import Settings
    from ..llm.batch_api import BatchAnswers, BatchClient
    from ..pipeline.budget import check_priced

    if poll_every <= 0 or timeout <= 0:
        raise InputError("--batch-poll and --batch-timeout must be more than 0 seconds")
    if reasks < 0:
        raise InputError("--batch-reasks must be 0 or more")
    settings = settings if settings is not None else Settings()
    started = time.monotonic()
    todo_all = read_stories(stories) if isinstance(stories, (str, Path)) else list(stories)
    store = open_store(out)
    inner = _openai_backend(settings)
    options = _options(settings, reasks)
    check_priced(inner, max_cost, options.pricing, settings.allow_unpriced)
    redo = {"failed"} if retry_failed else set()
    todo = [s for s in todo_all if s.id not in store.done or store.done[s.id] in redo]
    summary = BatchSummary(total=len(todo_all), skipped=len(todo_all) - len(todo))
    state_path, results_path = state_paths(out)
    run = BatchApiRun(
        inner=inner,
        client=BatchClient(inner),
        answers=BatchAnswers(results_path),
        state=BatchState(state_path, inner.model, _endpoint(inner)),
        options=options,
        summary=summary,
        progress=progress,
        poll_every=poll_every,
        deadline=started + timeout,
        max_rounds=2 + 2 * reasks + 2,
        max_cost=max_cost,
        max_tokens=max_tokens,
        progress_every=progress_every,
        sleep=sleep,
    )
    open_stories: list[_Story] = []
    for story in todo:
        loaded = _load(story, settings)
        if isinstance(loaded, StoryResult):
            store.write(loaded)
            summary.add(loaded)
        else:
            open_stories.append(loaded)
    try:
        _rounds(run, open_stories, store)
    except KeyboardInterrupt:
        run.say(
            f"interrupted; batches keep running at the endpoint and their ids are saved in "
            f"{state_path}: rerun the same command to go on polling"
        )
        raise
    finally:
        store.finish()
        summary.seconds = time.monotonic() - started
        summary.note = _note(run)
    if not open_stories and not summary.not_started and not summary.waiting:
        state_path.unlink(missing_ok=True)  # every story written: nothing left to resume
        results_path.unlink(missing_ok=True)
    if progress is not None:
        progress.write(summary.line() + "\n")
    return summary


def _rounds(run: BatchApiRun, open_stories: list[_Story], store: Any) -> None:
    """Poll, pass, submit, until every open story is written (or the time cap or the budget
    stops it: `open_stories` keeps the stories left).
    """
    if open_stories:
        run.adopt_uploads()
    while open_stories:
        if run.state.active():
            if not run.wait():
                run.summary.waiting = len(open_stories)
                run.say(
                    f"still running after the --batch-timeout; {len(open_stories)} stories wait "
                    "for it: rerun the same command to go on polling (nothing is submitted again)"
                )
                return
            continue
        final = run.state.rounds_done() >= run.max_rounds
        per_story: dict[str, dict[str, Pending]] = {}
        for story in list(open_stories):
            result, pending = run.run_pass(story, final)
            if result is not None:
                store.write(result)
                run.summary.add(result)
                open_stories.remove(story)
            else:
                per_story[story.input.id] = pending
        if not per_story:
            return
        chosen = run.within_budget(per_story)
        open_stories[:] = [s for s in open_stories if s.input.id in per_story]
        if not chosen:
            open_stories.clear()
            return
        run.submit(chosen, len(per_story))


def _note(run: BatchApiRun) -> str:
    batches = [b for b in run.state.batches if b.get("id")]
    requests = sum(len(b["keys"]) for b in batches)
    return (
        f"; Batch API at half price: {len(batches)} batches ({run.submitted} submitted now) "
        f"in {len({b['round'] for b in batches})} rounds, {requests} requests"
    )
