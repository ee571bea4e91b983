"""Cross-source synthesis: one model call over the verified article briefs, then code checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..grounding.align import align_story, aligned_groups, consensus_of, undisputed
from ..grounding.claims import claim_conflicts
from ..grounding.compose import compose_story_text
from ..grounding.conflicts import numeric_conflicts
from ..grounding.synthesis import same_claim, verify_synthesis
from ..grounding.timeline import build_timeline
from ..llm.base import Backend, ModeState, Request
from ..llm.structured import complete_structured
from ..prompts.guide import field_guide, with_id_enums
from ..prompts.loader import load_prompt
from ..schemas import (
    Article,
    ArticleBrief,
    CallRecord,
    Conflict,
    ConsensusClaim,
    ModelError,
    SingleSourceItem,
    StorySynthesis,
    SynthesisDraft,
)
from ..text.sentences import is_degenerate, split_sentences
from .calls import call_record, reask_reserve


@dataclass
class SynthesisOutcome:
    """What the synthesis step returns: the cross-source part of the brief, and its calls."""

    synthesis: StorySynthesis
    error: ModelError | None = None
    calls: list[CallRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# Detail levels of the briefs in the synthesis prompt, most first: (key points, whole summary
# or its first sentence, figures). The most detailed level that fits the context is used.
DIGEST_DETAIL = ((5, True, 4), (3, True, 2), (2, False, 1), (0, False, 0))
CONTEXT_MARGIN = 128


def brief_digest(
    brief: ArticleBrief, max_points: int = 5, whole_summary: bool = True, max_figures: int = 4
) -> str:
    """A compact text of one verified brief for the synthesis prompt."""
    meta = ", ".join(x for x in (brief.outlet, brief.date.isoformat() if brief.date else None) if x)
    summary = (
        brief.summary if whole_summary else (split_sentences(brief.summary) or [brief.summary])[0]
    )
    lines = [
        f"[{brief.article_id}]" + (f" ({meta})" if meta else "") + f" {brief.headline}",
        summary,
    ]
    lines += [f"- {p.text}" for p in brief.key_points[:max_points]]
    lines += [
        f"- figure: {f.qualifier + ' ' if f.qualifier else ''}{f.value_text} {f.counts}".rstrip()
        for f in brief.figures[:max_figures]
    ]
    return "\n".join(lines)


def build_messages(
    briefs: list[ArticleBrief],
    conflicts: list[Conflict],
    version: str | None = None,
    detail: tuple[int, bool, int] = DIGEST_DETAIL[0],
) -> list[dict[str, str]]:
    hints = ""
    if conflicts:
        hints = (
            "Numbers that differ between reports (found by code):\n"
            + "\n".join(
                "- "
                + c.topic
                + ": "
                + "; ".join(f"{p.article_id} says {p.statement}" for p in c.positions)
                for c in conflicts
            )
            + "\n"
        )
    return load_prompt("synthesis", version).render(
        count=len(briefs),
        briefs="\n\n".join(brief_digest(b, *detail) for b in briefs),
        hints=hints,
        guide=field_guide(SynthesisDraft),
    )


def fitted_messages(
    briefs: list[ArticleBrief],
    conflicts: list[Conflict],
    version: str | None,
    backend: Backend,
    max_tokens: int,
    schema: dict[str, Any],
) -> tuple[list[dict[str, str]], str | None]:
    """The synthesis prompt at the most detail that fits the backend's context with the reply,
    the schema and a re-ask; with a warning when the briefs had to be shortened.
    """
    room = backend.context_tokens - max_tokens - reask_reserve(backend, schema) - CONTEXT_MARGIN
    for detail in DIGEST_DETAIL:
        messages = build_messages(briefs, conflicts, version, detail)
        if backend.count_tokens("\n".join(m["content"] for m in messages)) <= room:
            break
    if detail == DIGEST_DETAIL[0]:
        return messages, None
    points, whole, _ = detail
    how = f"at most {points} key points each" + (
        "" if whole else ", summaries cut to their first sentence"
    )
    fits = (
        ""
        if backend.count_tokens("\n".join(m["content"] for m in messages)) <= room
        else "; it may still not fit"
    )
    return (
        messages,
        f"synthesis: {len(briefs)} briefs shortened to fit the model's context ({how}){fits}",
    )


def _merged_consensus(
    code: list[ConsensusClaim], model: list[ConsensusClaim]
) -> list[ConsensusClaim]:
    """Code's consensus (source sentences found in several articles) and the model's
    verified claims that say something code's do not.
    """
    merged = list(code)
    for claim in model:
        if not any(same_claim(claim.claim, c.claim) for c in merged):
            merged.append(claim)
    return merged


def synthesize(
    backend: Backend | None,
    briefs: list[ArticleBrief],
    articles: list[Article],
    *,
    max_tokens: int = 900,
    max_reasks: int = 2,
    prompt_version: str | None = None,
    before_call: Callable[[Request], None] | None = None,
    after_call: Callable[..., None] | None = None,
    pricing: dict[str, Any] | None = None,
    modes: ModeState | None = None,
) -> SynthesisOutcome:
    """Model synthesis (when there are two or more briefs and a backend) plus code cross-checks."""
    numeric = numeric_conflicts(briefs, articles)
    timeline, episodes = build_timeline(briefs, articles)
    episode_of = {a: e.id for e in episodes for a in e.article_ids}
    alignment = align_story(articles, briefs, episode_of)
    warnings: list[str] = []
    calls: list[CallRecord] = []
    draft: SynthesisDraft | None = None
    error: ModelError | None = None
    if backend is not None and len(briefs) >= 2:
        schema = with_id_enums(
            SynthesisDraft.model_json_schema(), [], [b.article_id for b in briefs]
        )
        messages, shortened = fitted_messages(
            briefs, numeric, prompt_version, backend, max_tokens, schema
        )
        warnings.extend([shortened] if shortened else [])
        result = complete_structured(
            backend,
            messages,
            SynthesisDraft,
            max_tokens=max_tokens,
            max_reasks=max_reasks,
            before_call=before_call,
            after_call=after_call,
            pricing=pricing,
            schema=schema,
            modes=modes,
        )
        calls.append(
            call_record(
                "synthesis",
                f"synthesis/{prompt_version or load_prompt('synthesis').version}",
                result,
            )
        )
        warnings.extend(f"synthesis: {w}" for w in result.warnings)
        draft, error = result.value, result.error  # type: ignore[assignment]
    elif len(briefs) < 2:
        warnings.append("only one article: no consensus or conflicts can be established")
    consensus: list[ConsensusClaim] = []
    conflicts: list[Conflict] = list(numeric) + claim_conflicts(alignment, articles)
    single: list[SingleSourceItem] = []
    questions: list[str] = []
    if draft is not None:
        check = verify_synthesis(draft, briefs, articles)
        consensus, single = check.consensus, check.single_source
        conflicts += check.conflicts
        warnings.extend(f"synthesis: {i}" for i in check.issues)
        questions = [q.strip() for q in draft.open_questions if q.strip() and not is_degenerate(q)]
    if len(briefs) >= 2:
        consensus = _merged_consensus(consensus_of(alignment), consensus)
        said = {s.id: s.text for a in articles for s in a.sentences}
        consensus = undisputed(consensus, conflicts, said)
    text = compose_story_text(
        draft.headline if draft else None, draft.overview if draft else None, articles
    )
    warnings += text.warnings
    synthesis = StorySynthesis(
        headline=text.headline,
        headline_origin=text.headline_origin,
        overview=text.overview,
        overview_origin=text.overview_origin,
        consensus=consensus,
        conflicts=conflicts,
        timeline=timeline,
        episodes=episodes,
        single_source=single,
        open_questions=list(dict.fromkeys(questions)),
        alignment=aligned_groups(alignment),
    )
    return SynthesisOutcome(synthesis, error=error, calls=calls, warnings=warnings)
