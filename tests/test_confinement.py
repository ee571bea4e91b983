"""A hostile caller through the real MCP client: what a prompt-injected chat model may try.

Each test starts `python -m agent mcp` as a subprocess (tests/test_mcp.run_session) and
drives it with the `mcp` SDK's client over stdio: file paths outside the allowed
directories (absolute, `../`, a symlink pointing out), a call naming another endpoint, and a
cancelled call, which must stop the server's work. The server keeps serving after each
refusal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("mcp")
from test_mcp import _text, run_session  # noqa: E402

from agent.schemas import StoryBrief  # noqa: E402

ARTICLE = (
    "Officials in the harbour town said on Monday that the new ferry line will open in May. "
    'The line cost 12 million euros, the council said. "It links the islands at last," the '
    "mayor told reporters. Work on the pier began two years ago."
)


@pytest.fixture
def jail(tmp_path: Path) -> dict[str, Path]:
    """A root with one article, a secret beside it, and symlinks from inside to outside."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "story.txt").write_text(ARTICLE, encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("The secret plan was approved on Tuesday by the board. " * 5, "utf-8")
    (root / "link.txt").symlink_to(secret)
    inner = root / "dir"
    inner.mkdir()
    (inner / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (inner / "b.txt").symlink_to(secret)
    return {"root": root, "secret": secret, "inner": inner}


def _call(session: Any, articles: list[Any], **extra: Any) -> Any:
    return session.call_tool(
        "summarize_articles", {"articles": articles, "backend": "none", **extra}
    )


def test_paths_outside_the_root_are_refused_and_the_server_keeps_serving(jail) -> None:
    root, secret = jail["root"], jail["secret"]
    seen: dict[str, Any] = {}

    async def check(session) -> None:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        seen["description"] = tools["summarize_articles"].description
        for name, path in (
            ("passwd", "/etc/passwd"),
            ("dotdot", str(root / ".." / "secret.txt")),
            ("symlink", str(root / "link.txt")),
            ("absolute", str(secret)),
        ):
            result = await _call(session, [path])
            seen[name] = (result.is_error, _text(result))
        seen["inside"] = await _call(session, [str(root / "story.txt"), {"text": ARTICLE}])
        seen["dir"] = await _call(session, [str(jail["inner"])])

    run_session(check, "--root", str(root))
    assert str(root.resolve()) in seen["description"]
    for name in ("passwd", "dotdot", "symlink", "absolute"):
        is_error, message = seen[name]
        assert is_error, name
        assert "outside the allowed directories" in message and "Traceback" not in message
        assert "secret plan" not in message and "root:" not in message
    inside = StoryBrief.model_validate(seen["inside"].structured_content)
    assert [a.article_id for a in inside.articles] == ["a1", "a2"]
    # a directory inside the root: its symlink out is skipped (a gap at a2), never read
    in_dir = StoryBrief.model_validate(seen["dir"].structured_content)
    assert [a.article_id for a in in_dir.articles] == ["a1"]
    assert [(f.article_id, f.kind) for f in in_dir.run.failed_inputs] == [("a2", "input")]
    assert "outside the allowed directories" in in_dir.run.failed_inputs[0].message
    assert "secret plan" not in str(seen["dir"].structured_content)


def test_without_roots_the_tools_take_texts_only_and_say_so(jail) -> None:
    seen: dict[str, Any] = {}

    async def check(session) -> None:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        seen["description"] = tools["summarize_articles"].description
        seen["path"] = await _call(session, [str(jail["root"] / "story.txt")])
        seen["text"] = await _call(session, [{"text": ARTICLE}])

    run_session(check)
    assert "reads no files" in seen["description"]
    assert seen["path"].is_error and "file paths are not accepted" in _text(seen["path"])
    assert not seen["text"].is_error, _text(seen["text"])


def test_the_roots_the_client_declares_bound_the_paths(jail) -> None:
    root, secret = jail["root"], jail["secret"]
    seen: dict[str, Any] = {}

    async def check(session) -> None:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        seen["description"] = tools["summarize_articles"].description
        seen["inside"] = await _call(session, [str(root / "story.txt")])
        seen["outside"] = await _call(session, [str(secret)])
        seen["symlink"] = await _call(session, [str(root / "link.txt")])

    run_session(check, roots=[root])
    assert "roots your client declares" in seen["description"]
    assert not seen["inside"].is_error, _text(seen["inside"])
    for name in ("outside", "symlink"):
        assert seen[name].is_error and "outside the allowed directories" in _text(seen[name])


def test_a_call_cannot_send_articles_to_an_endpoint_it_picks(fault_server) -> None:
    attacker = fault_server(text_length=24)
    seen: dict[str, Any] = {}

    async def check(session) -> None:
        for change in (
            {"backend": "openai", "base_url": attacker.base_url},
            {"base_url": attacker.base_url},
            {"backend": "local"},
        ):
            result = await session.call_tool(
                "summarize_articles", {"articles": [{"text": ARTICLE}], **change}
            )
            seen[str(change)] = (result.is_error, _text(result))
        seen["after"] = await _call(session, [{"text": ARTICLE}])

    run_session(check, "--backend", "none")
    for is_error, message in [v for k, v in seen.items() if k != "after"]:
        assert is_error and "does not let a tool call change" in message
    assert not seen["after"].is_error  # still serving
    assert attacker.requests == []  # nothing reached the endpoint the caller named


def test_with_allow_endpoints_a_call_may_pick_one_but_gets_no_key(fault_server) -> None:
    other = fault_server(text_length=24)
    seen: dict[str, Any] = {}

    async def check(session) -> None:
        seen["result"] = await session.call_tool(
            "summarize_articles",
            {"articles": [{"text": ARTICLE}], "backend": "openai", "base_url": other.base_url},
            read_timeout_seconds=120,
        )

    run_session(check, "--backend", "none", "--allow-endpoints", NEWSBRIEF_API_KEY="sk-server")
    assert not seen["result"].is_error, _text(seen["result"])
    assert other.requests, "the allowed endpoint was not called"
    assert all("sk-server" not in str(r.get("headers")) for r in other.requests)


def test_a_cancelled_call_stops_its_run(fault_server) -> None:
    slow = fault_server(default={"kind": "hang", "seconds": 1.5}, text_length=24)
    articles = [{"text": ARTICLE.replace("ferry", f"ferry number {n}")} for n in range(6)]
    seen: dict[str, Any] = {}

    async def check(session) -> None:
        with anyio.move_on_after(2.5):  # the client gives up: the SDK sends notifications/cancelled
            await session.call_tool("summarize_articles", {"articles": articles})
        seen["at_cancel"] = len(slow.requests)
        await anyio.sleep(6)
        seen["later"] = len(slow.requests)
        seen["after"] = await _call(session, [{"text": ARTICLE}])

    run_session(
        check,
        NEWSBRIEF_BASE_URL=slow.base_url,
        NEWSBRIEF_API_KEY="sk-test",
        NEWSBRIEF_CONCURRENCY="1",
        NEWSBRIEF_CACHE="false",
    )
    # at most the article in flight at the cancel finishes; 6 articles + a synthesis would
    # have been 7 requests over ~10 s
    assert 1 <= seen["at_cancel"] <= 3
    assert seen["later"] <= seen["at_cancel"] + 1, seen
    assert not seen["after"].is_error  # the server still serves
