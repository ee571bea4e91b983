"""Beyond one machine (issue 13): a batch split with `--part K/N` and run as independent
processes gives the same briefs as one process. Real `python -m agent batch` processes
against the fault server over HTTP; the parts run at the same time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agent.devtools.fault_server import FaultServer

ROOT = Path(__file__).resolve().parents[1]


def _write(path: Path, stories: int) -> list[str]:
    ids = []
    with path.open("w", encoding="utf-8") as handle:
        for s in range(stories):
            articles = [
                {
                    "title": f"Harbour wall {s}-{k} repaired in Oskby",
                    "text": (
                        f"The harbour wall number {s} in Oskby was repaired on Tuesday after "
                        f"{k + 3} weeks of work, the council said. It cost {20 + s} thousand "
                        f'pounds. "The boats are safe again," fisher Ada Holm {k} said.'
                    ),
                }
                for k in range(2)
            ]
            ids.append(f"story-{s}")
            handle.write(json.dumps({"id": ids[-1], "articles": articles}) + "\n")
    return ids


def _command(source: Path, out: Path, url: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "agent",
        "batch",
        str(source),
        "--out",
        str(out),
        "--backend",
        "openai",
        "--base-url",
        url,
        "--model",
        "fault-model",
        "--no-cache",
        "--quiet",
        *extra,
    ]


def _records(path: Path) -> dict[str, dict]:
    """Each story's record without what differs from run to run (times)."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        record.pop("seconds", None)
        brief = record.get("brief") or {}
        run = brief.get("run") or {}
        run.pop("seconds", None)
        for call in run.get("calls", []):
            call.pop("seconds", None)
        out[record["id"]] = record
    return out


def test_two_processes_on_halves_give_what_one_process_gives(tmp_path: Path) -> None:
    ids = _write(tmp_path / "in.jsonl", 8)
    with FaultServer(text_length=24) as server:
        one = subprocess.run(
            _command(tmp_path / "in.jsonl", tmp_path / "one.jsonl", server.base_url),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert one.returncode == 0, one.stderr
        parts = [
            subprocess.Popen(
                _command(
                    tmp_path / "in.jsonl",
                    tmp_path / f"part{k}.jsonl",
                    server.base_url,
                    "--part",
                    f"{k}/2",
                ),
                cwd=ROOT,
                stderr=subprocess.PIPE,
                text=True,
            )
            for k in (1, 2)
        ]
        for process in parts:
            assert process.wait(timeout=300) == 0, process.stderr.read() if process.stderr else ""
    halves = [_records(tmp_path / f"part{k}.jsonl") for k in (1, 2)]
    assert halves[0] and halves[1] and not set(halves[0]) & set(halves[1])  # each story once
    together = {**halves[0], **halves[1]}
    assert sorted(together) == sorted(ids)
    assert together == _records(tmp_path / "one.jsonl")


def test_a_bad_part_is_refused_with_one_line(tmp_path: Path) -> None:
    _write(tmp_path / "in.jsonl", 2)
    for part in ("3/2", "x", "0/2"):
        done = subprocess.run(
            _command(tmp_path / "in.jsonl", tmp_path / "o.jsonl", "http://127.0.0.1:9/v1")
            + ["--part", part],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert "part" in done.stderr and len(done.stderr.strip().splitlines()) == 1
