"""Record a run against the fault server (with a json_schema rejection and a re-ask), then
replay it with no server at all and get the same result; misses, caching, no secrets."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ConfigDict, Field

from agent.errors import ConfigError
from agent.llm.base import ModeRejected, ModeState, ReplayMiss, Request
from agent.llm.cache import CachedBackend
from agent.llm.factory import make_backend
from agent.llm.openai_backend import OpenAIBackend
from agent.llm.replay import RecordingBackend, ReplayBackend, request_key
from agent.llm.structured import complete_structured

PLANTED_KEY = "sk-test-PLANTED-123"


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^a\d+\.s\d+$", description="A sentence id.")
    note: str = Field(max_length=50, description="A note.")


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=40, description="A title.")
    items: list[Item] = Field(min_length=1, max_length=3, description="Items.")


def conversations(n: int) -> list[list[dict[str, str]]]:
    return [[{"role": "user", "content": f"Describe article {i}."}] for i in range(n)]


def run_all(backend, convos, modes=None):
    """The conversations as one run: a mode refused once is not tried again (`modes`)."""
    modes = modes if modes is not None else ModeState(backend.modes)
    return [
        complete_structured(backend, messages, Answer, max_tokens=200, modes=modes)
        for messages in convos
    ]


def comparable(result) -> dict:
    return {
        "value": result.value.model_dump() if result.value else None,
        "error": result.error.model_dump() if result.error else None,
        "attempts": result.attempts,
        "reasks": result.reasks,
        "mode": result.mode,
        "usage": result.usage.model_dump(),
        "finish_reason": result.finish_reason,
        "last_text": result.last_text,
    }


def test_record_then_replay_is_identical_with_zero_calls(fault_server, tmp_path):
    server = fault_server(
        ["reject_json_schema", "invalid_json", "ok", "schema_fail", "schema_fail", "schema_fail"],
        default="reject_json_schema",
    )
    inner = OpenAIBackend(
        "fault-model", base_url=server.base_url, api_key=PLANTED_KEY, retry_initial_wait=0.01
    )
    recorder = RecordingBackend(inner, tmp_path)
    convos = conversations(3)
    recorded_modes = ModeState(recorder.modes)
    recorded = run_all(recorder, convos, recorded_modes)
    assert (
        recorded[0].value is not None
        and recorded[0].reasks == 1
        and recorded[0].mode == "json_object"
    )
    assert recorded[1].error is not None and recorded[1].error.kind == "schema"
    assert recorded[2].value is not None
    assert recorded_modes.remaining == ("json_object", "prompted")
    assert inner.modes == ("json_schema", "json_object", "prompted")  # declared, never changed
    served = len(server.requests)
    server.stop()

    replay = make_backend("replay", replay_dir=str(tmp_path))
    assert (
        replay.modes == ("json_schema", "json_object", "prompted") and replay.model == "fault-model"
    )
    replayed_modes = ModeState(replay.modes)
    replayed = run_all(replay, convos, replayed_modes)
    assert [comparable(r) for r in replayed] == [comparable(r) for r in recorded]
    assert len(server.requests) == served  # nothing reached the (stopped) server
    assert replayed_modes.remaining == ("json_object", "prompted")  # the same fallback happened


def test_replay_falls_back_when_only_another_mode_was_recorded(tmp_path):
    request = Request(
        messages=[{"role": "user", "content": "hi"}], schema={"type": "object"}, mode="json_object"
    )
    entry = {
        "key": request_key(request),
        "model": "m",
        "request": request.key_material(),
        "completion": {
            "text": "{}",
            "prompt_tokens": 3,
            "completion_tokens": 1,
            "finish_reason": "stop",
            "refusal": None,
        },
    }
    (tmp_path / f"{request_key(request)}.json").write_text(json.dumps(entry))
    replay = ReplayBackend(tmp_path)
    with pytest.raises(ModeRejected):
        replay.complete(
            Request(messages=request.messages, schema=request.schema, mode="json_schema")
        )
    completion = replay.complete(request)
    assert completion.text == "{}" and completion.prompt_tokens == 3 and not completion.cache_hit


def test_replay_miss_names_the_key(tmp_path):
    replay = ReplayBackend(tmp_path)
    request = Request(messages=[{"role": "user", "content": "never recorded"}], mode="prompted")
    with pytest.raises(ReplayMiss) as info:
        replay.complete(request)
    assert request_key(request) in str(info.value) and "record" in str(info.value)
    result = complete_structured(replay, request.messages, Answer)
    assert result.error.kind == "replay_miss" and result.attempts == 0


def test_recordings_hold_no_secret(fault_server, tmp_path):
    server = fault_server(["reject_json_schema", "ok"])
    inner = OpenAIBackend("fault-model", base_url=server.base_url, api_key=PLANTED_KEY)
    complete_structured(RecordingBackend(inner, tmp_path), conversations(1)[0], Answer)
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 3  # the rejection, the answer, _meta.json
    for file in files:
        text = file.read_text()
        assert (
            PLANTED_KEY not in text
            and "authorization" not in text.lower()
            and "127.0.0.1" not in text
        )
    assert (
        server.requests[0]["headers"].get("Authorization") is None
    )  # the server's log drops it too
    assert not list(tmp_path.glob("*.tmp"))


def test_request_key_is_stable_and_ignores_seed():
    a = Request(messages=[{"role": "user", "content": "x"}], schema={"b": 1, "a": 2}, seed=1)
    b = Request(messages=[{"role": "user", "content": "x"}], schema={"a": 2, "b": 1}, seed=7)
    assert request_key(a) == request_key(b) and len(request_key(a)) == 64
    assert request_key(a) != request_key(
        Request(messages=a.messages, schema=a.schema, max_tokens=5)
    )


def test_cache_hits_skip_the_server(fault_server, tmp_path):
    server = fault_server(default="ok")
    inner = OpenAIBackend(
        "fault-model", base_url=server.base_url, api_key="x", modes=["json_object"]
    )
    cache = CachedBackend(inner, tmp_path)
    first = complete_structured(cache, conversations(1)[0], Answer)
    second = complete_structured(cache, conversations(1)[0], Answer)
    assert first.cache_hits == 0 and second.cache_hits == 1
    assert second.value == first.value and second.usage == first.usage
    assert len(server.requests) == 1


def test_factory_choices(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigError):
        make_backend("nope")
    with pytest.raises(ConfigError):
        make_backend("replay")
    backend = make_backend(
        "openai", base_url="http://127.0.0.1:9/v1", model="m", record_dir=str(tmp_path)
    )
    assert (
        isinstance(backend, RecordingBackend) and backend.name == "openai" and backend.model == "m"
    )
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert make_backend(model="m").name == "openai"


def test_factory_takes_the_servers_first_model(fault_server, monkeypatch):
    monkeypatch.delenv("NEWSBRIEF_MODEL", raising=False)
    server = fault_server(model="served-model")
    backend = make_backend(base_url=server.base_url)
    assert backend.model == "served-model"
    assert server.requests[0]["path"].endswith("/models")


def test_recordings_hold_no_prompt_text(fault_server, tmp_path):
    """Prompts carry article text (licensed benchmark clusters, private documents): a
    recording keeps digests of the request, never its messages, and still replays."""
    secret_text = "The harbour master of Quillport resigned over the dredging contract."
    messages = [{"role": "user", "content": secret_text}]
    server = fault_server(["reject_json_schema", "ok"])
    inner = OpenAIBackend("fault-model", base_url=server.base_url)
    first = complete_structured(RecordingBackend(inner, tmp_path), messages, Answer)
    for file in tmp_path.glob("*.json"):
        assert "Quillport" not in file.read_text()
    again = complete_structured(ReplayBackend(tmp_path), messages, Answer)
    assert again.value == first.value and again.mode == first.mode
