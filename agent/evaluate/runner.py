"""Running the pipeline on evaluation sets and scoring it, with the no-model baseline beside it.

For each set: the baseline (`summarize_articles(articles, None)`: lead sentences and code
extraction) runs once; the chosen backend runs `repeat` times; both go through the same
scorers. Recordings live per set: `<record_dir>/<set name>/`, `<replay_dir>/<set name>/`.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..schemas import Article, StoryBrief
from .checks import score_grounding, score_leaks, score_rouge, score_run
from .metrics import METRICS, MetricResult
from .scorers import score_against_gold
from .sets import EvalSet

Log = Callable[[str], None]


@dataclass
class BackendSpec:
    """Which backend to build for each set ('none' runs the baseline only)."""

    name: str = "local"
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    replay_dir: str | None = None
    record_dir: str | None = None

    def build(self, set_name: str):
        if self.name == "none":
            return None
        from ..llm.factory import make_backend

        return make_backend(
            self.name,
            model=self.model,
            base_url=self.base_url,
            api_key=self.api_key,
            replay_dir=_per_set(self.replay_dir, set_name),
            record_dir=_per_set(self.record_dir, set_name),
        )


def _per_set(directory: str | None, set_name: str) -> str | None:
    return str(Path(directory) / set_name) if directory else None


def score_brief(
    brief: StoryBrief, evalset: EvalSet, articles: list[Article], wall_seconds: float | None = None
) -> dict[str, MetricResult]:
    """Every metric for one brief of one set."""
    results: dict[str, MetricResult] = {}
    if evalset.gold is not None:
        results.update(score_against_gold(brief, evalset.gold, articles))
    results.update(score_leaks(brief, evalset.gold))
    results.update(score_grounding(brief, articles))
    results.update(score_rouge(brief, evalset.reference_summary))
    results.update(score_run(brief, wall_seconds))
    return {name: results.get(name, MetricResult(None)) for name in METRICS}


def summarise(runs: list[dict[str, MetricResult]]) -> dict[str, dict[str, float | int | None]]:
    """Mean, spread (population sd), min and max of each metric over repeated runs."""
    out: dict[str, dict[str, float | int | None]] = {}
    for name in METRICS:
        values: list[float] = [v for r in runs if (v := r[name].value) is not None]
        if not values:
            out[name] = {"mean": None, "sd": None, "min": None, "max": None, "n": 0}
            continue
        out[name] = {
            "mean": round(statistics.fmean(values), 4),
            "sd": round(statistics.pstdev(values), 4),
            "min": min(values),
            "max": max(values),
            "n": len(values),
        }
    return out


def _details(run: dict[str, MetricResult]) -> dict[str, Any]:
    return {name: r.details for name, r in run.items() if r.details}


def _errors(brief: StoryBrief) -> list[str]:
    errors = [
        f"{a.article_id}: {a.error.kind}: {a.error.message}" for a in brief.articles if a.error
    ]
    if brief.synthesis_error:
        errors.append(f"synthesis: {brief.synthesis_error.kind}: {brief.synthesis_error.message}")
    return errors


@dataclass
class SetResult:
    name: str
    origin: str
    articles: int
    labelled: bool
    notes: list[str] = field(default_factory=list)
    model: dict[str, dict[str, Any]] | None = None
    baseline: dict[str, float | None] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    model_name: str | None = None

    def value(self, metric: str, system: str = "model") -> float | None:
        if system == "model":
            return self.model[metric]["mean"] if self.model is not None else None
        return self.baseline.get(metric)


def _timed_run(articles: list[Article], backend, options) -> tuple[StoryBrief, float]:
    from ..pipeline.run import summarize_articles

    started = time.monotonic()
    brief = summarize_articles(articles, backend, options)
    return brief, time.monotonic() - started


def evaluate_set(
    evalset: EvalSet,
    spec: BackendSpec,
    repeat: int = 1,
    options: Any = None,
    log: Log | None = None,
) -> SetResult:
    log = log or (lambda message: print(message, file=sys.stderr))
    articles = evalset.articles()
    result = SetResult(
        evalset.name, evalset.origin, len(articles), evalset.gold is not None, list(evalset.notes)
    )
    brief, seconds = _timed_run(articles, None, options)
    base = score_brief(brief, evalset, articles, seconds)
    result.baseline = {name: r.value for name, r in base.items()}
    result.details["baseline"] = _details(base)
    log(f"{evalset.name}: baseline done in {seconds:.1f} s")
    if spec.name == "none":
        return result
    if (
        spec.name == "replay"
        and spec.replay_dir
        and not (Path(spec.replay_dir) / evalset.name).is_dir()
    ):
        result.notes.append(
            f"no recordings in {Path(spec.replay_dir) / evalset.name}: model not run"
        )
        log(f"{evalset.name}: no recordings; model not run")
        return result
    backend = spec.build(evalset.name)
    runs = []
    for i in range(repeat):
        brief, seconds = _timed_run(articles, backend, options)
        runs.append(score_brief(brief, evalset, articles, seconds))
        result.errors += [e for e in _errors(brief) if e not in result.errors]
        result.model_name = brief.run.model
        log(f"{evalset.name}: {spec.name} run {i + 1}/{repeat} done in {seconds:.1f} s")
    result.model = summarise(runs)
    result.details["model"] = _details(runs[0])
    if any(": replay_miss:" in e for e in result.errors):
        log(
            f"{evalset.name}: some requests have no recording (prompts, schemas or inputs changed "
            "since they were recorded); re-record with --backend local --record-dir"
        )
    return result


def overall(results: list[SetResult], system: str) -> dict[str, float | None]:
    """Mean of each metric over the sets where it applies (macro average)."""
    out: dict[str, float | None] = {}
    for name in METRICS:
        values = [v for r in results if (v := r.value(name, system)) is not None]
        out[name] = round(statistics.fmean(values), 4) if values else None
    return out
