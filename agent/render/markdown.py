"""Markdown view of a StoryBrief: what a reader needs, every claim with its sources."""

from __future__ import annotations

from ..grounding.check import TextCheck
from ..schemas import ArticleBrief, Conflict, StoryBrief, TimelineEntry
from ..text.sanitize import clean, md_text


def _cite(ids: list[str]) -> str:
    return "[" + ", ".join(ids) + "]" if ids else ""


def _mark(verified: bool) -> str:
    return "" if verified else " *(unverified)*"


def _conflict_line(conflict: Conflict) -> str:
    sides = "; ".join(f"{p.article_id}: {md_text(p.statement)}" for p in conflict.positions)
    note = f" ({md_text(conflict.note)})" if conflict.note else ""
    topic = md_text(conflict.topic)
    return f"- **{topic}** ({conflict.kind}, found by {conflict.origin}): {sides}{note}"


def _when(entry: TimelineEntry) -> str:
    """The date at the precision the sources give it."""
    if entry.date is None:
        return "date unknown"
    if entry.date_precision == "week":
        return f"week of {entry.date.isoformat()}"
    return entry.date.isoformat()[: {"month": 7, "year": 4}.get(entry.date_precision, 10)]


def _timeline_lines(entries: list[TimelineEntry]) -> list[str]:
    return [
        f"- **{_when(e)}** ({md_text(e.when_text)}): {md_text(e.what)} {_cite(e.article_ids)}"
        for e in sorted(entries, key=lambda e: (e.date is None, e.date or e.when_text))
    ]


def _timeline_section(brief: StoryBrief) -> list[str]:
    """The timeline by episode: its steps, then apart the background history its sources
    give; an episode no date places is listed with its note even without entries.
    """
    episodes = {e.id: e for e in brief.episodes}
    ids = sorted({e.episode for e in brief.timeline} | set(episodes))
    shown = [
        i
        for i in ids
        if any(e.episode == i for e in brief.timeline) or (i in episodes and not episodes[i].start)
    ]
    if not brief.timeline and len(shown) < 2:
        return []
    out = ["", "## Timeline"]
    for i in shown:
        entries = [e for e in brief.timeline if e.episode == i]
        out.append("")
        if len(shown) > 1:
            label = md_text(episodes[i].label) if i in episodes else ""
            out += [f"*Episode {i}: {label}*", ""]
        steps = [e for e in entries if not e.background]
        background = [e for e in entries if e.background]
        out += _timeline_lines(steps) if entries else ["- no day or date in its articles"]
        if background:
            out += ([""] if out[-1] else []) + ["Background:", ""] + _timeline_lines(background)
    return out


def _story_sections(brief: StoryBrief) -> list[str]:
    out: list[str] = []
    if brief.consensus:
        out += ["", "## What the sources agree on", ""]
        out += [
            f"- {md_text(c.claim)} {_cite(c.article_ids)}{_mark(c.verified)}"
            for c in brief.consensus
        ]
    if brief.conflicts:
        out += ["", "## Where they disagree", ""] + [_conflict_line(c) for c in brief.conflicts]
    out += _timeline_section(brief)
    if brief.single_source:
        out += ["", "## Reported by one source only", ""]
        out += [
            f"- {md_text(s.claim)} {_cite([s.article_id])}{_mark(s.verified)}"
            for s in brief.single_source
        ]
    if brief.open_questions:
        out += ["", "## Open questions", ""] + [f"- {md_text(q)}" for q in brief.open_questions]
    return out


def _article_section(a: ArticleBrief) -> list[str]:
    meta = " · ".join(
        md_text(x) for x in (a.outlet, a.date.isoformat() if a.date else None, a.source) if x
    )
    out = ["", f"### {a.article_id}: {md_text(a.headline)}", "", f"*{meta}*", ""]
    if a.error:
        out += [
            f"> Model failed for this article ({a.error.kind}, {a.error.attempts} attempts): "
            f"{md_text(a.error.message)}. The summary below is the article's lead, chosen by "
            "code.",
            "",
        ]
    out.append(
        md_text(a.summary)
        + (
            " *(lead sentences)*"
            if a.summary_origin == "code"
            else " *(lead sentences, then model sentences the article supports)*"
        )
    )
    if a.key_points:
        out += [""] + [
            f"- {md_text(p.text)} {_cite(p.sentence_ids)}"
            + ("" if p.support == "supported" else f" *({p.support})*")
            for p in a.key_points
        ]
    quotes = [q for q in a.quotes if q.verbatim]
    if quotes:
        out += ["", "Quotes:"] + [
            f'- {md_text(q.speaker or "unattributed")}: "{md_text(q.text)}" [{q.sentence_id}]'
            for q in quotes[:6]
        ]
    if a.figures:
        out += ["", "Figures:"] + [
            "- "
            + md_text(
                f"{(f.qualifier + ' ') if f.qualifier else ''}{f.value_text} {f.unit} — {f.counts}"
            ).replace("  ", " ")
            + f" [{f.sentence_id}]"
            for f in a.figures[:8]
        ]
    v = a.verification
    out += [
        "",
        f"Verification: {v.passed}/{v.checked} model items passed; {len(v.dropped)} dropped.",
    ]
    if a.flags:
        out.append("Flags: " + ", ".join(md_text(f) for f in a.flags))
    return out


def render_markdown(brief: StoryBrief) -> str:
    run = brief.run
    out = [
        f"# {md_text(brief.headline)}",
        "",
        md_text(brief.overview)
        + (
            " *(the sources' own sentences, chosen by code)*"
            if brief.overview_origin == "code"
            else " *(the sources' own sentences, then model sentences they support)*"
        ),
    ]
    if brief.synthesis_error:
        out += [
            "",
            f"> Synthesis failed ({brief.synthesis_error.kind}): "
            f"{md_text(brief.synthesis_error.message)}",
        ]
    out += _story_sections(brief)
    if run.failed_inputs:
        out += ["", "## Inputs not used", ""] + [
            f"- {f.article_id + ': ' if f.article_id else ''}{md_text(f.input)}: "
            f"{md_text(f.message)} ({f.kind})"
            for f in run.failed_inputs
        ]
    out += ["", "## Sources"]
    for article in brief.articles:
        out += _article_section(article)
    out += [
        "",
        "---",
        "",
        f"Model: {md_text(run.model)} via {run.backend} · prompts "
        f"{', '.join(f'{k}/{v}' for k, v in run.prompts.items()) or 'none'}"
        f" · {len(run.calls)} calls ({run.cache_hits} from the cache), "
        f"{run.usage.prompt_tokens}+{run.usage.completion_tokens} tokens,"
        f" ${run.usage.cost_usd:.4f} · {run.reasks} re-asks, {run.retries} retries · "
        f"{run.seconds:.1f} s",
    ]
    if run.warnings:
        out += ["", "Warnings:"] + [f"- {md_text(w)}" for w in run.warnings]
    # Source text and model output may carry terminal escapes, invisible controls or Markdown
    # that would make links, images or raw HTML: each string was passed through `md_text`
    # (one line, Markdown-active characters escaped), and the whole view through `clean`.
    return clean("\n".join(out).rstrip() + "\n")


def render_check(result: TextCheck) -> str:
    """The check as Markdown: one line per sentence, then the evidence sentences."""
    c = result.counts
    lines = [
        "# Check",
        "",
        f"{len(result.sentences)} sentences: {c['supported']} supported, {c['partial']} partial, "
        f"{c['unsupported']} unsupported, {c['contradicted']} contradicted.",
        "",
    ]
    for n, s in enumerate(result.sentences, 1):
        cites = f" [{', '.join(s.evidence)}]" if s.evidence else ""
        lines.append(f"{n}. **{s.verdict}** ({s.score:.2f}){cites}: {md_text(s.sentence)}")
        lines += [f"   - {md_text(r)}" for r in s.reasons]
    if result.evidence_text:
        lines += ["", "## Evidence", ""]
        lines += [f"- {sid}: {md_text(text)}" for sid, text in result.evidence_text.items()]
    return clean("\n".join(lines) + "\n")
