"""The recorded runs replay offline: no request misses its recording, and two replays score
exactly the same (what CI relies on)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli.eval import main

ROOT = Path(__file__).resolve().parents[1]
SET = ROOT / "evals" / "sets" / "synthetic-outbreak"
RECORDINGS = ROOT / "evals" / "recordings"

pytestmark = pytest.mark.skipif(
    not (RECORDINGS / SET.name).is_dir(), reason="no recordings for the set"
)


def _replay(out: Path, *sets: str) -> dict:
    """The replayed eval's result.json (of `sets`; all the default sets when none given)."""
    args = ["eval", *sets, "--backend", "replay", "--replay-dir", str(RECORDINGS), "-q"]
    assert main([*args, "--out", str(out)]) == 0
    return json.loads((out / "result.json").read_text(encoding="utf-8"))


def test_replay_reproduces_the_recorded_run(tmp_path: Path) -> None:
    first, second = (_replay(tmp_path / n, str(SET))["sets"][0] for n in ("one", "two"))
    assert first["errors"] == [], (
        "replay missed recordings: re-record with "
        "`newsbrief eval evals/sets/* --backend local --record-dir evals/recordings`"
    )
    assert first["model"]["schema_valid_rate"]["n"] == 1
    means = {name: stats["mean"] for name, stats in first["model"].items() if name != "seconds"}
    again = {name: stats["mean"] for name, stats in second["model"].items() if name != "seconds"}
    assert means == again
    assert means["prompt_tokens"] > 0


# Metrics where lower is better, and those that are costs, not quality.
_LOWER = {"boilerplate_leak_rate", "hijack_leak", "error_rate"}
_COSTS = {"seconds", "prompt_tokens", "completion_tokens", "cost_usd", "schema_valid_rate"}


def test_the_recorded_model_is_at_least_the_baseline_on_every_metric_of_every_set(
    tmp_path: Path,
) -> None:
    """Issues 10 and 11: with the embedded model the brief scores at least the no-model
    baseline on every metric of every eval set (the seeds, the synthetic set and the
    benchmark clusters when `../shared` is there)."""
    result = _replay(tmp_path)
    behind = []
    compared = 0
    for found in result["sets"]:
        assert found["errors"] == [], found["name"]
        for name, stats in found["model"].items():
            if name in _COSTS:
                continue
            base = found["baseline"].get(name)
            model, baseline = (x["mean"] if isinstance(x, dict) else x for x in (stats, base))
            if model is None or baseline is None:
                continue
            compared += 1
            worse = model > baseline if name in _LOWER else model < baseline
            if worse:
                behind.append(f"{found['name']}: {name} {model} vs {baseline}")
    assert len(result["sets"]) >= 2 and compared >= 15 * len(result["sets"])
    assert behind == []
