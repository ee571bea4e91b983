"""The MCP server, driven by the real MCP client of the `mcp` SDK over stdio.

Each test starts `python -m agent mcp` as a subprocess, like a chat application would.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import pytest

pytest.importorskip("mcp")
from mcp import ClientSession, StdioServerParameters, stdio_client  # noqa: E402

from agent.chat_tools import TOOLS, input_schema  # noqa: E402
from agent.schemas import (  # noqa: E402
    ArticleBrief,
    StoryBrief,
    schema_document,  # noqa: E402
)

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "examples" / "syria").glob("*.txt"))
CALL_TIMEOUT = 120


def _server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBRIEF_", "OPENAI_"))}
    return {**env, **extra}


EXAMPLES = ("--root", str(ROOT / "examples"))  # the server may read files under examples/


def run_session(
    check: Callable[[ClientSession], Awaitable[None]],
    *args: str,
    roots: list[Path] | None = None,
    **env: str,
) -> None:
    """Start the server, initialise a client session, run `check(session)`.

    `roots`: directories the client declares as its MCP roots (None: no roots capability).
    """

    async def list_roots(context: Any) -> Any:
        from mcp import types

        return types.ListRootsResult(
            roots=[types.Root(uri=p.resolve().as_uri(), name=p.name) for p in roots or []]
        )

    async def main() -> None:
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "agent", "mcp", *args],
            cwd=str(ROOT),
            env=_server_env(**env),
        )
        with open(os.devnull, "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(
                    read, write, list_roots_callback=list_roots if roots is not None else None
                ) as session:
                    await session.initialize()
                    await check(session)

    anyio.run(main)


class Progress:
    def __init__(self) -> None:
        self.events: list[tuple[float, float | None, str | None]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.events.append((progress, total, message))


def _text(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


def _check_story(result: Any, count: int) -> StoryBrief:
    assert not result.is_error, _text(result)
    data = result.structured_content
    jsonschema.Draft202012Validator(schema_document("story")).validate(data)
    brief = StoryBrief.model_validate(data)
    assert len(brief.articles) == count
    assert brief.headline and brief.headline in _text(
        result
    )  # the Markdown view for text-only clients
    return brief


def test_lists_the_tools_with_their_schemas():
    async def check(session: ClientSession) -> None:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) == {
            "summarize_articles",
            "summarize_article",
            "check_claims",
            "brief_schema",
        }
        for spec in TOOLS:
            assert tools[spec.name].input_schema == input_schema(spec.args)
            assert tools[spec.name].description
        assert tools["summarize_articles"].output_schema == schema_document("story")
        assert tools["summarize_article"].output_schema == schema_document("article")

    run_session(check)


def test_summarize_articles_from_paths_with_progress():
    async def check(session: ClientSession) -> None:
        progress = Progress()
        result = await session.call_tool(
            "summarize_articles",
            {"articles": [str(p) for p in SEEDS], "backend": "none"},
            read_timeout_seconds=CALL_TIMEOUT,
            progress_callback=progress,
        )
        brief = _check_story(result, len(SEEDS))
        assert brief.run.backend == "none"
        assert brief.run.inputs == [str(p) for p in SEEDS]
        assert progress.events, "no progress notifications arrived"
        values = [p for p, _, _ in progress.events]
        assert all(a < b for a, b in zip(values, values[1:], strict=False)), (
            values
        )  # MCP: progress always increases
        assert progress.events[-1][0] == progress.events[-1][1] == len(SEEDS) + 1
        assert sum(1 for *_, m in progress.events if m and m.endswith(" done")) == len(SEEDS)

    run_session(check, *EXAMPLES)


def test_summarize_articles_from_texts_and_one_article():
    texts = [
        {"text": p.read_text(encoding="utf-8"), "title": f"Report {i}"}
        for i, p in enumerate(SEEDS[:2], 1)
    ]

    async def check(session: ClientSession) -> None:
        result = await session.call_tool(
            "summarize_articles",
            {"articles": texts, "backend": "none"},
            read_timeout_seconds=CALL_TIMEOUT,
        )
        brief = _check_story(result, 2)
        assert [a.title for a in brief.articles] == ["Report 1", "Report 2"]
        assert [a.source for a in brief.articles] == ["<text 1>", "<text 2>"]
        one = await session.call_tool(
            "summarize_article",
            {"article": str(SEEDS[0]), "backend": "none"},
            read_timeout_seconds=CALL_TIMEOUT,
        )
        assert not one.is_error, _text(one)
        jsonschema.Draft202012Validator(schema_document("article")).validate(one.structured_content)
        article = ArticleBrief.model_validate(one.structured_content)
        assert article.article_id == "a1" and article.summary in _text(one)

    run_session(check, *EXAMPLES)


def test_bad_calls_are_tool_errors_and_the_server_keeps_serving():
    bad_calls = [
        ("summarize_articles", {"articles": []}, "articles"),
        ("summarize_articles", {"backend": "none"}, "articles"),
        (
            "summarize_articles",
            {"articles": ["no/such/file.txt"], "backend": "none"},
            "no/such/file.txt",
        ),
        ("summarize_articles", {"articles": [str(SEEDS[0])], "backend": "gpt-9000"}, "backend"),
        (
            "summarize_articles",
            {"articles": [str(SEEDS[0])], "backend": "none", "concurrency": 0},
            "concurrency",
        ),
        ("summarize_article", {"article": {"title": "no text"}, "backend": "none"}, "text"),
        ("no_such_tool", {}, "unknown tool"),
    ]

    async def check(session: ClientSession) -> None:
        for name, arguments, needle in bad_calls:
            result = await session.call_tool(name, arguments, read_timeout_seconds=CALL_TIMEOUT)
            message = _text(result)
            assert result.is_error, (name, arguments)
            assert (
                needle in message and len(message.splitlines()) == 1 and "Traceback" not in message
            )
        good = await session.call_tool(
            "summarize_articles",
            {"articles": [str(p) for p in SEEDS[:2]], "backend": "none"},
            read_timeout_seconds=CALL_TIMEOUT,
        )
        _check_story(good, 2)

    run_session(check, *EXAMPLES)


def test_brief_schema_tool_returns_the_published_schemas():
    async def check(session: ClientSession) -> None:
        result = await session.call_tool("brief_schema", {})
        assert not result.is_error
        assert result.structured_content == schema_document("all")
        story = await session.call_tool("brief_schema", {"which": "story"})
        assert story.structured_content == schema_document("story")

    run_session(check)


def test_server_settings_come_from_its_config_file(tmp_path):
    config = tmp_path / "newsbrief.toml"
    config.write_text('backend = "none"\n', encoding="utf-8")

    async def check(session: ClientSession) -> None:
        result = await session.call_tool(
            "summarize_articles", {"articles": [str(SEEDS[0])]}, read_timeout_seconds=CALL_TIMEOUT
        )
        assert _check_story(result, 1).run.backend == "none"

    run_session(check, "--config", str(config), *EXAMPLES)


SHORT_TEXTS = [
    {
        "text": (
            "City officials said on Tuesday that the new bridge will open in May. The project cost "
            '40 million dollars, the mayor said. "It will cut travel times in half," she told '
            "reporters."
        ),
        "title": "Bridge to open in May",
        "outlet": "Daily Post",
        "date": "2024-03-05",
    },
    {
        "text": (
            "The bridge over the river will open in June, not May, a contractor said on Wednesday. "
            "He put the cost at 45 million dollars. The mayor has promised shorter commutes."
        ),
        "title": "Bridge opening may slip",
        "outlet": "Evening News",
        "date": "2024-03-06",
    },
]


# Small limits keep the embedded model's run short; the server gets the same ones from its
# environment, so its requests are the recorded ones.
FAST = {"max_reasks": 0, "article_max_tokens": 400, "synthesis_max_tokens": 400}


@pytest.mark.model
def test_replay_backend_through_the_server(tmp_path, gguf_path):
    from agent import summarize

    recordings = tmp_path / "recordings"
    local = summarize(SHORT_TEXTS, backend="local", record_dir=recordings, **FAST)
    assert local.run.calls and any(recordings.iterdir())

    async def check(session: ClientSession) -> None:
        result = await session.call_tool(
            "summarize_articles",
            {"articles": SHORT_TEXTS, "backend": "replay"},
            read_timeout_seconds=CALL_TIMEOUT,
        )
        replayed = _check_story(result, 2)
        assert replayed.run.backend == "replay"
        errors = [a.error for a in replayed.articles if a.error] + [replayed.synthesis_error]
        assert not [e for e in errors if e and e.kind == "replay_miss"], errors
        assert [(c.purpose, c.attempts, c.usage) for c in replayed.run.calls] == [
            (c.purpose, c.attempts, c.usage) for c in local.run.calls
        ]
        assert replayed.headline == local.headline and replayed.overview == local.overview
        assert [a.summary for a in replayed.articles] == [a.summary for a in local.articles]

    env = {f"NEWSBRIEF_{k.upper()}": str(v) for k, v in FAST.items()}
    run_session(check, NEWSBRIEF_REPLAY_DIR=str(recordings), **env)
