"""Model-call accounting shared by the article and synthesis steps: call records, the re-ask
reserve and the per-chunk meter.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..errors import BudgetExceeded
from ..llm.base import Backend, Completion, Request
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
        """The result of a chunk refused by the budget after `attempts` calls."""
        error = ModelError(
            kind="budget",
            message=str(exc),
            attempts=self.attempts,
            usage=self.usage,
            last_output=(self.last.text or None) if self.last else None,
        )
        return StructuredResult(
            value=None,
            error=error,
            attempts=self.attempts,
            reasks=max(0, self.attempts - 1),
            usage=self.usage,
            finish_reason=self.last.finish_reason if self.last else None,
        )


def calls_made(result: StructuredResult) -> int:
    """Model calls of one chunk: the replies, or for a transport failure every request sent."""
    if result.error is not None and result.error.kind == "transport":
        return result.attempts + result.transport_retries + 1
    return result.attempts
