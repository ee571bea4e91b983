"""The price table and cost estimates."""

from __future__ import annotations

import pytest

from agent.errors import ConfigError
from agent.llm.base import Completion
from agent.llm.openai_backend import OpenAIBackend
from agent.llm.pricing import (
    DEFAULT_PRICES,
    call_cost,
    estimate_cost,
    has_price,
    load_pricing,
    pricing_warning,
)
from agent.llm.scripted import ScriptedBackend


def test_known_model_costs_per_million_tokens():
    prices = DEFAULT_PRICES["gpt-4o-mini"]
    assert estimate_cost("gpt-4o-mini", 1_000_000, 0) == pytest.approx(prices["input"])
    assert estimate_cost("gpt-4o-mini", 1000, 500) == pytest.approx(
        (1000 * prices["input"] + 500 * prices["output"]) / 1e6
    )
    # dated snapshots are priced like their family, the longest matching name first
    assert estimate_cost("gpt-4o-mini-2024-07-18", 1_000_000, 0) == pytest.approx(prices["input"])


def test_unknown_models_cost_nothing_and_are_warned_about():
    assert estimate_cost("mystery-model", 10_000, 10_000) == 0
    assert "mystery-model" in pricing_warning("mystery-model")
    assert pricing_warning("gpt-4.1") is None and has_price("gpt-4.1")


@pytest.mark.parametrize(
    "model",
    [
        "meta-llama/Llama-3.1-70B-Instruct",  # a "/" once made any model free
        "my-local-model",  # and so did "local", "fault", "smollm", ".gguf" in the name
        "SmolLM2-135M-Instruct-Q4_1.gguf",
        "fault-model",
    ],
)
def test_a_models_name_never_makes_it_free(model):
    assert not has_price(model) and model in pricing_warning(model)
    assert has_price(model, {**DEFAULT_PRICES, model: {"input": 1.0, "output": 1.0}})


def test_whether_calls_cost_money_is_the_backends_declared_capability():
    reply = Completion(text="{}", prompt_tokens=1_000_000, completion_tokens=0)
    priced = OpenAIBackend("gpt-4o", base_url="http://127.0.0.1:9/v1", api_key="sk-test-x")
    assert priced.priced and call_cost(priced, reply) == pytest.approx(
        DEFAULT_PRICES["gpt-4o"]["input"]
    )
    cached = Completion(text="{}", prompt_tokens=1_000_000, cache_hit=True)
    assert call_cost(priced, cached) == 0  # a reply from the response cache costs nothing
    free = ScriptedBackend(["{}"], model="gpt-4o")  # a priced name on a free backend
    assert not free.priced and call_cost(free, reply) == 0


def test_load_pricing_json_and_toml_merge_over_defaults(tmp_path):
    json_file = tmp_path / "prices.json"
    json_file.write_text(
        '{"my-model": {"input": 1, "output": 2}, "gpt-4o": {"input": 0, "output": 0}}'
    )
    table = load_pricing(json_file)
    assert estimate_cost("my-model", 1_000_000, 1_000_000, table) == pytest.approx(3.0)
    assert estimate_cost("gpt-4o", 1_000_000, 1_000_000, table) == 0
    assert table["gpt-4.1"] == DEFAULT_PRICES["gpt-4.1"]
    toml_file = tmp_path / "prices.toml"
    toml_file.write_text('["my-model"]\ninput = 0.5\noutput = 1.5\n')
    assert load_pricing(toml_file)["my-model"] == {"input": 0.5, "output": 1.5}


@pytest.mark.parametrize(
    "content", ["{not json", '{"m": {"input": 1}}', '{"m": {"input": "x", "output": 1}}', "[1]"]
)
def test_bad_pricing_files_are_config_errors(tmp_path, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_pricing(bad)
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError):
        load_pricing(tmp_path / "missing.json")
