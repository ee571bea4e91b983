"""Budgets: --max-tokens and --max-cost stop a run before a call that could exceed them, keep
what is done and say so (exit 4). End to end through the CLI against the fault server with a
priced model name (gpt-4o-mini at the fault server's URL); the worst case is checked directly."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from agent.errors import BudgetExceeded
from agent.ingest.article import make_article
from agent.llm.base import Completion, Request
from agent.llm.openai_backend import OpenAIBackend
from agent.pipeline.budget import Budget
from agent.pipeline.options import RunOptions
from agent.pipeline.run import brief_status, summarize_articles
from agent.schemas import ArticleDraft, StoryBrief

ROOT = Path(__file__).resolve().parents[1]
MODEL = "gpt-4o-mini"  # in the built-in price table
MARGIN = 100  # tokens of room above one call's worst case: less than any finished call spends
# (one article call here spends about 170: a prompt of about 120 tokens and a 55-token reply)

TEXTS = [
    f"Tram line {n} opens in Norhaven\n\n"
    f"The tram line {n} in Norhaven opened on Friday after four years of work. "
    f"It cost {100 + n} million euros, the transport office said. "
    f"About {20 + n},000 riders are expected each day. "
    '"It is a good day for the city," mayor Ilse Brandt said.'
    for n in range(1, 4)
]


def write_inputs(folder: Path) -> list[str]:
    paths = []
    for i, text in enumerate(TEXTS):
        path = folder / f"{i}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths


def worst_case_of_first_call(server) -> int:
    """What the budget prices the first call at, read from the refusal of a 1-token budget."""
    backend = OpenAIBackend(MODEL, base_url=server.base_url, api_key="sk-test-budget")
    articles = [make_article(t, index=i + 1, source=f"<{i}>") for i, t in enumerate(TEXTS)]
    brief = summarize_articles(articles, backend, RunOptions(concurrency=1, max_tokens=1))
    assert not server.requests, "a 1-token budget must refuse the first call"
    return int(re.search(r"next call up to (\d+)", brief.run.warnings[-1]).group(1))


def summarize(server, paths: list[str], out: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
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
            MODEL,
            "--concurrency",
            "1",
            "--out",
            str(out),
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def assert_stopped_after_first_article(
    result: subprocess.CompletedProcess, out: Path, server
) -> StoryBrief:
    assert result.returncode == 4, result.stderr
    assert "Traceback" not in result.stderr
    brief = StoryBrief.model_validate_json(out.read_text())
    assert brief_status(brief) == "budget"
    assert brief.articles[0].error is None and brief.articles[0].summary_origin in ("model", "code")
    assert [a.error.kind for a in brief.articles[1:]] == ["budget", "budget"]
    assert all(
        a.error.attempts == 0 and a.key_points for a in brief.articles[1:]
    )  # code briefs, no call made
    assert brief.synthesis_error is not None and brief.synthesis_error.kind == "budget"
    assert len([r for r in server.requests if r["path"].endswith("/chat/completions")]) == 1
    assert any(w.startswith("budget reached:") for w in brief.run.warnings)
    return brief


def test_max_tokens_stops_before_a_call_that_could_exceed_it(fault_server, tmp_path):
    limit = worst_case_of_first_call(fault_server(text_length=24)) + MARGIN
    server = fault_server(text_length=24)
    out = tmp_path / "brief.json"
    brief = assert_stopped_after_first_article(
        summarize(server, write_inputs(tmp_path), out, "--max-tokens", str(limit)), out, server
    )
    spent = brief.run.usage.prompt_tokens + brief.run.usage.completion_tokens
    assert 0 < spent <= limit
    warning = next(w for w in brief.run.warnings if w.startswith("budget reached:"))
    said = re.search(r"--max-tokens (\d+) \(spent (\d+), next call up to (\d+)\)", warning)
    assert int(said.group(1)) == limit and int(said.group(2)) == spent
    assert spent + int(said.group(3)) > limit  # refused because its worst case would not fit


def test_max_cost_uses_the_pricing_file_and_stops(fault_server, tmp_path):
    worst = worst_case_of_first_call(fault_server(text_length=24))
    price = 100.0  # USD per million tokens, in and out: one call's worst case costs worst / 10,000
    pricing = tmp_path / "prices.json"
    pricing.write_text(json.dumps({MODEL: {"input": price, "output": price}}))
    limit = (worst + MARGIN) * price / 1e6
    paths = write_inputs(tmp_path)

    server = fault_server(text_length=24)
    out = tmp_path / "priced.json"
    result = summarize(server, paths, out, "--max-cost", f"{limit:.6f}", "--pricing", str(pricing))
    brief = assert_stopped_after_first_article(result, out, server)
    usage = brief.run.usage
    assert usage.cost_usd == pytest.approx(
        (usage.prompt_tokens + usage.completion_tokens) * price / 1e6
    )
    assert 0 < usage.cost_usd <= limit
    assert any("--max-cost" in w for w in brief.run.warnings)

    cheap = fault_server(
        text_length=24
    )  # the built-in price of gpt-4o-mini: the same limit is ample
    out = tmp_path / "builtin.json"
    result = summarize(cheap, paths, out, "--max-cost", f"{limit:.6f}")
    assert result.returncode == 0, result.stderr
    assert (
        len(cheap.requests) == 4
        and StoryBrief.model_validate_json(out.read_text()).run.usage.cost_usd < limit
    )


def test_budget_stop_between_attempts_keeps_the_spent_tokens(fault_server):
    limit = worst_case_of_first_call(fault_server(text_length=24)) + MARGIN
    server = fault_server(["invalid_json"], text_length=24)  # the re-ask is refused by the budget
    backend = OpenAIBackend(MODEL, base_url=server.base_url, api_key="sk-test-budget")
    articles = [make_article(t, index=i + 1, source=f"<{i}>") for i, t in enumerate(TEXTS)]
    brief = summarize_articles(articles, backend, RunOptions(concurrency=1, max_tokens=limit))
    first = brief.articles[0].error
    assert first.kind == "budget" and first.attempts == 1 and first.last_output == "{not json"
    assert len(server.requests) == 1
    reported = server.reported_usage()
    assert (
        first.usage.prompt_tokens == brief.run.usage.prompt_tokens == reported["prompt_tokens"] > 0
    )
    assert brief.run.usage.completion_tokens == reported["completion_tokens"] > 0
    assert [c.purpose for c in brief.run.calls] == ["article:a1"] and brief.run.calls[
        0
    ].attempts == 1
    assert brief_status(brief) == "budget"


def test_worst_case_counts_prompt_schema_and_reply_limit_and_calls_in_flight(fault_server):
    backend = OpenAIBackend(MODEL, base_url=fault_server().base_url, api_key="sk-test-budget")
    request = Request(
        messages=[{"role": "user", "content": "Describe the story. " * 50}],
        max_tokens=500,
        schema=ArticleDraft.model_json_schema(),
        mode="json_schema",
    )
    prompt = backend.count_tokens(request.messages[0]["content"])
    schema = backend.count_tokens(json.dumps(request.schema, separators=(",", ":")))
    worst = prompt + schema + 500
    Budget(backend, max_tokens=worst).before_call(request)  # exactly fits
    with pytest.raises(BudgetExceeded):
        Budget(backend, max_tokens=worst - 1).before_call(request)

    budget = Budget(backend, max_tokens=worst * 2 - 1)
    budget.before_call(request)  # this thread's call is in flight: its worst case is held
    refused: list[BaseException] = []

    def other_thread() -> None:
        try:
            budget.before_call(request)
        except BudgetExceeded as exc:
            refused.append(exc)

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert len(refused) == 1 and "in flight" in str(refused[0])
    budget = Budget(backend, max_tokens=worst * 2 - 1)
    budget.before_call(request)
    budget.after_call(
        request, Completion(text="{}", prompt_tokens=10, completion_tokens=5)
    )  # reservation ends
    worker = threading.Thread(target=budget.before_call, args=(request,))
    worker.start()
    worker.join()
    assert budget.spent_tokens == 15 and not budget.exhausted


# --------------------------------------------------------------------------- unpriced models

UNPRICED = "meta-llama/Llama-3.1-70B-Instruct"  # on an OpenAI-compatible endpoint: not free


@pytest.mark.parametrize("model", [UNPRICED, "my-local-model", "mystery-model"])
def test_max_cost_refuses_to_start_with_a_model_that_has_no_price(fault_server, tmp_path, model):
    server = fault_server(text_length=24)
    out = tmp_path / "brief.json"
    paths = write_inputs(tmp_path)
    result = summarize(server, paths, out, "--model", model, "--max-cost", "0.000001")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsbrief: error: --max-cost"), lines
    assert "--pricing" in lines[0] and "--allow-unpriced" in lines[0] and repr(model) in lines[0]
    assert server.requests == [] and not out.exists()  # refused before any request


def test_allow_unpriced_runs_it_as_free_and_a_pricing_file_makes_the_cap_hold(
    fault_server, tmp_path
):
    paths = write_inputs(tmp_path)
    server = fault_server(text_length=24)
    out = tmp_path / "free.json"
    result = summarize(
        server, paths, out, "--model", UNPRICED, "--max-cost", "0.000001", "--allow-unpriced"
    )
    assert result.returncode == 0, result.stderr
    brief = StoryBrief.model_validate_json(out.read_text())
    assert len(server.requests) == 4 and brief.run.usage.cost_usd == 0
    priced = [w for w in brief.run.warnings if "no price known" in w]
    assert len(priced) == 1 and UNPRICED in priced[0]  # said once per run, not per call

    pricing = tmp_path / "prices.json"
    pricing.write_text(json.dumps({UNPRICED: {"input": 0.9, "output": 0.9}}))
    server = fault_server(text_length=24)
    out = tmp_path / "capped.json"
    result = summarize(
        server, paths, out, "--model", UNPRICED, "--max-cost", "0.000001", "--pricing", str(pricing)
    )
    assert result.returncode == 4, result.stderr  # priced now: the cap holds
    assert server.requests == []
    brief = StoryBrief.model_validate_json(out.read_text())
    assert {a.error.kind for a in brief.articles} == {"budget"}


def test_the_python_api_refuses_an_unpriced_model_under_max_cost(fault_server):
    from agent.api import summarize as api_summarize
    from agent.errors import ConfigError

    server = fault_server(text_length=24)
    texts = [{"text": t} for t in TEXTS]
    common = dict(backend="openai", base_url=server.base_url, model=UNPRICED, cache=False)
    with pytest.raises(ConfigError) as info:
        api_summarize(texts, max_cost=0.5, **common)
    assert "--pricing" in str(info.value) and "\n" not in str(info.value)
    assert server.requests == []
    brief = api_summarize(texts, max_cost=0.5, allow_unpriced=True, **common)
    assert brief_status(brief) == "ok" and len(server.requests) == 4


def test_a_backend_that_declares_its_calls_free_runs_under_max_cost_whatever_its_name():
    from agent.llm.scripted import ScriptedBackend, draft_reply

    articles = [make_article(t, index=i + 1, source=f"<{i}>") for i, t in enumerate(TEXTS[:2])]
    backend = ScriptedBackend(
        [draft_reply(a) for a in articles], respond=lambda r: "{}", model="gpt-4o"
    )
    brief = summarize_articles(articles, backend, RunOptions(concurrency=1, max_cost=1e-9))
    assert not backend.priced and len(backend.requests) >= 2
    assert [a.error for a in brief.articles] == [None, None] and brief.run.usage.cost_usd == 0
    assert not any("budget" in w or "no price" in w for w in brief.run.warnings)


def test_a_synthesis_stopped_by_the_budget_keeps_the_requests_it_had_sent():
    """The synthesis gets an invalid reply and its re-ask is refused: the first request
    stays counted (call record, error, tokens), like an article's."""
    from agent.llm.scripted import ScriptedBackend, draft_reply

    articles = [make_article(t, index=i + 1, source=f"<{i}>") for i, t in enumerate(TEXTS[:2])]

    def run(limit: int | None) -> tuple[StoryBrief, ScriptedBackend]:
        backend = ScriptedBackend([draft_reply(a) for a in articles], respond=lambda r: "{no")
        options = RunOptions(concurrency=1, max_tokens=limit)
        return summarize_articles(articles, backend, options), backend

    def synthesis_sent(limit: int) -> bool:
        return any(c.purpose == "synthesis" for c in run(limit)[0].run.calls)

    unlimited, _ = run(None)
    assert unlimited.synthesis_error.kind == "invalid_json"  # 3 attempts without a budget
    spent = sum(c.usage.prompt_tokens + c.usage.completion_tokens for c in unlimited.run.calls)
    low, high = 1, 10 * spent
    while low < high:  # the smallest budget that lets the synthesis send its first request
        middle = (low + high) // 2
        low, high = (low, middle) if synthesis_sent(middle) else (middle + 1, high)
    brief, backend = run(low)
    error = brief.synthesis_error
    assert [a.error for a in brief.articles] == [None, None]
    # the requests sent before the refusal (the first, and a re-ask when the smaller v2
    # synthesis prompt leaves room for one) stay counted in the error and the call record
    assert error.kind == "budget" and error.attempts >= 1 and error.usage.prompt_tokens > 0
    synthesis = [c for c in brief.run.calls if c.purpose == "synthesis"]
    assert len(synthesis) == 1 and synthesis[0].attempts == error.attempts
    assert not synthesis[0].ok and error.attempts < 3  # stopped before the last re-ask
    assert sum(c.attempts for c in brief.run.calls) == len(backend.requests) == 2 + error.attempts
    assert synthesis[0].usage == error.usage and brief_status(brief) == "budget"
