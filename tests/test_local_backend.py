"""LocalBackend: SmolLM2 in process through llama-cpp-python."""

from __future__ import annotations

import json
from typing import Annotated

import pytest
from pydantic import BaseModel, ConfigDict, Field

from agent.errors import ConfigError
from agent.llm.base import Request
from agent.llm.local import LocalBackend, default_model_path
from agent.llm.structured import complete_structured


class Tagged(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=12, description="A short name.")
    ids: list[Annotated[str, Field(pattern=r"^a\d+$")]] = Field(
        max_length=2, description="Article ids like a1."
    )


@pytest.fixture(scope="module")
def local(gguf_path):
    # No repeat penalty: these tests are about the grammar, and a penalty pushes the tiny
    # model to run on through unbounded digit patterns such as ^a\\d+$.
    return LocalBackend(n_ctx=1024, n_threads=2, repeat_penalty=1.0)


@pytest.mark.model
def test_grammar_gives_json_valid_for_the_schema(local):
    request = Request(
        messages=[
            {
                "role": "user",
                "content": "Name a fruit and list the ids a1, a2, a3, a4 and a5 as JSON.",
            }
        ],
        schema=Tagged.model_json_schema(),
        mode="json_object",
        max_tokens=60,
    )
    completion = local.complete(request)
    data = json.loads(completion.text)
    # The grammar enforces maxLength, maxItems and the (rewritten) pattern.
    assert len(data["name"]) <= 12 and len(data["ids"]) <= 2
    assert all(item.startswith("a") and item[1:].isdigit() for item in data["ids"])
    Tagged.model_validate(data)
    assert completion.prompt_tokens > 0 and completion.completion_tokens > 0


@pytest.mark.model
def test_structured_over_local(local):
    result = complete_structured(
        local,
        [{"role": "user", "content": "Give a name and ids a1 and a2."}],
        Tagged,
        max_tokens=60,
    )
    assert result.value is not None and result.mode == "json_object" and result.usage.cost_usd == 0


def test_count_tokens_uses_the_model_tokenizer(gguf_path):
    backend = LocalBackend()
    assert backend.count_tokens("The port reopened on Monday.") > 3
    assert backend.count_tokens("") == 0
    assert backend._llama is None  # counting did not load the full model


def test_default_model_path_and_env_override(gguf_path, monkeypatch, tmp_path):
    assert default_model_path() == gguf_path and gguf_path.endswith(".gguf")
    monkeypatch.setenv("NEWSBRIEF_MODEL_PATH", str(tmp_path / "none.gguf"))
    assert default_model_path() == str(tmp_path / "none.gguf")
    with pytest.raises(ConfigError) as info:
        LocalBackend()
    assert "none.gguf" in str(info.value) and "pip install" in str(info.value)


def test_missing_model_path_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as info:
        LocalBackend(model_path=str(tmp_path / "missing.gguf"))
    assert "\n" not in str(info.value) and "missing.gguf" in str(info.value)


@pytest.mark.model
def test_prompt_over_the_context_is_a_typed_error(gguf_path):
    small = LocalBackend(n_ctx=128)
    messages = [{"role": "user", "content": "word " * 400}]
    result = complete_structured(small, messages, Tagged, max_tokens=20)
    assert result.value is None and result.error.kind == "other"
    assert "context" in result.error.message.lower() and "\n" not in result.error.message
