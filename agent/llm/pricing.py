"""Token prices and cost estimates.

Prices are US dollars per one million tokens, as published list prices at the time of
writing (standard tier, no cached-input discount). They change: override them with
`--pricing FILE` (JSON or TOML: `{"model": {"input": X, "output": Y}}`), which is merged
over this table. Calls made through the OpenAI Batch API (`newsbrief batch --batch-api`)
cost `BATCH_DISCOUNT` (half) of these prices: `estimate_cost(..., batch=True)`, and
`call_cost` for a completion marked `raw["batch"]` (set by `agent.llm.batch_api`).

Whether calls cost money at all is the backend's declared `priced` capability, never read
from the model's name: the embedded model, replay and scripted backends are free, and so is
a reply from the response cache; a priced backend (the openai one, whatever endpoint it
talks to) is priced from the table. A model missing from the table is counted as free with
a warning (`pricing_warning`), and a `--max-cost` run refuses to start with it
(`agent.pipeline.budget.check_priced`) unless told otherwise.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..tomlfile import parse_toml
from .base import Backend, Completion

PriceTable = dict[str, dict[str, float]]

BATCH_DISCOUNT = 0.5  # the Batch API bills input and output tokens at half the list price

# USD per 1M tokens (input, output); as of writing, overridable with load_pricing().
DEFAULT_PRICES: PriceTable = {
    "gpt-4o": {"input": 2.50, "output": 10.00},
    "gpt-4o-mini": {"input": 0.15, "output": 0.60},
    "gpt-4.1": {"input": 2.00, "output": 8.00},
    "gpt-4.1-mini": {"input": 0.40, "output": 1.60},
    "gpt-4.1-nano": {"input": 0.10, "output": 0.40},
    "gpt-3.5-turbo": {"input": 0.50, "output": 1.50},
}


def _lookup(model: str, table: PriceTable) -> dict[str, float] | None:
    """Exact name first, then the longest table name the model starts with
    (so 'gpt-4o-mini-2024-07-18' is priced as 'gpt-4o-mini').
    """
    if model in table:
        return table[model]
    prefixes = [name for name in table if model.startswith(name + "-")]
    return table[max(prefixes, key=len)] if prefixes else None


def has_price(model: str, table: PriceTable | None = None) -> bool:
    """Whether the table (default: the built-in one) prices `model`."""
    return _lookup(model, table if table is not None else DEFAULT_PRICES) is not None


def estimate_cost(
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    table: PriceTable | None = None,
    *,
    batch: bool = False,
) -> float:
    """Estimated cost in USD of one call at the table's prices (0.0 for a model it lacks);
    `batch`: made through the Batch API, at `BATCH_DISCOUNT` of those prices.
    """
    prices = _lookup(model, table if table is not None else DEFAULT_PRICES)
    if prices is None:
        return 0.0
    cost = prompt_tokens * prices.get("input", 0.0) + completion_tokens * prices.get("output", 0.0)
    if batch:
        cost *= BATCH_DISCOUNT
    return round(cost / 1_000_000, 8)


def call_cost(backend: Backend, completion: Completion, table: PriceTable | None = None) -> float:
    """Estimated cost in USD of one completion: 0.0 when the backend declares its calls free
    or the answer came from a cache; half price for an answer of the Batch API.
    """
    if not backend.priced or completion.cache_hit:
        return 0.0
    return estimate_cost(
        backend.model,
        completion.prompt_tokens,
        completion.completion_tokens,
        table,
        batch=bool(completion.raw.get("batch")),
    )


def pricing_warning(model: str, table: PriceTable | None = None) -> str | None:
    """A one-line warning when `model` has no price, else None (ask only for priced backends)."""
    if has_price(model, table):
        return None
    return (
        f"no price known for model {model!r}: its cost is counted as 0 (add it with --pricing FILE)"
    )


def load_pricing(path: str | os.PathLike[str]) -> PriceTable:
    """Read a JSON or TOML price file and merge it over the defaults."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read pricing file {file}: {err.strerror or err}") from None
    if file.suffix.lower() == ".toml":
        data: Any = parse_toml(text, f"pricing file {file}")
    else:
        try:
            data = json.loads(text)
        except ValueError as err:
            raise ConfigError(f"pricing file {file} is not valid JSON: {err}") from None
    table = {name: dict(prices) for name, prices in DEFAULT_PRICES.items()}
    if not isinstance(data, dict):
        raise ConfigError(f"pricing file {file} must map model names to {{input, output}}")
    for model, prices in data.items():
        if not isinstance(prices, dict) or not {"input", "output"} <= set(prices):
            raise ConfigError(f"pricing file {file}: {model!r} needs 'input' and 'output' prices")
        try:
            table[str(model)] = {"input": float(prices["input"]), "output": float(prices["output"])}
        except (TypeError, ValueError):
            raise ConfigError(f"pricing file {file}: prices of {model!r} must be numbers") from None
    return table
