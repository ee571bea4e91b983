"""`check --pairs`: one output record per input line, in order, even for broken lines."""

from __future__ import annotations

import json
from pathlib import Path

from agent.grounding.pairs import check_pairs, run_pairs

DOCUMENT = (
    "The council approved the new bridge on Tuesday. Work will start in May and cost "
    "4 million pounds, the mayor said."
)


def _line(**row: object) -> str:
    return json.dumps(row)


def test_records_follow_input_order_and_ignore_labels() -> None:
    lines = [
        _line(id="p1", claim="The council approved the new bridge on Tuesday.",
              document=DOCUMENT, label=0),
        _line(id="p2", claim="The council rejected the new bridge on Friday.", document=DOCUMENT),
        _line(id=3, claim="Work will start in May. It will cost 9 million pounds.",
              document=DOCUMENT),
    ]  # fmt: skip
    out = list(check_pairs(lines))
    assert [r["id"] for r in out] == ["p1", "p2", 3]
    assert set(out[0]) == {"id", "verdict", "score", "evidence", "reasons"}
    assert out[0]["verdict"] == "supported" and out[0]["evidence"] == ["s1"]
    assert out[1]["verdict"] in ("unsupported", "contradicted") and out[1]["reasons"]
    assert out[2]["verdict"] != "supported"
    assert any("9" in reason for reason in out[2]["reasons"])


def test_malformed_lines_still_get_one_record_each() -> None:
    lines = ["{not json", "[1, 2]", _line(id="x", claim="A claim."), _line(claim="", document="d"),
             "", _line(id="ok", claim="Work will start in May.", document=DOCUMENT)]  # fmt: skip
    out = list(check_pairs(lines))
    assert len(out) == len(lines)
    assert [r["id"] for r in out] == [None, None, "x", None, None, "ok"]
    for record in out[:5]:
        assert record["verdict"] == "unsupported"
        assert record["reasons"][0].startswith("malformed line")
    assert "document" in out[2]["reasons"][0]
    assert out[5]["verdict"] == "supported"


def test_run_pairs_writes_jsonl(tmp_path: Path) -> None:
    src = tmp_path / "pairs.jsonl"
    src.write_text(_line(id="a", claim="The mayor said work will start in May.",
                         document=DOCUMENT) + "\n" + "oops\n", encoding="utf-8")  # fmt: skip
    dst = tmp_path / "out.jsonl"
    assert run_pairs(src, dst) == 0
    rows = [json.loads(line) for line in dst.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", None]
    assert rows[0]["verdict"] == "supported"


def test_run_pairs_unreadable_input_is_exit_2(tmp_path: Path, capsys) -> None:
    assert run_pairs(tmp_path / "missing.jsonl", None) == 2
    assert "cannot read" in capsys.readouterr().err
    assert run_pairs(tmp_path, None) == 2
