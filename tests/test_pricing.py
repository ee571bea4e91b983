"""The price table and cost estimates."""

from __future__ import annotations

import pytest

from agent.errors import ConfigError
from agent.llm.pricing import DEFAULT_PRICES, estimate_cost, load_pricing, pricing_warning


def test_known_model_costs_per_million_tokens():
    prices = DEFAULT_PRICES["gpt-4o-mini"]
    assert estimate_cost("gpt-4o-mini", 1_000_000, 0) == pytest.approx(prices["input"])
    assert estimate_cost("gpt-4o-mini", 1000, 500) == pytest.approx(
        (1000 * prices["input"] + 500 * prices["output"]) / 1e6
    )
    # dated snapshots are priced like their family, the longest matching name first
    assert estimate_cost("gpt-4o-mini-2024-07-18", 1_000_000, 0) == pytest.approx(prices["input"])


def test_local_and_unknown_models_cost_nothing():
    assert estimate_cost("SmolLM2-135M-Instruct-Q4_1", 10_000, 10_000) == 0
    assert pricing_warning("SmolLM2-135M-Instruct-Q4_1") is None
    assert estimate_cost("mystery-model", 10_000, 10_000) == 0
    assert "mystery-model" in pricing_warning("mystery-model")
    assert pricing_warning("gpt-4.1") is None


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
