"""The backend interface: messages (and an optional JSON schema) in, text and usage out.

A backend is a small class with one method, `complete`, and capability flags. Everything
about parsing, validating and re-asking lives in `agent.llm.structured`, shared by all
backends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

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
    """Base class of every error a backend raises."""


class TransportError(BackendError):
    """The endpoint could not be reached or kept failing after the retries."""

    def __init__(self, message: str, attempts: int = 1):
        super().__init__(message)
        self.attempts = attempts


class ReplayMiss(BackendError):
    """Replay found no recording for a request."""


class ModeRejected(BackendError):
    """The endpoint refused the structured-output mode (e.g. json_schema -> HTTP 400/500)."""


@runtime_checkable
class Backend(Protocol):
    name: str  # "local", "openai", "replay"
    model: str  # model name recorded in outputs
    modes: tuple[StructuredMode, ...]  # structured modes to try, best first
    context_tokens: int  # context window
    concurrency_safe: bool  # may `complete` run in several threads at once?

    def complete(self, request: Request) -> Completion: ...

    def count_tokens(self, text: str) -> int: ...
