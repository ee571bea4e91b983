"""The OpenAI Batch API: chat requests written to an input file, answers read from its output.

Used by `newsbrief batch --batch-api` (`agent.stories.batch_api`), which runs each story's
ordinary pipeline in passes over a `PassBackend`:

* a request the batch results already answer gets that answer, read exactly as a live reply
  (`OpenAIBackend.completion_from_body`), so `agent.llm.structured` validates it the same way;
* any other request is recorded (its body is what `OpenAIBackend.complete` would send, from
  `OpenAIBackend.chat_body`) and the call fails at once with `Deferred`; the recorded bodies
  are the next batch's lines.

A request is known by `body_key`, the SHA-256 of its canonical JSON body, which is also its
`custom_id` in the input file. Results are kept in a `BatchAnswers` file (one JSON object a
line, appended and fsync'ed as each batch is collected), so a killed run loses none.

What a line of a batch becomes:

* HTTP 200 with a chat completion: that completion, marked `raw["batch"]` (half price, see
  `agent.llm.pricing`);
* another status, or an error-file line: `BackendError` of kind `batch_failed` (a refused
  structured mode, e.g. HTTP 400 naming `response_format`, is a `ModeRejected`, so the pipeline
  falls back to the next mode as it does live);
* no line at all: `batch_expired` or `batch_cancelled` when the batch ended so (also the
  error codes OpenAI writes for such lines), else `batch_failed`.

`BatchClient` wraps the files and batches endpoints of the `openai` client (with its own
retries for 429, 5xx and connection errors); its failures are `BatchApiError`s with one line.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import openai

from ..files import append_durably, whole_records
from ..schemas import ErrorKind
from .base import BackendError, Completion, Delegating, ModeRejected, Request, StructuredMode
from .openai_backend import _MODE_WORDS, OpenAIBackend

__all__ = [
    "ACTIVE",
    "BATCH_ENDPOINT",
    "TERMINAL",
    "BatchAnswers",
    "BatchApiError",
    "BatchClient",
    "Deferred",
    "PassBackend",
    "Pending",
    "body_key",
    "input_files",
    "read_results",
]

BATCH_ENDPOINT = "/v1/chat/completions"
COMPLETION_WINDOW = "24h"
MAX_LINES = 50_000  # OpenAI: at most 50,000 requests per batch
MAX_FILE_BYTES = 190 * 1024 * 1024  # OpenAI: input files up to 200 MB
ACTIVE = ("validating", "in_progress", "finalizing", "cancelling")
TERMINAL = ("completed", "expired", "cancelled", "failed")
_ENDED_KIND = {"expired": "batch_expired", "cancelled": "batch_cancelled"}

T = TypeVar("T")


def body_key(body: Mapping[str, Any]) -> str:
    """SHA-256 hex digest of a request body's canonical JSON: its key and `custom_id`."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def input_files(bodies: Mapping[str, Mapping[str, Any]]) -> list[bytes]:
    """The JSONL input file(s) for `bodies` (key -> body): one line per request, split so
    no file passes OpenAI's limits of 50,000 lines and 200 MB.
    """
    files: list[bytes] = []
    lines: list[bytes] = []
    size = 0
    for key, body in bodies.items():
        line = (
            json.dumps(
                {"custom_id": key, "method": "POST", "url": BATCH_ENDPOINT, "body": body},
                ensure_ascii=False,
                separators=(",", ":"),
            ).encode("utf-8")
            + b"\n"
        )
        if lines and (len(lines) >= MAX_LINES or size + len(line) > MAX_FILE_BYTES):
            files.append(b"".join(lines))
            lines, size = [], 0
        lines.append(line)
        size += len(line)
    if lines:
        files.append(b"".join(lines))
    return files


# --------------------------------------------------------------------------- results


def _line_message(data: Any, fallback: str) -> str:
    """The message of an error object ({"error": {"message"}} or {"message"}), one line."""
    if isinstance(data, dict):
        inner = data.get("error", data)
        if isinstance(inner, dict) and inner.get("message"):
            return " ".join(str(inner["message"]).split())[:300]
    return fallback


def _entry(line: dict[str, Any], batch_id: str) -> dict[str, Any] | None:
    """What one output- or error-file line says about its request."""
    response = line.get("response")
    error = line.get("error")
    if isinstance(response, dict) and response.get("status_code") is not None:
        status = int(response["status_code"])
        body = response.get("body")
        if status == 200 and isinstance(body, dict) and body.get("choices") is not None:
            return {"body": body}
        return {
            "status": status,
            "message": _line_message(body, f"HTTP {status}") + f" (batch {batch_id})",
        }
    if isinstance(error, dict):
        code = str(error.get("code") or "")
        kind = code if code in ("batch_expired", "batch_cancelled") else "batch_failed"
        message = _line_message(error, code or "the request failed")
        return {"kind": kind, "message": f"{message} (batch {batch_id}, {code or 'no code'})"}
    return None


def read_results(
    keys: list[str], status: str, batch_id: str, output: str = "", errors: str = ""
) -> tuple[dict[str, dict[str, Any]], int]:
    """Every key's result from a finished batch's output and error files: (results, lines
    that could not be read). A key with no line gets a typed entry from the batch's status.
    """
    found: dict[str, dict[str, Any]] = {}
    unreadable = 0
    wanted = set(keys)
    for text in (output, errors):
        for raw in text.splitlines():
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
                key = str(line["custom_id"])
                entry = _entry(line, batch_id)
            except (ValueError, KeyError, TypeError):
                unreadable += 1
                continue
            if entry is None or key not in wanted:
                unreadable += 1
                continue
            if key not in found or "body" in entry:  # a success wins over an error line
                found[key] = entry
    kind = _ENDED_KIND.get(status, "batch_failed")
    why = {
        "batch_expired": "the batch expired (24 h window) before this request ran",
        "batch_cancelled": "the batch was cancelled before this request ran",
    }.get(kind, "the batch returned no result for this request")
    for key in keys:
        if key not in found:
            found[key] = {"kind": kind, "message": f"{why} (batch {batch_id})"}
    return found, unreadable


def is_mode_rejection(status: int, message: str, mode: StructuredMode) -> bool:
    """Whether a failed line is the endpoint refusing the structured mode (as live calls
    are judged by `OpenAIBackend`, without its retry of a bare 500).
    """
    if mode == "prompted":
        return False
    mentions = any(word in message.lower() for word in _MODE_WORDS)
    if status in (400, 422):
        return mode == "json_schema" or mentions
    return status == 500 and mode == "json_schema" and mentions


def answer(inner: OpenAIBackend, entry: Mapping[str, Any], mode: StructuredMode) -> Completion:
    """The completion a result entry holds, or the typed error it stands for."""
    if "body" in entry:
        completion = inner.completion_from_body(dict(entry["body"]))
        completion.raw["batch"] = True
        return completion
    message = str(entry.get("message") or "the request failed")
    if "status" in entry:
        status = int(entry["status"])
        if is_mode_rejection(status, message, mode):
            raise ModeRejected(f"endpoint rejected structured mode {mode}: {message}", 1)
        raise BackendError(f"HTTP {status} in the batch: {message}", 1, kind="batch_failed")
    kind: ErrorKind = "batch_failed"
    if entry.get("kind") == "batch_expired":
        kind = "batch_expired"
    elif entry.get("kind") == "batch_cancelled":
        kind = "batch_cancelled"
    sent = 0 if kind != "batch_failed" else 1  # an expired or cancelled line never ran
    raise BackendError(message, sent, kind=kind)


class BatchAnswers:
    """The results of every collected batch line, keyed by `body_key`, in a JSONL file
    (appended and fsync'ed; a line cut off by a kill is dropped when read back).
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.entries: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        def read(record: Any) -> tuple[str, dict[str, Any]]:
            return str(record.pop("key")), record

        self.entries.update(whole_records(self.path, read))

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, results: Mapping[str, dict[str, Any]]) -> None:
        """Keep `results` (key -> entry), on disk first."""
        lines = "".join(
            json.dumps({"key": key, **entry}, ensure_ascii=False, separators=(",", ":")) + "\n"
            for key, entry in results.items()
        )
        append_durably(self.path, lines)
        self.entries.update(results)

    def usage(self) -> tuple[int, int]:
        """Prompt and completion tokens of every answered request."""
        prompt = completion = 0
        for entry in self.entries.values():
            usage = (entry.get("body") or {}).get("usage") or {}
            prompt += int(usage.get("prompt_tokens") or 0)
            completion += int(usage.get("completion_tokens") or 0)
        return prompt, completion


# --------------------------------------------------------------------------- the pass backend


class Deferred(BackendError):
    """No batch answer yet: the request was recorded for the next batch (nothing sent)."""

    def __init__(self, message: str = "waiting for the Batch API"):
        super().__init__(message, requests=0)


@dataclass
class Pending:
    """A request a pass recorded for the next batch."""

    request: Request
    body: dict[str, Any]


class PassBackend(Delegating):
    """A backend for one pass of one story's pipeline in Batch API mode (see the module
    docstring): answers from `answers`, records and defers everything else. With
    `defer=False` an unanswered request fails instead (`batch_failed`): the last pass,
    when no further batch may be sent.
    """

    name = "openai-batch"
    concurrency_safe = True

    def __init__(
        self, inner: OpenAIBackend, answers: BatchAnswers | Mapping[str, Any], defer: bool = True
    ):
        super().__init__(inner)
        self.inner: OpenAIBackend = inner
        self.name = "openai-batch"
        self.concurrency_safe = True
        self.answers = answers
        self.defer = defer
        self.pending: dict[str, Pending] = {}
        self._lock = threading.Lock()

    def complete(self, request: Request) -> Completion:
        body = self.inner.chat_body(request)
        key = body_key(body)
        entry = self.answers.get(key)
        if entry is not None:
            return answer(self.inner, entry, request.mode)
        if not self.defer:
            raise BackendError(
                "no Batch API answer for this request: the run's batch rounds ran out",
                requests=0,
                kind="batch_failed",
            )
        with self._lock:
            self.pending[key] = Pending(request, body)
        raise Deferred()


# --------------------------------------------------------------------------- the endpoints


class BatchApiError(Exception):
    """A files or batches call failed: one line; `status` the HTTP status (None when no
    answer came), `transient` when asking again later may work (429, 5xx, no connection).
    """

    def __init__(self, message: str, status: int | None = None, transient: bool = False):
        super().__init__(message)
        self.status = status
        self.transient = transient


class BatchClient:
    """The files and batches endpoints of an `OpenAIBackend`'s endpoint, as plain dicts."""

    def __init__(self, backend: OpenAIBackend, retries: int = 3):
        self.backend = backend
        self.client = backend.client.with_options(max_retries=retries)

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except openai.APIStatusError as err:
            status = err.status_code
            raise BatchApiError(
                f"{what}: {self.backend.describe_error(err)}",
                status=status,
                transient=status == 429 or status >= 500,
            ) from None
        except openai.APIConnectionError as err:
            raise BatchApiError(
                f"{what}: {self.backend.describe_error(err)}", transient=True
            ) from None
        except openai.OpenAIError as err:
            raise BatchApiError(f"{what}: {self.backend.describe_error(err)}") from None

    def upload(self, name: str, data: bytes) -> str:
        """Upload a batch input file; returns its id."""
        created = self._call(
            "uploading the batch input file",
            self.client.files.create,
            file=(name, data, "application/jsonl"),
            purpose="batch",
        )
        return str(created.id)

    def create(self, input_file_id: str, metadata: dict[str, str]) -> dict[str, Any]:
        """Create a batch of chat completions over an uploaded file (24 h window)."""
        batch = self._call(
            "creating the batch",
            self.client.batches.create,
            input_file_id=input_file_id,
            endpoint=BATCH_ENDPOINT,
            completion_window=COMPLETION_WINDOW,
            metadata=metadata,
        )
        return batch.model_dump()

    def retrieve(self, batch_id: str) -> dict[str, Any]:
        batch = self._call(f"polling batch {batch_id}", self.client.batches.retrieve, batch_id)
        return batch.model_dump()

    def cancel(self, batch_id: str) -> dict[str, Any]:
        batch = self._call(f"cancelling batch {batch_id}", self.client.batches.cancel, batch_id)
        return batch.model_dump()

    def content(self, file_id: str) -> str:
        """The text of a file (a batch's output or error file)."""
        reply = self._call(f"downloading file {file_id}", self.client.files.content, file_id)
        return reply.content.decode("utf-8", errors="replace")

    def find(self, input_file_id: str, limit: int = 500) -> dict[str, Any] | None:
        """The most recent batch made from `input_file_id`, if any (among the last `limit`):
        how a run killed between creating a batch and saving its id finds it again.
        """

        def scan() -> dict[str, Any] | None:
            for n, batch in enumerate(self.client.batches.list(limit=100)):
                if batch.input_file_id == input_file_id:
                    return batch.model_dump()
                if n + 1 >= limit:
                    break
            return None

        return self._call("listing batches", scan)
