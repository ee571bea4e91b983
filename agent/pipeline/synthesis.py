"""Cross-source synthesis: one model call over the verified article briefs, then code checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..grounding.align import Alignment, align_story, aligned_groups, consensus_of, undisputed
from ..grounding.article import extractive_brief
from ..grounding.claims import claim_conflicts
from ..grounding.compose import compose_story_text
from ..grounding.conflicts import numeric_conflicts
from ..grounding.overview import Length, code_overview
from ..grounding.synthesis import same_claim, verify_synthesis
from ..grounding.timeline import build_timeline
from ..llm.base import Backend, ModeState, Request
from ..llm.schema_tools import json_schema_of
from ..llm.structured import complete_structured
from ..prompts.guide import compact_guide, field_guide, unlabel, with_id_enums
from ..prompts.loader import load_prompt
from ..schemas import (
    Article,
    ArticleBrief,
    CallRecord,
    Conflict,
    ConsensusClaim,
    Episode,
    ModelError,
    SingleSourceItem,
    StorySynthesis,
    SynthesisDraft,
)
from ..text.match import coverage
from ..text.sentences import is_degenerate, split_sentences
from .calls import call_record, reask_reserve


@dataclass
class SynthesisOutcome:
    """What the synthesis step returns: the cross-source part of the brief, and its calls."""

    synthesis: StorySynthesis
    error: ModelError | None = None
    calls: list[CallRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# Detail levels of the briefs in the v1 synthesis prompt, most first: (key points, whole
# summary or its first sentence, figures). The most detailed level that fits the context is used.
DIGEST_DETAIL = ((5, True, 4), (3, True, 2), (2, False, 1), (0, False, 0))
# Detail levels of the current prompt, most first: (aligned groups shown, characters of each
# group's statement). The groups are code's consensus ranking (most sources, most central).
GROUP_DETAIL = ((7, 140), (5, 120), (3, 100), (0, 0))
MAX_CANDIDATES = 6  # candidate conflicts shown
SIDE_CHARS = 110  # characters of one side of a candidate conflict
CONTEXT_MARGIN = 128


def brief_digest(
    brief: ArticleBrief, max_points: int = 5, whole_summary: bool = True, max_figures: int = 4
) -> str:
    """A compact text of one verified brief for the v1 synthesis prompt."""
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


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "..."


def article_lines(briefs: list[ArticleBrief]) -> str:
    """One line per report: `a2: its verified headline`."""
    return "\n".join(f"{b.article_id}: {b.headline}" for b in briefs)


def group_lines(groups: list[ConsensusClaim], limit: int, chars: int) -> str:
    """The aligned groups under a heading, one line each: `[a1 a4 a5] statement`."""
    lines = [f"\n[{' '.join(g.article_ids)}] {_clip(g.claim, chars)}" for g in groups[:limit]]
    return ("\nShared statements:" + "".join(lines)) if lines else ""


def conflict_lines(conflicts: list[Conflict]) -> str:
    """Code's candidate conflicts under a heading, one line each:
    `topic (numeric): a1 side; a5 side`.
    """
    lines = [
        f"\n{_clip(c.topic, 80)} ({c.kind}): "
        + "; ".join(f"{p.article_id} {_clip(p.statement, SIDE_CHARS)}" for p in c.positions)
        for c in conflicts[:MAX_CANDIDATES]
    ]
    return ("\nPossible disagreements:" + "".join(lines)) if lines else ""


def _v1_hints(conflicts: list[Conflict]) -> str:
    if not conflicts:
        return ""
    return (
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


def build_messages(
    briefs: list[ArticleBrief],
    conflicts: list[Conflict],
    version: str | None = None,
    detail: tuple[int, bool, int] = DIGEST_DETAIL[0],
    groups: list[ConsensusClaim] | None = None,
    group_detail: tuple[int, int] = GROUP_DETAIL[0],
) -> list[dict[str, str]]:
    """The synthesis prompt. The current version gives the model the reports' headlines,
    code's aligned groups (`groups`, ranked) and candidate conflicts, not the articles' text;
    v1 gave digests of the briefs (`detail`) and the numeric conflicts.
    """
    prompt = load_prompt("synthesis", version)
    wants = prompt.placeholders
    if "briefs" in wants:  # v1
        return prompt.render(
            count=len(briefs),
            briefs="\n\n".join(brief_digest(b, *detail) for b in briefs),
            hints=_v1_hints([c for c in conflicts if c.kind == "numeric"]),
            guide=field_guide(SynthesisDraft),
        )
    return prompt.render(
        count=len(briefs),
        articles=article_lines(briefs),
        groups=group_lines(groups or [], *group_detail),
        conflicts=conflict_lines(conflicts),
    )


def fitted_messages(
    briefs: list[ArticleBrief],
    conflicts: list[Conflict],
    version: str | None,
    backend: Backend,
    max_tokens: int,
    schema: dict[str, Any],
    groups: list[ConsensusClaim] | None = None,
) -> tuple[list[dict[str, str]], str | None]:
    """The synthesis prompt at the most detail that fits the backend's context with the reply,
    the schema, a field guide and a re-ask; with a warning when it had to be shortened.
    """
    room = (
        backend.context_tokens
        - max_tokens
        - reask_reserve(backend, schema)
        - backend.count_tokens(compact_guide(SynthesisDraft))
        - CONTEXT_MARGIN
    )

    def fits(messages: list[dict[str, str]]) -> bool:
        return backend.count_tokens("\n".join(m["content"] for m in messages)) <= room

    if "briefs" not in load_prompt("synthesis", version).placeholders:
        for level in GROUP_DETAIL:
            messages = build_messages(briefs, conflicts, version, groups=groups, group_detail=level)
            if fits(messages):
                break
        shown = min(level[0], len(groups or []))
        if shown == min(GROUP_DETAIL[0][0], len(groups or [])):
            return messages, None
        return messages, (
            f"synthesis: {shown} of {len(groups or [])} aligned groups shown to fit the model's "
            f"context" + ("" if fits(messages) else "; it may still not fit")
        )
    for detail in DIGEST_DETAIL:
        messages = build_messages(briefs, conflicts, version, detail)
        if fits(messages):
            break
    if detail == DIGEST_DETAIL[0]:
        return messages, None
    points, whole, _ = detail
    how = f"at most {points} key points each" + (
        "" if whole else ", summaries cut to their first sentence"
    )
    return (
        messages,
        f"synthesis: {len(briefs)} briefs shortened to fit the model's context ({how})"
        + ("" if fits(messages) else "; it may still not fit"),
    )


REPHRASE_KEEPS = 0.5  # share of a code statement's content words a model rephrasing keeps


def _restated(a: list[str], b: list[str]) -> bool:
    """Two items rest on the same sentences in two or more articles."""
    return len({s.split(".")[0] for s in set(a) & set(b)}) >= 2


def _merged_consensus(
    code: list[ConsensusClaim], model: list[ConsensusClaim]
) -> list[ConsensusClaim]:
    """Code's consensus (aligned groups) with the model's verified claims: a claim resting on
    the same sentences of two or more articles as a code item (the prompt showed the groups)
    rephrases it, and its wording stands in when it keeps at least half of the item's
    content words (sources united); a claim on new ground is added; near-identical wording
    is dropped.
    """
    merged = list(code)
    for claim in model:
        if any(same_claim(claim.claim, c.claim) for c in merged):
            continue
        restated = [
            n
            for n, c in enumerate(merged)
            if c.origin == "code" and _restated(claim.sentence_ids, c.sentence_ids)
        ]
        if not restated:
            if not any(_restated(claim.sentence_ids, c.sentence_ids) for c in merged):
                merged.append(claim)
            continue
        item = merged[restated[0]]
        if coverage(item.claim, [claim.claim]) >= REPHRASE_KEEPS:
            ids = list(dict.fromkeys(item.sentence_ids + claim.sentence_ids))
            articles = list(dict.fromkeys(s.split(".")[0] for s in ids))
            merged[restated[0]] = item.model_copy(
                update={
                    "claim": claim.claim,
                    "origin": "model",
                    "article_ids": sorted(articles, key=_article_order),
                    "sentence_ids": ids,
                }
            )
    return merged


def _article_order(article_id: str) -> tuple[int, str]:
    digits = article_id[1:]
    return (int(digits) if digits.isdigit() else 0, article_id)


def _new_conflicts(code: list[Conflict], model: list[Conflict]) -> list[Conflict]:
    """The model's verified conflicts less those that restate one of code's (the candidates
    the prompt showed): positions on the same sentences of two or more articles.
    """
    return [
        m
        for m in model
        if not any(
            _restated(
                [s for p in m.positions for s in p.sentence_ids],
                [s for p in c.positions for s in p.sentence_ids],
            )
            for c in code
        )
    ]


def _episode_key(episode: Episode) -> tuple[int, str]:
    """Episodes in time order; undated ones last."""
    return (0, episode.start.isoformat()) if episode.start else (1, episode.label)


@dataclass
class Drafted:
    """The synthesis model call's outcome, before code checks it."""

    draft: SynthesisDraft | None = None
    error: ModelError | None = None
    calls: list[CallRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # the cross-source structure the request was made from, and what it rests on
    structure: tuple[str, CrossSource] | None = None


def uses_briefs(prompt_version: str | None) -> bool:
    """True for a synthesis prompt that shows the model's article briefs (v1): it must wait
    for the article calls. The current prompt rests on code's structure alone.
    """
    return "briefs" in load_prompt("synthesis", prompt_version).placeholders


CrossSource = tuple[list[Conflict], list, list[Episode], Alignment]


def _basis(briefs: list[ArticleBrief], articles: list[Article]) -> str:
    """What `_cross_source` reads of the briefs (ids, dates, figures, events) and which
    articles: equal bases give equal structures.
    """
    parts = [b.model_dump_json(include={"article_id", "date", "figures", "events"}) for b in briefs]
    return "\n".join([*parts, *(f"{a.id} {a.sha256}" for a in articles)])


def _cross_source(
    briefs: list[ArticleBrief], articles: list[Article], known: Drafted | None = None
) -> CrossSource:
    """Code's cross-source structure: candidate conflicts, timeline, episodes, alignment.
    `known`: a synthesis request made earlier, whose structure is reused when the briefs
    give the same figures and events (the model added none that passed the checks).
    """
    if known is not None and known.structure is not None:
        basis, structure = known.structure
        if basis == _basis(briefs, articles):
            return structure
    numeric = numeric_conflicts(briefs, articles)
    timeline, episodes = build_timeline(briefs, articles)
    episode_of = {a: e.id for e in episodes for a in e.article_ids}
    alignment = align_story(articles, briefs, episode_of)
    candidates: list[Conflict] = list(numeric) + claim_conflicts(alignment, articles)
    return candidates, timeline, episodes, alignment


def draft_synthesis(
    backend: Backend,
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
) -> Drafted:
    """The synthesis model call. With the current prompt, `briefs` are code's briefs of the
    articles (`extractive_brief`): the request is code's structure (the articles' headlines,
    aligned groups and candidate conflicts), so it does not wait for the article calls and
    is the same request whichever order the calls run in. With v1, `briefs` are the
    verified briefs the prompt digests.
    """
    structure = _cross_source(briefs, articles)
    candidates, _, _, alignment = structure
    schema = with_id_enums(json_schema_of(SynthesisDraft), [], [b.article_id for b in briefs])
    groups = consensus_of(alignment, limit=GROUP_DETAIL[0][0])
    messages, shortened = fitted_messages(
        briefs, candidates, prompt_version, backend, max_tokens, schema, groups
    )
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
        guide=compact_guide(SynthesisDraft),
        prepare=unlabel,
    )
    version = prompt_version or load_prompt("synthesis").version
    return Drafted(
        draft=result.value,  # type: ignore[arg-type]
        error=result.error,
        calls=[call_record("synthesis", f"synthesis/{version}", result)],
        warnings=([shortened] if shortened else []) + [f"synthesis: {w}" for w in result.warnings],
        structure=(_basis(briefs, articles), structure),
    )


def synthesize(
    backend: Backend | None,
    briefs: list[ArticleBrief],
    articles: list[Article],
    *,
    overview_length: Length = "medium",
    code_briefs: list[ArticleBrief] | None = None,
    drafted: Drafted | None = None,
    **call: Any,
) -> SynthesisOutcome:
    """Model synthesis (when there are two or more briefs and a backend) plus code cross-checks.

    `drafted`: the model call already made (`draft_synthesis`, run beside the article calls);
    otherwise it is made here, from `code_briefs` (code's briefs of the articles, made when
    not given) or, with the v1 prompt, from `briefs`; `call`: `draft_synthesis`'s options
    (max_tokens, max_reasks, prompt_version, before_call, after_call, pricing, modes).
    """
    prompt_version = call.get("prompt_version")
    candidates, timeline, episodes, alignment = _cross_source(briefs, articles, drafted)
    episode_of = {a: e.id for e in episodes for a in e.article_ids}
    if drafted is None and backend is not None and len(briefs) >= 2:
        shown = (
            briefs
            if uses_briefs(prompt_version)
            else code_briefs or [extractive_brief(a) for a in articles]
        )
        drafted = draft_synthesis(backend, shown, articles, **call)
    drafted = drafted or Drafted()
    draft, error = drafted.draft, drafted.error
    calls: list[CallRecord] = list(drafted.calls)
    warnings: list[str] = list(drafted.warnings)
    if len(briefs) < 2:
        warnings.append("only one article: no consensus or conflicts can be established")
    consensus: list[ConsensusClaim] = []
    conflicts: list[Conflict] = list(candidates)
    single: list[SingleSourceItem] = []
    questions: list[str] = []
    if draft is not None:
        check = verify_synthesis(draft, briefs, articles)
        consensus, single = check.consensus, check.single_source
        conflicts += _new_conflicts(candidates, check.conflicts)
        warnings.extend(f"synthesis: {i}" for i in check.issues)
        questions = [q.strip() for q in draft.open_questions if q.strip() and not is_degenerate(q)]
    if len(briefs) >= 2:
        consensus = _merged_consensus(consensus_of(alignment), consensus)
        said = {s.id: s.text for a in articles for s in a.sentences}
        consensus = undisputed(consensus, conflicts, said)
    rank = {e.id: n for n, e in enumerate(sorted(episodes, key=_episode_key))}
    disputed = {s for c in conflicts for p in c.positions for s in p.sentence_ids}
    overview = code_overview(articles, alignment, overview_length, episode_of, rank, disputed)
    text = compose_story_text(
        draft.headline if draft else None,
        draft.overview if draft else None,
        articles,
        " ".join(t for _, t in overview),
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
