"""The pipeline: articles in, a verified StoryBrief out.

`summarize_articles(articles, backend, options)` runs per-article extraction concurrently,
verifies each draft, synthesises across sources and adds code's cross-checks. With
`backend=None` it runs the no-model extractive mode (lead sentences and code extraction),
which is also the evaluation baseline.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from .._version import __version__
from ..errors import BudgetExceeded
from ..grounding.article import finalize_article
from ..grounding.citations import cited_sentences
from ..grounding.duplicates import find_duplicates
from ..llm.base import Backend, ModeState
from ..prompts.loader import load_prompt
from ..schemas import (
    Article,
    ArticleBrief,
    FailedInput,
    ModelError,
    RunMeta,
    StoryBrief,
    Usage,
)
from .article import Job, budget_error, make_job, process_article
from .budget import Budget
from .options import ArticleResult, RunOptions
from .rundir import RunDir
from .synthesis import SynthesisOutcome, synthesize
from .workers import in_threads


def _notify(options: RunOptions, event: str, **info: Any) -> None:
    if options.on_progress is not None:
        options.on_progress(event, info)


def _run_articles(
    jobs: list[Job],
    backend: Backend | None,
    options: RunOptions,
    budget: Budget,
    run_dir: RunDir | None,
    modes: ModeState | None,
) -> dict[str, ArticleResult]:
    results: dict[str, ArticleResult] = {}
    workers = 1 if backend is None or not backend.concurrency_safe else max(1, options.concurrency)
    for job, result in in_threads(
        jobs, lambda j: process_article(j, backend, options, budget, modes), workers
    ):
        results[job.article.id] = result
        if run_dir is not None and result.brief.error is None:
            run_dir.save_article(job.article, result.brief, result.calls, result.warnings)
        _notify(options, "article_done", article_id=job.article.id, ok=result.brief.error is None)
    return results


def _duplicates(articles: list[Article]) -> tuple[dict[str, str], list[str]]:
    dup_of: dict[str, str] = {}
    warnings = []
    for dup, original, similarity in find_duplicates(articles):
        dup_of[dup] = original
        warnings.append(f"{dup} duplicates {original} (similarity {similarity:.2f}); counted once")
    return dup_of, warnings


def summarize_articles(
    articles: list[Article],
    backend: Backend | None,
    options: RunOptions | None = None,
    failed_inputs: Sequence[FailedInput] = (),
) -> StoryBrief:
    """Run the whole pipeline. Model failures never raise: they are recorded in the brief.

    `failed_inputs` are inputs that gave no article (a page that did not fetch); they are
    kept in the run metadata and make the brief partial.
    """
    options = options or RunOptions()
    started = time.monotonic()
    budget = Budget(backend, options.max_cost, options.max_tokens, options.pricing)
    modes = ModeState(backend.modes) if backend is not None else None  # lifetime: this run
    run_dir = RunDir(options.run_dir, backend, options) if options.run_dir else None
    dup_of, warnings = _duplicates(articles)
    results: dict[str, ArticleResult] = {}
    jobs = [
        make_job(a, [f"duplicate_of:{dup_of[a.id]}"] if a.id in dup_of else []) for a in articles
    ]
    todo: list[Job] = []
    for job in jobs:
        saved = run_dir.load_article(job.article) if run_dir else None
        if saved is not None:
            results[job.article.id] = saved
        elif job.article.id in dup_of:
            results[job.article.id] = ArticleResult(
                finalize_article(job.view, None, None, job.flags), [], []
            )
        else:
            todo.append(job)
    _notify(options, "start", total=len(articles), resumed=len(articles) - len(todo))
    results.update(_run_articles(todo, backend, options, budget, run_dir, modes))
    briefs = [results[a.id].brief for a in articles]
    unique = [(results[j.article.id].brief, j.view) for j in jobs if j.article.id not in dup_of]
    _notify(options, "synthesis_start")
    synthesis = _synthesis(unique, backend, options, budget, modes)
    if backend is not None and budget.exhausted and synthesis.error is None:
        synthesis.error = ModelError(
            kind="budget", message="synthesis not sent: the budget was used up", attempts=0
        )
    calls = [c for a in articles for c in results[a.id].calls] + synthesis.calls
    warnings += [f"{a.id}: {w}" for a in articles for w in a.warnings]
    warnings += (
        [w for a in articles for w in results[a.id].warnings] + synthesis.warnings + budget.warnings
    )
    usage = Usage()
    for call in calls:
        usage = usage.add(call.usage)
    brief = StoryBrief(
        **dict(synthesis.synthesis),
        articles=briefs,
        synthesis_error=synthesis.error,
        run=RunMeta(
            tool_version=__version__,
            backend=backend.name if backend else "none",
            model=backend.model if backend else "none (extractive baseline)",
            structured_mode=modes.current if modes is not None else None,
            prompts=_prompt_versions(options, backend),
            calls=calls,
            usage=usage,
            retries=sum(c.transport_retries for c in calls),
            reasks=sum(c.reasks for c in calls),
            seconds=round(time.monotonic() - started, 3),
            cache_hits=sum(1 for c in calls if c.cache_hit)
            + sum(1 for r in results.values() if r.resumed),
            warnings=list(dict.fromkeys(warnings)),
            inputs=[a.source for a in articles],
            failed_inputs=list(failed_inputs),
        ),
    )
    brief.cited_sentences = cited_sentences(brief, articles)
    if run_dir is not None:
        run_dir.save_brief(brief)
    _notify(options, "done", seconds=brief.run.seconds)
    return brief


def _synthesis(
    unique: list[tuple[ArticleBrief, Article]],
    backend: Backend | None,
    options: RunOptions,
    budget: Budget,
    modes: ModeState | None,
) -> SynthesisOutcome:
    briefs, views = [b for b, _ in unique], [a for _, a in unique]
    try:
        return synthesize(
            None if budget.exhausted else backend,
            briefs,
            views,
            max_tokens=options.synthesis_max_tokens,
            max_reasks=options.max_reasks,
            prompt_version=options.prompt_versions.get("synthesis"),
            before_call=budget.before_call,
            after_call=budget.after_call,
            pricing=options.pricing,
            modes=modes,
        )
    except BudgetExceeded as exc:
        synthesis = synthesize(None, briefs, views)
        synthesis.error = budget_error(exc)
        return synthesis
    finally:
        budget.release()


def _prompt_versions(options: RunOptions, backend: Backend | None) -> dict[str, str]:
    if backend is None:
        return {}
    return {
        pid: options.prompt_versions.get(pid) or load_prompt(pid).version
        for pid in ("article", "synthesis", "repair")
    }


def brief_status(brief: StoryBrief) -> str:
    """'ok', 'partial' (some article or the synthesis failed) or 'budget' (stopped by a budget)."""
    errors = [a.error for a in brief.articles if a.error] + (
        [brief.synthesis_error] if brief.synthesis_error else []
    )
    if any(e.kind == "budget" for e in errors):
        return "budget"
    return "partial" if errors or brief.run.failed_inputs else "ok"
