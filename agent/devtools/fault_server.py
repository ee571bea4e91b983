"""A scripted, fault-injecting OpenAI-compatible HTTP server on 127.0.0.1.

It speaks enough of the chat-completions API for the `openai` client
(`POST /v1/chat/completions`, `GET /v1/models`) and answers each chat request by following
a script: a list of steps used in order (then `default`), or a callable
`(request_json, n) -> step`, or random faults at `fault_rate` with a seed.

A step is a string or a dict with a `kind` key (plus options):

    "ok"                  a valid reply; `content` given, or a minimal JSON instance of the
                          request's response_format schema (or of a schema in the prompt)
    "429"                 rate limited; options `retry_after` (s), `retry_after_ms`
    "500", "503"          server errors ("400", "404", "502", "504" too)
    "401"                 authentication error echoing the key it was sent (as a careless
                          server might), to check that callers never show it
    "hang"                sleep `seconds` (default 30, at most 120) before answering
    "drop"                close the connection without answering
    "invalid_json"        content "{not json"
    "schema_fail"         valid JSON missing a required field
    "length"              truncated content, finish_reason "length"
    "empty"               content ""
    "refusal"             message.refusal set, content null
    "reject_json_schema"  HTTP 500 like llama-cpp-python's server for a json_schema
                          response_format; otherwise like "ok"

Every reply carries usage numbers (prompt: characters of the messages / 4 + 1;
completion: characters of the content / 4 + 1). `text_length=N` makes plain strings of
generated replies at least N characters long (strict json_schema requests carry no
minLength, so a bare minimal instance may fail the caller's own model).

Every request is kept in `requests` (method, path, headers without credentials, JSON body,
arrival time `t` from time.monotonic(); for chat requests also the `step` kind answered, the
HTTP `status` (0 for a dropped connection) and the `usage` the reply reported, None when it
had none); `reported_usage()` sums that usage. `in_flight` counts the chat requests being
answered now and `peak_in_flight` the most ever answered at once. The server stops by itself after
`max_requests` requests or `max_lifetime` seconds.

It also speaks the Batch API (unless `batch_api=False`, which answers those routes 404 like
a vLLM or llama.cpp server): `POST /v1/files` (multipart upload, purpose "batch", at most
`max_file_bytes`), `GET /v1/files/{id}` and `/v1/files/{id}/content`, `POST /v1/batches`,
`GET /v1/batches` and `/v1/batches/{id}`, `POST /v1/batches/{id}/cancel`. A batch moves on
when it is polled: the first poll validates it (-> `in_progress`, or `failed` with `errors`
for a bad file: not JSONL, a missing or repeated `custom_id`, another `url`, no `model`, more
than `max_batch_lines` lines), each later poll runs the next share of its lines (all of them
over `batch_polls` polls) through the same step logic as chat requests (so a line can be a
fault; "hang" answers at once), then `finalizing`, then the outcome. Lines answered 200 go to
the output file, others (and dropped ones, as `server_error`) to the error file, in OpenAI's
line format. Each created batch takes the next outcome of `batch_script` (then
`batch_default`), a string or a dict with `outcome` and options:

    "completed"                     every line run
    {"outcome": "expired", "done": N}    N lines run, the rest in the error file as
                                    `batch_expired` (default N: half)
    {"outcome": "cancelled", "done": N}  N lines run, then cancelled (the rest have no line)
    {"outcome": "failed", "message": M}  fails validation with message M
    any of them with "hold": true   stays `in_progress` until `release_batches()`

A client's `POST .../cancel` cancels too. `batch_creations`, `uploads`, `batches` and
`batch_lines` (each run line: batch, custom_id, body, step, status, usage) are kept;
`reported_usage()` counts batch lines too.

    with FaultServer(script=["429", "ok"]) as srv:
        client = openai.OpenAI(base_url=srv.base_url, api_key="x")

    python -m agent.devtools.fault_server --port 0 --script '["429","ok"]' --fault-rate 0.3 --seed 1
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import json
import math
import random
import re
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..llm.schema_tools import example_instance, resolve

Step = str | dict[str, Any]
Script = list[Step] | Callable[[dict[str, Any], int], Step] | None
Outcome = str | dict[str, Any]
BatchScript = list[Outcome] | Callable[[int, int], Outcome] | None  # (batch number, lines)

FAULT_KINDS = ("429", "500", "503", "drop", "invalid_json", "schema_fail", "length", "empty")
_SECRET_HEADERS = {"authorization", "api-key", "x-api-key", "openai-api-key", "cookie"}
MAX_HANG = 120.0


def find_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The schema a request asks for: its response_format, else one written in the prompt."""
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return (fmt.get("json_schema") or {}).get("schema")
    if fmt.get("type") == "json_object" and isinstance(fmt.get("schema"), dict):
        return fmt["schema"]
    decoder = json.JSONDecoder()
    for message in reversed(body.get("messages") or []):
        text = message.get("content") or ""
        if not isinstance(text, str):
            continue
        start = text.find("{")
        while start >= 0:
            try:
                value, _ = decoder.raw_decode(text, start)
            except ValueError:
                value = None
            if isinstance(value, dict) and ("properties" in value or value.get("type") == "object"):
                return value
            start = text.find("{", start + 1)
    return None


FILLER = "placeholder text from the fault server "


def _lengthen(
    value: Any, node: dict[str, Any], root: dict[str, Any], length: int, depth: int = 0
) -> Any:
    """Plain strings of a minimal instance made at least `length` characters long (cut to any
    maxLength): strict json_schema requests carry no minLength, yet the caller may want one.
    """
    node = resolve(node, root)
    if length <= 0 or depth > 12 or not isinstance(node, dict):
        return value
    for key in ("anyOf", "oneOf", "allOf"):
        if node.get(key):
            return _lengthen(value, node[key][0], root, length, depth + 1)
    if isinstance(value, dict):
        props = node.get("properties", {})
        return {
            k: _lengthen(v, props.get(k, {}), root, length, depth + 1) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_lengthen(v, node.get("items", {}), root, length, depth + 1) for v in value]
    plain = not any(k in node for k in ("pattern", "enum", "const", "format"))
    if isinstance(value, str) and plain and len(value) < length:
        text = (FILLER * (length // len(FILLER) + 1))[:length].rstrip().ljust(length, "x")
        return text[: node.get("maxLength", length)]
    return value


def ok_content(body: dict[str, Any], text_length: int = 0) -> str:
    schema = find_schema(body)
    return json.dumps(
        _lengthen(example_instance(schema), schema, schema, text_length) if schema else {}
    )


def schema_fail_content(body: dict[str, Any], text_length: int = 0) -> str:
    schema = find_schema(body) or {}
    instance = _lengthen(example_instance(schema), schema, schema, text_length) if schema else {}
    required = schema.get("required") or []
    if isinstance(instance, dict) and required:
        instance.pop(required[0], None)
    else:
        instance = {"unexpected_field": True}
    return json.dumps(instance)


class FaultServer:
    """A bounded, scripted OpenAI-compatible server in a background thread."""

    def __init__(
        self,
        script: Script = None,
        *,
        default: Step = "ok",
        fault_rate: float = 0.0,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        model: str = "fault-model",
        max_requests: int = 1000,
        max_lifetime: float = 600.0,
        text_length: int = 0,
        batch_script: BatchScript = None,
        batch_default: Outcome = "completed",
        batch_polls: int = 2,
        batch_api: bool = True,
        max_file_bytes: int = 20 * 1024 * 1024,
        max_batch_lines: int = 10_000,
    ):
        self.script = script
        self.default = default
        self.fault_rate = fault_rate
        self.model = model
        self.max_requests = max_requests
        self.max_lifetime = max_lifetime
        self.text_length = (
            text_length  # plain strings of generated replies get at least this many characters
        )
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0  # chat requests being answered now
        self.peak_in_flight = 0  # the most ever answered at once
        self.chat_count = 0
        self._queue = list(script) if isinstance(script, list) else []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.batch_api = batch_api
        self.batch_script = batch_script
        self.batch_default = batch_default
        self.batch_polls = max(1, batch_polls)
        self.max_file_bytes = max_file_bytes
        self.max_batch_lines = max_batch_lines
        self._batch_queue = list(batch_script) if isinstance(batch_script, list) else []
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_lines: list[dict[str, Any]] = []
        self.batch_creations = 0
        self.uploads = 0
        self._batch_lock = threading.RLock()
        self._httpd = _QuietServer((host, port), _make_handler(self))
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FaultServer:
        """Serve in a background thread (a second call does nothing)."""
        if self._thread is not None:
            return self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fault-server",
            daemon=True,
        )
        self._thread.start()
        self._timer = threading.Timer(self.max_lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._timer is not None and self._timer is not threading.current_thread():
            self._timer.cancel()
        if self._thread is not None:
            self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def running(self) -> bool:
        return not self._stopping.is_set()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ script

    def next_step(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            n = self.chat_count
            self.chat_count += 1
            if callable(self.script):
                step = self.script(body, n)
            elif self._queue:
                step = self._queue.pop(0)
            elif self.fault_rate > 0 and self._random.random() < self.fault_rate:
                step = self._random.choice(FAULT_KINDS)
            else:
                step = self.default
        return {"kind": step} if isinstance(step, str) else dict(step)

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Count a chat request being answered: `in_flight` now, `peak_in_flight` ever."""
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1

    def record(self, handler: BaseHTTPRequestHandler, body: Any) -> dict[str, Any]:
        """Keep the request (credentials left out); returns its entry for the answer to fill in."""
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _SECRET_HEADERS}
        entry = {
            "method": handler.command,
            "path": handler.path,
            "headers": headers,
            "json": body,
            "t": time.monotonic(),
        }
        with self._lock:
            self.requests.append(entry)
            over = len(self.requests) >= self.max_requests
        if over:
            threading.Thread(target=self.stop, daemon=True).start()
        return entry

    def reported_usage(self, skip: tuple[str, ...] = ("hang",)) -> dict[str, int]:
        """Prompt and completion tokens summed over every reply that reported usage, except
        replies to `skip` steps (a hang answers after the client has usually given up).
        """
        totals = {"prompt_tokens": 0, "completion_tokens": 0}
        with self._lock:
            entries = [*self.requests, *self.batch_lines]
        for entry in entries:
            if entry.get("step") in skip:
                continue
            for key in totals:
                totals[key] += int((entry.get("usage") or {}).get(key, 0))
        return totals

    def wait(self, seconds: float) -> None:
        """Sleep, but wake at once when the server stops."""
        self._stopping.wait(min(max(0.0, seconds), MAX_HANG))

    # ------------------------------------------------------------------ Batch API

    def release_batches(self) -> None:
        """Let every batch held `in_progress` (outcome option "hold") go on."""
        with self._batch_lock:
            for batch in self.batches.values():
                batch["hold"] = False

    def add_file(self, data: bytes, purpose: str, filename: str) -> dict[str, Any]:
        with self._batch_lock:
            file_id = f"file-fault{len(self.files) + 1:04d}"
            self.files[file_id] = {
                "data": data,
                "object": {
                    "id": file_id,
                    "object": "file",
                    "bytes": len(data),
                    "created_at": int(time.time()),
                    "filename": filename,
                    "purpose": purpose,
                    "status": "processed",
                },
            }
            if purpose == "batch":
                self.uploads += 1
            return dict(self.files[file_id]["object"])

    def _next_outcome(self, lines: int) -> dict[str, Any]:
        n = self.batch_creations
        if callable(self.batch_script):
            outcome = self.batch_script(n, lines)
        elif self._batch_queue:
            outcome = self._batch_queue.pop(0)
        else:
            outcome = self.batch_default
        return {"outcome": outcome} if isinstance(outcome, str) else dict(outcome)

    def create_batch(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST /v1/batches: (status, the batch object or an error)."""
        file_id = str(body.get("input_file_id") or "")
        endpoint = body.get("endpoint")
        if body.get("completion_window") != "24h":
            return _error(400, "completion_window must be '24h'", "invalid_request_error")
        if endpoint not in ("/v1/chat/completions",):
            return _error(400, f"unsupported endpoint {endpoint!r}", "invalid_request_error")
        with self._batch_lock:
            if file_id not in self.files:
                return _error(404, f"no file {file_id!r}", "invalid_request_error")
            data = self.files[file_id]["data"]
            lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
            outcome = self._next_outcome(lines)
            self.batch_creations += 1
            batch_id = f"batch_fault{self.batch_creations:04d}"
            now = int(time.time())
            obj = {
                "id": batch_id,
                "object": "batch",
                "endpoint": endpoint,
                "errors": None,
                "input_file_id": file_id,
                "completion_window": "24h",
                "status": "validating",
                "output_file_id": None,
                "error_file_id": None,
                "created_at": now,
                "in_progress_at": None,
                "expires_at": now + 86400,
                "finalizing_at": None,
                "completed_at": None,
                "failed_at": None,
                "expired_at": None,
                "cancelling_at": None,
                "cancelled_at": None,
                "request_counts": {"total": 0, "completed": 0, "failed": 0},
                "metadata": body.get("metadata") or None,
            }
            self.batches[batch_id] = {
                "object": obj,
                "outcome": outcome,
                "hold": bool(outcome.get("hold")),
                "lines": [],
                "results": [],
                "end": None,  # the terminal status it is heading for, once known
            }
            return 200, dict(obj)

    def list_batches(self, query: dict[str, list[str]]) -> dict[str, Any]:
        limit = max(1, min(100, int((query.get("limit") or ["20"])[0])))
        after = (query.get("after") or [""])[0]
        with self._batch_lock:
            ids = sorted(self.batches, reverse=True)  # newest first
            if after in ids:
                ids = ids[ids.index(after) + 1 :]
            page = [dict(self.batches[i]["object"]) for i in ids[:limit]]
        return {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": len(ids) > limit,
        }

    def poll_batch(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        """GET /v1/batches/{id}: the batch, moved on by one step (see the module docstring)."""
        with self._batch_lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                return _error(404, f"no batch {batch_id!r}", "invalid_request_error")
            self._advance(batch)
            return 200, dict(batch["object"])

    def cancel_batch(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        with self._batch_lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                return _error(404, f"no batch {batch_id!r}", "invalid_request_error")
            obj = batch["object"]
            if obj["status"] in ("validating", "in_progress", "finalizing"):
                obj["status"] = "cancelling"
                obj["cancelling_at"] = int(time.time())
                batch["end"] = "cancelled"
            return 200, dict(obj)

    def _advance(self, batch: dict[str, Any]) -> None:
        obj = batch["object"]
        status = obj["status"]
        now = int(time.time())
        if status == "validating":
            errors = self._validate(batch)
            if errors:
                obj.update(status="failed", failed_at=now)
                obj["errors"] = {"object": "list", "data": errors}
                return
            obj.update(status="in_progress", in_progress_at=now)
            obj["request_counts"]["total"] = len(batch["lines"])
        elif status == "in_progress":
            if batch["hold"]:
                return
            total = len(batch["lines"])
            outcome = str(batch["outcome"].get("outcome", "completed"))
            limit = total
            if outcome in ("expired", "cancelled"):
                limit = min(total, int(batch["outcome"].get("done", total // 2)))
            share = max(1, math.ceil(total / self.batch_polls))
            for line in batch["lines"][
                len(batch["results"]) : min(limit, len(batch["results"]) + share)
            ]:
                self._run_line(batch, line)
            if len(batch["results"]) >= limit:
                if outcome == "expired":
                    self._end(batch, "expired")
                elif outcome == "cancelled":
                    obj.update(status="cancelling", cancelling_at=now)
                    batch["end"] = "cancelled"
                else:
                    obj.update(status="finalizing", finalizing_at=now)
                    batch["end"] = "completed"
        elif status in ("finalizing", "cancelling"):
            self._end(batch, batch["end"] or "completed")

    def _validate(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        outcome = batch["outcome"]
        if outcome.get("outcome") == "failed":
            message = str(outcome.get("message", "the input file failed validation (scripted)"))
            return [{"code": "invalid_request", "message": message, "param": None, "line": None}]
        data = self.files[batch["object"]["input_file_id"]]["data"]
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        raw_lines = [raw for raw in data.splitlines() if raw.strip()]
        if not raw_lines:
            return [{"code": "empty_file", "message": "the input file is empty", "line": None}]
        if len(raw_lines) > self.max_batch_lines:
            message = f"{len(raw_lines)} requests; at most {self.max_batch_lines} are allowed"
            return [{"code": "too_many_requests", "message": message, "line": None}]
        for number, raw in enumerate(raw_lines, start=1):
            problem = _line_problem(raw, seen)
            if problem is not None:
                errors.append({"code": "invalid_line", "message": problem, "line": number})
                continue
            batch["lines"].append(json.loads(raw))
        return errors[:10]

    def _run_line(self, batch: dict[str, Any], line: dict[str, Any]) -> None:
        body = line["body"]
        step = self.next_step(body)
        if str(step.get("kind")) == "hang":  # a batch line has no client waiting on it
            step = {**step, "kind": "ok"}
        status, payload, _ = answer(self, step, body)
        number = len(self.batch_lines) + 1
        result: dict[str, Any] = {"id": f"batch_req_{number}", "custom_id": line["custom_id"]}
        if payload is None:  # a dropped connection: an error without a response
            result.update(
                response=None,
                error={"code": "server_error", "message": "the request failed (fault server)"},
            )
        else:
            result.update(
                response={"status_code": status, "request_id": f"req_{number}", "body": payload},
                error=None,
            )
        batch["results"].append(result)
        counts = batch["object"]["request_counts"]
        counts["completed" if status == 200 else "failed"] += 1
        with self._lock:
            self.batch_lines.append(
                {
                    "batch": batch["object"]["id"],
                    "custom_id": line["custom_id"],
                    "json": body,
                    "step": str(step.get("kind", "ok")),
                    "status": status,
                    "usage": (payload or {}).get("usage"),
                }
            )

    def _end(self, batch: dict[str, Any], status: str) -> None:
        obj = batch["object"]
        now = int(time.time())
        output: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for result in batch["results"]:
            ok = result["response"] is not None and result["response"]["status_code"] == 200
            (output if ok else errors).append(result)
        if status == "expired":
            for line in batch["lines"][len(batch["results"]) :]:
                errors.append(
                    {
                        "id": f"batch_req_x{len(errors) + 1}",
                        "custom_id": line["custom_id"],
                        "response": None,
                        "error": {
                            "code": "batch_expired",
                            "message": "This request could not be executed before the "
                            "completion window expired.",
                        },
                    }
                )
                obj["request_counts"]["failed"] += 1
        for key, rows in (("output_file_id", output), ("error_file_id", errors)):
            if rows:
                data = "".join(json.dumps(r) + "\n" for r in rows).encode("utf-8")
                name = f"{obj['id']}_{key.split('_')[0]}.jsonl"
                obj[key] = self.add_file(data, "batch_output", name)["id"]
        obj["status"] = status
        obj[f"{status}_at"] = now


# --------------------------------------------------------------------------- HTTP handling


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (timeout, drop) is expected here: say nothing."""
        err = sys.exc_info()[1]
        if not isinstance(err, (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def _usage(body: dict[str, Any], content: str) -> dict[str, int]:
    prompt_chars = sum(len(str(m.get("content") or "")) for m in body.get("messages") or [])
    prompt, completion = prompt_chars // 4 + 1, len(content) // 4 + 1
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def chat_reply(
    body: dict[str, Any],
    model: str,
    content: str | None,
    finish: str = "stop",
    refusal: str | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if refusal is not None:
        message["refusal"] = refusal
    return {
        "id": f"chatcmpl-fault-{int(time.time() * 1000)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model") or model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": _usage(body, content or refusal or ""),
    }


def _error(status: int, message: str, kind: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _line_problem(raw: bytes, seen: set[str]) -> str | None:
    """What is wrong with one line of a batch input file, or None."""
    try:
        line = json.loads(raw)
    except ValueError:
        return "not a JSON object"
    if not isinstance(line, dict):
        return "not a JSON object"
    custom_id = line.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        return "custom_id is missing"
    if custom_id in seen:
        return f"custom_id {custom_id!r} is repeated"
    seen.add(custom_id)
    if line.get("method") != "POST":
        return "method must be POST"
    if line.get("url") != "/v1/chat/completions":
        return "url must be /v1/chat/completions, the batch's endpoint"
    body = line.get("body")
    if not isinstance(body, dict) or not body.get("model") or not body.get("messages"):
        return "body must be a chat completion request with a model and messages"
    return None


def parse_multipart(content_type: str, data: bytes) -> dict[str, tuple[str | None, bytes]]:
    """The fields of a multipart/form-data body: name -> (file name or None, bytes)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + data)
    fields: dict[str, tuple[str | None, bytes]] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        fields[name] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


_LLAMA_CPP_REJECTION = (
    "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
    "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}"
)


def answer(
    server: FaultServer, step: dict[str, Any], body: dict[str, Any], auth: str = ""
) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
    """(status, JSON body or None to drop the connection, extra headers) for a step."""
    kind = str(step.get("kind", "ok"))
    if kind == "401":  # like a careless server: echo the key it was given
        key = auth.removeprefix("Bearer ").strip()
        return (*_error(401, f"Incorrect API key provided: {key}", "invalid_request_error"), {})
    fmt_type = (body.get("response_format") or {}).get("type")
    if kind == "reject_json_schema":
        if fmt_type == "json_schema":
            return (*_error(500, _LLAMA_CPP_REJECTION, "internal_server_error"), {})
        kind = "ok"
    if kind == "ok":
        return 200, chat_reply(body, server.model, _ok_text(server, step, body)), {}
    if kind in ("429", "500", "502", "503", "504", "400", "404"):
        return _http_error(kind, step)
    if kind == "hang":
        server.wait(float(step.get("seconds", 30)))
        return 200, chat_reply(body, server.model, ok_content(body, server.text_length)), {}
    if kind == "drop":
        return 0, None, {}
    return _bad_reply(server, kind, step, body)


def _ok_text(server: FaultServer, step: dict[str, Any], body: dict[str, Any]) -> str:
    """The content of an "ok" step: the step's own, else an instance of the request's schema."""
    content = step.get("content")
    if isinstance(content, str):
        return content
    return json.dumps(content) if content is not None else ok_content(body, server.text_length)


def _http_error(
    kind: str, step: dict[str, Any]
) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
    """An HTTP error step: 429 (with its Retry-After headers) or a 4xx/5xx status."""
    if kind != "429":
        return (*_error(int(kind), f"HTTP {kind} (fault server)", "server_error"), {})
    headers = {}
    if "retry_after" in step:
        headers["Retry-After"] = str(step["retry_after"])
    if "retry_after_ms" in step:
        headers["retry-after-ms"] = str(step["retry_after_ms"])
    return (*_error(429, "Rate limit reached (fault server)", "rate_limit_error"), headers)


def _bad_reply(
    server: FaultServer, kind: str, step: dict[str, Any], body: dict[str, Any]
) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
    """A reply that arrives but is wrong: not JSON, failing the schema, cut, empty, refused."""
    if kind == "invalid_json":
        return 200, chat_reply(body, server.model, "{not json"), {}
    if kind == "schema_fail":
        return (
            200,
            chat_reply(body, server.model, schema_fail_content(body, server.text_length)),
            {},
        )
    if kind == "length":
        full = ok_content(body, server.text_length)
        return (
            200,
            chat_reply(body, server.model, full[: max(1, len(full) // 2)], finish="length"),
            {},
        )
    if kind == "empty":
        return 200, chat_reply(body, server.model, ""), {}
    if kind == "refusal":
        return (
            200,
            chat_reply(
                body,
                server.model,
                None,
                refusal=str(step.get("refusal", "I can't help with that.")),
            ),
            {},
        )
    return (*_error(400, f"unknown fault step {kind!r}", "invalid_request_error"), {})


_BATCH_ROUTE = re.compile(
    r"(?:^|/)(?P<kind>files|batches)(?:/(?P<id>[A-Za-z0-9_.-]+)(?:/(?P<action>content|cancel))?)?$"
)


def get_route(server: FaultServer, path: str, query: str) -> tuple[int, dict[str, Any] | bytes]:
    """A GET: the models list, or a Batch API route: (status, JSON payload, or a file's bytes)."""
    if path.rstrip("/").endswith("/models"):
        models = [{"id": server.model, "object": "model", "owned_by": "fault-server"}]
        return 200, {"object": "list", "data": models}
    found = _BATCH_ROUTE.search(path.rstrip("/")) if server.batch_api else None
    if found is None:
        return _error(404, f"no route {path}", "not_found")
    kind, item, action = found.group("kind", "id", "action")
    if kind == "batches" and item is None and action is None:
        return 200, server.list_batches(urllib.parse.parse_qs(query))
    if kind == "batches" and item is not None and action is None:
        return server.poll_batch(item)
    if kind == "files" and item is not None and action in (None, "content"):
        with server._batch_lock:
            file = server.files.get(item)
        if file is None:
            return _error(404, f"no file {item!r}", "invalid_request_error")
        return (200, file["data"]) if action == "content" else (200, dict(file["object"]))
    return _error(404, f"no route {path}", "not_found")


def batch_post(server: FaultServer, found: re.Match[str], body: Any) -> tuple[int, dict[str, Any]]:
    """A JSON POST of the Batch API routes: create a batch, or cancel one."""
    if not isinstance(body, dict):
        return _error(400, "request body is not a JSON object", "invalid_request_error")
    kind, item, action = found.group("kind", "id", "action")
    if kind == "batches" and item is None:
        return server.create_batch(body)
    if kind == "batches" and action == "cancel":
        return server.cancel_batch(item)
    return _error(404, f"no route {found.group(0)}", "not_found")


def upload_file(
    server: FaultServer, handler: BaseHTTPRequestHandler, length: int
) -> tuple[int, dict[str, Any]]:
    """POST /v1/files: keep the uploaded file and answer its file object; a body over the
    size limit is refused unread (and the connection closed).
    """
    if length > server.max_file_bytes + 64 * 1024:
        server.record(handler, {"bytes": length})
        handler.close_connection = True
        return _error(
            413, f"file too large: at most {server.max_file_bytes} bytes", "invalid_request_error"
        )
    raw = handler.rfile.read(length) if length else b""
    fields = parse_multipart(handler.headers.get("Content-Type") or "", raw)
    filename, data = fields.get("file", (None, b""))
    purpose = fields.get("purpose", (None, b""))[1].decode("utf-8", "replace")
    server.record(handler, {"purpose": purpose, "filename": filename, "bytes": len(data)})
    if "file" not in fields or not purpose:
        return _error(
            400, "a multipart body with 'file' and 'purpose' is needed", "invalid_request_error"
        )
    if len(data) > server.max_file_bytes:
        message = f"file too large: at most {server.max_file_bytes} bytes"
        return _error(413, message, "invalid_request_error")
    return 200, server.add_file(data, purpose, filename or "upload")


def _make_handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            return

        def _send(
            self,
            status: int,
            payload: dict[str, Any] | bytes,
            headers: dict[str, str] | None = None,
        ) -> None:
            raw = isinstance(payload, bytes)  # a file's content
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header(
                "Content-Type", "application/octet-stream" if raw else "application/json"
            )
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            server.record(self, None)
            parts = urllib.parse.urlsplit(self.path)
            self._send(*get_route(server, parts.path, parts.query))

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            route = urllib.parse.urlsplit(self.path).path.rstrip("/")
            found = _BATCH_ROUTE.search(route) if server.batch_api else None
            if found is not None and found.group("kind") == "files":
                status, reply = upload_file(server, self, length)
                return self._send(status, reply)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            entry = server.record(self, body)
            if found is not None:
                return self._send(*batch_post(server, found, body))
            if not route.endswith("/chat/completions"):
                return self._send(*_error(404, f"no route {self.path}", "not_found"))
            if not isinstance(body, dict):
                return self._send(
                    *_error(400, "request body is not a JSON object", "invalid_request_error")
                )
            auth = self.headers.get("Authorization") or ""
            step = server.next_step(body)
            with server.answering():
                status, payload, headers = answer(server, step, body, auth)
            entry.update(
                step=str(step.get("kind", "ok")), status=status, usage=(payload or {}).get("usage")
            )
            if payload is None:  # drop: close without a response
                self.close_connection = True
                return None
            return self._send(status, payload, headers)

    return Handler


# --------------------------------------------------------------------------- command line


def _json_list(text: str, option: str, items: str) -> list[Any] | None:
    """The JSON list an option gives; None, with one line on stderr, when it is not one."""
    try:
        value = json.loads(text)
        if not isinstance(value, list):
            raise ValueError("not a list")
    except ValueError as err:
        print(f"error: {option} must be a JSON list of {items} ({err})", file=sys.stderr)
        return None
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m agent.devtools.fault_server", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--script", default="[]", help='JSON list of steps, e.g. \'["429","ok"]\'')
    parser.add_argument("--default", default="ok", help="step once the script is used up")
    parser.add_argument(
        "--fault-rate", type=float, default=0.0, help="share of random faults after the script"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-requests", type=int, default=1000)
    parser.add_argument(
        "--max-lifetime", type=float, default=600.0, help="seconds before it stops by itself"
    )
    parser.add_argument(
        "--text-length",
        type=int,
        default=0,
        help="least characters of plain strings in generated replies",
    )
    parser.add_argument(
        "--batch-script",
        default="[]",
        help='JSON list of batch outcomes, e.g. \'[{"outcome":"expired","done":3}]\'',
    )
    parser.add_argument(
        "--batch-polls", type=int, default=2, help="polls over which a batch runs its lines"
    )
    parser.add_argument(
        "--no-batch-api", action="store_true", help="answer the files and batches routes 404"
    )
    args = parser.parse_args(argv)
    script = _json_list(args.script, "--script", "steps")
    if script is None:
        return 2
    batch_script = _json_list(args.batch_script, "--batch-script", "outcomes")
    if batch_script is None:
        return 2
    srv = FaultServer(
        script,
        default=args.default,
        fault_rate=args.fault_rate,
        seed=args.seed,
        port=args.port,
        max_requests=args.max_requests,
        max_lifetime=args.max_lifetime,
        text_length=args.text_length,
        batch_script=batch_script,
        batch_polls=args.batch_polls,
        batch_api=not args.no_batch_api,
    )
    srv.start()
    print(srv.base_url, flush=True)
    try:
        while srv.running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
