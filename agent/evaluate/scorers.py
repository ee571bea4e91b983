"""Scorers that compare a StoryBrief with gold labels. Deterministic, no model involved.

Each scorer takes `(brief, gold, articles)` and returns named `MetricResult`s whose
details say, per gold item, whether it was found and by which output item. A label list
that is null in the gold (not labelled) gives None, never a free 0 or 1.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from typing import Any

from ..grounding.support import support_score
from ..schemas import Article, ArticleBrief, Conflict, Position, StoryBrief
from ..text.sentences import split_sentences
from .gold import GoldConflict, GoldEntity, GoldPosition, GoldTimelineEntry, StoryGold, date_text
from .match import (
    CONTENT_OVERLAP,
    QUOTE_MATCH,
    evidence_sentence_ids,
    fact_items,
    match_fact,
    name_matches,
    parse_number,
    quote_overlap,
    same_number,
    verbatim_in,
)
from .metrics import MetricResult, f1, ratio

Scorer = Callable[[StoryBrief, StoryGold, list[Article]], dict[str, MetricResult]]


def _pairs(brief: StoryBrief, gold: StoryGold, articles: list[Article]):
    """(gold article, its output brief or None, its Article or None) for every gold article."""
    briefs = {b.article_id: b for b in brief.articles}
    by_id = {a.id: a for a in articles}
    for gold_article in gold.articles:
        yield gold_article, briefs.get(gold_article.id), by_id.get(gold_article.id)


# --------------------------------------------------------------------------- key facts


def score_key_facts(
    brief: StoryBrief, gold: StoryGold, articles: list[Article]
) -> dict[str, MetricResult]:
    items = fact_items(brief)
    details: list[dict[str, Any]] = []
    labelled = False
    for gold_article, _, article in _pairs(brief, gold, articles):
        if gold_article.key_facts is None:
            continue
        labelled = True
        aid = gold_article.id
        candidates = [i for i in items if not i.article_ids or aid in i.article_ids]
        for fact in gold_article.key_facts:
            ids = evidence_sentence_ids(article, fact.evidence)
            found = match_fact(fact.text, ids, candidates)
            details.append(
                {
                    "id": fact.id,
                    "text": fact.text,
                    "found": found is not None,
                    "by": found.ref if found else None,
                    "rule": found.rule if found else None,
                    "overlap": found.overlap if found else None,
                    "evidence": sorted(ids),
                }
            )
    if not labelled:
        return {"key_fact_recall": MetricResult(None)}
    return {"key_fact_recall": ratio(sum(d["found"] for d in details), len(details), details)}


# --------------------------------------------------------------------------- entities


def _entity_counts(
    gold_entities: list[GoldEntity], art: ArticleBrief | None
) -> tuple[int, int, int, int, list[dict[str, Any]]]:
    outputs = [e.name for e in art.entities] if art else []
    correct = sum(1 for name in outputs if any(name_matches(name, g) for g in gold_entities))
    required = [g for g in gold_entities if g.required]
    details: list[dict[str, Any]] = []
    for g in required:
        by = next((name for name in outputs if name_matches(name, g)), None)
        details.append({"entity": g.name, "found": by is not None, "by": by})
    extra = [name for name in outputs if not any(name_matches(name, g) for g in gold_entities)]
    if extra:
        details.append({"unlabelled_output": extra})
    return (
        correct,
        len(outputs),
        sum(d.get("found", False) for d in details),
        len(required),
        details,
    )


def score_entities(
    brief: StoryBrief, gold: StoryGold, articles: list[Article]
) -> dict[str, MetricResult]:
    correct = output = found = required = 0
    details: list[dict[str, Any]] = []
    labelled = False
    for gold_article, art, _ in _pairs(brief, gold, articles):
        if gold_article.entities is None:
            continue
        labelled = True
        c, o, fnd, req, rows = _entity_counts(gold_article.entities, art)
        correct, output, found, required = correct + c, output + o, found + fnd, required + req
        details += [{"article": gold_article.id, **row} for row in rows]
    if not labelled:
        return {
            name: MetricResult(None) for name in ("entity_precision", "entity_recall", "entity_f1")
        }
    precision = ratio(correct, output)
    recall = ratio(found, required, details)
    return {
        "entity_precision": precision,
        "entity_recall": recall,
        "entity_f1": MetricResult(f1(precision.value, recall.value)),
    }


# --------------------------------------------------------------------------- quotes


def _speaker_entities(gold: StoryGold, speaker: str) -> list[GoldEntity]:
    key = speaker.lower()
    return [e for e in gold.all_entities() if key in (n.lower() for n in e.names())]


def score_quotes(
    brief: StoryBrief, gold: StoryGold, articles: list[Article]
) -> dict[str, MetricResult]:
    details: list[dict[str, Any]] = []
    labelled = False
    for gold_article, art, article in _pairs(brief, gold, articles):
        if gold_article.quotes is None:
            continue
        labelled = True
        outputs = art.quotes if art else []
        for gq in gold_article.quotes:
            scored = [(quote_overlap(q.text, gq.text), i, q) for i, q in enumerate(outputs)]
            scored = [s for s in scored if s[0] >= QUOTE_MATCH]
            row: dict[str, Any] = {
                "article": gold_article.id,
                "speaker": gq.speaker,
                "text": gq.text,
                "found": bool(scored),
                "faithful": False,
            }
            if scored:
                speakers = _speaker_entities(gold, gq.speaker)
                judged = [
                    (
                        verbatim_in(q.text, article.text if article else gq.text),
                        any(name_matches(q.speaker, e) for e in speakers),
                        i,
                        q,
                    )
                    for _, i, q in scored
                ]
                verbatim, right, i, q = max(judged, key=lambda j: (j[0] and j[1], j[0], j[1]))
                row.update(
                    {
                        "by": f"{gold_article.id}.quotes[{i}]",
                        "output_speaker": q.speaker,
                        "verbatim": verbatim,
                        "right_speaker": right,
                        "faithful": verbatim and right,
                    }
                )
            details.append(row)
    if not labelled:
        return {"quote_recall": MetricResult(None), "quote_fidelity": MetricResult(None)}
    return {
        "quote_recall": ratio(sum(d["found"] for d in details), len(details)),
        "quote_fidelity": ratio(sum(d["faithful"] for d in details), len(details), details),
    }


# --------------------------------------------------------------------------- figures


def _figure_value(value: float | None, value_text: str) -> float | None:
    return value if value is not None else parse_number(value_text)


def score_figures(
    brief: StoryBrief, gold: StoryGold, articles: list[Article]
) -> dict[str, MetricResult]:
    details: list[dict[str, Any]] = []
    output_total = output_right = 0
    labelled = False
    for gold_article, art, article in _pairs(brief, gold, articles):
        if gold_article.figures is None:
            continue
        labelled = True
        outputs = [(f, _figure_value(f.value, f.value_text)) for f in (art.figures if art else [])]
        output_total += len(outputs)
        output_right += sum(
            1 for _, v in outputs if any(same_number(v, g.value) for g in gold_article.figures)
        )
        for g in gold_article.figures:
            ids = evidence_sentence_ids(article, [g.evidence])
            by = next(
                (
                    f
                    for f, v in outputs
                    if same_number(v, g.value) and (not ids or f.sentence_id in ids)
                ),
                None,
            )
            details.append(
                {
                    "article": gold_article.id,
                    "value_text": g.value_text,
                    "counts": g.counts,
                    "found": by is not None,
                    "by": by.value_text if by else None,
                }
            )
    if not labelled:
        return {"figure_accuracy": MetricResult(None), "figure_precision": MetricResult(None)}
    return {
        "figure_accuracy": ratio(sum(d["found"] for d in details), len(details), details),
        "figure_precision": ratio(output_right, output_total),
    }


# --------------------------------------------------------------------------- consensus


def score_consensus(
    brief: StoryBrief, gold: StoryGold, articles: list[Article]
) -> dict[str, MetricResult]:
    if gold.consensus is None:
        return {"consensus_recall": MetricResult(None)}
    by_id = {a.id: a for a in articles}
    items = [i for i in fact_items(brief) if i.ref.startswith("consensus[")]
    details: list[dict[str, Any]] = []
    for claim in gold.consensus:
        ids: set[str] = set()
        for ev in claim.evidence:
            ids |= evidence_sentence_ids(by_id.get(ev.article), [ev.text])
        candidates = [i for i in items if len(i.article_ids & set(claim.articles)) >= 2]
        found = match_fact(claim.claim, ids, candidates)
        details.append(
            {"claim": claim.claim, "found": found is not None, "by": found.ref if found else None}
        )
    return {"consensus_recall": ratio(sum(d["found"] for d in details), len(details), details)}


# --------------------------------------------------------------------------- conflicts


def _position_matches(pos: Position, gold_pos: GoldPosition, ids: set[str], numeric: bool) -> bool:
    if pos.article_id != gold_pos.article:
        return False
    if numeric and any(same_number(pos.value, v) for v in [gold_pos.value, *gold_pos.also_accept]):
        return True
    return (
        bool(ids & set(pos.sentence_ids))
        or support_score(gold_pos.statement, [pos.statement]) >= CONTENT_OVERLAP
    )


def _conflict_matches(out: Conflict, gold_conflict: GoldConflict, ids: list[set[str]]) -> bool:
    numeric = gold_conflict.kind == "numeric" or all(
        p.value is not None for p in gold_conflict.positions
    )
    sides: set[Any] = set()
    for gold_pos, pos_ids in zip(gold_conflict.positions, ids, strict=True):
        if any(_position_matches(p, gold_pos, pos_ids, numeric) for p in out.positions):
            sides.add(gold_pos.value if numeric else gold_pos.article)
    return len(sides) >= 2


def score_conflicts(
    brief: StoryBrief, gold: StoryGold, articles: list[Article]
) -> dict[str, MetricResult]:
    if gold.conflicts is None:
        return {"conflict_recall": MetricResult(None), "conflict_precision": MetricResult(None)}
    by_id = {a.id: a for a in articles}
    ids = [
        [evidence_sentence_ids(by_id.get(p.article), [p.evidence]) for p in g.positions]
        for g in gold.conflicts
    ]
    details: list[dict[str, Any]] = []
    for g, g_ids in zip(gold.conflicts, ids, strict=True):
        by = [i for i, out in enumerate(brief.conflicts) if _conflict_matches(out, g, g_ids)]
        details.append({"topic": g.topic, "found": bool(by), "by": [f"conflicts[{i}]" for i in by]})
    matched_outputs = sum(
        1
        for out in brief.conflicts
        if any(_conflict_matches(out, g, i) for g, i in zip(gold.conflicts, ids, strict=True))
    )
    unmatched = [
        out.topic
        for out in brief.conflicts
        if not any(_conflict_matches(out, g, i) for g, i in zip(gold.conflicts, ids, strict=True))
    ]
    if unmatched:
        details.append({"unlabelled_output": unmatched})
    return {
        "conflict_recall": ratio(
            sum(d.get("found", False) for d in details), len(gold.conflicts), details
        ),
        "conflict_precision": ratio(matched_outputs, len(brief.conflicts)),
    }


# --------------------------------------------------------------------------- timeline and episodes


def _date_right(entry_date: str | None, gold_entry: GoldTimelineEntry) -> bool:
    if gold_entry.date is None:
        return entry_date is None
    return entry_date in {gold_entry.date, *gold_entry.also_accept}


def score_timeline(
    brief: StoryBrief, gold: StoryGold, articles: list[Article]
) -> dict[str, MetricResult]:
    if gold.timeline is None:
        return {"timeline_recall": MetricResult(None), "timeline_date_accuracy": MetricResult(None)}
    by_id = {a.id: a for a in articles}
    details: list[dict[str, Any]] = []
    for g in gold.timeline:
        ids: set[str] = set()
        for ev in g.evidence:
            ids |= evidence_sentence_ids(by_id.get(ev.article), [ev.text])
        matches = [
            (i, e)
            for i, e in enumerate(brief.timeline)
            if set(e.article_ids) & set(g.articles)
            and (ids & set(e.sentence_ids) or support_score(g.what, [e.what]) >= CONTENT_OVERLAP)
        ]
        dates = [(i, date_text(e.date, e.date_precision)) for i, e in matches]
        right = next((i for i, d in dates if _date_right(d, g)), None)
        details.append(
            {
                "what": g.what,
                "gold_date": g.date,
                "found": bool(matches),
                "date_right": right is not None,
                "output_dates": [d for _, d in dates],
                "by": f"timeline[{right if right is not None else matches[0][0]}]"
                if matches
                else None,
            }
        )
    total = len(gold.timeline)
    return {
        "timeline_recall": ratio(sum(d["found"] for d in details), total),
        "timeline_date_accuracy": ratio(sum(d["date_right"] for d in details), total, details),
    }


def score_episodes(
    brief: StoryBrief, gold: StoryGold, articles: list[Article]
) -> dict[str, MetricResult]:
    if not gold.episodes:
        return {"episode_agreement": MetricResult(None)}
    gold_of = {a: e.id for e in gold.episodes for a in e.articles}
    out_of: dict[str, int] = {}
    for episode in brief.episodes:
        for a in episode.article_ids:
            out_of.setdefault(a, episode.id)
    pairs = list(combinations(sorted(gold_of), 2))
    agree = 0
    details: list[dict[str, Any]] = []
    for a, b in pairs:
        same_gold = gold_of[a] == gold_of[b]
        same_out = a in out_of and out_of.get(a) == out_of.get(b)
        agree += same_gold == same_out
        if same_gold != same_out:
            details.append(
                {
                    "pair": f"{a}-{b}",
                    "gold_same_episode": same_gold,
                    "output_same_episode": same_out,
                }
            )
    return {"episode_agreement": ratio(agree, len(pairs), details)}


# --------------------------------------------------------------------------- first screen

ON_GOLD = 0.6  # share of a statement's content words found in one gold fact and its evidence


def first_screen(brief: StoryBrief) -> list[tuple[str, str]]:
    """What a reader sees first, statement by statement: the story headline and overview,
    each source's headline and summary, and the consensus claims.
    """
    out = [("headline", brief.headline)]
    out += [(f"overview sentence {i}", s) for i, s in enumerate(split_sentences(brief.overview), 1)]
    for art in brief.articles:
        out.append((f"{art.article_id}.headline", art.headline))
        out += [
            (f"{art.article_id}.summary sentence {i}", s)
            for i, s in enumerate(split_sentences(art.summary), 1)
        ]
    out += [(f"consensus[{i}]", c.claim) for i, c in enumerate(brief.consensus)]
    return [(where, text) for where, text in out if text.strip()]


def _gold_texts(gold: StoryGold) -> list[list[str]]:
    """Each labelled fact as the texts that state it: its wording and its evidence."""
    texts = [[f.text, *f.evidence] for a in gold.articles for f in a.key_facts or []]
    texts += [[c.claim, *(e.text for e in c.evidence)] for c in gold.consensus or []]
    texts += [[t.what, *(e.text for e in t.evidence)] for t in gold.timeline or []]
    return texts


def score_statements(
    brief: StoryBrief, gold: StoryGold, articles: list[Article]
) -> dict[str, MetricResult]:
    """Share of first-screen statements that state a labelled fact (a key fact, consensus
    claim or timeline event, with its evidence), by content-word coverage. Graded against
    the labels, not by the pipeline's verifier, so an invented statement lowers it; a true
    statement nobody labelled lowers it too, so read it as a lower bound of precision.
    """
    facts = _gold_texts(gold)
    if not facts:
        return {"statement_gold_rate": MetricResult(None)}
    banned = [m.text.lower() for m in gold.must_not_appear]
    details: list[dict[str, Any]] = []
    on_gold = 0
    statements = first_screen(brief)
    for where, text in statements:
        best = max(support_score(text, texts) for texts in facts)
        hit = best >= ON_GOLD and not any(b in text.lower() for b in banned)
        on_gold += hit
        if not hit:
            details.append({"where": where, "text": text[:160], "overlap": round(best, 3)})
    return {"statement_gold_rate": ratio(on_gold, len(statements), details)}


GOLD_SCORERS: list[Scorer] = [
    score_key_facts,
    score_entities,
    score_quotes,
    score_figures,
    score_consensus,
    score_conflicts,
    score_timeline,
    score_episodes,
    score_statements,
]


def score_against_gold(
    brief: StoryBrief, gold: StoryGold, articles: list[Article]
) -> dict[str, MetricResult]:
    results: dict[str, MetricResult] = {}
    for scorer in GOLD_SCORERS:
        results.update(scorer(brief, gold, articles))
    return results
