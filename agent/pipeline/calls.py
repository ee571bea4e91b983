"""Model-call accounting shared by the article and synthesis steps: call records, the re-ask
reserve, the per-chunk meter, and the gate that stops a run's calls once the endpoint has
refused the API key.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from ..errors import BudgetExceeded
from ..llm.base import AuthError, Backend, Completion, Delegating, Request
from ..llm.pricing import call_cost
from ..llm.schema_tools import compact_schema
from ..llm.structured import (
    MAX_LISTED_ERRORS,
    REPLY_ECHO_CHARS,
    StructuredResult,
)
from ..prompts.loader import load_prompt
from ..schemas import CallRecord, ModelError, Usage


def reask_reserve(backend: Backend, schema: dict[str, Any]) -> int:
    """Tokens a request may add to its prompt: the schema (prompted mode writes it into the
    prompt) and a re-ask (the echoed bad reply and the repair message).
    """
    count = backend.count_tokens
    schema_tokens = count(json.dumps(compact_schema(schema), separators=(",", ":"))) + 40
    errors = "\n".join(f"- {'x' * 100}" for _ in range(MAX_LISTED_ERRORS + 1))
    repair = count(load_prompt("repair").render(problem="y" * 200, errors=errors)[1]["content"])
    return schema_tokens + repair + REPLY_ECHO_CHARS // 3 + 10


def call_record(purpose: str, prompt_id: str, result: StructuredResult) -> CallRecord:
    return CallRecord(
        purpose=purpose,
        prompt_id=prompt_id,
        attempts=result.attempts,
        reasks=result.reasks,
        transport_retries=result.transport_retries,
        usage=result.usage,
        seconds=round(result.seconds, 3),
        cache_hit=result.cache_hits > 0,
        finish_reason=result.finish_reason,
        ok=result.value is not None,
    )


class Meter:
    """Counts the completions of one chunk (passed on to `after_call`), so the tokens of
    attempts made before a budget stop still count.
    """

    def __init__(
        self,
        backend: Backend,
        after_call: Callable[..., None] | None,
        pricing: dict[str, Any] | None,
    ):
        self.backend, self.after_call, self.pricing = backend, after_call, pricing
        self.attempts = 0
        self.usage = Usage()
        self.last: Completion | None = None

    def __call__(self, request: Request, completion: Completion) -> None:
        self.attempts += 1
        self.last = completion
        cost = call_cost(self.backend, completion, self.pricing)
        self.usage = self.usage.add(
            Usage(
                prompt_tokens=completion.prompt_tokens,
                completion_tokens=completion.completion_tokens,
                cost_usd=cost,
            )
        )
        if self.after_call is not None:
            self.after_call(request, completion)

    def stopped(self, exc: BudgetExceeded) -> StructuredResult:
        """The result of a chunk refused by the budget: the requests it had sent (from the
        exception's `partial` result when `complete_structured` set it) and their tokens.
        """
        partial = exc.partial if isinstance(exc.partial, StructuredResult) else None
        attempts = partial.attempts if partial is not None else self.attempts
        error = ModelError(
            kind="budget",
            message=str(exc),
            attempts=attempts,
            usage=self.usage,
            last_output=(self.last.text or None) if self.last else None,
        )
        return StructuredResult(
            value=None,
            error=error,
            attempts=attempts,
            reasks=partial.reasks if partial is not None else max(0, self.attempts - 1),
            transport_retries=partial.transport_retries if partial is not None else 0,
            usage=self.usage,
            finish_reason=self.last.finish_reason if self.last else None,
            seconds=partial.seconds if partial is not None else 0.0,
            cache_hits=partial.cache_hits if partial is not None else 0,
            warnings=list(partial.warnings) if partial is not None else [],
        )


def calls_made(result: StructuredResult) -> int:
    """Requests sent for one chunk (`StructuredResult.attempts`: retries, rejected structured
    modes and re-asks included).
    """
    return result.attempts


class CallGate(Delegating):
    """The run's backend behind a gate: once the endpoint refused the API key (`AuthError`,
    HTTP 401/403), no further request is sent in this run, from any thread: `complete`
    raises `AuthError` with `requests=0` at once. Everything else is the inner backend's.
    Lifetime: one run (the next run, with the same backend object, asks again).
    """

    def __init__(self, inner: Backend, slots: threading.Semaphore | None = None):
        super().__init__(inner)
        self.refused: str | None = None  # the first refusal, once there is one
        self._lock = threading.Lock()
        self._slots = slots  # shared with other runs: a limit on the calls in flight

    def complete(self, request: Request) -> Completion:
        if self._slots is None:
            return self._complete(request)
        with self._slots:
            return self._complete(request)

    def _complete(self, request: Request) -> Completion:
        if self.refused is not None:
            raise AuthError(f"not sent: {self.refused} (earlier in this run)", requests=0)
        try:
            return self.inner.complete(request)
        except AuthError as err:
            with self._lock:
                if self.refused is None:
                    self.refused = str(err)
            raise
