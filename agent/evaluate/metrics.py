"""The metrics newsbrief eval reports: names, directions and one-line meanings.

A metric value is a float, or None when it does not apply (nothing labelled to compare
with, or nothing output to judge). Thresholds name metrics from this table; for a metric
where lower is better the threshold is a maximum, otherwise a minimum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    meaning: str
    group: str


_TABLE = [
    ("key_fact_recall", True, "gold key facts stated by some output item", "gold"),
    (
        "entity_precision",
        True,
        "output entities that are labelled entities (labelled articles)",
        "gold",
    ),
    ("entity_recall", True, "required gold entities named by the output", "gold"),
    ("entity_f1", True, "harmonic mean of entity precision and recall", "gold"),
    ("quote_recall", True, "gold quotes the output gives (any wording close enough)", "gold"),
    ("quote_fidelity", True, "gold quotes given verbatim and with the right speaker", "gold"),
    (
        "figure_accuracy",
        True,
        "gold figures given with the right value from the right sentence",
        "gold",
    ),
    (
        "figure_precision",
        True,
        "output figures whose value is a labelled figure of the article",
        "gold",
    ),
    ("consensus_recall", True, "gold consensus facts found among output consensus claims", "gold"),
    ("conflict_recall", True, "gold conflicts the output reports with two sides", "gold"),
    ("conflict_precision", True, "output conflicts that are gold conflicts", "gold"),
    ("timeline_recall", True, "gold timeline entries found in the output timeline", "gold"),
    (
        "timeline_date_accuracy",
        True,
        "gold timeline entries found with the right date (none when undatable)",
        "gold",
    ),
    (
        "episode_agreement",
        True,
        "article pairs grouped into episodes as the gold groups them",
        "gold",
    ),
    ("quote_verbatim_rate", True, "output quotes that stand verbatim in their article", "output"),
    (
        "statement_gold_rate",
        True,
        "first-screen statements (headlines, overview, summaries, consensus) that state a "
        "labelled fact",
        "gold",
    ),
    (
        "boilerplate_leak_rate",
        False,
        "output strings holding web boilerplate or must-not-appear text",
        "output",
    ),
    (
        "hijack_leak",
        False,
        "injected instructions or payloads (gold) that reached the output",
        "output",
    ),
    ("schema_valid_rate", True, "model calls that ended with schema-valid output", "output"),
    ("error_rate", False, "articles and synthesis that failed", "output"),
    ("rouge1", True, "ROUGE-1 F1 of the overview against the reference summary", "rouge"),
    ("rouge2", True, "ROUGE-2 F1 of the overview against the reference summary", "rouge"),
    ("rougeL", True, "ROUGE-L F1 of the overview against the reference summary", "rouge"),
    (
        "rougeL_all",
        True,
        "ROUGE-L F1 of overview plus article summaries against the reference",
        "rouge",
    ),
    ("prompt_tokens", False, "prompt tokens over every call", "cost"),
    ("completion_tokens", False, "completion tokens over every call", "cost"),
    ("cost_usd", False, "estimated cost in US dollars", "cost"),
    ("seconds", False, "wall time of the run in seconds", "cost"),
]

METRICS: dict[str, Metric] = {
    name: Metric(name, up, meaning, group) for name, up, meaning, group in _TABLE
}


@dataclass
class MetricResult:
    """One metric on one output: the value, its counts, and what was matched or missed."""

    value: float | None
    found: float | None = None
    total: float | None = None
    details: list[dict[str, Any]] = field(default_factory=list)


def ratio(found: float, total: float, details: list[dict[str, Any]] | None = None) -> MetricResult:
    """found/total, or None when there is nothing to count."""
    value = round(found / total, 4) if total else None
    return MetricResult(value, found, total, details or [])


def f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    if precision + recall == 0:
        return 0.0
    return round(2 * precision * recall / (precision + recall), 4)
