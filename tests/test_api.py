"""The Python API.

The README example runs; texts and paths; sync and async; errors; shared backends.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from agent import (
    ArticleInput,
    Settings,
    asummarize,
    asummarize_article,
    summarize,
    summarize_article,
)
from agent.api import load_articles, shared_backend
from agent.errors import ConfigError, InputError
from agent.schemas import ArticleBrief, StoryBrief

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT / "examples" / "syria"
SEEDS = sorted(SEED_DIR.glob("*.txt"))
TEXT = (
    "Officials met in Geneva on Monday to discuss a ceasefire. The talks lasted five hours, "
    'a spokesman said. "We made progress," the envoy told reporters.'
)


def python_block(markdown: str, heading: str) -> str | None:
    """The first ```python block in the section under the heading `heading` (any level), or None."""
    inside, code, fence = False, None, False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fence = not fence
            if inside and fence and line.strip() == "```python" and code is None:
                code = []
            elif inside and not fence and code is not None:
                return "\n".join(code) + "\n"
            continue
        if not fence and re.match(r"#+\s", line):
            if inside:
                return None
            inside = re.fullmatch(rf"#+\s*{re.escape(heading)}\s*", line.strip()) is not None
        elif inside and fence and code is not None:
            code.append(line)
    return None


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBRIEF_", "OPENAI_"))}


def test_readme_python_api_example_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = python_block(readme, "Python API")
    if code is None:
        pytest.fail(
            "README.md has no ```python block under a 'Python API' heading: "
            "copy the example from docs/CHAT_TOOLS.md"
        )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, cwd=ROOT, env=_clean_env(), timeout=300
    )
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    assert lines and lines[0] == summarize(SEEDS, backend="none").headline


def test_docs_example_is_the_readme_example():
    docs = python_block((ROOT / "docs" / "CHAT_TOOLS.md").read_text(encoding="utf-8"), "Python API")
    assert docs is not None and len(docs.strip().splitlines()) <= 10
    readme = python_block((ROOT / "README.md").read_text(encoding="utf-8"), "Python API")
    assert readme is None or readme.strip() == docs.strip()


def test_summarize_paths_and_texts_in_order():
    brief = summarize(
        [
            str(SEEDS[0]),
            ArticleInput(text=TEXT, title="Geneva talks", outlet="Wire", date="2016-09-12"),
            SEEDS[1],
            {"text": TEXT + " More details followed.", "url": "https://example.org/x"},
        ],
        backend="none",
    )
    assert isinstance(brief, StoryBrief) and brief.run.backend == "none"
    assert [a.article_id for a in brief.articles] == ["a1", "a2", "a3", "a4"]
    assert [a.source for a in brief.articles] == [
        str(SEEDS[0]),
        "<text 2>",
        str(SEEDS[1]),
        "<text 4>",
    ]
    second = brief.articles[1]
    assert (second.title, second.outlet, str(second.date)) == ("Geneva talks", "Wire", "2016-09-12")
    assert brief.articles[3].url == "https://example.org/x"


def test_a_directory_after_a_text_is_renumbered():
    articles = load_articles([{"text": TEXT}, SEED_DIR])
    assert [a.id for a in articles] == [f"a{i}" for i in range(1, len(SEEDS) + 2)]
    for article in articles:
        assert all(s.id.startswith(article.id + ".s") for s in article.sentences)
        assert all(article.text[s.start : s.end] == s.text for s in article.sentences)
    brief = summarize([{"text": TEXT}, SEED_DIR], backend="none")
    assert len(brief.articles) == len(SEEDS) + 1
    assert {i for c in brief.consensus for i in c.article_ids} <= {
        a.article_id for a in brief.articles
    }


def test_summarize_article_and_progress():
    events = []
    article = summarize_article(
        SEEDS[2], Settings(backend="none"), on_progress=lambda e, info: events.append(e)
    )
    assert isinstance(article, ArticleBrief) and article.article_id == "a1" and article.summary
    assert events[0] == "start" and events[-1] == "done" and events.count("article_done") == 1
    with pytest.raises(InputError, match="takes one article"):
        summarize_article(SEED_DIR, backend="none")


def test_async_variants():
    async def both() -> tuple[StoryBrief, ArticleBrief]:
        story = await asummarize(SEEDS[:2], backend="none")
        one = await asummarize_article({"text": TEXT}, backend="none")
        return story, one

    story, one = anyio.run(both)
    assert (
        len(story.articles) == 2 and story.headline == summarize(SEEDS[:2], backend="none").headline
    )
    assert one.source == "<text 1>" and "Geneva" in one.summary


@pytest.mark.parametrize(
    ("articles", "message"),
    [
        ([], "no articles given"),
        ([{"title": "no text"}], "article 1: text: Field required"),
        (
            [SEEDS[0], {"text": TEXT, "author": "x"}],
            "article 2: author: Extra inputs are not permitted",
        ),
        (["no/such/file.txt"], "no/such/file.txt"),
        ([TEXT + "\nSecond line."], "looks like article text"),
        (["-"], "stdin"),
        ([42], "expected a path or an article text"),
    ],
)
def test_bad_articles_are_input_errors(articles, message):
    with pytest.raises(InputError, match=re.escape(message)):
        summarize(articles, backend="none")


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="concurrency: Input should be greater than 0"):
        summarize(SEEDS[:1], backend="none", concurrency=0)
    with pytest.raises(ConfigError, match="colour: unknown setting"):
        summarize(SEEDS[:1], backend="none", colour="red")


def test_backends_are_shared_by_settings(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    first, lock = shared_backend(Settings(backend="replay", replay_dir=one))
    again, same_lock = shared_backend(Settings(backend="replay", replay_dir=one, concurrency=1))
    other, _ = shared_backend(Settings(backend="replay", replay_dir=two))
    assert first is not None and first is again and lock is same_lock
    assert other is not first
