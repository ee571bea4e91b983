"""The article step: screening, one model call per article (or per chunk of a long article),
and verification of the draft.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from ..errors import BudgetExceeded
from ..grounding.article import finalize_article
from ..llm.base import Backend, ModeState, Request
from ..llm.schema_tools import json_schema_of
from ..llm.structured import (
    complete_structured,
)
from ..prompts.guide import compact_guide, field_guide, unlabel, with_id_enums
from ..prompts.loader import load_prompt
from ..schemas import (
    SENTENCE_ID_PATTERN,
    Article,
    ArticleBrief,
    ArticleDraft,
    CallRecord,
    ModelError,
    Quote,
    Sentence,
    Usage,
)
from . import injection
from .budget import Budget
from .calls import Meter, call_record, calls_made, reask_reserve
from .injection import REDACTED
from .options import ArticleResult, RunOptions

CONTEXT_MARGIN = 128
MAX_HINTS = 5


@dataclass
class ExtractionOutcome:
    draft: ArticleDraft | None
    error: ModelError | None
    calls: list[CallRecord]
    flags: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _meta_line(article: Article) -> str:
    parts = [
        p
        for p in (
            article.title and f"title: {article.title}",
            article.outlet and f"outlet: {article.outlet}",
            article.date and f"published: {article.date.isoformat()}",
        )
        if p
    ]
    return (" (" + "; ".join(parts) + ")") if parts else ""


def _header(article: Article) -> str:
    """The first line of a short-id prompt: the article's id, title and date."""
    date = f" ({article.date.isoformat()})" if article.date else ""
    return article.id + (f": {article.title}" if article.title else "") + date


def short_id(sentence_id: str) -> str:
    """The id a short-id prompt shows for a sentence: `s3` for `a1.s3`."""
    return sentence_id.rsplit(".", 1)[-1]


_SHORT = re.compile(r"\s*[sS]?(\d+)\s*")


def full_ids(article_id: str) -> Callable[[Any], Any]:
    """The reply's sentence ids (`sentence_id`, `sentence_ids` at any depth) as full ids:
    `s3` (or `3`) becomes `a1.s3`; a full id stays as written, so an id of another article
    still fails validation or the verifier's id check, as before.
    """

    def one(value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str):
            match = _SHORT.fullmatch(value)
            if match:
                return f"{article_id}.s{int(match.group(1))}"
        return value

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key == "sentence_id":
                out[key] = one(value)
            elif key == "sentence_ids" and isinstance(value, list):
                out[key] = [one(v) for v in value]
            else:
                out[key] = walk(value)
        return out

    return walk


def _prepare(article_id: str, short: bool) -> Callable[[Any], Any]:
    """What the reply goes through before validation: labels the prompt gave and the model
    copied into its texts removed, and short sentence ids made full.
    """
    ids = full_ids(article_id)
    return (lambda data: ids(unlabel(data))) if short else unlabel


def _short_ids(version: str | None) -> bool:
    """Whether the article prompt shows short sentence ids (`s3`); older versions show full
    ones (`a1.s3`).
    """
    return load_prompt("article", version).meta.get("sentence_ids") == "short"


def _sentence_lines(
    sentences: list[Sentence], redact: Collection[str] = (), short: bool = False
) -> str:
    """One line per sentence; sentences in `redact` (suspected injections) are replaced."""
    if short:
        return "\n".join(
            f"{short_id(s.id)} {REDACTED if s.id in redact else s.text}" for s in sentences
        )
    return "\n".join(f"{s.id}: {REDACTED if s.id in redact else s.text}" for s in sentences)


def _hint_lines(
    article: Article,
    sentences: list[Sentence] | None,
    redact: Collection[str] = (),
    quotes: list[Quote] | None = None,
) -> list[str]:
    """Quotes found by code in `sentences` (None: the whole article), none from redacted ones."""
    from ..extract.quotes import extract_quotes

    ids = {s.id for s in (article.sentences if sentences is None else sentences)} - set(redact)
    return [
        f'- {q.speaker or "unknown speaker"} ({q.sentence_id}): "{q.text[:200]}"'
        for q in (extract_quotes(article) if quotes is None else quotes)
        if q.sentence_id in ids
    ]


def _hints(
    article: Article,
    sentences: list[Sentence],
    redact: Collection[str] = (),
    quotes: list[Quote] | None = None,
) -> str:
    """Quotes in quotation marks found by code, offered so the model need not hunt for them."""
    lines = _hint_lines(article, sentences, redact, quotes)[:MAX_HINTS]
    if not lines:
        return ""
    return (
        "Quotes found in the text (copy them exactly if you use them):\n" + "\n".join(lines) + "\n"
    )


def build_messages(
    article: Article,
    sentences: list[Sentence],
    version: str | None = None,
    redact: Collection[str] = (),
    quotes: list[Quote] | None = None,
) -> list[dict[str, str]]:
    """The prompt for `sentences` of the article (`quotes`: code's quotes, when known).

    The current prompt shows short sentence ids (`s3`; the request's schema lists them and
    `full_ids` maps the reply back) and no quote hints or field guide (the schema travels
    with the request; `complete_structured` adds `compact_guide` where the model would not
    know the fields). Older prompt versions get what they ask for.
    """
    prompt = load_prompt("article", version)
    wants = prompt.placeholders
    short = prompt.meta.get("sentence_ids") == "short"
    return prompt.render(
        article_id=article.id,
        header=_header(article),
        meta=_meta_line(article),
        sentences=_sentence_lines(sentences, redact, short),
        hints=_hints(article, sentences, redact, quotes) if "hints" in wants else "",
        guide=field_guide(ArticleDraft) if "guide" in wants else "",
    )


def request_schema(
    article: Article, sentences: list[Sentence], version: str | None = None
) -> dict[str, Any]:
    """The ArticleDraft schema sent with the request: id fields narrowed to the ids the prompt
    shows (short ones for a short-id prompt).
    """
    ids = [s.id for s in sentences]
    if _short_ids(version):
        ids = [short_id(i) for i in ids]
    return with_id_enums(json_schema_of(ArticleDraft), ids, [article.id])


def _overhead(
    article: Article,
    backend: Backend,
    version: str | None,
    redact: Collection[str],
    quotes: list[Quote] | None = None,
) -> int:
    """Worst-case prompt tokens besides the chunk's sentences: the prompt, the longest quote
    hints, the schema (prompted mode puts it in the prompt) and a re-ask (echoed reply and
    the repair message).
    """
    count = backend.count_tokens
    prompt = load_prompt("article", version)
    text = "\n".join(m["content"] for m in build_messages(article, [], version))
    hints: list[int] = []
    if "hints" in prompt.placeholders:
        hints = sorted(
            (count(line) + 1 for line in _hint_lines(article, None, redact, quotes)),
            reverse=True,
        )[:MAX_HINTS]
    guide = count(compact_guide(ArticleDraft))  # added where the model would not know fields
    return (
        count(text) + sum(hints) + guide + 60 + reask_reserve(backend, json_schema_of(ArticleDraft))
    )


def _sentence_id_fields() -> int:
    """How many fields of the ArticleDraft schema hold sentence ids."""
    return json.dumps(json_schema_of(ArticleDraft)).count(json.dumps(SENTENCE_ID_PATTERN))


def plan_chunks(
    article: Article,
    backend: Backend,
    max_tokens: int,
    max_chunks: int,
    version: str | None = None,
    redact: Collection[str] = (),
    quotes: list[Quote] | None = None,
    prompted: bool | None = None,
) -> tuple[list[list[Sentence]], int]:
    """Split an article's sentences into chunks whose requests fit the context window.

    Returns (chunks, sentences_left_out): beyond `max_chunks` the remaining sentences are
    not sent to the model (code extraction still covers them) and the count is reported.
    """
    overhead = _overhead(article, backend, version, redact, quotes)
    room = max(256, backend.context_tokens - max_tokens - overhead - CONTEXT_MARGIN)
    chunks: list[list[Sentence]] = [[]]
    used = 0
    # The request's schema lists the chunk's sentence ids (with_id_enums) in each id field; in
    # prompted mode that schema is part of the prompt, so every sentence costs its id again.
    # (Other modes send the schema beside the prompt; a later fall back to prompted mode is
    # covered only by the re-ask reserve.)
    if prompted is None:
        prompted = backend.modes[:1] == ("prompted",)
    id_fields = _sentence_id_fields() if prompted else 0
    short = _short_ids(version)
    for sentence in article.sentences:
        cost = backend.count_tokens(REDACTED if sentence.id in redact else sentence.text) + 6
        shown = short_id(sentence.id) if short else sentence.id
        cost += id_fields * (backend.count_tokens(f'"{shown}",') if id_fields else 0)
        if chunks[-1] and used + cost > room:
            chunks.append([])
            used = 0
        chunks[-1].append(sentence)
        used += cost
    kept = chunks[:max_chunks]
    left_out = sum(len(c) for c in chunks[max_chunks:])
    return kept, left_out


def merge_drafts(drafts: list[ArticleDraft]) -> ArticleDraft:
    """Merge chunk drafts: headline and summary of the first chunk, lists concatenated."""
    if len(drafts) == 1:
        return drafts[0]
    first = drafts[0]
    summary = " ".join(d.summary for d in drafts[:2]).strip()
    return ArticleDraft.model_construct(
        headline=first.headline,
        summary=summary,
        key_points=[p for d in drafts for p in d.key_points],
        entities=[e for d in drafts for e in d.entities],
        quotes=[q for d in drafts for q in d.quotes],
        figures=[f for d in drafts for f in d.figures],
        events=[e for d in drafts for e in d.events],
    )


def _chunk_flags(
    outcome: ExtractionOutcome, article: Article, chunks: int, left_out: int, max_chunks: int
) -> None:
    if chunks > 1:
        outcome.flags.append(f"chunked:{chunks}")
        outcome.warnings.append(
            f"{article.id}: too long for one request; sent in {chunks} chunks whose drafts were "
            "merged (headline from the first chunk, lists concatenated)"
        )
    if left_out:
        outcome.flags.append(f"sentences_not_sent_to_model:{left_out}")
        outcome.warnings.append(
            f"{article.id}: {left_out} sentences beyond {max_chunks} chunks were not sent to the "
            f"model "
            "(code extraction still covers them)"
        )


def extract_article(
    backend: Backend,
    article: Article,
    *,
    max_tokens: int = 900,
    max_reasks: int = 2,
    max_chunks: int = 8,
    prompt_version: str | None = None,
    before_call: Callable[[Request], None] | None = None,
    after_call: Callable[..., None] | None = None,
    pricing: dict[str, Any] | None = None,
    redact: Collection[str] = (),
    modes: ModeState | None = None,
) -> ExtractionOutcome:
    """Ask the model for an ArticleDraft; chunk long articles; never raise for model failures.

    Sentences whose ids are in `redact` are sent as `REDACTED`. A `BudgetExceeded` from
    `before_call` stops the remaining chunks; the tokens already spent stay counted.
    `modes`: the run's structured-output modes (see `ModeState`); default: the declared ones.
    """
    modes = modes if modes is not None else ModeState(backend.modes)
    from ..extract.quotes import extract_quotes

    quotes = extract_quotes(article)  # once: on a long article finding quotes takes a while
    chunks, left_out = plan_chunks(
        article,
        backend,
        max_tokens,
        max_chunks,
        prompt_version,
        redact,
        quotes,
        prompted=modes.current == "prompted",
    )
    outcome = ExtractionOutcome(draft=None, error=None, calls=[])
    _chunk_flags(outcome, article, len(chunks), left_out, max_chunks)
    drafts: list[ArticleDraft] = []
    spent = Usage()
    attempts = 0
    for index, sentences in enumerate(chunks):
        purpose = f"article:{article.id}" + (f"#chunk{index + 1}" if len(chunks) > 1 else "")
        meter = Meter(backend, after_call, pricing)
        try:
            result = complete_structured(
                backend,
                build_messages(article, sentences, prompt_version, redact, quotes),
                ArticleDraft,
                max_tokens=max_tokens,
                max_reasks=max_reasks,
                before_call=before_call,
                after_call=meter,
                pricing=pricing,
                modes=modes,
                schema=request_schema(article, sentences, prompt_version),
                guide=compact_guide(ArticleDraft),
                prepare=_prepare(article.id, _short_ids(prompt_version)),
            )
        except BudgetExceeded as exc:
            result = meter.stopped(exc)
        if result.attempts or result.error is None or result.error.kind != "budget":
            outcome.calls.append(
                call_record(
                    purpose, f"article/{prompt_version or load_prompt('article').version}", result
                )
            )
        outcome.warnings.extend(f"{purpose}: {w}" for w in result.warnings)
        spent = spent.add(result.usage)
        attempts += calls_made(result)
        if result.value is not None:
            drafts.append(result.value)  # type: ignore[arg-type]
        elif result.error is not None:
            outcome.error = result.error
            if result.error.kind == "budget":
                break
    if drafts:
        outcome.draft = merge_drafts(drafts)
        if outcome.error is not None:
            outcome.flags.append("some_chunks_failed")
            outcome.warnings.append(
                f"{article.id}: some chunks failed ({outcome.error.kind}); the brief rests on the "
                f"others"
            )
            outcome.error = None
    elif outcome.error is not None:
        outcome.error = outcome.error.model_copy(update={"attempts": attempts, "usage": spent})
    return outcome


def budget_error(exc: BudgetExceeded) -> ModelError:
    return ModelError(kind="budget", message=str(exc), attempts=0)


@dataclass
class Job:
    article: Article  # as read (ids, offsets and text the prompt shows)
    view: Article  # as verified: suspected injections blanked (see agent.injection)
    suspects: dict[str, str]
    flags: list[str]
    code: ArticleBrief | None = None  # code's brief of `view`, once the run made it


def make_job(article: Article, flags: list[str]) -> Job:
    suspects = injection.suspect_sentences(article)
    view = injection.screened(article, suspects)
    if view is not article:
        flags = [*flags, injection.FLAG]
    return Job(article, view, suspects, flags)


def process_article(
    job: Job,
    backend: Backend | None,
    options: RunOptions,
    budget: Budget,
    modes: ModeState | None = None,
) -> ArticleResult:
    warnings = [injection.warning(job.article, job.suspects)] if job.suspects else []
    if backend is None:
        return ArticleResult(
            finalize_article(job.view, None, None, job.flags, job.code), [], warnings
        )
    if budget.exhausted:
        error = ModelError(
            kind="budget", message="not sent: the run's budget was used up", attempts=0
        )
        return ArticleResult(
            finalize_article(job.view, None, error, job.flags, job.code), [], warnings
        )
    try:
        outcome = extract_article(
            backend,
            job.article,
            max_tokens=options.article_max_tokens,
            max_reasks=options.max_reasks,
            max_chunks=options.max_chunks,
            prompt_version=options.prompt_versions.get("article"),
            before_call=budget.before_call,
            after_call=budget.after_call,
            pricing=options.pricing,
            redact=job.suspects,
            modes=modes,
        )
    except BudgetExceeded as exc:
        outcome = ExtractionOutcome(draft=None, error=budget_error(exc), calls=[])
    finally:
        budget.release()
    brief = finalize_article(
        job.view, outcome.draft, outcome.error, [*job.flags, *outcome.flags], job.code
    )
    if job.suspects:
        brief = injection.drop_echoes(brief, job.article, job.view, job.suspects)
    return ArticleResult(brief, outcome.calls, [*warnings, *outcome.warnings])
