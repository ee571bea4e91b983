"""The HTML story page, checked with a real HTML parser: escaping, links, citation targets."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hostile_article import INJECTION, JS_URL, OSC_TARGET, SCRIPT, hostile_inputs

from agent import summarize
from agent.api import load_articles
from agent.render.html import anchor_id, render_html
from agent.schemas import Article, StoryBrief
from agent.text.sanitize import safe_url

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "examples" / "syria").glob("*.txt"))


class Page(HTMLParser):
    """Every tag with its attributes, every id, and the text as a browser would show it."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ids: dict[str, dict[str, str]] = {}
        self.texts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if "id" in attributes:
            assert attributes["id"] not in self.ids, f"duplicate id {attributes['id']}"
            self.ids[attributes["id"]] = attributes

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def with_class(self, name: str) -> list[dict[str, str]]:
        return [a for _, a in self.tags if name in a.get("class", "").split()]


@pytest.fixture(scope="module")
def syria() -> tuple[StoryBrief, list[Article]]:
    if not SEEDS:
        pytest.skip("examples/syria is missing")
    return summarize(SEEDS, backend="none"), load_articles(SEEDS)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[StoryBrief, list[Article]]:
    inputs = hostile_inputs(tmp_path_factory.mktemp("hostile"))
    return summarize(inputs, backend="none"), load_articles(inputs)


def _assert_inert(page: Page) -> None:
    """No script, no embedded or loaded resource, no event handler, only safe links."""
    names = {tag for tag, _ in page.tags}
    assert not names & {
        "script",
        "img",
        "iframe",
        "object",
        "embed",
        "link",
        "base",
        "form",
        "svg",
        "video",
        "audio",
        "source",
        "input",
        "button",
    }
    for tag, attrs in page.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        assert "src" not in attrs and "srcset" not in attrs and "style" not in attrs, (tag, attrs)
        href = attrs.get("href")
        if href is not None and not href.startswith("#"):
            assert safe_url(href) == href, href


def test_every_citation_marker_targets_a_sentence_entry(
    syria: tuple[StoryBrief, list[Article]],
) -> None:
    brief, articles = syria
    page = Page(render_html(brief, articles))
    markers = page.with_class("cm")
    assert len(markers) >= 20  # the example cites many sentences
    sentences = {s.id: s.text for a in articles for s in a.sentences}
    for marker in markers:
        target = marker["href"].removeprefix("#")
        assert target in page.ids, marker
        entry = page.ids[target]
        assert "source-sentence" in entry["class"].split()
        sid = entry["data-sid"]
        assert anchor_id(sid) == target and sid in sentences
        assert marker["aria-describedby"] in page.ids  # the tooltip it opens
    # every cited sentence is listed once, with its text
    listed = page.with_class("source-sentence")
    assert len(listed) == len({m["href"] for m in markers})
    for entry in listed:
        assert " ".join(sentences[entry["data-sid"]].split()) in " ".join(page.text.split())


def test_the_page_has_every_section_and_a_card_per_source(
    syria: tuple[StoryBrief, list[Article]],
) -> None:
    brief, articles = syria
    html = render_html(brief, articles)
    page = Page(html)
    for section in ("agree", "timeline", "quotes", "sources", "cited", "run"):
        assert section in page.ids, section
    for article in brief.articles:
        assert f"card-{article.article_id}" in page.ids
    assert html.count('<table class="conf">') == len(brief.conflicts)
    assert ("disagree" in page.ids) == bool(brief.conflicts)
    assert "Cache hits" in page.text and "Tokens" in page.text
    assert brief.headline in page.text
    assert any(
        t == "meta"
        and a.get("http-equiv") == "Content-Security-Policy"
        and "default-src 'none'" in a["content"]
        for t, a in page.tags
    )
    assert "@media print" in html and "max-width: 640px" in html
    _assert_inert(page)


def test_a_saved_brief_renders_the_same_page_without_its_articles(
    syria: tuple[StoryBrief, list[Article]],
) -> None:
    brief, articles = syria
    saved = StoryBrief.model_validate_json(brief.model_dump_json())
    assert saved.cited_sentences, "the brief carries the sentences it cites"
    assert render_html(saved) == render_html(brief, articles)


def test_without_sentence_text_markers_still_resolve_and_say_the_text_is_missing(
    syria: tuple[StoryBrief, list[Article]],
) -> None:
    brief, _ = syria
    older = brief.model_copy(update={"cited_sentences": {}})  # a brief saved before 1.1
    page = Page(render_html(older))
    markers = page.with_class("cm")
    assert markers
    assert all(m["href"].removeprefix("#") in page.ids for m in markers)
    assert "not saved with this brief" in page.text


def test_hostile_text_is_escaped_and_links_are_safe(
    hostile: tuple[StoryBrief, list[Article]],
) -> None:
    brief, articles = hostile
    html = render_html(brief, articles)
    page = Page(html)
    _assert_inert(page)
    assert "<script" not in html.lower() and "<img" not in html.lower()
    # shown literally, as text
    assert SCRIPT in page.text
    assert 'onerror="window.__pwned=1"' in page.text
    assert INJECTION in page.text  # listed as flagged, not used
    assert "Flagged as instructions to an AI" in page.text
    # the javascript: URL is not a link, and says why
    assert not any(JS_URL in a.get("href", "") for _, a in page.tags)
    assert "not a plain http(s) address" in page.text
    # no terminal escape or bidi override reaches the page, and no OSC 8 target is a link (ingest
    # drops the ESC bytes of the article text, so what is left of the sequence is inert text)
    assert "\x1b" not in html and "\u202e" not in html
    assert not any(OSC_TARGET in a.get("href", "") for _, a in page.tags)
    # the hostile title is only ever an attribute value, never a new attribute
    assert not any("onmouseover" in attrs for _, attrs in page.tags)


def test_model_text_with_escapes_is_cleaned_whole(syria: tuple[StoryBrief, list[Article]]) -> None:
    """Strings that reach the brief without ingest (model output) lose whole escape sequences."""
    brief, articles = syria
    esc = "\x1b"
    headline = (
        f"{esc}]0;window-title-set{esc}\\Talks "
        f"{esc}]8;;http://{OSC_TARGET}/{esc}\\resume{esc}]8;;{esc}\\ \u202eon{esc}[2J Friday"
    )
    quote = brief.articles[0].quotes[0].model_copy(update={"speaker": f'{SCRIPT}" onfocus="x'})
    first = brief.articles[0].model_copy(update={"quotes": [quote], "url": "JaVa\tScRiPt:alert(1)"})
    bad = brief.model_copy(update={"headline": headline, "articles": [first, *brief.articles[1:]]})
    html = render_html(bad, articles)
    page = Page(html)
    _assert_inert(page)
    assert "Talks resume on Friday" in page.text
    assert (
        "\x1b" not in html
        and OSC_TARGET not in html
        and "window-title-set" not in html
        and "\u202e" not in html
    )
    assert f'{SCRIPT}" onfocus="x' in page.text
    assert "alert(1)" in page.text and not any("alert" in a.get("href", "") for _, a in page.tags)


def test_mismatched_articles_and_wrong_types_are_refused(
    syria: tuple[StoryBrief, list[Article]], hostile: tuple[StoryBrief, list[Article]]
) -> None:
    brief, _ = syria
    _, other = hostile
    with pytest.raises(ValueError, match="do not match the brief"):
        render_html(brief, other)
    not_a_brief: Any = {"headline": "x"}
    with pytest.raises(TypeError):
        render_html(not_a_brief)
