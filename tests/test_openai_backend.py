"""OpenAIBackend against llama-cpp-python's real OpenAI-compatible server running SmolLM2.

The server answers `response_format: json_schema` with HTTP 500; the backend must turn that
into a mode fallback to `json_object` + schema (which it enforces with a grammar)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field

from agent.llm.base import ModeRejected, ModeState, Request
from agent.llm.openai_backend import OpenAIBackend, count_tokens_cl100k
from agent.llm.structured import complete_structured
from agent.schemas import ArticleDraft

pytestmark = pytest.mark.model


class City(BaseModel):
    model_config = ConfigDict(extra="forbid")
    city: str = Field(max_length=30, description="The city named in the text.")
    country: str = Field(max_length=30, description="The country it is in.")


ARTICLE = """Article a1 (Harbour Daily, 3 March 2021)

Sentences:
[a1.s1] The port of Velmora reopened on Monday after a two-week strike by 1,200 dock workers.
[a1.s2] "We got what we asked for," said union leader Mara Quist.
[a1.s3] The city council approved a 4% pay rise on Sunday.
"""


def test_json_schema_is_rejected_by_the_real_server(llama_server):
    backend = OpenAIBackend(base_url=llama_server, timeout=120)
    request = Request(
        messages=[{"role": "user", "content": "Say hi"}],
        schema=City.model_json_schema(),
        mode="json_schema",
        max_tokens=8,
    )
    with pytest.raises(ModeRejected) as info:
        backend.complete(request)
    assert "json_schema" in str(info.value) and "\n" not in str(info.value)


def test_small_model_falls_back_and_returns_valid_json(llama_server):
    backend = OpenAIBackend(base_url=llama_server, timeout=120)
    assert backend.model.endswith(".gguf")  # taken from the server's /v1/models
    messages = [
        {"role": "system", "content": 'Reply with JSON: {"city": ..., "country": ...}'},
        {"role": "user", "content": "Paris is the capital of France. Which city and country?"},
    ]
    modes = ModeState(backend.modes)
    result = complete_structured(backend, messages, City, max_tokens=40, max_reasks=1, modes=modes)
    assert result.mode == "json_object" and modes.remaining == ("json_object", "prompted")
    assert result.error is None, result.error
    assert isinstance(result.value, City) and result.value.city
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.usage.cost_usd == 0


def test_article_draft_from_the_tiny_model(llama_server):
    backend = OpenAIBackend(base_url=llama_server, timeout=180, modes=["json_object", "prompted"])
    messages = [
        {
            "role": "system",
            "content": "You describe one news article as JSON. Cite sentence ids like a1.s2.",
        },
        {
            "role": "user",
            "content": ARTICLE
            + "\nGive the headline, a short summary, up to 2 key points, entities.",
        },
    ]
    calls = []
    result = complete_structured(
        backend,
        messages,
        ArticleDraft,
        max_tokens=300,
        max_reasks=1,
        after_call=lambda req, c: calls.append(c),
    )
    assert result.attempts == len(calls) >= 1
    assert result.usage.prompt_tokens == sum(c.prompt_tokens for c in calls)
    assert result.usage.completion_tokens == sum(c.completion_tokens for c in calls)
    if result.value is not None:
        draft = ArticleDraft.model_validate(result.value.model_dump())
        assert all(len(p.sentence_ids) >= 1 for p in draft.key_points)
    else:
        assert result.error.kind in {"invalid_json", "schema", "length", "empty"}
        assert result.error.attempts == 2 and result.error.usage == result.usage


def test_count_tokens_offline():
    assert count_tokens_cl100k("hello world") == 2
    assert count_tokens_cl100k("") == 0
