"""`newsbrief batch --batch-api`: the OpenAI Batch API mode, through the real `openai` client
over HTTP to the fault server's files and batches endpoints on 127.0.0.1.

What is checked: the same briefs and the very same request bodies as the normal concurrent
path against the same replies, at half the cost; a failed line, an expired and a cancelled
batch give typed errors and partial stories; a re-ask goes into the next batch; a batch that
fails validation, an endpoint without a Batch API and bad options stop with one line; a run
killed while its batch is running resumes without submitting again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import openai
import pytest
from test_batch import records, write_batch

from agent import Settings
from agent.cli import main
from agent.devtools.fault_server import FaultServer
from agent.stories.batch import run_batch
from agent.stories.batch_api import run_batch_api, state_paths

TOWNS = ["Port Elms", "Brackwater", "Lindale"]  # stories 0, 1, 2 of write_batch
KEY = "sk-test-batch-api"


def settings_for(server: FaultServer) -> Settings:
    return Settings(
        backend="openai",
        base_url=server.base_url,
        api_key=KEY,
        model="gpt-4o-mini",  # priced, so the half price shows
        timeout=5,
        cache=False,
    )


def batch_run(server: FaultServer, tmp: Path, out: str = "briefs.jsonl", **kwargs: Any) -> Any:
    kwargs.setdefault("poll_every", 0.01)
    kwargs.setdefault("progress", None)
    return run_batch_api(tmp / "in.jsonl", settings=settings_for(server), out=tmp / out, **kwargs)


def by_id(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in records(path)}


def article_call(body: dict, town: str, k: int) -> bool:
    """Whether a request body is the per-article call of article `k` of the story in `town`."""
    fmt = (body.get("response_format") or {}).get("json_schema") or {}
    text = json.dumps(body["messages"])
    return fmt.get("name") == "ArticleDraft" and f"in {town}" in text and f"Varn {k} said" in text


def errors_of(record: dict) -> dict[str, tuple[str, int]]:
    """article id -> (error kind, attempts) for every article of a record with an error."""
    return {
        a["article_id"]: (a["error"]["kind"], a["error"]["attempts"])
        for a in record["brief"]["articles"]
        if a["error"] is not None
    }


def canon(bodies: list[dict]) -> list[str]:
    return sorted(json.dumps(b, sort_keys=True) for b in bodies)


def test_same_briefs_and_bodies_as_the_normal_path_at_half_the_cost(tmp_path: Path) -> None:
    write_batch(tmp_path / "in.jsonl", 3)
    with FaultServer(text_length=24) as live:
        run_batch(
            tmp_path / "in.jsonl",
            settings=settings_for(live),
            out=tmp_path / "normal.jsonl",
            progress=None,
        )
        sent_live = [r["json"] for r in live.requests if r["path"].endswith("/chat/completions")]
    with FaultServer(text_length=24) as server:
        summary = batch_run(server, tmp_path)
        assert not [r for r in server.requests if r["path"].endswith("/chat/completions")]
        sent_batch = [line["json"] for line in server.batch_lines]
        assert (server.uploads, server.batch_creations) == (2, 2)  # articles, then syntheses
        first, second = (server.batches[f"batch_fault000{n}"] for n in (1, 2))
        assert len(first["lines"]) == 6 and len(second["lines"]) == 3
        assert {
            line["body"]["response_format"]["json_schema"]["name"] for line in first["lines"]
        } == {"ArticleDraft"}
        reported = server.reported_usage()
    assert len(sent_live) == 9 and canon(sent_batch) == canon(sent_live)  # the very same bodies
    normal, batch = by_id(tmp_path / "normal.jsonl"), by_id(tmp_path / "briefs.jsonl")
    assert sorted(batch) == ["story-0", "story-1", "story-2"]
    for story_id, record in batch.items():
        assert record["status"] == "ok" == normal[story_id]["status"]
        brief, run_meta = dict(record["brief"]), record["brief"]["run"]
        live_brief = dict(normal[story_id]["brief"])
        live_run = live_brief.pop("run")
        brief.pop("run")
        assert brief == live_brief  # headline, overview, articles, consensus... all the same
        assert run_meta["backend"] == "openai-batch" and run_meta["model"] == "gpt-4o-mini"
        assert run_meta["usage"]["prompt_tokens"] == live_run["usage"]["prompt_tokens"]
        assert live_run["usage"]["cost_usd"] > 0
        assert run_meta["usage"]["cost_usd"] == pytest.approx(
            live_run["usage"]["cost_usd"] / 2, abs=1e-7
        )
        assert all(call["ok"] and call["attempts"] == 1 for call in run_meta["calls"])
    assert summary.prompt_tokens + summary.completion_tokens == sum(reported.values())
    assert (summary.ok, summary.partial, summary.failed, summary.waiting) == (3, 0, 0, 0)
    assert "Batch API at half price: 2 batches" in summary.line()
    assert not any(p.exists() for p in state_paths(tmp_path / "briefs.jsonl"))  # all done


def test_a_failed_line_gives_that_article_a_typed_error_and_code_s_brief(tmp_path: Path) -> None:
    write_batch(tmp_path / "in.jsonl", 3)

    def script(body: dict, n: int) -> str:
        if article_call(body, TOWNS[1], 0):
            return "500"  # an error-file line with a response status
        if article_call(body, TOWNS[2], 1):
            return "drop"  # an error-file line with no response
        return "ok"

    with FaultServer(script, text_length=24) as server:
        summary = batch_run(server, tmp_path, out="briefs")
        assert server.batch_creations == 2
        steps = sorted(line["step"] for line in server.batch_lines)
    assert steps.count("500") == 1 and steps.count("drop") == 1  # each line ran once
    stories = ("story-0", "story-1", "story-2")
    got = {s: json.loads((tmp_path / "briefs" / f"{s}.json").read_text()) for s in stories}
    assert got["story-0"]["status"] == "ok" and errors_of(got["story-0"]) == {}
    assert got["story-1"]["status"] == "partial"
    assert errors_of(got["story-1"]) == {"a1": ("batch_failed", 1)}
    assert errors_of(got["story-2"]) == {"a2": ("batch_failed", 1)}
    failed = got["story-1"]["brief"]["articles"][0]
    assert "HTTP 500" in failed["error"]["message"]
    assert failed["summary"] and failed["summary_origin"] == "code"  # code's extractive brief
    for story in ("story-1", "story-2"):  # the synthesis still ran, over what there was
        assert got[story]["brief"]["synthesis_error"] is None
        assert [e["kind"] for e in got[story]["errors"]] == ["batch_failed"]
    assert (summary.ok, summary.partial) == (1, 2)
    assert (tmp_path / "briefs" / "index.md").is_file()


@pytest.mark.parametrize(
    ("outcome", "kind", "expected"),
    [
        # 6 article lines in input order (story-0 a1 a2, story-1 a1 a2, story-2 a1 a2)
        ({"outcome": "expired", "done": 2}, "batch_expired", {"story-1": 2, "story-2": 2}),
        ({"outcome": "cancelled", "done": 3}, "batch_cancelled", {"story-1": 1, "story-2": 2}),
    ],
)
def test_an_expired_or_cancelled_batch_keeps_its_finished_lines(
    tmp_path: Path, outcome: dict, kind: str, expected: dict[str, int]
) -> None:
    write_batch(tmp_path / "in.jsonl", 3)
    with FaultServer(batch_script=[outcome], text_length=24) as server:
        summary = batch_run(server, tmp_path)
        first = server.batches["batch_fault0001"]["object"]
        assert first["status"] == outcome["outcome"]
        assert first["request_counts"]["completed"] == outcome["done"]
        assert server.batch_creations == 2  # the syntheses still go out
        assert len(server.batch_lines) == outcome["done"] + 3
    got = by_id(tmp_path / "briefs.jsonl")
    assert got["story-0"]["status"] == "ok"
    for story_id, count in expected.items():
        record = got[story_id]
        assert record["status"] == "partial"
        errors = errors_of(record)
        assert len(errors) == count and {e for e in errors.values()} == {(kind, 0)}  # never ran
        assert record["brief"]["synthesis_error"] is None
    assert (summary.ok, summary.partial) == (1, 2)


def test_a_reply_failing_validation_is_re_asked_in_the_next_batch(tmp_path: Path) -> None:
    write_batch(tmp_path / "in.jsonl", 3)

    def script(body: dict, n: int) -> str:
        """story-2's first article: the first reply fails the schema, the re-ask is fine."""
        asked_again = any(m["role"] == "assistant" for m in body["messages"])
        return "schema_fail" if article_call(body, TOWNS[2], 0) and not asked_again else "ok"

    with FaultServer(script, text_length=24) as live:
        run_batch(
            tmp_path / "in.jsonl",
            settings=settings_for(live),
            out=tmp_path / "normal.jsonl",
            progress=None,
        )
    with FaultServer(script, text_length=24) as server:
        batch_run(server, tmp_path)
        sizes = [len(server.batches[b]["lines"]) for b in sorted(server.batches)]
    # articles; story-2's re-ask with the syntheses of story-0 and story-1; story-2's synthesis
    assert sizes == [6, 3, 1]
    got, normal = by_id(tmp_path / "briefs.jsonl"), by_id(tmp_path / "normal.jsonl")
    assert {r["status"] for r in got.values()} == {"ok"}
    calls = {c["purpose"]: c for c in got["story-2"]["brief"]["run"]["calls"]}
    assert (calls["article:a1"]["reasks"], calls["article:a1"]["attempts"]) == (1, 2)
    for story_id, record in got.items():
        brief, live_brief = dict(record["brief"]), dict(normal[story_id]["brief"])
        brief.pop("run"), live_brief.pop("run")
        assert brief == live_brief


def test_with_no_reasks_a_bad_reply_is_a_typed_error_at_once(tmp_path: Path) -> None:
    write_batch(tmp_path / "in.jsonl", 2)

    def script(body: dict, n: int) -> str:
        return "invalid_json" if article_call(body, TOWNS[1], 1) else "ok"

    with FaultServer(script, text_length=24) as server:
        batch_run(server, tmp_path, reasks=0)
        assert server.batch_creations == 2
    got = by_id(tmp_path / "briefs.jsonl")
    assert got["story-0"]["status"] == "ok"
    assert errors_of(got["story-1"]) == {"a2": ("invalid_json", 1)}


def test_a_refused_structured_mode_falls_back_in_the_next_batch(tmp_path: Path) -> None:
    write_batch(tmp_path / "in.jsonl", 2)
    # every json_schema line answers HTTP 500 naming response_format, as llama.cpp's server
    with FaultServer(default="reject_json_schema", text_length=24) as server:
        batch_run(server, tmp_path)
        modes = [
            {line["body"]["response_format"]["type"] for line in server.batches[b]["lines"]}
            for b in sorted(server.batches)
        ]
    assert modes == [{"json_schema"}, {"json_object"}, {"json_object"}]
    for record in records(tmp_path / "briefs.jsonl"):
        assert record["status"] == "ok" and record["brief"]["run"]["structured_mode"] == (
            "json_object"
        )
        assert any("rejected by the endpoint" in w for w in record["brief"]["run"]["warnings"])


def cli(args: list[str], server: FaultServer, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return main(
        [
            "batch",
            str(tmp / "in.jsonl"),
            "--out",
            str(tmp / "briefs.jsonl"),
            "--base-url",
            server.base_url,
            "--model",
            "gpt-4o-mini",
            "--no-cache",
            "--quiet",
            *args,
        ]
    )


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("newsbrief: error: ")
    return lines[0]


def test_a_batch_failing_validation_stops_with_one_line_then_a_rerun_resubmits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_batch(tmp_path / "in.jsonl", 2)
    failed = {"outcome": "failed", "message": "model gpt-4o-mini is not enabled for batch"}
    with FaultServer(batch_script=[failed], text_length=24) as server:
        code = cli(["--batch-api", "--batch-poll", "0.01"], server, tmp_path, monkeypatch)
        line = one_error_line(capsys.readouterr().err)
        assert code == 1
        assert "batch batch_fault0001 (round 1) failed validation: model gpt-4o-mini is not" in line
        assert not server.batch_lines and not (tmp_path / "briefs.jsonl").exists()
        code = cli(["--batch-api", "--batch-poll", "0.01"], server, tmp_path, monkeypatch)
        assert code == 0 and server.batch_creations == 3  # a fresh round 1, then round 2
    assert {r["status"] for r in records(tmp_path / "briefs.jsonl")} == {"ok"}


def test_bad_settings_and_an_endpoint_without_a_batch_api_give_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_batch(tmp_path / "in.jsonl", 1)
    with FaultServer(batch_api=False) as server:  # like vLLM or llama.cpp's server
        assert cli(["--batch-api"], server, tmp_path, monkeypatch) == 2
        line = one_error_line(capsys.readouterr().err)
        assert "HTTP 404" in line and "no Batch API" in line and "without --batch-api" in line
        assert KEY not in line
        assert cli(["--batch-api", "--backend", "none"], server, tmp_path, monkeypatch) == 2
        assert "--batch-api needs the OpenAI endpoint" in one_error_line(capsys.readouterr().err)
        assert cli(["--batch-poll", "5"], server, tmp_path, monkeypatch) == 2
        assert "need --batch-api" in one_error_line(capsys.readouterr().err)
        assert cli(["--batch-api", "--batch-timeout", "0"], server, tmp_path, monkeypatch) == 2
        assert "more than 0 seconds" in one_error_line(capsys.readouterr().err)
        assert not [r for r in server.requests if r["path"].endswith("/chat/completions")]


def test_the_budget_is_checked_before_a_batch_is_submitted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_batch(tmp_path / "in.jsonl", 2)
    with FaultServer(text_length=24) as server:
        code = cli(["--batch-api", "--max-tokens", "100"], server, tmp_path, monkeypatch)
        assert code == 4 and server.uploads == 0 and server.batch_creations == 0
    assert "2 not started" in capsys.readouterr().err


def test_timeout_leaves_the_batch_running_and_a_rerun_collects_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_batch(tmp_path / "in.jsonl", 2)
    hold = {"outcome": "completed", "hold": True}
    with FaultServer(batch_script=[hold], text_length=24) as server:
        args = ["--batch-api", "--batch-poll", "0.02", "--batch-timeout", "0.3"]
        assert cli(args, server, tmp_path, monkeypatch) == 4
        assert "2 waiting for their batch" in capsys.readouterr().err
        state = json.loads(state_paths(tmp_path / "briefs.jsonl")[0].read_text())
        assert [(b["id"], b["status"]) for b in state["batches"]] == [
            ("batch_fault0001", "in_progress")
        ]
        server.release_batches()
        assert cli(args[:3], server, tmp_path, monkeypatch) == 0
        assert server.batch_creations == 2  # round 1 was polled again, not resubmitted


def test_killed_while_polling_resumes_the_same_batch_without_resubmitting(
    tmp_path: Path,
) -> None:
    write_batch(tmp_path / "in.jsonl", 3)
    out = tmp_path / "briefs.jsonl"
    state_file = state_paths(out)[0]
    hold = {"outcome": "completed", "hold": True}
    with FaultServer(batch_script=[hold], text_length=24, max_requests=20000) as server:
        env = {**os.environ, "OPENAI_API_KEY": KEY}
        env.pop("OPENAI_BASE_URL", None)
        command = [sys.executable, "-m", "agent", "batch", str(tmp_path / "in.jsonl")]
        command += ["--out", str(out), "--batch-api", "--batch-poll", "0.05", "--no-cache"]
        command += ["--base-url", server.base_url, "--model", "gpt-4o-mini"]
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 60
            polls = 0
            while time.monotonic() < deadline and polls < 2:
                polls = sum(r["path"].endswith("/batches/batch_fault0001") for r in server.requests)
                time.sleep(0.05)
            assert polls >= 2, "the run never polled its batch"
        finally:
            process.kill()  # as a kill -9 would: no cleanup runs
            process.wait(timeout=10)
        assert server.batch_creations == 1 and server.uploads == 1
        saved = json.loads(state_file.read_text())["batches"]
        assert [(b["id"], b["status"]) for b in saved] == [("batch_fault0001", "in_progress")]
        assert not out.exists() or records(out) == []
        server.release_batches()
        summary = batch_run(server, tmp_path)
        assert (summary.ok, summary.waiting) == (3, 0)
        assert (server.uploads, server.batch_creations) == (2, 2)  # only the syntheses are new
        assert len(server.batch_lines) == 9  # every request ran once
        again = batch_run(server, tmp_path)  # a third run: every story is done, nothing sent
        assert (again.skipped, again.done, server.batch_creations) == (3, 0, 2)
    assert {r["status"] for r in records(out)} == {"ok"}
    assert not state_file.exists()


def test_fault_server_batch_endpoints_cancel_and_validation(tmp_path: Path) -> None:
    with FaultServer(batch_polls=4) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0)
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        lines = [
            {"custom_id": f"r{n}", "method": "POST", "url": "/v1/chat/completions", "body": body}
            for n in range(4)
        ]
        data = "".join(json.dumps(line) + "\n" for line in lines).encode()
        upload = client.files.create(file=("in.jsonl", data, "application/jsonl"), purpose="batch")
        assert client.files.content(upload.id).content == data
        batch = client.batches.create(
            input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        assert batch.status == "validating"
        assert client.batches.retrieve(batch.id).status == "in_progress"
        assert client.batches.retrieve(batch.id).request_counts.completed == 1
        assert client.batches.cancel(batch.id).status == "cancelling"
        done = client.batches.retrieve(batch.id)
        assert done.status == "cancelled" and done.error_file_id is None
        output = client.files.content(done.output_file_id).text.splitlines()
        assert [json.loads(line)["response"]["status_code"] for line in output] == [200]
        assert [b.id for b in client.batches.list()] == [batch.id]
        twice = data + data  # repeated custom_ids fail validation, naming the line
        upload = client.files.create(file=("x.jsonl", twice, "application/jsonl"), purpose="batch")
        bad = client.batches.create(
            input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        bad = client.batches.retrieve(bad.id)
        assert bad.status == "failed" and bad.errors.data[0].line == 5
        assert "repeated" in bad.errors.data[0].message
        assert server.uploads == 2 and server.batch_creations == 2
        with pytest.raises(openai.NotFoundError):
            client.batches.retrieve("batch_nope")
