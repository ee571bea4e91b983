"""complete_structured over the real OpenAIBackend against the scripted fault server:
re-asks, transport retries, refusals, lenient coercion, mode fallback. Real HTTP, no mocks."""

from __future__ import annotations

import json
import re
import time

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.errors import BudgetExceeded
from agent.llm.base import ModeState
from agent.llm.openai_backend import OpenAIBackend, retry_after_seconds
from agent.llm.structured import coerce_to_schema, complete_structured, parse_json_object

PLANTED_KEY = "sk-test-PLANTED-123"
MESSAGES = [
    {"role": "system", "content": "Reply with JSON."},
    {"role": "user", "content": "Describe the story."},
]


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=40, description="A fact.")
    sentence_ids: list[str] = Field(min_length=1, max_length=2, description="Ids like a1.s2.")


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    headline: str = Field(max_length=30, description="A headline.")
    points: list[Point] = Field(max_length=2, description="Facts.")


def backend_for(server, **options) -> OpenAIBackend:
    options.setdefault("retry_initial_wait", 0.05)
    options.setdefault("timeout", 10)
    return OpenAIBackend("fault-model", base_url=server.base_url, api_key=PLANTED_KEY, **options)


def server_prompt_tokens(server) -> int:
    """The prompt tokens the fault server reports (characters / 4 + 1), summed over requests."""
    return sum(
        sum(len(m.get("content") or "") for m in req["json"]["messages"]) // 4 + 1
        for req in server.requests
        if req["path"].endswith("/chat/completions")
    )


@pytest.mark.parametrize("bad", ["invalid_json", "schema_fail", "length", "empty"])
def test_bad_reply_then_valid_is_reasked_once(fault_server, bad):
    server = fault_server([bad, "ok"])
    result = complete_structured(backend_for(server), MESSAGES, Reply, max_reasks=2)
    assert result.error is None and isinstance(result.value, Reply)
    assert result.attempts == 2 and result.reasks == 1
    chats = [r for r in server.requests if r["path"].endswith("/chat/completions")]
    assert len(chats) == 2
    # The re-ask carries the bad reply and says what was wrong.
    second = chats[1]["json"]["messages"]
    assert second[: len(MESSAGES)] == MESSAGES and second[-2]["role"] == "assistant"
    assert "cannot be used" in second[-1]["content"]
    if bad == "length":
        assert "token limit" in second[-1]["content"]
    if bad == "schema_fail":
        assert "headline: Field required" in second[-1]["content"]


def test_usage_sums_every_attempt(fault_server):
    server = fault_server(["invalid_json", "ok"])
    result = complete_structured(backend_for(server), MESSAGES, Reply)
    expected_prompt = server_prompt_tokens(server)
    # The fault server's completion usage: len(content)//4 + 1 for "{not json" and the valid reply.
    valid = json.dumps({"headline": "x", "points": []})
    assert result.usage.prompt_tokens == expected_prompt
    assert result.usage.completion_tokens == (len("{not json") // 4 + 1) + (len(valid) // 4 + 1)
    assert result.value == Reply(headline="x", points=[])


def test_all_invalid_gives_typed_error_with_last_output(fault_server):
    server = fault_server(default="invalid_json")
    result = complete_structured(backend_for(server), MESSAGES, Reply, max_reasks=2)
    assert result.value is None
    err = result.error
    assert err.kind == "invalid_json" and err.attempts == 3 and result.attempts == 3
    assert err.last_output == "{not json"
    assert "\n" not in err.message
    assert err.usage.prompt_tokens == result.usage.prompt_tokens > 0
    assert len([r for r in server.requests if r["method"] == "POST"]) == 3


def test_refusal_is_reasked_once_then_reported(fault_server):
    server = fault_server(["refusal", "refusal", "ok"])
    result = complete_structured(backend_for(server), MESSAGES, Reply, max_reasks=5)
    assert result.value is None and result.error.kind == "refusal"
    assert result.attempts == 2 and "can't help" in result.error.last_output

    server = fault_server(["refusal", "ok"])
    result = complete_structured(backend_for(server), MESSAGES, Reply)
    assert result.value is not None and result.reasks == 1


def test_429_honours_retry_after(fault_server):
    server = fault_server([{"kind": "429", "retry_after": 1}, "ok"])
    started = time.monotonic()
    result = complete_structured(backend_for(server), MESSAGES, Reply)
    elapsed = time.monotonic() - started
    assert result.value is not None and result.transport_retries == 1
    assert result.attempts == len(server.requests) == 2  # attempts: every request sent
    assert elapsed >= 0.95


def test_retry_after_is_capped_and_ms_header_read(fault_server):
    server = fault_server(
        [{"kind": "429", "retry_after": 30}, {"kind": "429", "retry_after_ms": 200}, "ok"]
    )
    started = time.monotonic()
    result = complete_structured(backend_for(server, max_retry_wait=0.5), MESSAGES, Reply)
    assert result.value is not None and result.transport_retries == 2
    assert 0.6 <= time.monotonic() - started < 5


@pytest.mark.parametrize("script", [["500", "503", "ok"], ["drop", "ok"]])
def test_server_errors_and_drops_are_retried(fault_server, script):
    server = fault_server(script)
    result = complete_structured(backend_for(server), MESSAGES, Reply)
    assert result.value is not None and result.error is None
    assert result.transport_retries == len(script) - 1
    assert result.attempts == len(server.requests) == len(script)  # every request sent


def test_hang_times_out_then_retries(fault_server):
    server = fault_server([{"kind": "hang", "seconds": 20}, "ok"])
    started = time.monotonic()
    result = complete_structured(backend_for(server, timeout=1.0), MESSAGES, Reply)
    assert result.value is not None and result.transport_retries == 1
    assert time.monotonic() - started < 10


def test_persistent_500_is_a_transport_error_without_the_key(fault_server):
    server = fault_server(default="500")
    backend = backend_for(server, max_retries=2, modes=["json_object"])
    result = complete_structured(backend, MESSAGES, Reply)
    assert result.value is None
    err = result.error
    assert err.kind == "transport" and "HTTP 500" in err.message and "\n" not in err.message
    assert "Traceback" not in err.message and PLANTED_KEY not in err.message
    assert len(server.requests) == 3 and result.transport_retries == 2
    assert result.attempts == err.attempts == 3 and "gave up after 3 attempt(s)" in err.message


def test_auth_error_echoing_the_key_is_scrubbed(fault_server):
    server = fault_server(default="401")
    result = complete_structured(backend_for(server), MESSAGES, Reply)
    assert result.error.kind == "auth" and "HTTP 401" in result.error.message
    assert "refused the API key" in result.error.message and result.error.attempts == 1
    assert PLANTED_KEY not in result.error.model_dump_json() and len(server.requests) == 1


def test_unreachable_endpoint_never_shows_the_key():
    backend = OpenAIBackend(
        "m",
        base_url="http://127.0.0.1:9/v1",
        api_key=PLANTED_KEY,
        max_retries=1,
        retry_initial_wait=0.01,
        timeout=2,
    )
    result = complete_structured(backend, MESSAGES, Reply)
    assert result.error.kind == "transport"
    assert (
        PLANTED_KEY not in result.error.model_dump_json()
        and "could not connect" in result.error.message
    )


def test_json_schema_rejection_falls_back_to_json_object(fault_server):
    server = fault_server(default="reject_json_schema")
    backend = backend_for(server)
    modes = ModeState(backend.modes)
    result = complete_structured(backend, MESSAGES, Reply, modes=modes)
    assert result.value is not None and result.mode == "json_object"
    assert modes.remaining == ("json_object", "prompted")  # for the rest of this run
    assert backend.modes == ("json_schema", "json_object", "prompted")  # declared, not changed
    again = complete_structured(backend, MESSAGES, Reply)  # a new run tries json_schema again
    assert again.mode == "json_object" and len(server.requests) == 4
    formats = [r["json"].get("response_format", {}).get("type") for r in server.requests]
    assert formats == ["json_schema", "json_object"] * 2  # the 500 was not retried
    assert any("json_schema rejected" in w for w in result.warnings)
    # json_object carries the schema, with regex escapes made grammar-safe
    sent = server.requests[1]["json"]["response_format"]["schema"]
    assert sent["$defs"]["Point"]["properties"]["text"]["maxLength"] == 40
    # The next call goes straight to json_object.
    complete_structured(backend, MESSAGES, Reply)
    assert server.requests[-1]["json"]["response_format"]["type"] == "json_object"


def test_plain_500_on_json_schema_is_retried_once_then_falls_back(fault_server):
    server = fault_server(["500", "500", "ok"])
    result = complete_structured(backend_for(server), MESSAGES, Reply)
    formats = [r["json"].get("response_format", {}).get("type") for r in server.requests]
    assert formats == ["json_schema", "json_schema", "json_object"] and result.value is not None


def test_json_schema_request_is_strict(fault_server):
    server = fault_server(["ok"])
    complete_structured(backend_for(server), MESSAGES, Reply)
    fmt = server.requests[0]["json"]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    point = fmt["json_schema"]["schema"]["$defs"]["Point"]
    assert point["additionalProperties"] is False and sorted(point["required"]) == [
        "sentence_ids",
        "text",
    ]


def test_prompted_mode_puts_the_schema_in_the_prompt(fault_server):
    server = fault_server(["ok"])
    result = complete_structured(backend_for(server, modes=["prompted"]), MESSAGES, Reply)
    body = server.requests[0]["json"]
    assert "response_format" not in body and result.value is not None
    assert '"headline"' in body["messages"][-1]["content"] and MESSAGES[0] == body["messages"][0]


def test_lenient_trims_and_reports(fault_server):
    long_reply = {
        "headline": "h" * 50,
        "points": [{"text": "t", "sentence_ids": ["a1.s1", "a1.s2", "a1.s3"], "x": 1}] * 3,
    }
    server = fault_server([{"kind": "ok", "content": long_reply}])
    result = complete_structured(backend_for(server), MESSAGES, Reply)
    assert (
        result.value is not None
        and len(result.value.points) == 2
        and len(result.value.headline) == 30
    )
    assert any("cut points from 3 to 2 items" in w for w in result.warnings)
    assert any("dropped unknown key points[0].x" in w for w in result.warnings)

    server = fault_server([{"kind": "ok", "content": long_reply}] * 3)
    strict = complete_structured(backend_for(server), MESSAGES, Reply, lenient=False)
    assert strict.value is None and strict.error.kind == "schema"


def test_before_call_budget_propagates(fault_server):
    server = fault_server(["invalid_json", "ok"])
    seen = []

    def budget(request):
        seen.append(request.mode)
        if len(seen) > 1:
            raise BudgetExceeded("over budget")

    with pytest.raises(BudgetExceeded):
        complete_structured(backend_for(server), MESSAGES, Reply, before_call=budget)
    assert len(server.requests) == 1


def test_after_call_sees_every_completion(fault_server):
    server = fault_server(["empty", "ok"])
    seen = []
    complete_structured(
        backend_for(server), MESSAGES, Reply, after_call=lambda req, c: seen.append(c.text)
    )
    assert seen[0] == "" and json.loads(seen[1])["headline"] == "x"


def test_parse_json_object_handles_fences_and_prose():
    assert parse_json_object('Sure! ```json\n{"a": [1, {"b": 2}]}\n``` hope it helps') == (
        {"a": [1, {"b": 2}]},
        None,
    )
    assert parse_json_object("no json here")[0] is None
    value, error = parse_json_object('{"a": ')
    assert value is None and "invalid JSON" in error


def test_coerce_unwraps_and_listifies():
    schema = Reply.model_json_schema()
    data, notes = coerce_to_schema(
        {"Reply": {"headline": "h", "points": [{"text": "t", "sentence_ids": "a1.s1"}]}}, schema
    )
    assert Reply.model_validate(data).points[0].sentence_ids == ["a1.s1"]
    assert any("unwrapped" in n for n in notes) and any("wrapped the string" in n for n in notes)
    with pytest.raises(ValidationError):
        Reply.model_validate({"headline": "h", "points": [{"text": "t", "sentence_ids": "a1.s1"}]})


def test_retry_after_http_date(fault_server):
    server = fault_server([{"kind": "429", "retry_after": "Wed, 21 Oct 2015 07:28:00 GMT"}, "ok"])
    result = complete_structured(backend_for(server), MESSAGES, Reply)
    assert result.value is not None and result.transport_retries == 1
    assert retry_after_seconds(None) is None


def test_grammar_schema_rewrites_regex_escapes():
    from agent.llm.schema_tools import grammar_schema
    from agent.schemas import ArticleDraft

    sent = json.dumps(grammar_schema(ArticleDraft.model_json_schema()))
    assert (
        "\\\\d" not in sent and "\\\\." not in sent
    )  # escapes that crash llama.cpp's grammar parser
    pattern = grammar_schema(ArticleDraft.model_json_schema())["$defs"]["DraftQuote"]["properties"][
        "sentence_id"
    ]["pattern"]
    assert re.fullmatch(pattern, "a12.s3") and not re.fullmatch(pattern, "a12xs3")
