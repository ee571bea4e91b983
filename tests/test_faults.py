"""The whole pipeline under faults: the real `openai` backend over HTTP against the
fault-injecting server (agent.devtools.fault_server). No mocks: every fault is a real HTTP
answer, a real timeout or a really dropped connection.

Scripted steps are consumed in request order, so these runs use one worker. Backoff waits
are cut short (retry_initial_wait 0.05 s) so the suite stays fast."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from agent.ingest.article import make_article
from agent.llm.openai_backend import OpenAIBackend
from agent.pipeline.options import RunOptions
from agent.pipeline.run import brief_status, summarize_articles
from agent.schemas import StoryBrief

ROOT = Path(__file__).resolve().parents[1]
TEXT_LENGTH = 24  # generated replies carry strings long enough for the drafts' minimum lengths
TRANSIENT = {"429", "500", "503", "drop", "hang"}

TOWNS = ["Port Elms", "Brackwater", "Lindale", "Carrow", "Feldham", "Oskby", "Tarrin", "Weyford"]


def invented(index: int) -> str:
    town = TOWNS[index % len(TOWNS)]
    return (
        f"Flood barrier {index} opens in {town}\n\n"
        f"The new flood barrier in {town} opened on Monday after {index + 2} years of work, "
        f"the council said. "
        f"It cost {12 + index} million pounds and protects about {1000 * (index + 3):,} homes. "
        f'"This changes everything for the river towns," engineer Mara Quill {index} said. '
        f"Critics said the gates were tested only {index + 1} times before the opening."
    )


def articles(n: int):
    return [make_article(invented(i), index=i + 1, source=f"<invented {i + 1}>") for i in range(n)]


def backend_for(server, **options) -> OpenAIBackend:
    # json_object: with json_schema a second HTTP 500 is read as llama.cpp rejecting the mode
    # (see OpenAIBackend), which is tested in test_structured.py; here a 500 is a plain fault.
    options.setdefault("modes", ("json_object",))
    options.setdefault("timeout", 2)
    options.setdefault("retry_initial_wait", 0.05)
    options.setdefault("max_retry_wait", 2)
    return OpenAIBackend(
        "fault-model", base_url=server.base_url, api_key="sk-test-faults", **options
    )


def run(server, n: int, **options) -> StoryBrief:
    options.setdefault("concurrency", 1)
    backend = backend_for(server, **options.pop("backend_options", {}))
    return summarize_articles(articles(n), backend, RunOptions(**options))


def chats(server) -> list[dict]:
    return [r for r in server.requests if r["path"].endswith("/chat/completions")]


def target(request: dict) -> str:
    """'a2' for a request about article a2, 'synthesis' for the synthesis."""
    first_user = next(m["content"] for m in request["json"]["messages"] if m["role"] == "user")
    found = re.match(r"Article (a\d+)", first_user)
    return found.group(1) if found else "synthesis"


def assert_usage_matches_server(brief: StoryBrief, server) -> None:
    reported = server.reported_usage()
    assert brief.run.usage.prompt_tokens == reported["prompt_tokens"] > 0
    assert brief.run.usage.completion_tokens == reported["completion_tokens"] > 0


def test_transient_faults_are_retried_with_backoff_and_the_run_succeeds(fault_server):
    script = [
        "429",
        "500",
        "ok",  # a1
        "503",
        "drop",
        "ok",  # a2
        {"kind": "hang", "seconds": 4},
        "ok",  # a3: the hang outlasts the 2 s client timeout
        "ok",
    ]  # synthesis
    server = fault_server(script, text_length=TEXT_LENGTH)
    brief = run(server, 3)
    assert brief_status(brief) == "ok"
    assert [a.error for a in brief.articles] == [None, None, None] and brief.synthesis_error is None
    assert brief.run.retries == 5
    assert [c.transport_retries for c in brief.run.calls] == [2, 2, 1, 0]
    sent = chats(server)
    assert [target(r) for r in sent] == ["a1"] * 3 + ["a2"] * 3 + ["a3"] * 2 + ["synthesis"]
    # Backoff: the n-th retry of a call waits at least retry_initial_wait * 2**(n-1).
    for first, minimum in ((0, 0.05), (1, 0.1), (3, 0.05), (4, 0.1)):
        assert sent[first + 1]["t"] - sent[first]["t"] >= minimum * 0.95
    assert sent[7]["t"] - sent[6]["t"] >= 2.0  # the client gave up on the hang after its timeout
    assert_usage_matches_server(brief, server)


def test_retry_after_is_honoured_and_bounded(fault_server):
    script = [
        {"kind": "429", "retry_after": 1},
        "ok",  # a1: waits the second asked for
        {"kind": "429", "retry_after": 600},
        "ok",  # a2: asks for 10 minutes, waits max_retry_wait
        {"kind": "429", "retry_after_ms": 300},
        "ok",  # a3: the millisecond header
        "ok",
    ]
    server = fault_server(script, text_length=TEXT_LENGTH)
    brief = run(server, 3, backend_options={"max_retry_wait": 1.5, "retry_initial_wait": 0.01})
    assert brief_status(brief) == "ok" and brief.run.retries == 3
    t = [r["t"] for r in chats(server)]
    assert 1.0 <= t[1] - t[0] < 1.5
    assert 1.5 <= t[3] - t[2] < 3.0
    assert 0.3 <= t[5] - t[4] < 1.0


def test_content_faults_are_reasked_with_what_was_wrong(fault_server):
    script = [
        "invalid_json",
        "ok",
        "schema_fail",
        "ok",
        "length",
        "ok",  # a1, a2, a3
        "empty",
        "refusal",
        "ok",
    ]  # synthesis: two re-asks, then valid
    server = fault_server(script, text_length=TEXT_LENGTH)
    brief = run(server, 3)
    assert brief_status(brief) == "ok" and brief.run.reasks == 5
    assert [c.reasks for c in brief.run.calls] == [1, 1, 1, 2]
    sent = chats(server)
    said = {i: sent[i]["json"]["messages"][-1]["content"] for i in (1, 3, 5, 7, 8)}
    assert "not valid JSON" in said[1]
    assert "does not match the schema" in said[3] and "Field required" in said[3]
    assert "token limit" in said[5]
    assert "empty" in said[7] and "refusal" in said[8]
    for i in (1, 3, 5):  # the bad reply is echoed back before the repair request
        assert sent[i]["json"]["messages"][-2]["role"] == "assistant"
    assert_usage_matches_server(brief, server)


def test_exhausted_attempts_give_typed_errors_while_the_rest_completes(fault_server):
    script = (
        ["invalid_json"] * 3
        + ["500"] * 5
        + ["refusal"] * 2
        + ["length"] * 3
        + ["empty"] * 3
        + ["schema_fail"] * 3
        + ["ok", "ok"]
    )  # a1..a6 fail in six ways; a7 and the synthesis succeed
    server = fault_server(script, text_length=TEXT_LENGTH)
    brief = run(server, 7)
    errors = [a.error for a in brief.articles]
    assert [e.kind if e else None for e in errors] == [
        "invalid_json",
        "transport",
        "refusal",
        "length",
        "empty",
        "schema",
        None,
    ]
    assert [e.attempts for e in errors[:6]] == [3, 5, 2, 3, 3, 3]
    assert errors[0].last_output == "{not json" and errors[1].last_output is None
    assert "gave up after 5 attempt(s)" in errors[1].message and "HTTP 500" in errors[1].message
    for error in (errors[0], errors[2], errors[3], errors[4], errors[5]):
        assert error.usage.prompt_tokens > 0 and error.usage.completion_tokens > 0
    for failed in brief.articles[:6]:  # code still gives a brief of what the article says
        assert failed.summary_origin == "code" and failed.summary and failed.key_points
    assert brief.synthesis_error is None and brief.run.calls[-1].purpose == "synthesis"
    assert brief_status(brief) == "partial"
    assert_usage_matches_server(brief, server)
    assert len(chats(server)) == 3 + 5 + 2 + 3 + 3 + 3 + 2


def test_random_faults_lose_no_article_and_every_token_counts(fault_server):
    server = fault_server(default="ok", fault_rate=0.4, seed=11, text_length=TEXT_LENGTH)
    brief = run(server, 8, concurrency=3)
    assert [a.article_id for a in brief.articles] == [f"a{i}" for i in range(1, 9)]
    assert {r["step"] for r in chats(server)} - {"ok"}, "the seed should produce faults"
    for article in brief.articles:
        assert article.error is None or article.error.kind in (
            "invalid_json",
            "schema",
            "length",
            "empty",
            "transport",
        )
    assert_usage_matches_server(brief, server)
    assert brief.run.retries + brief.run.reasks > 0


def test_cli_exits_3_when_an_article_fails_and_keeps_the_rest(fault_server, tmp_path):
    script = [{"kind": "429", "retry_after": 0}, "ok"] + ["schema_fail"] * 3 + ["ok"]
    server = fault_server(script, text_length=TEXT_LENGTH)
    for i in range(2):
        (tmp_path / f"{i}.txt").write_text(invented(i), encoding="utf-8")
    out = tmp_path / "brief.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent",
            "summarize",
            str(tmp_path / "0.txt"),
            str(tmp_path / "1.txt"),
            "--backend",
            "openai",
            "--base-url",
            server.base_url,
            "--model",
            "fault-model",
            "--concurrency",
            "1",
            # the script hands out replies in order; the response cache would answer the
            # second identical re-ask itself and shift the script by one reply
            "--no-cache",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr and "(1 failed)" in result.stderr
    brief = StoryBrief.model_validate_json(out.read_text())
    assert brief.articles[0].error is None and brief.articles[1].error.kind == "schema"
    assert brief.synthesis_error is None and brief.run.retries == 1 and brief.run.reasks == 2
    assert json.loads(out.read_text())["articles"][1]["error"]["attempts"] == 3


# --------------------------------------------------------------------------- refused API key

PLANTED = "sk-PLANTED-auth-test-0123456789"


def summarize_cli(server_url: str, folder: Path, n: int, *options: str, key: str = PLANTED):
    paths = []
    for i in range(n):
        path = folder / f"{i}.txt"
        path.write_text(invented(i), encoding="utf-8")
        paths.append(str(path))
    out = folder / "brief.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent",
            "summarize",
            *paths,
            "--backend",
            "openai",
            "--base-url",
            server_url,
            "--model",
            "fault-model",
            "--no-cache",
            "--out",
            str(out),
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "OPENAI_API_KEY": key},
    )
    brief = StoryBrief.model_validate_json(out.read_text()) if out.is_file() else None
    return result, brief


def test_a_refused_api_key_stops_the_run_at_once(fault_server, tmp_path):
    server = fault_server(default="401")  # every request: 401, echoing the key it was sent
    result, brief = summarize_cli(server.base_url, tmp_path, 5, "--concurrency", "1")
    assert result.returncode == 3, result.stderr
    assert len(chats(server)) == 1  # no further article and no synthesis was sent
    assert "Traceback" not in result.stderr and PLANTED not in result.stderr
    refused = [line for line in result.stderr.splitlines() if "refused the API key" in line]
    assert len(refused) == 1 and refused[0].startswith("newsbrief: error: ")
    assert "HTTP 401" in refused[0] and "OPENAI_API_KEY" in refused[0]
    errors = [a.error for a in brief.articles]
    assert [e.kind for e in errors] == ["auth"] * 5
    assert [e.attempts for e in errors] == [1, 0, 0, 0, 0]  # not retried; the rest not sent
    assert all(e.message.startswith("not sent: ") for e in errors[1:])
    assert all(a.summary_origin == "code" and a.key_points for a in brief.articles)
    assert brief.synthesis_error is not None and brief.synthesis_error.kind == "auth"
    assert [(c.purpose, c.attempts) for c in brief.run.calls] == [("article:a1", 1)]
    assert PLANTED not in brief.model_dump_json()
    assert any("model calls stopped" in w for w in brief.run.warnings)


def test_with_concurrent_workers_each_sends_at_most_the_request_it_had_in_flight(
    fault_server, tmp_path
):
    server = fault_server(default="401")
    result, brief = summarize_cli(server.base_url, tmp_path, 8, "--concurrency", "3")
    assert result.returncode == 3, result.stderr
    assert 1 <= len(chats(server)) <= 3 and brief.synthesis_error.kind == "auth"
    assert {a.error.kind for a in brief.articles} == {"auth"}
    assert sum(a.error.attempts for a in brief.articles) == len(chats(server))


def test_a_403_is_an_auth_error_too(tmp_path):
    """The fault server has no 403 step: a minimal real HTTP server answers every request so."""
    seen: list[str] = []

    class Forbidden(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server hook name
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append(self.path)
            body = b'{"error": {"message": "Project does not have access", "type": "forbidden"}}'
            self.send_response(403)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Forbidden)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
        result, brief = summarize_cli(url, tmp_path, 3, "--concurrency", "1")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.returncode == 3, result.stderr
    assert len(seen) == 1 and "HTTP 403" in result.stderr and "Traceback" not in result.stderr
    assert [a.error.kind for a in brief.articles] == ["auth"] * 3


# --------------------------------------------------------------------------- counting requests


def per_target(server) -> dict[str, int]:
    counts: dict[str, int] = {}
    for request in chats(server):
        counts[target(request)] = counts.get(target(request), 0) + 1
    return counts


def test_attempts_equal_the_requests_the_server_saw_when_every_request_fails(fault_server):
    server = fault_server(default="500")
    # the default modes: json_schema first, so the first call's second 500 reads as the endpoint
    # rejecting json_schema and it goes on in json_object (2 + 5 requests); the others start there
    backend = OpenAIBackend(
        "fault-model",
        base_url=server.base_url,
        api_key="sk-test-faults",
        timeout=2,
        retry_initial_wait=0.01,
        max_retry_wait=0.05,
    )
    brief = summarize_articles(articles(3), backend, RunOptions(concurrency=1))
    seen = per_target(server)
    assert seen == {"a1": 7, "a2": 5, "a3": 5, "synthesis": 5}
    for article in brief.articles:
        error = article.error
        assert error.kind == "transport" and error.attempts == seen[article.article_id]
        assert f"gave up after {error.attempts} attempt(s): HTTP 500" in error.message
    assert brief.synthesis_error.attempts == seen["synthesis"]
    calls = {c.purpose.split(":")[-1]: c for c in brief.run.calls}
    assert {name: c.attempts for name, c in calls.items()} == seen
    # every request but the first of each call and of the one mode fallback was a retry
    assert [c.transport_retries for c in brief.run.calls] == [5, 4, 4, 4]
    assert brief.run.retries == sum(seen.values()) - len(calls) - 1 == 17
    assert brief.run.reasks == 0


def test_cli_counts_agree_with_the_server_under_retries_and_reasks(fault_server, tmp_path):
    fast_429 = {"kind": "429", "retry_after": 0}
    a2_steps = ["invalid_json", fast_429, fast_429]  # then "ok": 4 requests, 1 re-ask, 2 retries

    def script(body: dict, n: int):
        who = target({"json": body})
        if who == "a1":
            return fast_429  # every request: the call gives up after 5
        if who == "a2" and a2_steps:
            return a2_steps.pop(0)
        return "ok"

    server = fault_server(script, text_length=TEXT_LENGTH)
    result, brief = summarize_cli(server.base_url, tmp_path, 3, "--concurrency", "1")
    assert result.returncode == 3, result.stderr
    seen = per_target(server)
    calls = {c.purpose.split(":")[-1]: c for c in brief.run.calls}
    assert {name: c.attempts for name, c in calls.items()} == seen
    assert seen == {"a1": 5, "a2": 4, "a3": 1, "synthesis": 1}
    assert brief.articles[0].error.attempts == 5
    assert "gave up after 5 attempt(s)" in brief.articles[0].error.message
    assert (calls["a2"].transport_retries, calls["a2"].reasks) == (2, 1)
    assert brief.run.retries == 4 + 2 and brief.run.reasks == 1
