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
had none); `reported_usage()` sums that usage. The server stops by itself after
`max_requests` requests or `max_lifetime` seconds.

    with FaultServer(script=["429", "ok"]) as srv:
        client = openai.OpenAI(base_url=srv.base_url, api_key="x")

    python -m agent.devtools.fault_server --port 0 --script '["429","ok"]' --fault-rate 0.3 --seed 1
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..llm.schema_tools import example_instance, resolve

Step = str | dict[str, Any]
Script = list[Step] | Callable[[dict[str, Any], int], Step] | None

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
        self.chat_count = 0
        self._queue = list(script) if isinstance(script, list) else []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
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
            for entry in self.requests:
                if entry.get("step") in skip:
                    continue
                for key in totals:
                    totals[key] += int((entry.get("usage") or {}).get(key, 0))
        return totals

    def wait(self, seconds: float) -> None:
        """Sleep, but wake at once when the server stops."""
        self._stopping.wait(min(max(0.0, seconds), MAX_HANG))


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


def _make_handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            return

        def _send(
            self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            server.record(self, None)
            if self.path.rstrip("/").endswith("/models"):
                self._send(
                    200,
                    {
                        "object": "list",
                        "data": [
                            {"id": server.model, "object": "model", "owned_by": "fault-server"}
                        ],
                    },
                )
            else:
                self._send(*_error(404, f"no route {self.path}", "not_found"))

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            entry = server.record(self, body)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                return self._send(*_error(404, f"no route {self.path}", "not_found"))
            if not isinstance(body, dict):
                return self._send(
                    *_error(400, "request body is not a JSON object", "invalid_request_error")
                )
            auth = self.headers.get("Authorization") or ""
            step = server.next_step(body)
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
    args = parser.parse_args(argv)
    try:
        script = json.loads(args.script)
        if not isinstance(script, list):
            raise ValueError("not a list")
    except ValueError as err:
        print(f"error: --script must be a JSON list of steps ({err})", file=sys.stderr)
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
