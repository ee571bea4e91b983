"""HTML story page of a StoryBrief: one self-contained file, every statement with its sources.

The page is built with Jinja2 (`autoescape=True`, `StrictUndefined`) from a view made here in
which every string has been through `agent.text.sanitize.clean` and every link through
`safe_url`, so article text, titles and model output can only ever show as text. The page
needs no JavaScript and loads nothing from elsewhere (CSS inline, no fonts, images or scripts).

A `StoryBrief` cites sentence ids ("a2.s14") but does not carry the sentences; pass the
`Article`s the brief was made from to show each cited sentence (on hover and keyboard focus,
and in the "Cited sentences" section that every citation marker links to). Without them the
markers still resolve to an entry per sentence, saying the text was not saved with the brief.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from ..schemas import Article, StoryBrief
from .story_view import StoryView, anchor_id, plain

__all__ = ["anchor_id", "render_html"]


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("agent.render", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def render_html(brief: StoryBrief, articles: Sequence[Article] | None = None) -> str:
    """The story page of `brief` as one self-contained HTML document.

    `articles` are the inputs the brief was made from (ids a1..aN as in the brief); with them
    each citation shows its sentence's text and the overview's sentences are cited. Every
    string shown is cleaned; only http(s) links are made; the template escapes everything.
    """
    if not isinstance(brief, StoryBrief):
        raise TypeError(f"render_html() expects a StoryBrief, not {type(brief).__name__}")
    if articles is not None:
        given = {a.id for a in articles}
        missing = [a.article_id for a in brief.articles if a.article_id not in given]
        if missing:
            raise ValueError(
                f"the articles do not match the brief: no article {', '.join(missing)}"
            )
    view = StoryView(brief, articles)
    dates = sorted(a.date for a in brief.articles if a.date)
    context = {
        "headline": plain(brief.headline),
        "overview": view.overview(),
        "overview_origin": brief.overview_origin,
        "sources_count": len(brief.articles),
        "header_chips": view.chips(b.article_id for b in brief.articles),
        "date_range": " to ".join(dict.fromkeys(d.isoformat() for d in (dates[:1] + dates[-1:]))),
        "consensus": view.consensus(),
        "conflicts": view.conflicts(),
        "episodes": view.episodes(),
        "speakers": view.speakers(),
        "single_source": view.single_source(),
        "open_questions": [plain(q) for q in brief.open_questions],
        "cards": view.cards(),
        "unverified": view.unverified(),
        "story_problems": view.story_problems(),
        "run": view.run(),
        "have_text": view.have_text,
    }
    context["cited"] = view.sources_of_sentences()
    return _environment().get_template("story.html.j2").render(**context)
