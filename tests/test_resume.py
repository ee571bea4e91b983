"""Resumable runs: a real `python -m agent summarize` process is interrupted (SIGINT) or killed
(SIGKILL) mid-run; the same command run again re-does no finished article and gives the same
brief as a run that was never interrupted. The fault server makes the run slow where wanted."""

from __future__ import annotations

import json
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


DAMAGED = {
    "null": b"null",
    "list": b"[1, 2]",
    "number": b"42",
    "string": b'"brief"',
    "empty": b"",
    "cut": b'{"brief": {"article_id": "a1"',
    "not-utf8": b'{"brief": "\xff\xfe"}',  # bytes that are not UTF-8
    "brief-null": b'{"brief": null, "calls": []}',
    "calls-number": None,  # a valid record whose "calls" is 5
    "bad-warnings": None,  # a valid record whose "warnings" is {"a": 1}
}


@pytest.mark.parametrize("damage", list(DAMAGED))
def test_a_record_that_is_not_a_record_is_ignored_with_a_warning_and_redone(
    inputs, fault_server, tmp_path, damage
):
    run_dir = tmp_path / "run"
    server = fault_server(text_length=24)
    backend = OpenAIBackend("fault-model", base_url=server.base_url, api_key="not-needed")
    articles = load_inputs(inputs)
    first = summarize_articles(articles, backend, RunOptions(concurrency=1, run_dir=run_dir))
    record = sorted((run_dir / "articles").glob("*.json"))[0]
    content = DAMAGED[damage]
    if content is None:
        data = json.loads(record.read_text(encoding="utf-8"))
        if damage == "calls-number":
            data["calls"] = 5
        else:
            data["warnings"] = {"a": 1}
        content = json.dumps(data).encode()
    record.write_bytes(content)
    sent = len(server.requests)
    brief = summarize_articles(articles, backend, RunOptions(concurrency=1, run_dir=run_dir))
    assert len(server.requests) - sent == 2  # the damaged record's article and the synthesis
    said = [w for w in brief.run.warnings if w.startswith("run dir: ignored the saved record")]
    assert len(said) == 1 and record.name in said[0] and "redone" in said[0]
    assert [a.error for a in brief.articles] == [None] * N
    assert [a.key_points for a in brief.articles] == [a.key_points for a in first.articles]
    json.loads(record.read_text(encoding="utf-8"))  # written again, whole


def test_a_record_or_brief_that_cannot_be_written_is_a_warning(inputs, fault_server, tmp_path):
    run_dir = tmp_path / "run"
    server = fault_server(text_length=24)
    backend = OpenAIBackend("fault-model", base_url=server.base_url, api_key="not-needed")
    articles = load_inputs(inputs)
    summarize_articles(articles, backend, RunOptions(concurrency=1, run_dir=run_dir))
    record = sorted((run_dir / "articles").glob("*.json"))[0]
    for path in (record, run_dir / "brief.json"):  # a non-empty directory where a file goes
        path.unlink()
        (path / "blocker").mkdir(parents=True)
    brief = summarize_articles(articles, backend, RunOptions(concurrency=1, run_dir=run_dir))
    assert [a.error for a in brief.articles] == [None] * N
    assert sum(w.startswith("run dir: could not save a") for w in brief.run.warnings) == 1
    assert any(
        w.startswith("run dir: could not save") and "brief.json" in w for w in brief.run.warnings
    )
    assert not list(run_dir.rglob("*.tmp"))  # the temporary files were removed


def test_a_null_record_through_the_cli_is_redone_without_traceback(inputs, fault_server, tmp_path):
    run_dir, out = tmp_path / "run", tmp_path / "brief.json"
    server = fault_server(text_length=24)
    first = subprocess.run(
        [*command(inputs, server, run_dir, out), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert first.returncode == 0, first.stderr
    for record in (run_dir / "articles").glob("*.json"):
        record.write_text("null", encoding="utf-8")
    sent = len(server.requests)
    again = subprocess.run(
        [*command(inputs, server, run_dir, out), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr and len(server.requests) - sent == N + 1
    brief = StoryBrief.model_validate_json(out.read_text())
    assert sum(w.startswith("run dir: ignored") for w in brief.run.warnings) == N


def test_a_second_run_on_a_run_dir_in_use_stops_and_a_killed_holder_leaves_no_lock(
    inputs, fault_server, tmp_path
):
    run_dir, out = tmp_path / "run", tmp_path / "brief.json"
    hanging = fault_server(lambda body, n: HANG, text_length=24)
    holder = subprocess.Popen(
        command(inputs, hanging, run_dir, out),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        wait_for(lambda: len(hanging.requests) >= 1)  # the holder is mid-run
        server = fault_server(text_length=24)
        second = subprocess.run(
            [*command(inputs, server, run_dir, out), "--no-cache"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        assert second.returncode == 2, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("newsbrief: error: --run-dir "), lines
        assert "in use by another newsbrief run" in lines[0] and f"process {holder.pid}" in lines[0]
        assert server.requests == [] and not out.exists()
        holder.kill()  # SIGKILL: no clean-up runs, the kernel drops the lock
        holder.wait(timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    third = subprocess.run(
        [*command(inputs, server, run_dir, out), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert third.returncode == 0, third.stderr
    assert len(server.requests) == N + 1
    fourth = subprocess.run(  # the lock is released at a normal exit too
        [*command(inputs, server, run_dir, out), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert fourth.returncode == 0, fourth.stderr
    assert len(server.requests) == N + 2  # every article resumed: only the synthesis is asked


def other_process_can_lock(run_dir: Path) -> bool:
    """Whether another process could take the run directory's flock right now."""
    probe = (
        "import fcntl, os, sys\n"
        "fd = os.open(sys.argv[1], os.O_RDWR)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(run_dir / ".lock")], timeout=60)
    return done.returncode == 0


def test_runs_inside_one_process_share_the_lock_and_it_is_released_after_the_last(
    inputs, fault_server, tmp_path
):
    """The stories of a batch or concurrent API calls may share a run directory; another
    process may not until the last of them has ended."""
    from agent.pipeline.rundir import RunDir

    run_dir = tmp_path / "run"
    server = fault_server(text_length=24)
    backend = OpenAIBackend("fault-model", base_url=server.base_url, api_key="not-needed")
    with RunDir(run_dir, backend, RunOptions()):
        assert not other_process_can_lock(run_dir)
        brief = summarize_articles(load_inputs(inputs), backend, RunOptions(run_dir=run_dir))
        assert [a.error for a in brief.articles] == [None] * N and len(server.requests) == N + 1
        assert not other_process_can_lock(run_dir)  # the first holder is still running
    assert other_process_can_lock(run_dir)


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
