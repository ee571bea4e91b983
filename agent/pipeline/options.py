"""Run options and the per-article result the pipeline steps and the run directory share."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..schemas import ArticleBrief, CallRecord

ProgressFn = Callable[[str, dict[str, Any]], None]


@dataclass
class RunOptions:
    concurrency: int = 10
    max_reasks: int = 2
    article_max_tokens: int = 700
    synthesis_max_tokens: int = 700
    max_chunks: int = 8
    max_cost: float | None = None
    max_tokens: int | None = None
    allow_unpriced: bool = False  # with max_cost: run a model the price table lacks, as free
    run_dir: Path | None = None
    pricing: dict[str, Any] | None = None
    on_progress: ProgressFn | None = None
    overview_length: Literal["short", "medium", "long"] = "medium"
    prompt_versions: dict[str, str] = field(default_factory=dict)
    # shared by several runs (a batch's stories): at most its value model calls in flight
    # across all of them, beside each run's own `concurrency`
    call_slots: threading.Semaphore | None = None


@dataclass
class ArticleResult:
    brief: ArticleBrief
    calls: list[CallRecord]
    warnings: list[str]
    resumed: bool = False
