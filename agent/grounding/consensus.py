"""Cross-source items code finds on its own: consensus candidates and single-source items."""

from __future__ import annotations

import re
from collections import Counter

from ..schemas import (
    Article,
    ArticleBrief,
    ConsensusClaim,
    SingleSourceItem,
)
from ..text.match import content_words, words
from ..text.sentences import sentence_text
from .conflicts import keyed_figures
from .support import (
    UNCITED,
    Scorer,
    SupportIndex,
    best_support,
    default_scorer,
    memo,
)
from .synthesis import articles_by_id, independent_articles, same_claim

# --------------------------------------------------------------------------- code-side items


def code_consensus(
    briefs: list[ArticleBrief],
    articles: list[Article],
    scorer: Scorer | None = None,
    limit: int = 5,
) -> list[ConsensusClaim]:
    """Consensus candidates found by code: key points or sentences other articles support.

    Candidates are each article's supported key points, then its sentences of 6 to 60 words.
    One counts as consensus when a sentence of at least one other (non-duplicate) article
    passes the strict UNCITED bar of `agent.support.best_support`: 0.6 or more with the
    scorer and weighted by rarity, every number of the candidate stated, and the sentence
    mostly about the candidate. Ranked by the number of articles, then by position
    (article order, then sentence order); near-repeats and claims resting on an already
    used sentence are skipped.
    """
    scorer = memo(scorer or default_scorer())
    independent = independent_articles(articles)
    if len(independent) < 2:
        return []
    order = {a.id: i for i, a in enumerate(independent)}
    briefs_by_id = {b.article_id: b for b in briefs}
    index = SupportIndex(independent)
    found = []
    for article in independent:
        position = {s.id: i for i, s in enumerate(article.sentences)}
        candidates = []
        brief = briefs_by_id.get(article.id)
        for kp in brief.key_points if brief else []:
            if kp.support in ("supported", "partial") and all(
                s in position for s in kp.sentence_ids
            ):
                candidates.append((kp.text, kp.sentence_ids))
        for s in article.sentences:
            if 6 <= len(words(s.text)) <= 60 and len(set(content_words(s.text))) >= 5:
                candidates.append((s.text, [s.id]))
        for text, own in candidates:
            others = [a for a in independent if a.id != article.id]
            support = {}
            for other in others:
                _, ids = best_support(text, other, scorer, index, UNCITED)
                if ids:
                    support[other.id] = ids
            if support:
                ids = sorted([article.id, *support], key=order.__getitem__)
                rank = (-len(ids), order[article.id], min(position[s] for s in own))
                found.append(
                    (rank, text, ids, own + [s for a in ids if a in support for s in support[a]])
                )
    found.sort(key=lambda f: f[0])
    chosen: list[ConsensusClaim] = []
    used: set[str] = set()
    for _, text, ids, sentence_ids in found:
        if used & set(sentence_ids) or any(same_claim(c.claim, text) for c in chosen):
            continue
        used |= set(sentence_ids)
        chosen.append(
            ConsensusClaim(
                claim=text, article_ids=ids, sentence_ids=sentence_ids, verified=True, origin="code"
            )
        )
        if len(chosen) >= limit:
            break
    return chosen


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
