"""The surfaces of issue 12 wired end to end: URLs, HTML files and feeds as inputs of
`newsbrief summarize` (a real HTTP server on 127.0.0.1), the address policy of chat tools
(API and the MCP server through the real MCP client), `--format html`, `newsbrief render`,
and the response cache that is on by default (an OpenAI-compatible fault server counts the
requests that reach it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fetch_pages import PARAGRAPHS, Site, article_page, rss_feed, serve

from agent import api
from agent.errors import InputError
from agent.render.html import render_html
from agent.schemas import StoryBrief

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "examples" / "syria"
SEED_FILES = sorted(SEEDS.glob("*.txt"))


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agent", *args],
        capture_output=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve() as s:
        s.page("/news/flood", article_page())
        s.page(
            "/news/other",
            article_page().replace("Floodwater from the Vessa", "Water from the Vessa"),
        )
        s.page("/news/empty", "<html><body><nav>Home</nav></body></html>")
        s.page("/doc.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", content_type="application/pdf")
        s.page(
            "/feed.rss",
            rss_feed(s.base, ["/news/flood", "/news/other", "/news/flood?again"]),
            content_type="application/rss+xml",
        )
        yield s


# --------------------------------------------------------------------------- CLI inputs


def test_urls_that_fail_are_reported_and_the_rest_goes_on(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "brief.json"
    done = run(
        "summarize",
        f"{site.base}/news/flood",
        f"{site.base}/news/empty",
        f"{site.base}/doc.pdf",
        "http://127.0.0.1:9/unreachable",
        f"{site.base}/news/other",
        "--backend",
        "none",
        "-o",
        str(out),
    )
    err = done.stderr.decode()
    assert done.returncode == 3, err
    assert "Traceback" not in err
    assert err.count("newsbrief: skipped") == 3
    brief = StoryBrief.model_validate_json(out.read_text())
    assert [a.url for a in brief.articles] == [f"{site.base}/news/flood", f"{site.base}/news/other"]
    assert brief.articles[0].title and "Vessa" in brief.articles[0].title
    kinds = {f.input: f.kind for f in brief.run.failed_inputs}
    assert kinds[f"{site.base}/news/empty"] == "no_article"
    assert kinds[f"{site.base}/doc.pdf"] == "content_type"
    assert kinds["http://127.0.0.1:9/unreachable"] not in ("", "input")
    assert "2 inputs skipped" not in err and "3 inputs skipped" in err


def test_when_no_url_gives_an_article_it_is_one_clear_error(site: Site) -> None:
    done = run("summarize", f"{site.base}/news/empty", "--backend", "none")
    assert done.returncode == 2
    err = done.stderr.decode().strip()
    assert err.startswith("newsbrief: error: no readable articles") and "\n" not in err


def test_a_feed_brings_in_its_items_up_to_the_limit(site: Site) -> None:
    done = run("summarize", f"{site.base}/feed.rss", "--limit", "2", "--backend", "none", "-q")
    assert done.returncode == 0, done.stderr.decode()
    brief = StoryBrief.model_validate_json(done.stdout)
    assert len(brief.articles) == 2
    bad = run("summarize", f"{site.base}/feed.rss", "--limit", "0", "--backend", "none")
    assert bad.returncode == 2 and b"--limit" in bad.stderr


def test_local_html_files_go_through_the_same_extraction(tmp_path: Path) -> None:
    page = tmp_path / "flood.html"
    page.write_text(article_page(), encoding="utf-8")
    done = run("summarize", str(page), str(SEED_FILES[0]), "--backend", "none", "-q")
    assert done.returncode == 0, done.stderr.decode()
    brief = StoryBrief.model_validate_json(done.stdout)
    first = brief.articles[0]
    assert "Vessa" in (first.title or "")
    assert "cookie" not in json.dumps(brief.model_dump(mode="json")["articles"][0]).lower()


# --------------------------------------------------------------------------- chat policy


def test_the_api_refuses_loopback_urls_by_default_and_allows_them_when_asked(site: Site) -> None:
    url = f"{site.base}/news/flood"
    text = {"text": " ".join(PARAGRAPHS), "title": "Flood"}
    brief = api.summarize([text, url], backend="none")
    assert len(brief.articles) == 1
    assert [f.kind for f in brief.run.failed_inputs] == ["blocked"]
    with pytest.raises(InputError, match="blocked|private|loopback"):
        api.load_articles([url])
    opened = api.summarize([text, url], backend="none", fetch_private=True)
    assert len(opened.articles) == 2 and not opened.run.failed_inputs


def test_the_mcp_server_keeps_the_chat_policy_unless_started_to_lift_it(site: Site) -> None:
    pytest.importorskip("mcp")
    from test_mcp import _text, run_session

    url = f"{site.base}/news/flood"
    seen: dict[str, object] = {}

    async def refused(session) -> None:
        result = await session.call_tool("summarize_articles", {"articles": [url]})
        seen["refused"] = (result.is_error, _text(result))

    async def allowed(session) -> None:
        result = await session.call_tool(
            "summarize_articles", {"articles": [url, str(SEED_FILES[0])], "backend": "none"}
        )
        seen["allowed"] = result

    run_session(refused, "--backend", "none")
    is_error, message = seen["refused"]  # type: ignore[misc]
    assert is_error and "127.0.0.1" in str(message) and "Traceback" not in str(message)
    before = len(site.seen)
    run_session(allowed, "--backend", "none", "--allow-private-urls", roots=[SEED_FILES[0].parent])
    result = seen["allowed"]
    assert not result.is_error, _text(result)  # type: ignore[attr-defined]
    brief = StoryBrief.model_validate(result.structured_content)  # type: ignore[attr-defined]
    assert brief.articles[0].url == url and len(site.seen) > before


# --------------------------------------------------------------------------- views


def test_format_html_and_render_give_the_same_self_contained_page(tmp_path: Path) -> None:
    page = tmp_path / "brief.html"
    saved = tmp_path / "brief.json"
    assert (
        run(
            "summarize", str(SEEDS), "--backend", "none", "--format", "html", "-o", str(page), "-q"
        ).returncode
        == 0
    )
    assert run("summarize", str(SEEDS), "--backend", "none", "-o", str(saved), "-q").returncode == 0
    html = page.read_text(encoding="utf-8")
    assert html.lower().startswith("<!doctype html>") and "<script" not in html
    rendered = run("render", str(saved))
    assert rendered.returncode == 0, rendered.stderr.decode()
    brief = StoryBrief.model_validate_json(saved.read_text())
    assert brief.cited_sentences
    same_run = render_html(brief)
    assert rendered.stdout.decode().rstrip("\n") == same_run.rstrip("\n")
    # timings differ between the two runs; everything a reader checks is the same
    assert html.count('class="source-sentence"') == same_run.count('class="source-sentence"')
    md = run("render", str(saved), "--format", "md")
    assert md.returncode == 0 and md.stdout.decode().startswith("# ")


def test_render_refuses_what_is_not_a_brief(tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text('{"headline": 3}')
    binary = tmp_path / "x.json"
    binary.write_bytes(b"\xff\xfe\x00binary")
    for path in (junk, binary, tmp_path / "missing.json"):
        done = run("render", str(path))
        err = done.stderr.decode()
        assert done.returncode == 2 and "Traceback" not in err and err.count("\n") == 1, err
    out_dir = run("render", str(junk), "-o", str(tmp_path))
    assert out_dir.returncode == 2 and b"directory" in out_dir.stderr


# --------------------------------------------------------------------------- the cache


def test_the_cache_is_on_by_default_and_a_rerun_makes_no_model_call(
    fault_server, tmp_path: Path
) -> None:
    server = fault_server(default="ok")
    cache = tmp_path / "cache"
    args = [
        "summarize",
        str(SEED_FILES[0]),
        str(SEED_FILES[1]),
        "--backend",
        "openai",
        "--base-url",
        server.base_url,
        "--model",
        "fault-model",
        "--cache-dir",
        str(cache),
    ]
    env = {"OPENAI_API_KEY": "x"}
    first = run(*args, "-o", str(tmp_path / "1.json"), env=env)
    assert first.returncode in (0, 3), first.stderr.decode()
    sent = len(server.requests)
    assert sent > 0 and (cache / "responses.sqlite3").is_file()
    second = run(*args, "-o", str(tmp_path / "2.json"), env=env)
    assert len(server.requests) == sent, "the rerun reached the server"
    b1 = StoryBrief.model_validate_json((tmp_path / "1.json").read_text())
    b2 = StoryBrief.model_validate_json((tmp_path / "2.json").read_text())
    assert b2.run.cache_hits == len(b2.run.calls) > 0
    assert all(c.cache_hit for c in b2.run.calls)
    assert ", 0 model calls," in second.stderr.decode()
    assert f"{b2.run.cache_hits} cache hits" in second.stderr.decode()
    assert b2.model_dump(exclude={"run"}) == b1.model_dump(exclude={"run"})
    third = run(*args, "--no-cache", "-o", str(tmp_path / "3.json"), env=env)
    assert third.returncode in (0, 3)
    b3 = StoryBrief.model_validate_json((tmp_path / "3.json").read_text())
    assert b3.run.cache_hits == 0
    assert len(server.requests) - sent == sum(c.attempts for c in b3.run.calls) >= sent


def test_the_terminal_markdown_carries_no_escape_sequences(tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.txt"
    hostile.write_text(
        "Council \x1b[2J\x1b[31mapproves\x1b[0m new bridge\n\n"
        + " ".join(PARAGRAPHS)
        + " The mayor said \x1b]8;;http://evil.example\x07click here\x1b]8;;\x07 on Monday."
        + " Officials said the \u202eroad\u202c would reopen.\n",
        encoding="utf-8",
    )
    done = run("summarize", str(hostile), str(SEED_FILES[0]), "--backend", "none", "--format", "md")
    assert done.returncode == 0, done.stderr.decode()
    text = done.stdout.decode()
    assert "# Council approves new bridge" in text and "evil.example" not in text
    for bad in ("\x1b", "\x07", "\u202e", "\u202c"):
        assert bad not in text and bad not in done.stderr.decode()


# --------------------------------------------------------------------------- many stories


def test_batch_command_writes_a_page_per_story_and_an_index(tmp_path: Path) -> None:
    from test_batch import write_batch

    ids = write_batch(tmp_path / "in.jsonl", 3, bad=1)
    out = tmp_path / "briefs"
    done = run("batch", str(tmp_path / "in.jsonl"), "--out", str(out), "--backend", "none", "-q")
    err = done.stderr.decode()
    assert done.returncode == 3, err  # story-1 has an article with no text: it fails alone
    assert "Traceback" not in err
    for sid in ("story-0", "story-2"):
        page = (out / f"{sid}.html").read_text(encoding="utf-8")
        assert "ferry terminal" in page and 'class="source-sentence"' in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(sid in index for sid in ids) and 'href="story-0.html"' in index
    assert not (out / "story-1.html").exists()
    again = run("batch", str(tmp_path / "in.jsonl"), "--out", str(out), "--backend", "none", "-q")
    assert again.returncode in (0, 3) and "Traceback" not in again.stderr.decode()
