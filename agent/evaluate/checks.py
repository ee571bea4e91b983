"""Scorers that need no labels: grounding, leaks, schema validity, errors, ROUGE and cost.

They run on every set, labelled or not; gold only adds must-not-appear text and the
reference summary.
"""

from __future__ import annotations

import re
from typing import Any

from ..schemas import Article, StoryBrief
from .gold import StoryGold
from .match import verbatim_in
from .metrics import MetricResult, ratio
from .text import contains_phrase

# Web page furniture that has no place in a brief. General patterns, not any site's text.
BOILERPLATE_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bskip to (?:main )?content\b",
        r"\bleave a (?:reply|comment)\b",
        r"\bpost a comment\b",
        r"\bplease enter your (?:comment|name|email)\b",
        r"\b(?:sign up|subscribe) (?:for|to) (?:our|the) (?:[\w-]+ ){0,2}newsletters?\b",
        r"\bshare this (?:article|story|page)\b",
        r"\ball rights reserved\b",
        r"\bclick here\b",
        r"\b(?:we use cookies|accept (?:all )?cookies|cookie policy)\b",
        r"\bfollow us on\b",
        r"\bstory continued below\b",
        r"\bcomments are (?:closed|moderated)\b",
        r"\bcommunity guidelines\b",
        r"\bprint this (?:page|article)\b",
        r"\byou can add location information to your tweets\b",
        r"\bA\+\s*A-",
        r"\u00a9\s*\d{4}",
    )
] + [re.compile(r"(?:^|[.!?]\s+)Advertisement\b(?!\s+(?:for|of|from|by)\b)")]


def output_strings(brief: StoryBrief) -> list[tuple[str, str]]:
    """(where, text) for every string of the brief a reader sees."""
    out: list[tuple[str, str]] = [("headline", brief.headline), ("overview", brief.overview)]
    out += [(f"open_questions[{i}]", q) for i, q in enumerate(brief.open_questions)]
    out += [(f"consensus[{i}]", c.claim) for i, c in enumerate(brief.consensus)]
    for i, conflict in enumerate(brief.conflicts):
        out += [(f"conflicts[{i}].topic", conflict.topic), (f"conflicts[{i}].note", conflict.note)]
        out += [
            (f"conflicts[{i}].positions[{j}]", p.statement)
            for j, p in enumerate(conflict.positions)
        ]
    out += [(f"timeline[{i}]", t.what) for i, t in enumerate(brief.timeline)]
    out += [(f"single_source[{i}]", s.claim) for i, s in enumerate(brief.single_source)]
    for art in brief.articles:
        a = art.article_id
        out += [
            (f"{a}.title", art.title or ""),
            (f"{a}.outlet", art.outlet or ""),
            (f"{a}.headline", art.headline),
            (f"{a}.summary", art.summary),
        ]
        out += [(f"{a}.key_points[{i}]", k.text) for i, k in enumerate(art.key_points)]
        out += [(f"{a}.entities[{i}]", f"{e.name} {e.role}") for i, e in enumerate(art.entities)]
        out += [(f"{a}.quotes[{i}]", q.text) for i, q in enumerate(art.quotes)]
        out += [(f"{a}.figures[{i}]", f.counts) for i, f in enumerate(art.figures)]
        out += [(f"{a}.events[{i}]", e.what) for i, e in enumerate(art.events)]
    return [(where, text) for where, text in out if text and text.strip()]


def _leak(text: str, banned: list[str]) -> str | None:
    for pattern in BOILERPLATE_PATTERNS:
        if pattern.search(text):
            return pattern.pattern
    return next((b for b in banned if contains_phrase(text, b)), None)


def score_leaks(brief: StoryBrief, gold: StoryGold | None) -> dict[str, MetricResult]:
    banned = [m.text for m in gold.must_not_appear] if gold else []
    strings = output_strings(brief)
    details = []
    for where, text in strings:
        hit = _leak(text, banned)
        if hit:
            details.append({"where": where, "matched": hit, "text": text[:160]})
    results = {"boilerplate_leak_rate": ratio(len(details), len(strings), details)}
    hijack = [m.text for m in gold.must_not_appear if m.reason == "hijack"] if gold else []
    leaked = [h for h in hijack if any(contains_phrase(text, h) for _, text in strings)]
    results["hijack_leak"] = ratio(len(leaked), len(hijack), [{"leaked": h} for h in leaked])
    return results


def score_grounding(brief: StoryBrief, articles: list[Article]) -> dict[str, MetricResult]:
    """Quotes that stand verbatim in their article.

    How well claims are grounded is not scored here: a rate computed with the pipeline's
    own support check cannot fail; see `statement_gold_rate`, graded against the labels.
    """
    quotes = [(a, q) for a in brief.articles for q in a.quotes]
    texts = {a.id: a.text for a in articles}
    verbatim = sum(1 for art, q in quotes if verbatim_in(q.text, texts.get(art.article_id, "")))
    return {"quote_verbatim_rate": ratio(verbatim, len(quotes))}


def score_run(brief: StoryBrief, wall_seconds: float | None = None) -> dict[str, MetricResult]:
    run = brief.run
    calls = run.calls
    failures = sum(1 for a in brief.articles if a.error is not None) + (
        brief.synthesis_error is not None
    )
    seconds = wall_seconds if wall_seconds is not None else run.seconds
    return {
        "schema_valid_rate": ratio(sum(1 for c in calls if c.ok), len(calls)),
        "error_rate": ratio(failures, len(brief.articles) + 1),
        "prompt_tokens": MetricResult(float(run.usage.prompt_tokens)),
        "completion_tokens": MetricResult(float(run.usage.completion_tokens)),
        "cost_usd": MetricResult(round(run.usage.cost_usd, 6)),
        "seconds": MetricResult(round(seconds, 3)),
    }


def score_rouge(brief: StoryBrief, reference: str | None) -> dict[str, MetricResult]:
    names = ("rouge1", "rouge2", "rougeL", "rougeL_all")
    if not reference or not reference.strip():
        return {name: MetricResult(None) for name in names}
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    overview = scorer.score(reference, brief.overview or "")
    everything = " ".join([brief.overview, *(a.summary for a in brief.articles)])
    full = scorer.score(reference, everything)
    detail: dict[str, Any] = {
        "overview_words": len(brief.overview.split()),
        "reference_words": len(reference.split()),
    }
    return {
        "rouge1": MetricResult(round(overview["rouge1"].fmeasure, 4), details=[detail]),
        "rouge2": MetricResult(round(overview["rouge2"].fmeasure, 4)),
        "rougeL": MetricResult(round(overview["rougeL"].fmeasure, 4)),
        "rougeL_all": MetricResult(round(full["rougeL"].fmeasure, 4)),
    }
