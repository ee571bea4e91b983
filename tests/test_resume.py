"""Resumable runs: a real `python -m agent summarize` process is interrupted (SIGINT) or killed
(SIGKILL) mid-run; the same command run again re-does no finished article and gives the same
brief as a run that was never interrupted. The fault server makes the run slow where wanted."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.ingest.read import load_inputs
from agent.llm.openai_backend import OpenAIBackend
from agent.pipeline.options import RunOptions
from agent.pipeline.run import summarize_articles
from agent.schemas import StoryBrief

ROOT = Path(__file__).resolve().parents[1]
HANG = {
    "kind": "hang",
    "seconds": 60,
}  # much longer than the test waits: only an abandoned call ends this fast
N = 4


def texts() -> list[str]:
    return [
        f"Bridge {i} reopens in Tallow\n\n"
        f"The bridge number {i} in Tallow reopened on Tuesday after "
        f"{i + 3} weeks of repairs, the council said. Repairs cost {40 + i} thousand pounds. "
        f'"We are glad it is open," shop owner Ada Venn said of bridge {i}.'
        for i in range(1, N + 1)
    ]


@pytest.fixture
def inputs(tmp_path) -> list[str]:
    paths = []
    for i, text in enumerate(texts()):
        path = tmp_path / f"{i}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths


def article_of(body: dict) -> str:
    first_user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    found = re.match(r"Article (a\d+)", first_user)
    return found.group(1) if found else "synthesis"


def slow_after_first(body: dict, n: int):
    """a1 answers at once; every other request hangs."""
    return "ok" if article_of(body) == "a1" else HANG


def command(paths: list[str], server, run_dir: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "agent",
        "summarize",
        *paths,
        "--backend",
        "openai",
        "--base-url",
        server.base_url,
        "--model",
        "fault-model",
        "--concurrency",
        "2",
        "--run-dir",
        str(run_dir),
        "--out",
        str(out),
    ]


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the run to get there"
        time.sleep(0.05)


def without_timings(brief: StoryBrief) -> dict:
    data = brief.model_dump(mode="json")
    for key in ("seconds", "cache_hits"):
        data["run"].pop(key)
    for call in data["run"]["calls"]:
        call.pop("seconds")
    return data


def start_and_stop(
    paths: list[str], fault_server, run_dir: Path, out: Path, sig: int
) -> tuple[subprocess.Popen, float]:
    """Start a run, let a1 finish and two more calls hang, then send `sig`.

    Returns (process, seconds to exit).
    """
    server = fault_server(slow_after_first, text_length=24)
    process = subprocess.Popen(
        command(paths, server, run_dir, out),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        wait_for(
            lambda: (
                len(list((run_dir / "articles").glob("*.json"))) == 1 and len(server.requests) >= 3
            )
        )
        sent = time.monotonic()
        process.send_signal(sig)
        process.wait(timeout=30)
        return process, time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def resume(
    paths: list[str], fault_server, run_dir: Path, out: Path
) -> tuple[StoryBrief, list[str]]:
    server = fault_server(text_length=24)
    result = subprocess.run(
        command(paths, server, run_dir, out), capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return StoryBrief.model_validate_json(out.read_text()), [
        article_of(r["json"]) for r in server.requests
    ]


def reference(paths: list[str], fault_server) -> StoryBrief:
    """The same run never interrupted (in process, same settings)."""
    server = fault_server(text_length=24)
    backend = OpenAIBackend("fault-model", base_url=server.base_url, api_key="not-needed")
    return summarize_articles(load_inputs(paths), backend, RunOptions(concurrency=2))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_interrupted_run_resumes_without_redoing_finished_articles(
    inputs, fault_server, tmp_path, sig
):
    run_dir, out = tmp_path / "run", tmp_path / "brief.json"
    process, seconds = start_and_stop(inputs, fault_server, run_dir, out, sig)
    stderr = process.stderr.read()
    if sig == signal.SIGINT:
        assert process.returncode == 130
        assert "Traceback" not in stderr
        assert stderr.strip().splitlines() == [
            "newsbrief: interrupted; finished articles are kept in --run-dir when one was given"
        ]
        assert seconds < 10, "Ctrl-C waited for the calls in flight"
    else:
        assert process.returncode == -signal.SIGKILL
    assert not out.exists()
    assert len(list((run_dir / "articles").glob("*.json"))) == 1
    assert not list(run_dir.rglob("*.tmp")) or sig == signal.SIGKILL

    brief, asked = resume(inputs, fault_server, run_dir, out)
    assert sorted(asked) == ["a2", "a3", "a4", "synthesis"]  # a1 is not asked again
    assert brief.run.cache_hits == 1
    assert without_timings(brief) == without_timings(reference(inputs, fault_server))
    assert (run_dir / "brief.json").is_file()


def test_a_damaged_record_or_a_changed_setting_is_redone(inputs, fault_server, tmp_path):
    run_dir = tmp_path / "run"
    server = fault_server(text_length=24)
    backend = OpenAIBackend("fault-model", base_url=server.base_url, api_key="not-needed")
    articles = load_inputs(inputs)
    summarize_articles(articles, backend, RunOptions(concurrency=1, run_dir=run_dir))
    assert len(server.requests) == N + 1
    records = sorted((run_dir / "articles").glob("*.json"))
    assert len(records) == N
    records[0].write_text('{"brief": {"article_id": "a1"', encoding="utf-8")  # cut short
    summarize_articles(articles, backend, RunOptions(concurrency=1, run_dir=run_dir))
    assert len(server.requests) == N + 1 + 2  # the damaged article and the synthesis
    summarize_articles(articles, backend, RunOptions(concurrency=1, run_dir=run_dir, max_reasks=1))
    assert len(server.requests) == N + 1 + 2 + N + 1  # another setting: every article again


def test_ctrl_c_during_the_synthesis_exits_130_without_traceback(inputs, fault_server, tmp_path):
    def synthesis_hangs(body: dict, n: int):
        return HANG if article_of(body) == "synthesis" else "ok"

    server = fault_server(synthesis_hangs, text_length=24)
    run_dir, out = tmp_path / "run", tmp_path / "brief.json"
    process = subprocess.Popen(
        command(inputs, server, run_dir, out),
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_for(lambda: any(article_of(r["json"]) == "synthesis" for r in server.requests))
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in process.stderr.read()
    assert len(list((run_dir / "articles").glob("*.json"))) == N  # every article kept
