"""The API key never leaks: a recognisable key is planted in OPENAI_API_KEY and the CLI runs
with --run-dir, --record and --out, stderr captured: a good run, a run whose calls fail in
transport (HTTP 500s, then an unreachable server with the key in the URL too) and a run the
server answers with a 401 that echoes the key. Every file written and all output is searched."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

from agent.schemas import StoryBrief

ROOT = Path(__file__).resolve().parents[1]
KEY = f"sk-PLANTED-{uuid.uuid4().hex}"
TEXTS = [
    "Harbour crane collapses in Welby\n\n"
    "A harbour crane in Welby collapsed on Sunday night, port officials said. "
    'Nobody was hurt, but 14 ships were delayed. "We were lucky," harbour master Tom Reyes said.',
    "Welby port reopens after crane collapse\n\n"
    "The port of Welby reopened on Tuesday, two days after a crane fell. "
    "Officials said 14 ships had waited offshore. Repairs will cost about 2 million pounds.",
]


def inputs(folder: Path) -> list[str]:
    paths = []
    for i, text in enumerate(TEXTS):
        path = folder / f"in{i}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths


def summarize(
    base_url: str, work: Path, *extra: str, env: dict | None = None, articles: int = 2
) -> subprocess.CompletedProcess:
    work.mkdir()
    paths = inputs(work)[:articles]
    command = [
        sys.executable,
        "-m",
        "agent",
        "summarize",
        *paths,
        "--backend",
        "openai",
        "--base-url",
        base_url,
        "--model",
        "fault-model",
        "--concurrency",
        "1",
        "--run-dir",
        str(work / "run"),
        "--record",
        str(work / "rec"),
        "--out",
        str(work / "brief.json"),
        *extra,
    ]
    environment = {**os.environ, "OPENAI_API_KEY": KEY, **(env or {})}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=180, cwd=ROOT, env=environment
    )


def assert_no_key_anywhere(result: subprocess.CompletedProcess, work: Path) -> int:
    """The key is in no output and no file under `work`; returns how many files were searched."""
    assert KEY not in result.stdout and KEY not in result.stderr
    assert KEY[3:] not in result.stdout + result.stderr  # not even without its prefix
    files = [p for p in work.rglob("*") if p.is_file()]
    for path in files:
        data = path.read_bytes()
        assert KEY.encode() not in data and KEY[3:].encode() not in data, path
    return len(files)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_good_run_writes_no_key(fault_server, tmp_path):
    server = fault_server(text_length=24)
    result = summarize(server.base_url, tmp_path / "ok", env={"OPENAI_LOG": "debug"})
    assert result.returncode == 0, result.stderr[-2000:]
    searched = assert_no_key_anywhere(result, tmp_path / "ok")
    assert searched >= 2 + 2 + 1 + 1  # inputs, run-dir records, recordings, the brief
    assert (
        list((tmp_path / "ok" / "rec").glob("*.json"))
        and (tmp_path / "ok" / "run" / "brief.json").is_file()
    )
    assert all("Authorization" not in r["headers"] for r in server.requests)


def test_transport_failures_and_a_401_echoing_the_key_leak_nothing(fault_server, tmp_path):
    def script(
        body: dict, n: int
    ) -> str:  # a1: HTTP 500 every time (a transport error); a2: 401 echoing the key
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        return (
            "500"
            if user.startswith("Article a1")
            else "401"
            if user.startswith("Article a2")
            else "ok"
        )

    server = fault_server(script, text_length=24)
    result = summarize(server.base_url, tmp_path / "faults")
    assert result.returncode == 3, result.stderr[-2000:]
    assert_no_key_anywhere(result, tmp_path / "faults")
    brief = StoryBrief.model_validate_json((tmp_path / "faults" / "brief.json").read_text())
    kinds = [a.error.kind if a.error else None for a in brief.articles]
    assert kinds == ["transport", "auth"]  # a 401 is an auth error: it stops the run
    assert (
        "HTTP 401" in brief.articles[1].error.message and "***" in brief.articles[1].error.message
    )

    # the key in the URL as well
    url = f"http://user:{KEY}@127.0.0.1:{closed_port()}/v1?api_key={KEY}"
    result = summarize(url, tmp_path / "unreachable", "--timeout", "2", articles=1)
    assert result.returncode == 3, result.stderr[-2000:]
    assert_no_key_anywhere(result, tmp_path / "unreachable")
    brief = StoryBrief.model_validate_json((tmp_path / "unreachable" / "brief.json").read_text())
    assert [a.error.kind for a in brief.articles] == ["transport"]
    assert "could not connect" in brief.articles[0].error.message
