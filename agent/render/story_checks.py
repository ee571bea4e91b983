"""What a story page lists under "what could not be verified, and why".

Reads a brief's verification records, flags and run warnings and says, in words a reader can
follow, what was dropped, what failed a check, which citations code corrected, and which
sentences were held back as instructions to an AI. Every string returned is cleaned.
"""

from __future__ import annotations

import re

from ..schemas import ArticleBrief, StoryBrief
from ..text.sanitize import clean

__all__ = ["article_problems", "injection_suspects", "story_problems"]

_INJECTION = re.compile(r"^(a\d+): prompt injection suspected in ([a-z0-9., ]+?) \(")
_ITEM = re.compile(
    r"\b(key_points|quotes|figures|events|entities|consensus|conflicts|single_source)\[(\d+)\]"
)
_ITEM_NAMES = {
    "key_points": "key point",
    "quotes": "quote",
    "figures": "figure",
    "events": "event",
    "entities": "entity",
    "consensus": "agreed claim",
    "conflicts": "disagreement",
    "single_source": "single-source claim",
}


def _human(text: str) -> str:
    """'key_points[0]' -> 'key point 1' in messages meant for a reader."""
    return _ITEM.sub(lambda m: f"{_ITEM_NAMES[m.group(1)]} {int(m.group(2)) + 1}", text)


def _say(text: str) -> str:
    return _human(clean(text, fold_newlines=True))


def injection_suspects(warnings: list[str]) -> dict[str, list[str]]:
    """Article id -> the sentence ids that the run's warnings say were held back as injection."""
    found: dict[str, list[str]] = {}
    for warning in warnings:
        m = _INJECTION.match(clean(warning, fold_newlines=True))
        if m:
            ids = [s.strip() for s in m.group(2).split(",")]
            found.setdefault(m.group(1), []).extend(
                i for i in ids if re.fullmatch(r"a\d+\.s\d+", i)
            )
    return found


def article_problems(a: ArticleBrief, warnings: list[str]) -> tuple[list[str], list[str]]:
    """(problems, citations corrected by code) of one article, as sentences for a reader."""
    items = [f"Dropped: {d}" for d in a.verification.dropped]
    dropped = {d.split(":", 1)[0] for d in a.verification.dropped}
    recited = [i for i in a.verification.issues if i.detail.startswith("re-cited")]
    items += [
        f"Check '{i.check}' failed for {i.item}: {i.detail}"
        for i in a.verification.issues
        if i not in recited and i.item not in dropped
    ]
    items += [
        f"Key point only {p.support} by its sentences: {p.text}"
        for p in a.key_points
        if p.support != "supported"
    ]
    items += [f"Quote not found verbatim: \u201c{q.text}\u201d" for q in a.quotes if not q.verbatim]
    items += [
        f"Speaker not confirmed next to the quote: {q.speaker}"
        for q in a.quotes
        if q.verbatim and q.speaker and not q.speaker_verified
    ]
    items += [
        f"Figure not found in its sentence: {f.value_text} {f.counts}"
        for f in a.figures
        if not f.verified
    ]
    items += [
        f"Event time not found in its sentence: {e.when_text}: {e.what}"
        for e in a.events
        if not e.verified
    ]
    if a.error:
        items.append(
            f"The model failed for this source ({a.error.kind}, {a.error.attempts} attempts): "
            f"{a.error.message}; its summary is the article's lead, chosen by code."
        )
    if "prompt_injection_suspected" in a.flags:
        items.append(
            "Text that addresses an AI was found; it was not sent to the model "
            "and nothing rests on it."
        )
    items += [
        w.split(":", 1)[1].strip()
        for w in warnings
        if w.startswith(a.article_id + ":") and not _INJECTION.match(clean(w, fold_newlines=True))
    ]
    fixed = [f"{i.item}: {i.detail}" for i in recited]
    return [_say(i) for i in dict.fromkeys(items)], [_say(i) for i in fixed]


def story_problems(b: StoryBrief) -> list[str]:
    """What the story as a whole could not confirm: claims, the synthesis, run warnings."""
    items = [
        f"Consensus not confirmed in every cited source: {c.claim}"
        for c in b.consensus
        if not c.verified
    ]
    items += [
        f"Single-source claim not found in its source: {s.claim}"
        for s in b.single_source
        if not s.verified
    ]
    items += [f"Input not used ({f.kind}): {f.message}" for f in b.run.failed_inputs]
    if b.synthesis_error:
        items.append(f"Synthesis failed ({b.synthesis_error.kind}): {b.synthesis_error.message}")
    if b.overview_origin == "code":
        items.append(
            "The overview is the sources' own sentences (what several report, and their "
            "leads), chosen by code."
        )
    items += [
        "The model's synthesis: " + w.split(":", 1)[1].strip() if w.startswith("synthesis:") else w
        for w in b.run.warnings
        if not re.match(r"a\d+:", w)
    ]
    return [_say(i) for i in items]
