"""Spending limits: stop before a model call that could take the run over --max-cost/--max-tokens.

Before every attempt the call is priced at its worst case (the prompt's tokens, the schema's
when one is sent, plus the reply's `max_tokens`); what is already spent plus the worst case
reserved by calls in flight in other threads plus this worst case must fit. A call's
reservation ends when it returns (`after_call`), when the same thread asks again, or at
`release()` (the pipeline calls it when an article or the synthesis is over, so a call that
failed in transport does not keep its reservation). A refused call raises `BudgetExceeded`;
the pipeline keeps what is done and gives the rest code-only briefs marked `budget`.

Prices come from the pricing table for backends that declare `priced` (the openai backend);
the calls of other backends (embedded model, replay, scripted) and cache hits cost nothing,
whatever the model is called. A `--max-cost` run on a priced backend whose model has no price
is refused before any call (`check_priced`) unless `allow_unpriced` says to count it as free.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from ..errors import BudgetExceeded, ConfigError
from ..llm.base import Backend, Completion, Request
from ..llm.pricing import call_cost, estimate_cost, has_price


def check_priced(
    backend: Backend | None,
    max_cost: float | None,
    pricing: dict[str, Any] | None,
    allow_unpriced: bool = False,
) -> None:
    """Raise ConfigError when `max_cost` could not hold: the backend's calls cost money but
    its model has no price (it would be counted as free, so no cap would ever be reached).
    """
    if max_cost is None or backend is None or not backend.priced or allow_unpriced:
        return
    if has_price(backend.model, pricing):
        return
    raise ConfigError(
        f"--max-cost needs a price for model {backend.model!r}, which the price table lacks: "
        'give one with --pricing FILE ({"MODEL": {"input": USD, "output": USD}} per million '
        "tokens), or pass --allow-unpriced to run it with its calls counted as free"
    )


class Budget:
    def __init__(
        self,
        backend: Backend | None,
        max_cost: float | None = None,
        max_tokens: int | None = None,
        pricing: dict[str, Any] | None = None,
    ):
        self.backend = backend
        self.max_cost = max_cost
        self.max_tokens = max_tokens
        self.pricing = pricing
        self.spent_tokens = 0
        self.spent_cost = 0.0
        self.exhausted = False
        self.warnings: list[str] = []
        self._lock = threading.Lock()
        self._reserved: dict[
            int, tuple[int, float]
        ] = {}  # thread id -> worst case of its call in flight

    @property
    def limited(self) -> bool:
        return self.max_cost is not None or self.max_tokens is not None

    def _worst_case(self, request: Request) -> tuple[int, float]:
        assert self.backend is not None
        prompt = sum(self.backend.count_tokens(m["content"]) for m in request.messages)
        if request.schema is not None and request.mode != "prompted":
            prompt += self.backend.count_tokens(json.dumps(request.schema, separators=(",", ":")))
        tokens = prompt + request.max_tokens
        if not self.backend.priced:
            return tokens, 0.0
        return tokens, estimate_cost(self.backend.model, prompt, request.max_tokens, self.pricing)

    def before_call(self, request: Request) -> None:
        """Raise BudgetExceeded when the call could exceed a limit; otherwise reserve its worst
        case.
        """
        if not self.limited or self.backend is None:
            return
        tokens, cost = self._worst_case(request)
        me = threading.get_ident()
        with self._lock:
            self._reserved.pop(me, None)
            held_tokens = sum(t for t, _ in self._reserved.values())
            held_cost = sum(c for _, c in self._reserved.values())
            over_tokens = (
                self.max_tokens is not None
                and self.spent_tokens + held_tokens + tokens > self.max_tokens
            )
            over_cost = (
                self.max_cost is not None and self.spent_cost + held_cost + cost > self.max_cost
            )
            if over_tokens or over_cost:
                self.exhausted = True
                flight = (
                    (
                        f", {held_tokens} in flight"
                        if over_tokens
                        else f", {held_cost:.4f} in flight"
                    )
                    if self._reserved
                    else ""
                )
                what = (
                    f"--max-tokens {self.max_tokens} (spent {self.spent_tokens}{flight}, next call "
                    f"up to {tokens})"
                    if over_tokens
                    else f"--max-cost {self.max_cost} USD (spent {self.spent_cost:.4f}{flight}, "
                    f"next call up to {cost:.4f})"
                )
                message = f"budget reached: {what}; stopping model calls, keeping what is done"
                if not self.warnings:
                    self.warnings.append(message)
                raise BudgetExceeded(message)
            self._reserved[me] = (tokens, cost)

    def after_call(self, request: Request, completion: Completion) -> None:
        if self.backend is None:
            return
        cost = call_cost(self.backend, completion, self.pricing)
        with self._lock:
            self._reserved.pop(threading.get_ident(), None)
            self.spent_tokens += completion.prompt_tokens + completion.completion_tokens
            self.spent_cost += cost

    def release(self) -> None:
        """End the calling thread's reservation (its last call failed or its work is over)."""
        with self._lock:
            self._reserved.pop(threading.get_ident(), None)
