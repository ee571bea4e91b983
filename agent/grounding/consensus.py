"""Single-source items code finds on its own (consensus comes from `agent.grounding.align`)."""

from __future__ import annotations

import re
from collections import Counter

from ..schemas import (
    Article,
    ArticleBrief,
    SingleSourceItem,
)
from ..text.match import words
from ..text.sentences import sentence_text
from .conflicts import keyed_figures
from .synthesis import articles_by_id, independent_articles

# --------------------------------------------------------------------------- code-side items


def single_source_items(
    briefs: list[ArticleBrief], articles: list[Article], limit: int = 6
) -> list[SingleSourceItem]:
    """Figures and quotes that only one article reports (found by code).

    A figure counts when it has a known measure (killed, injured, displaced, cost...), no
    other article has a figure counting the same thing (see `agent.conflicts`) and no other
    article states its value; the claim is its sentence, verbatim. A quote counts when it
    has a verified speaker, four words or more, and its words appear in no other article.
    Later duplicates of an article are ignored; with one article nothing is single-source
    in a useful sense, so nothing is returned.
    """
    by_id = articles_by_id(articles)
    independent = independent_articles(articles)
    if len(independent) < 2:
        return []
    keep = {a.id for a in independent}
    figs = [
        f for f in keyed_figures(briefs, by_id) if f.article_id in keep and f.key[1][0] == "measure"
    ]
    sources = Counter(key for key, _ in {(f.key, f.article_id) for f in figs})
    values = {(b.article_id, f.value) for b in briefs for f in b.figures if f.value is not None}
    items: list[SingleSourceItem] = []
    for fig in figs:
        text = fig.figure.value_text
        elsewhere = any(
            other != fig.article_id and value == fig.figure.value for other, value in values
        ) or any(
            re.search(rf"(?<![\w,.]){re.escape(text)}(?![\w,])", a.text, re.I)
            for a in independent
            if a.id != fig.article_id
        )
        sentence = sentence_text(by_id, fig.figure.sentence_id)
        if sources[fig.key] > 1 or elsewhere or not sentence:
            continue
        if not any(fig.figure.sentence_id in item.sentence_ids for item in items):
            items.append(
                SingleSourceItem(
                    article_id=fig.article_id,
                    claim=sentence,
                    sentence_ids=[fig.figure.sentence_id],
                    verified=True,
                )
            )
    norm = {a.id: " ".join(words(a.text)) for a in independent}
    for brief in briefs:
        for quote in brief.quotes if brief.article_id in keep else []:
            said = " ".join(words(quote.text))
            if (
                not (quote.verbatim and quote.speaker_verified and quote.speaker)
                or len(said.split()) < 4
            ):
                continue
            if not any(said in text for aid, text in norm.items() if aid != brief.article_id):
                items.append(
                    SingleSourceItem(
                        article_id=brief.article_id,
                        claim=f'{quote.speaker} said: "{quote.text}"',
                        sentence_ids=[quote.sentence_id],
                        verified=True,
                    )
                )
    return items[:limit]
