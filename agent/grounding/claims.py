"""Claim conflicts code finds from the alignment: date, status (polarity) and update conflicts.

Numbers that differ are `agent.grounding.conflicts.numeric_conflicts`. Here, sentences of
two articles that share a story's subject and most of what they say about it, yet disagree:

* **date**: the same happening put on different days ("went missing Friday night after the
  prom" / "disappeared from his prom ... Saturday night"): a pair whose predicate words
  overlap strongly (stricter than alignment) and whose day (resolved date, else weekday
  name) differs;
* **polarity**: one source affirms what the other negates ("will attend" / "will not
  attend"), found by the claim verifier's negation check on a strongly overlapping pair;
* **update**: a status one source gives and another contradicts with a later state (a
  missing person "is still missing" / "was located"; "alive" / "died"). When the articles'
  dates (or datelines) order them, the note says which is later; otherwise the natural
  order of the two states does ("found" follows "missing").

Conservative on purpose: a false conflict misleads more than a missed one. Each side is
cited with its sentence; one conflict per subject and kind.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Sequence
from typing import Literal

from ..schemas import Article, Conflict, Position
from ..text.match import fold, stem
from .align import Alignment, Unit, shared_predicate

__all__ = ["claim_conflicts"]

DATE_OVERLAP = 0.25  # predicate overlap of a date-conflict pair
DATE_SHARED = 4  # ... and this many shared predicate words
MAX_CONFLICTS = 4

# Contrary states: (earlier state, later state), each a pattern matched on the folded,
# lower-cased sentence. The earlier one must be asserted as current ("still missing",
# "remains missing", "has not been found") to contradict the later one.
_CURRENT = r"(?:still|remains?|remained|continues? to be|has not been|have not been|yet to be)"
STATES: tuple[tuple[str, str, str], ...] = (
    (
        "missing",
        rf"\b{_CURRENT}\s+(?:\w+\s+){{0,2}}"
        r"(?:missing|unaccounted for|at large|not (?:been )?found)",
        r"\b(?:was|were|has been|have been|had been)\s+(?:\w+\s+){0,2}"
        r"(?:found|located|rescued|recovered alive|safe|arrested|captured|taken into custody)",
    ),
    (
        "alive",
        rf"\b{_CURRENT}\s+(?:\w+\s+){{0,2}}(?:alive|in (?:critical|serious|stable) condition)",
        r"\b(?:has died|had died|died|was killed|were killed|was pronounced dead|is dead)\b",
    ),
    (
        "detained",
        rf"\b{_CURRENT}\s+(?:\w+\s+){{0,2}}(?:in custody|detained|held|jailed|in jail)",
        r"\b(?:was|were|has been|have been)\s+(?:\w+\s+){0,2}(?:released|freed|set free)",
    ),
)


def claim_conflicts(
    alignment: Alignment, articles: Sequence[Article], limit: int = MAX_CONFLICTS
) -> list[Conflict]:
    """Status, polarity and date conflicts between articles, most certain first (see the
    module doc).
    """
    found = (
        _status_conflicts(alignment, articles)
        + _polarity_conflicts(alignment)
        + _date_conflicts(alignment)
    )
    return found[:limit]


# --------------------------------------------------------------------------- polarity

# Contrary predicates: (one side, the other side), matched as whole words on the folded,
# lower-cased sentence. A sentence naming both sides (or negating its own) is left out.
CONTRARY: tuple[tuple[str, str, str], ...] = (
    (
        "open or close",
        r"\b(?:stay|remain|kept|keep|will be|would be) open\b|\breopen",
        r"\b(?:close|closes|closed|closing|closure|shut|shuts|shutting)\b",
    ),
    (
        "approve or reject",
        r"\b(?:approved?|approves|accepted|accepts?|agreed to)\b",
        r"\b(?:rejected|rejects?|refused|refuses?|declined|vetoed|turned down)\b",
    ),
    ("confirm or deny", r"\bconfirm(?:ed|s)?\b", r"\bden(?:ied|ies|y)\b"),
    (
        "rise or fall",
        r"\b(?:rose|risen|rising|increased?|grew|grown|up from)\b",
        r"\b(?:fell|fallen|falling|decreased?|dropped|down from)\b",
    ),
)
_NEGATED = re.compile(r"\b(?:not|never|no longer|n't)\b", re.I)
POLARITY_OVERLAP = 0.3  # predicate overlap (antonym words aside) of a polarity pair
POLARITY_SHARED = 2


def _side(text: str, first: str, second: str) -> int:
    """1 or 2 when the sentence states exactly one side; a side negated right before it
    ("would not close") counts as the other one. 0 when it states both or neither.
    """
    low = fold(text).lower()
    found = set()
    for n, pattern in ((1, first), (2, second)):
        for m in re.finditer(pattern, low):
            negated = _NEGATED.search(low[max(0, m.start() - 14) : m.start()])
            found.add(3 - n if negated else n)
    return found.pop() if len(found) == 1 else 0


Pair = tuple[float, Unit, Unit]


def _better(best: Pair | None, score: float, a: Unit, b: Unit) -> Pair:
    """The higher-scoring of `best` and (score, a, b); ties go by the sentences' text, so
    the choice does not depend on the input order.
    """
    if best is None or (score, a.text, b.text) > (best[0], best[1].text, best[2].text):
        return (score, a, b)
    return best


def _polarity_conflicts(alignment: Alignment) -> list[Conflict]:
    units = sorted(alignment.units.values(), key=lambda u: (u.article_id, u.index))
    out: list[Conflict] = []
    for topic, first, second in CONTRARY:
        sides = {u.sentence_id: _side(u.text, first, second) for u in units}
        best: Pair | None = None
        # Only sentences stating a side, each paired with those of the later articles: never
        # every pair of sentences, which a long article would make too many.
        sided = [u for u in units if sides[u.sentence_id]]
        later = 0
        for i, a in enumerate(sided):
            later = max(later, i + 1)
            while later < len(sided) and sided[later].article_id == a.article_id:
                later += 1
            for b in sided[later:]:
                if sides[a.sentence_id] == sides[b.sentence_id]:
                    continue
                overlap, shared = _predicate_overlap(
                    a, b, alignment.weight, exclude=(first, second)
                )
                if overlap < POLARITY_OVERLAP or shared < POLARITY_SHARED:
                    continue
                best = _better(best, overlap, a, b)
        if best is None:
            continue
        _, a, b = best
        out.append(
            _two_sided(
                "polarity",
                f"{topic}: " + " ".join(_shared_words(a, b, alignment.weight)),
                a,
                b,
                "One source says the opposite of the other about the same thing.",
            )
        )
    return out


def _shared_words(a: Unit, b: Unit, weight: dict[str, float], count: int = 3) -> list[str]:
    return sorted(shared_predicate(a, b), key=lambda w: (-weight.get(w, 0.0), w))[:count]


# --------------------------------------------------------------------------- dates


def _predicate_overlap(
    a: Unit, b: Unit, weight: dict[str, float], exclude: Sequence[str] = ()
) -> tuple[float, int]:
    """Weighted overlap coefficient of what two sentences say, and how many words they
    share; words matching the `exclude` patterns (the contrary words themselves) left out.
    """
    shared = {w for w in shared_predicate(a, b) if not any(re.search(p, w) for p in exclude)}
    small = min(math.fsum(weight.get(w, 0.0) for w in u.predicate | shared) for u in (a, b))
    if not shared or small <= 0:
        return 0.0, 0
    return math.fsum(weight.get(w, 0.0) for w in shared) / small, len(shared)


def _day_text(u: Unit) -> str:
    return (_event_day(u) or ", ".join(sorted(u.weekdays | u.days))).title()


# A day named as the time of reporting or as a bound, not as when the happening was.
_NOT_WHEN = re.compile(
    r"\b(?:as of|since|until|till|by|through|press time|updated?|posted|published)\b"
    r"[\s(,]{1,3}(?:\w+,?\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    re.I,
)


_CALENDAR = frozenset(
    stem(w)
    for w in "monday tuesday wednesday thursday friday saturday sunday january february march "
    "april may june july august september october november december".split()
)


def _event_day(u: Unit) -> str | None:
    """The one weekday the sentence puts its happening on (reporting times and bounds such
    as 'as of Monday' or 'since Friday' left out); None when it names none or several.
    """
    bounds = {m.group(1).lower() for m in _NOT_WHEN.finditer(fold(u.text))}
    days = u.weekdays - bounds
    return next(iter(days)) if len(days) == 1 else None


def _date_conflicts(alignment: Alignment) -> list[Conflict]:
    units = sorted(alignment.units.values(), key=lambda u: (u.article_id, u.index))
    # Only sentences that put a happening on one day, each paired with those of the later
    # articles: never every pair of sentences, which a long article would make too many.
    dated = [(u, day) for u in units if (day := _event_day(u)) is not None]
    best: dict[frozenset[str], tuple[float, Unit, Unit]] = {}
    later = 0
    for i, (a, day_a) in enumerate(dated):
        later = max(later, i + 1)
        while later < len(dated) and dated[later][0].article_id == a.article_id:
            later += 1
        for b, day_b in dated[later:]:
            if day_a == day_b:
                continue  # two days may be two happenings; a reporting time is no event's
            names_a, names_b = a.names - _CALENDAR, b.names - _CALENDAR
            if names_a and names_b and not names_a & names_b:
                continue  # "in Amberley ... on Monday" / "in Bexford ... on Tuesday": two events
            overlap, shared = _predicate_overlap(a, b, alignment.weight)
            if overlap < DATE_OVERLAP or shared < DATE_SHARED:
                continue
            key = frozenset((a.article_id, b.article_id))
            if key not in best or overlap > best[key][0]:
                best[key] = (overlap, a, b)
    out: list[Conflict] = []
    for _, a, b in sorted(best.values(), key=lambda t: (-t[0], t[1].text)):
        topic = _topic(a, b, alignment.weight)
        if any(c.topic == topic for c in out):
            _join(out, topic, [a, b])
            continue
        out.append(
            _two_sided("date", topic, a, b, "The sources put this on different days.", _day_text)
        )
    return out


def _topic(a: Unit, b: Unit, weight: dict[str, float]) -> str:
    """'when: ' and the words around the first sentence's day ("went missing Friday night
    after the prom").
    """
    day = _event_day(a) or ""
    tokens = fold(a.text).split()
    at = next((i for i, t in enumerate(tokens) if t.lower().strip(",.;:()") == day), 0)
    return "when: " + " ".join(tokens[max(0, at - 4) : at + 6]).strip(" ,.;:")


def _join(out: list[Conflict], topic: str, members: list[Unit]) -> None:
    for n, conflict in enumerate(out):
        if conflict.topic != topic:
            continue
        have = {p.article_id for p in conflict.positions}
        extra = [_position(u, _day_text(u)) for u in members if u.article_id not in have]
        out[n] = conflict.model_copy(update={"positions": conflict.positions + extra})


def _position(u: Unit, statement: str) -> Position:
    return Position(article_id=u.article_id, statement=statement, sentence_ids=[u.sentence_id])


def _two_sided(
    kind: Literal["date", "update", "polarity"],
    topic: str,
    a: Unit,
    b: Unit,
    note: str,
    statement: Callable[[Unit], str] = lambda u: _clip(u.text),
) -> Conflict:
    """Code's conflict between two sentences, each side stated by `statement`."""
    return Conflict(
        kind=kind,
        topic=topic,
        positions=[_position(a, statement(a)), _position(b, statement(b))],
        origin="code",
        note=note,
    )


# --------------------------------------------------------------------------- states


def _status_conflicts(alignment: Alignment, articles: Sequence[Article]) -> list[Conflict]:
    by_id = {a.id: a for a in articles}
    units = sorted(alignment.units.values(), key=lambda u: (u.article_id, u.index))
    out: list[Conflict] = []
    for state, earlier, later in STATES:
        before = [u for u in units if re.search(earlier, fold(u.text).lower())]
        after = [u for u in units if re.search(later, fold(u.text).lower())]
        best: Pair | None = None
        ids = [u.article_id for u in after]  # in article order: skip a's own by bisection
        for a in before:
            low = bisect.bisect_left(ids, a.article_id)
            high = bisect.bisect_right(ids, a.article_id)
            for b in after[:low] + after[high:]:
                subject = _subject(a, b, alignment.weight)
                if subject <= 0:
                    continue
                best = _better(best, subject, a, b)
        if best is None:
            continue
        _, a, b = best
        out.append(_two_sided("update", f"status: {state}", a, b, _order_note(a, b, by_id, state)))
    return out


SUBJECT = 1.5  # least weight of what two sentences share to be about the same subject


def _subject(a: Unit, b: Unit, weight: dict[str, float]) -> float:
    """How surely two sentences speak of the same subject: the weight of the words and
    numbers they share ("17-year-old", a name), at least two of them; else 0.
    """
    shared = (a.words | a.numbers) & (b.words | b.numbers)
    mass = math.fsum(weight.get(w, 0.0) for w in shared)
    return mass if len(shared) >= 2 and mass >= SUBJECT else 0.0


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0] + "..."


def _order_note(a: Unit, b: Unit, by_id: dict[str, Article], state: str) -> str:
    da = by_id[a.article_id].date if a.article_id in by_id else None
    db = by_id[b.article_id].date if b.article_id in by_id else None
    if da and db and da != db:
        later = b if db > da else a
        when = max(da, db).isoformat()
        return (
            f"{later.article_id} is the later report ({when}); its account supersedes the "
            "earlier one."
        )
    return (
        f"{a.article_id} gives the earlier state ({state}), {b.article_id} a later one; the "
        "articles carry no dates that order them, so the later report probably supersedes."
    )
