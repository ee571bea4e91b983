"""The backend interface: messages (and an optional JSON schema) in, text and usage out.

A backend is a small class with one method, `complete`, and capability flags. Everything
about parsing, validating and re-asking lives in `agent.llm.structured`, shared by all
backends.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ..schemas import ErrorKind

StructuredMode = Literal["json_schema", "json_object", "prompted"]


@dataclass
class Request:
    """One chat completion request."""

    messages: list[dict[str, str]]
    schema: dict[str, Any] | None = None  # JSON Schema of the expected reply
    schema_name: str = "reply"
    mode: StructuredMode = "prompted"
    max_tokens: int = 1024
    temperature: float = 0.0
    seed: int | None = 0

    def key_material(self) -> dict[str, Any]:
        """What identifies the request for replay: everything but transport details."""
        return {
            "messages": self.messages,
            "schema": self.schema,
            "mode": self.mode,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }


@dataclass
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None  # "stop", "length", "content_filter", ...
    refusal: str | None = None
    transport_retries: int = 0
    cache_hit: bool = False
    raw: dict[str, Any] = field(default_factory=dict)


class BackendError(Exception):
    """Base class of every error a backend raises.

    `requests`: how many requests `complete` sent before giving up (transport retries
    included; 0 when nothing was sent), so callers can count every request the endpoint saw.
    `kind`: the `ModelError` kind a failed call is recorded with when no subclass below
    says otherwise ("other"; the Batch API mode gives "batch_failed", "batch_expired"...).
    """

    kind: ErrorKind = "other"

    def __init__(self, message: str = "", requests: int = 1, kind: ErrorKind | None = None):
        super().__init__(message)
        self.requests = requests
        if kind is not None:
            self.kind = kind


class TransportError(BackendError):
    """The endpoint could not be reached or kept failing after the retries."""

    def __init__(self, message: str = "", attempts: int = 1):
        super().__init__(message, requests=attempts)

    @property
    def attempts(self) -> int:
        """The requests sent (the first and every retry)."""
        return self.requests


class AuthError(BackendError):
    """The endpoint refused the credentials (HTTP 401 or 403): no request can succeed, so a
    run stops its model calls at once. Never retried.
    """


class ReplayMiss(BackendError):
    """Replay found no recording for a request."""


class ModeRejected(BackendError):
    """The endpoint refused the structured-output mode (e.g. json_schema -> HTTP 400/500)."""


@runtime_checkable
class Backend(Protocol):
    """What every backend declares (capabilities are attributes, never inferred from names)."""

    name: str  # "local", "openai", "replay", "scripted"
    model: str  # model name recorded in outputs
    context_tokens: int  # context window
    concurrency_safe: bool  # may `complete` run in several threads at once?
    priced: bool  # do its calls cost money (priced from the pricing table)? False: free

    @property
    def modes(self) -> tuple[StructuredMode, ...]:
        """Structured-output modes it supports, best first (declared; never changed)."""
        ...

    def complete(self, request: Request) -> Completion: ...

    def count_tokens(self, text: str) -> int: ...


class Delegating:
    """The plumbing of a backend that wraps another (cache, recorder, auth gate, Batch API
    pass): it declares what `inner` declares (name, context window, thread safety, whether
    calls cost money), and its model, modes and token counts are `inner`'s. One place, so a
    capability added to the protocol cannot be missing from one wrapper.
    """

    def __init__(self, inner: Backend):
        self.inner = inner
        self.name = inner.name
        self.priced = inner.priced
        self.context_tokens = inner.context_tokens
        self.concurrency_safe = inner.concurrency_safe

    @property
    def model(self) -> str:
        return self.inner.model

    @model.setter
    def model(self, value: str) -> None:
        self.inner.model = value

    @property
    def modes(self) -> tuple[StructuredMode, ...]:
        return tuple(self.inner.modes)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


class ModeState:
    """The structured-output modes still worth trying, best first, for one pipeline run.

    Lifetime: one run. `summarize_articles` makes one from the backend's declared `modes`,
    so a mode the endpoint refused is not tried again by the later calls of the same run,
    while the next run (the next CLI command, API call or MCP tool call, even on a cached
    backend) starts again from every declared mode: an endpoint that refused once because
    of a passing fault is not marked down for the life of the process. Thread-safe.
    """

    def __init__(self, modes: tuple[StructuredMode, ...]):
        self._modes: tuple[StructuredMode, ...] = tuple(modes) or ("prompted",)
        self._lock = threading.Lock()

    @property
    def current(self) -> StructuredMode:
        """The best mode not refused yet."""
        with self._lock:
            return self._modes[0] if self._modes else "prompted"

    @property
    def remaining(self) -> tuple[StructuredMode, ...]:
        with self._lock:
            return self._modes

    def refuse(self, mode: StructuredMode) -> bool:
        """Mark `mode` refused for the rest of the run; False when no mode is left."""
        with self._lock:
            self._modes = tuple(m for m in self._modes if m != mode)
            return bool(self._modes)
