"""The pipeline: articles in, a verified StoryBrief out.

`summarize_articles(articles, backend, options)` runs per-article extraction concurrently,
verifies each draft, synthesises across sources and adds code's cross-checks. With
`backend=None` it runs the no-model extractive mode (lead sentences and code extraction),
which is also the evaluation baseline.

A run stops its model calls early in two cases, keeping what is done and giving the rest
code-only briefs: a budget (`--max-cost` / `--max-tokens`, errors of kind `budget`) and an
endpoint that refuses the API key (HTTP 401/403: kind `auth`; the first refusal closes the
run's `CallGate`, so no other request is sent, and one line is logged to stderr).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from .._version import __version__
from ..errors import BudgetExceeded
from ..grounding.article import finalize_article
from ..grounding.citations import cited_sentences
from ..grounding.duplicates import find_duplicates
from ..llm.base import Backend, ModeState
from ..llm.pricing import pricing_warning
from ..llm.structured import StructuredResult
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
from . import injection
from .article import Job, budget_error, make_job, process_article
from .budget import Budget, check_priced
from .calls import CallGate, call_record
from .options import ArticleResult, RunOptions
from .rundir import RunDir
from .synthesis import Drafted, draft_synthesis, synthesize, uses_briefs
from .workers import Beside, in_threads

log = logging.getLogger("newsbrief.run")


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

    def work(job: Job) -> ArticleResult:
        if isinstance(backend, CallGate) and backend.refused is not None:
            return _not_sent(job, backend.refused)
        result = process_article(job, backend, options, budget, modes)
        error = result.brief.error
        if error is not None and error.kind == "auth":  # drop the requests the gate held back
            result.calls = [c for c in result.calls if c.attempts > 0]
        return result

    for job, result in in_threads(jobs, work, workers):
        results[job.article.id] = result
        if run_dir is not None and result.brief.error is None:
            run_dir.save_article(job.article, result.brief, result.calls, result.warnings)
        _notify(options, "article_done", article_id=job.article.id, ok=result.brief.error is None)
    return results


def _not_sent(job: Job, refused: str) -> ArticleResult:
    """A code-only brief for an article not sent because the endpoint refused the API key."""
    error = ModelError(kind="auth", message=f"not sent: {refused}", attempts=0)
    warnings = [injection.warning(job.article, job.suspects)] if job.suspects else []
    return ArticleResult(finalize_article(job.view, None, error, job.flags, job.code), [], warnings)


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
    kept in the run metadata and make the brief partial. Raises `ConfigError` before any
    model call for a `max_cost` the run could not keep (a priced backend whose model has no
    price, unless `allow_unpriced`) and for a run directory in use by another run.
    """
    options = options or RunOptions()
    check_priced(backend, options.max_cost, options.pricing, options.allow_unpriced)
    run_dir = RunDir(options.run_dir, backend, options) if options.run_dir else None
    try:
        return _summarize(articles, backend, options, failed_inputs, run_dir)
    finally:
        if run_dir is not None:
            run_dir.close()


def _summarize(
    articles: list[Article],
    backend: Backend | None,
    options: RunOptions,
    failed_inputs: Sequence[FailedInput],
    run_dir: RunDir | None,
) -> StoryBrief:
    started = time.monotonic()
    gate = CallGate(backend, options.call_slots) if backend is not None else None
    backend = gate  # every model call of the run goes through the gate
    budget = Budget(backend, options.max_cost, options.max_tokens, options.pricing)
    modes = ModeState(backend.modes) if backend is not None else None  # lifetime: this run
    dup_of, warnings = _duplicates(articles)
    if backend is not None and backend.priced:
        warnings += [w for w in [pricing_warning(backend.model, options.pricing)] if w]
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
    originals = [j for j in jobs if j.article.id not in dup_of]
    views = [j.view for j in originals]
    version = options.prompt_versions.get("synthesis")
    from_code = backend is not None and len(originals) >= 2 and not uses_briefs(version)
    code: list[ArticleBrief] = []
    for job in originals if from_code else ():
        job.code = finalize_article(job.view, None, None, job.flags)  # the synthesis shows these
        code.append(job.code)
    # The request rests on code's briefs alone, so it goes out beside the article calls when
    # the backend takes parallel calls, a slot is free for it (every article call has its
    # own), and no budget asks the articles to go first.
    early = (
        Beside(lambda: _draft(code, views, backend, options, budget, modes), "newsbrief-synthesis")
        if from_code
        and backend is not None
        and backend.concurrency_safe
        and len(todo) < options.concurrency
        and not budget.limited
        else None
    )
    results.update(_run_articles(todo, backend, options, budget, run_dir, modes))
    drafted = early.result() if early is not None else None
    briefs = [results[a.id].brief for a in articles]
    unique = [results[j.article.id].brief for j in originals]
    _notify(options, "synthesis_start")
    refused = gate.refused if gate is not None else None
    if drafted is None and backend is not None and len(unique) >= 2:
        if refused:
            drafted = Drafted(
                error=ModelError(kind="auth", message=f"synthesis not sent: {refused}", attempts=0)
            )
        elif budget.exhausted:
            drafted = Drafted(
                error=ModelError(
                    kind="budget", message="synthesis not sent: the budget was used up", attempts=0
                )
            )
        else:
            drafted = _draft(code if from_code else unique, views, backend, options, budget, modes)
    synthesis = synthesize(
        None, unique, views, overview_length=options.overview_length, drafted=drafted
    )
    refused = gate.refused if gate is not None else None  # the synthesis may be the first
    if refused:
        line = _refusal_line(refused, briefs, synthesis.error)
        warnings.append(line)
        log.error("error: %s", line)  # the CLI shows it as "newsbrief: error: ..."
    calls = [c for a in articles for c in results[a.id].calls] + synthesis.calls
    warnings += [f"{a.id}: {w}" for a in articles for w in a.warnings]
    warnings += (
        [w for a in articles for w in results[a.id].warnings] + synthesis.warnings + budget.warnings
    )
    warnings += run_dir.warnings if run_dir is not None else []
    usage = Usage()
    for call in calls:
        usage = usage.add(call.usage)
    source = sum(backend.count_tokens(a.text) for a in articles) if backend else None
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
            source_tokens=source,
            prompt_tokens_per_source_token=(
                round(usage.prompt_tokens / source, 3) if source else None
            ),
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


def _draft(
    briefs: list[ArticleBrief],
    views: list[Article],
    backend: Backend,
    options: RunOptions,
    budget: Budget,
    modes: ModeState | None,
) -> Drafted:
    """The synthesis model call under the run's budget; a refusal by the budget is its error."""
    try:
        return draft_synthesis(
            backend,
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
        drafted = Drafted(error=budget_error(exc))
        partial = exc.partial if isinstance(exc.partial, StructuredResult) else None
        if partial is not None and partial.attempts:  # requests sent before the refusal count
            version = options.prompt_versions.get("synthesis") or load_prompt("synthesis").version
            drafted.calls.append(call_record("synthesis", f"synthesis/{version}", partial))
            drafted.error = budget_error(exc).model_copy(
                update={"attempts": partial.attempts, "usage": partial.usage}
            )
        return drafted
    finally:
        budget.release()


def _refusal_line(
    refused: str, briefs: list[ArticleBrief], synthesis_error: ModelError | None
) -> str:
    """One line: the endpoint refused the key, and what got no model answer because of it."""
    failed = sum(1 for b in briefs if b.error is not None and b.error.kind == "auth")
    lost = [f"{failed} article(s) got code-only briefs"] if failed else []
    if synthesis_error is not None and synthesis_error.kind == "auth":
        lost.append("the synthesis was made by code only")
    return (
        f"{refused}; model calls stopped"
        + (f" ({' and '.join(lost)})" if lost else "")
        + "; check the API key (OPENAI_API_KEY) and the endpoint (--base-url)"
    )


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
