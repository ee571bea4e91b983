"""`newsbrief tools`: function definitions for chat applications, from the argument models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from agent.chat_tools import TOOLS, SummarizeArticlesArgs, input_schema, openai_tools, tool_spec

ROOT = Path(__file__).resolve().parents[1]
SEED = str(next((ROOT / "examples" / "syria").glob("*.txt")))

GOOD = {
    "summarize_articles": [
        {"articles": [SEED]},
        {
            "articles": [
                SEED,
                {"text": "Officials met on Monday.", "title": "Talks", "date": "2016-09-10"},
            ],
            "backend": "none",
            "max_cost": 0.5,
            "max_tokens": 20000,
            "concurrency": 2,
        },
    ],
    "summarize_article": [
        {"article": SEED},
        {"article": {"text": "One report."}, "backend": "openai", "model": "m"},
    ],
    "check_claims": [
        {"text": "Officials met on Monday.", "articles": [SEED]},
        {"text": "Talks.", "articles": [{"text": "Officials met on Monday."}]},
    ],
    "brief_schema": [{}, {"which": "article"}],
}
BAD = {
    "summarize_articles": [
        {},
        {"articles": []},
        {"articles": [SEED], "backend": "gpt"},
        {"articles": [SEED], "concurrency": 0},
        {"articles": [SEED], "api_key": "k"},
        {"articles": [{"title": "no text"}]},
    ],
    "summarize_article": [
        {},
        {"article": {"text": "x", "author": "extra"}},
        {"article": SEED, "max_tokens": 0},
    ],
    "check_claims": [
        {"articles": [SEED]},
        {"text": "", "articles": [SEED]},
        {"text": "x", "articles": []},
        {"text": "x", "articles": [SEED], "backend": "openai"},
    ],
    "brief_schema": [{"which": "everything"}, {"extra": 1}],
}


def run_tools(fmt: str) -> list[dict]:
    result = subprocess.run(
        [sys.executable, "-m", "agent", "tools", "--format", fmt],
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def _schemas(fmt: str) -> dict[str, dict]:
    doc = run_tools(fmt)
    if fmt == "openai":
        assert all(set(t) == {"type", "function"} and t["type"] == "function" for t in doc)
        return {t["function"]["name"]: t["function"] for t in doc}
    assert all(set(t) == {"name", "description", "input_schema"} for t in doc)
    return {t["name"]: {**t, "parameters": t["input_schema"]} for t in doc}


@pytest.mark.parametrize("fmt", ["openai", "anthropic"])
def test_definitions_are_json_schemas_of_the_argument_models(fmt):
    tools = _schemas(fmt)
    assert list(tools) == [s.name for s in TOOLS]
    for name, tool in tools.items():
        schema = tool["parameters"]
        Draft202012Validator.check_schema(schema)
        assert schema == input_schema(tool_spec(name).args)
        assert schema["type"] == "object" and "$ref" not in json.dumps(schema)
        assert len(tool["description"]) > 40
        validator = Draft202012Validator(schema)
        model = tool_spec(name).args
        for good in GOOD[name]:
            validator.validate(good)
            model.model_validate(good)
        for bad in BAD[name]:
            assert not validator.is_valid(bad), bad
            with pytest.raises(ValidationError):
                model.model_validate(bad)


def test_every_run_option_is_a_setting():
    from agent.config import Settings

    options = set(SummarizeArticlesArgs.model_fields) - {"articles"}
    assert options <= set(Settings.model_fields)
    args = SummarizeArticlesArgs.model_validate(
        {"articles": [SEED], "backend": "none", "concurrency": 3}
    )
    assert args.overrides() == {"backend": "none", "concurrency": 3}


def test_a_call_cannot_move_the_work_to_another_backend_model_or_endpoint_by_default():
    from agent.config import Settings
    from agent.errors import InputError

    base = Settings(
        api_key="sk-test-server-key",
        base_url="http://127.0.0.1:8080/v1",
        backend="openai",
        model="served-model",
        max_cost=0.5,
    )
    refused = [
        {"base_url": "http://attacker.example/v1"},
        {"backend": "local"},
        {"model": "gpt-4o"},
        {"max_cost": 5.0},
    ]
    for change in refused:
        args = SummarizeArticlesArgs.model_validate({"articles": [SEED], **change})
        with pytest.raises(InputError, match="does not let a tool call change"):
            args.settings(base)
    allowed = [
        {"backend": "none"},
        {"backend": "openai", "base_url": "http://127.0.0.1:8080/v1", "model": "served-model"},
        {"max_cost": 0.1, "concurrency": 2},
    ]
    for change in allowed:
        args = SummarizeArticlesArgs.model_validate({"articles": [SEED], **change})
        resolved = args.settings(base)
        assert resolved.base_url == base.base_url and resolved.model == base.model
        assert resolved.api_key.get_secret_value() == "sk-test-server-key"


def test_a_call_naming_another_endpoint_gets_no_api_key():
    from agent.config import Settings

    base = Settings(
        api_key="sk-test-server-key",
        base_url="http://127.0.0.1:8080/v1",
        backend="openai",
        allow_endpoints=True,
    )
    same = SummarizeArticlesArgs.model_validate(
        {"articles": [SEED], "base_url": "http://127.0.0.1:8080/v1"}
    )
    other = SummarizeArticlesArgs.model_validate(
        {"articles": [SEED], "base_url": "http://attacker.example/v1"}
    )
    assert same.settings(base).api_key.get_secret_value() == "sk-test-server-key"
    assert (
        other.settings(base).api_key is None
        and other.settings(base).base_url == "http://attacker.example/v1"
    )
    assert (
        SummarizeArticlesArgs.model_validate({"articles": [SEED], "concurrency": 2})
        .settings(base)
        .api_key
    )


def test_unknown_format_is_a_usage_error():
    result = subprocess.run(
        [sys.executable, "-m", "agent", "tools", "--format", "xml"],
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 2 and b"Traceback" not in result.stderr


# --------------------------------------------------------------------------- examples/chat_loop.py

CHAT_LOOP = ROOT / "examples" / "chat_loop.py"


def run_chat_loop(base_url: str, message: str, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, str(CHAT_LOOP), "--base-url", base_url, "--once", message, *args]
    return subprocess.run(command, capture_output=True, cwd=ROOT, timeout=300)


def test_chat_loop_brief_command_sends_the_tool_exchange(fault_server):
    server = fault_server(
        ["400", {"kind": "ok", "content": "The sources agree on the talks [a1]."}]
    )
    result = run_chat_loop(server.base_url, f"/brief {SEED}", "--newsbrief-backend", "none")
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    assert "assistant> The sources agree on the talks [a1]." in out
    chats = [r["json"] for r in server.requests if r["method"] == "POST"]
    assert chats[0]["tools"] == [
        t for t in openai_tools() if t["function"]["name"] == "summarize_articles"
    ]
    assert "tools" not in chats[1]  # the server refused tools (HTTP 400): the loop went on without
    messages = chats[1]["messages"]
    call = messages[-2]["tool_calls"][0]
    assert call["function"]["name"] == "summarize_articles"
    assert json.loads(call["function"]["arguments"]) == {"articles": [SEED]}
    tool = messages[-1]
    assert tool["role"] == "tool" and tool["tool_call_id"] == call["id"]
    assert tool["content"].startswith("# ") and tool["content"].splitlines()[0][2:] in out


def test_chat_loop_reports_an_unreachable_server():
    result = run_chat_loop("http://127.0.0.1:9/v1", "hello")
    err = result.stderr.decode().strip()
    assert result.returncode == 1 and "cannot reach" in err and "Traceback" not in err


@pytest.mark.model
def test_chat_loop_against_llama_cpp_server(llama_server):
    result = run_chat_loop(
        llama_server, f"/brief {SEED}", "--newsbrief-backend", "none", "--max-tokens", "60"
    )
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    brief_headline = out.lstrip().splitlines()[0]
    assert (
        brief_headline.startswith("# ") and len(brief_headline) > 5
    )  # newsbrief's Markdown, shown to the user
    assert (
        "refused tools" not in result.stderr.decode()
    )  # llama.cpp's server takes the tool definitions
    reply = out.split("assistant> ", 1)[1].strip()
    assert reply  # the model answered after reading the tool message
