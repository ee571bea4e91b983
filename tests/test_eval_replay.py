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


def _replay(out: Path) -> dict:
    assert (
        main(
            [
                "eval",
                str(SET),
                "--backend",
                "replay",
                "--replay-dir",
                str(RECORDINGS),
                "-q",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return json.loads((out / "result.json").read_text(encoding="utf-8"))["sets"][0]


def test_replay_reproduces_the_recorded_run(tmp_path: Path) -> None:
    first, second = _replay(tmp_path / "one"), _replay(tmp_path / "two")
    assert first["errors"] == [], (
        "replay missed recordings: re-record with "
        "`newsbrief eval evals/sets/* --backend local --record-dir evals/recordings`"
    )
    assert first["model"]["schema_valid_rate"]["n"] == 1
    means = {name: stats["mean"] for name, stats in first["model"].items() if name != "seconds"}
    again = {name: stats["mean"] for name, stats in second["model"].items() if name != "seconds"}
    assert means == again
    assert means["prompt_tokens"] > 0
