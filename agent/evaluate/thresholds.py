"""The threshold gate: per-metric limits, for all sets together or for one set.

`evals/thresholds.toml`:

    [overall]                 # applies to the mean over the sets that ran
    key_fact_recall = 0.30    # a minimum: higher is better for this metric
    hijack_leak = 0.0         # a maximum: lower is better for this metric

    [sets.seeds]              # applies to one set, by its name
    conflict_recall = 1.0

Whether a number is a minimum or a maximum follows the metric (see `metrics.METRICS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..tomlfile import load_toml
from .metrics import METRICS


@dataclass
class Thresholds:
    overall: dict[str, float] = field(default_factory=dict)
    sets: dict[str, dict[str, float]] = field(default_factory=dict)
    source: str = ""


@dataclass
class Shortfall:
    scope: str  # 'overall' or the set name
    metric: str
    value: float | None
    limit: float

    def message(self) -> str:
        if self.value is None:
            return f"{self.scope}: {self.metric} was not measured (threshold {self.limit})"
        word = "below the minimum" if METRICS[self.metric].higher_is_better else "above the maximum"
        return f"{self.scope}: {self.metric} = {self.value:.4g}, {word} {self.limit:.4g}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "metric": self.metric,
            "value": self.value,
            "limit": self.limit,
            "kind": "minimum" if METRICS[self.metric].higher_is_better else "maximum",
        }


def _limits(table: Any, where: str) -> dict[str, float]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table of metric = number")
    limits = {}
    for name, value in table.items():
        if name not in METRICS:
            raise ConfigError(f"{where}.{name}: unknown metric (known: {', '.join(METRICS)})")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}.{name}: the threshold must be a number")
        limits[name] = float(value)
    return limits


def parse_thresholds(data: dict[str, Any], source: str = "") -> Thresholds:
    unknown = set(data) - {"overall", "sets"}
    if unknown:
        raise ConfigError(
            f"{source}: unknown section(s) {', '.join(sorted(unknown))}: "
            "use [overall] and [sets.NAME]"
        )
    sets = data.get("sets", {})
    if not isinstance(sets, dict):
        raise ConfigError(f"{source}: [sets] must hold one table per set")
    return Thresholds(
        overall=_limits(data.get("overall", {}), f"{source}: overall"),
        sets={name: _limits(table, f"{source}: sets.{name}") for name, table in sets.items()},
        source=source,
    )


def load_thresholds(path: str | Path) -> Thresholds:
    data = load_toml(path, "thresholds file")
    return parse_thresholds(data, str(path))


def _short(metric: str, value: float | None, limit: float) -> bool:
    if value is None:
        return True
    return value < limit if METRICS[metric].higher_is_better else value > limit


def check_thresholds(
    thresholds: Thresholds,
    overall: dict[str, float | None],
    per_set: dict[str, dict[str, float | None]],
) -> tuple[list[Shortfall], list[str]]:
    """Every metric that falls short, and notes on limits that could not apply."""
    failures: list[Shortfall] = []
    notes: list[str] = []
    for metric, limit in thresholds.overall.items():
        value = overall.get(metric)
        if value is None:
            notes.append(
                f"overall: {metric} not measured by any set; its threshold was not applied"
            )
        elif _short(metric, value, limit):
            failures.append(Shortfall("overall", metric, value, limit))
    for name, limits in thresholds.sets.items():
        if name not in per_set:
            notes.append(f"set {name!r} did not run; its thresholds were not applied")
            continue
        for metric, limit in limits.items():
            value = per_set[name].get(metric)
            if _short(metric, value, limit):
                failures.append(Shortfall(name, metric, value, limit))
    return failures, notes
