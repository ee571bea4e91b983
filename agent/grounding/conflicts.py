"""Numeric conflicts: figures from different articles that count the same thing but differ.

The hard part is knowing when two figures count the same thing. Code reads each figure's
own clause in its sentence and derives a key: unit family, measure (killed / dead /
deaths / death toll are one measure), counted group, time span, place and agent. Only
figures with equal keys are compared. Precision matters more than recall: a false
conflict misleads, a missed one is only a gap.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter
from dataclasses import dataclass

from ..schemas import Article, ArticleBrief, Conflict, Figure, Position
from ..text.sentences import sentence_text

__all__ = ["KeyedFigure", "figure_statement", "keyed_figures", "measures_in", "numeric_conflicts"]

TOLERANCE = 0.02  # relative difference under which two figures agree
MAX_RATIO = 10.0  # figures more than tenfold apart are taken to count different things

_STOP = frozenset(
    """a an the and or but of in on at to for from by with as is are was were be been being has
    have had do does did will would that this it its they their which who what when where
    said says after before over under into about up out some any all more most such only""".split()
)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _content(text: str) -> set[str]:
    return {w for w in _words(text) if w not in _STOP and len(w) > 1}


# What a figure counts: a word in the figure's clause -> a canonical measure.
_MEASURES: dict[str, str] = {
    "killed": r"kill(?:s|ed|ing)?|dead|deaths?|died|dies|dying|fatalit(?:y|ies)"
    r"|(?:death )?toll|slain"
    r"|perish(?:ed)?|murder(?:s|ed)?",
    "injured": r"injur(?:e|es|ed|ing|y|ies)|wound(?:s|ed|ing)?|hurt",
    "displaced": r"displac(?:e|es|ed|ing|ement)|refugees?|fled|flee(?:ing)?|homeless|uproot(?:ed)?",
    "evacuated": r"evacuat(?:e|es|ed|ing|ion)",
    "arrested": r"arrest(?:s|ed|ing)?|detain(?:s|ed|ing)?|detention",
    "missing": r"missing",
    "casualties": r"casualt(?:y|ies)",
    "rescued": r"rescu(?:e|es|ed|ing)",
    "cases": r"cases?|infections?|infected",
    "treated": r"treat(?:s|ed|ing)?|hospitali[sz]ed|admitted",
    "cost": r"costs?|costing|spent|spend(?:s|ing)?|budget(?:s|ed)?|funding|paid",
}
_NOUN_MEASURES = {"cases", "casualties", "cost"}
_MEASURE_RE = {m: re.compile(rf"\b(?:{p})\b", re.I) for m, p in _MEASURES.items()}
# Who is counted: a subgroup makes a figure a different quantity from a total of "people".
_POPULATIONS = {
    "civilian": "civilians",
    "child": "children",
    "children": "children",
    "kid": "children",
    "woman": "women",
    "women": "women",
    "soldier": "soldiers",
    "troop": "soldiers",
    "fighter": "fighters",
    "rebel": "rebels",
    "militant": "militants",
    "police": "police",
    "policeman": "police",
    "policemen": "police",
    "officer": "officers",
    "worker": "workers",
    "employee": "workers",
    "student": "students",
    "journalist": "journalists",
    "patient": "patients",
    "migrant": "migrants",
    "firefighter": "firefighters",
    "miner": "miners",
    "passenger": "passengers",
    "crew": "crew",
    "staff": "staff",
    "protester": "protesters",
    "demonstrator": "protesters",
    "prisoner": "prisoners",
}
_UNIT_FAMILIES = {  # unit words (singular; a plural "s" is dropped) and symbols
    "duration": {"hour", "day", "week", "month", "year", "minute", "second"},
    "money": {
        "usd",
        "dollar",
        "eur",
        "euro",
        "gbp",
        "pound",
        "yen",
        "yuan",
        "rupee",
        "franc",
        "$",
        "\u20ac",
        "\u00a3",
    },
    "percent": {"%", "percent", "pct"},
    "distance": {"km", "kilometre", "kilometer", "mile", "metre", "meter"},
    "mass": {"tonne", "ton", "kg", "kilogram"},
}
_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "fifteen": "15",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "ninety": "90",
    "hundred": "100",
    "a": "1",
}
_QTY = r"(\d+|" + "|".join(_NUMBER_WORDS) + r"|few|several|recent)"
# A time span limits what a figure counts: looked for in the whole sentence ("In the past
# week, ... 900 killed") ...
_SPAN = re.compile(
    r"\b" + _QTY + r"[\s-](hour|day|week|month|year)s?\s+(?:of|since)\b"
    r"|\b(?:in|over|during|within)\s+(?:the\s+)?(?:past|last|first|previous|next)?\s*"
    + _QTY
    + r"\s+(hour|day|week|month|year)s?\b"
    r"|\b(?:past|last)\s+(hour|day|week|month|year)\b"
)
# ... and, since "said this week" or "said today" often dates the report, not the count,
# these only in the figure's own clause.
_SPAN_NEAR = re.compile(
    r"\b(?:this\s+(hour|day|week|month|year)|(today|yesterday|overnight|tonight))\b"
)
_QUALIFIERS = {
    "over": "more than",
    "above": "more than",
    "in excess of": "more than",
    "at least": "at least",
    "as many as": "up to",
    "as much as": "up to",
    "nearly": "almost",
    "close to": "almost",
    "around": "about",
    "some": "about",
    "approximately": "about",
    "roughly": "about",
    "an estimated": "about",
    "estimated": "about",
}
_NOT_PLACES = set(
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
)
_PLACE = re.compile(
    r"\b(?i:in|at|near|around|across|throughout|outside)\s+((?:[A-Z][\w'-]+\s?){1,3})"
)
_SPLIT = re.compile(  # clause boundaries; "X said (that)" ends the attribution, not the count
    r",\s|;\s|\s[-\u2013\u2014]\s|\s(?:and|while|but|whereas)\s|:\s"
    r"|\s(?:said|says|say|told|stated|reported|estimated|estimates|added|warned)(?:\s+that)?\s"
)


@dataclass
class KeyedFigure:
    article_id: str
    figure: Figure
    key: tuple
    topic: str


def _family_of(unit: str, value_text: str) -> str:
    tokens = re.findall(r"[a-z]+|[%$\u20ac\u00a3]", f"{unit} {value_text}".lower())
    tokens = [t[:-1] if len(t) > 3 and t.endswith("s") else t for t in tokens]
    if "per" in tokens and "cent" in tokens:
        return "percent"
    for family, marks in _UNIT_FAMILIES.items():
        if marks.intersection(tokens):
            return family
    return "count"


def _locate(sentence: str, value_text: str) -> int:
    """Character offset of the figure's value in its sentence (-1 when not found)."""
    pos = sentence.find(value_text)
    if pos < 0:
        pos = sentence.lower().find(value_text.lower())
    return pos


def _segment(sentence: str, pos: int) -> tuple[str, int]:
    """The clause of `sentence` around character `pos`, and pos within that clause."""
    start, end = 0, len(sentence)
    for m in _SPLIT.finditer(sentence):
        if m.end() <= pos:
            start = m.end()
        elif m.start() >= pos:
            end = m.start()
            break
    return sentence[start:end], pos - start


def measures_in(text: str, pos: int | None = None) -> list[str]:
    """Measures named in `text`, nearest to character `pos` first."""
    found: list[tuple[int, str]] = []
    for measure, pattern in _MEASURE_RE.items():
        for m in pattern.finditer(text):
            found.append((abs(m.start() - pos) if pos is not None else 0, measure))
    found.sort()
    return list(dict.fromkeys(measure for _, measure in found))


def _agent(text: str, measure: str) -> str:
    """Who or what did it, when the clause says so after the measure ("killed by airstrikes")."""
    m = re.search(
        rf"\b(?:{_MEASURES[measure]})\s+(?:[\w-]+\s+){{0,3}}?by\s+((?:the\s+)?[\w-]+(?:\s+[\w-]+)?)",
        text,
        re.I,
    )
    return m.group(1).lower() if m else ""


def _population(word: str) -> str | None:
    return _POPULATIONS.get(word) or (_POPULATIONS.get(word[:-1]) if word.endswith("s") else None)


def _span(text: str, pattern: re.Pattern[str] = _SPAN) -> str:
    """A time span limiting what a figure counts ("forty days of fighting" -> "40 days")."""
    m = pattern.search(text.lower())
    if not m:
        return ""
    parts = [g for g in m.groups() if g]
    if len(parts) == 2:
        number = _NUMBER_WORDS.get(parts[0], parts[0])
        return f"{number} {parts[1]}{'' if number == '1' else 's'}"
    return " ".join(parts)


def _fig_key(
    figure: Figure, sentence: str | None, broad_places: set[str]
) -> tuple[tuple, str] | None:
    """A hashable description of what the figure counts and its scope, and a topic label."""
    return _key_of(figure.counts, figure.value_text, figure.unit, sentence, frozenset(broad_places))


@functools.lru_cache(maxsize=4096)
def _key_of(
    counts: str, value_text: str, unit: str, sentence: str | None, broad_places: frozenset[str]
) -> tuple[tuple, str] | None:
    """`_fig_key` of the figure's fields, kept: a story's figures are keyed when the
    synthesis request is made, again for the brief, and again to check the model's conflicts.
    """
    family = _family_of(unit, value_text)
    text, pos, at, masked = counts, None, -1, counts
    if sentence:
        at = _locate(sentence, value_text)
        if at >= 0:
            text, pos = _segment(sentence, at)
            # the value itself is not a scope marker ("13 hours of talks")
            text = text[:pos] + " # " + text[pos + len(value_text) :]
            masked = sentence[:at] + " # " + sentence[at + len(value_text) :]
    measures: list[str] = []
    if family in ("count", "money"):
        measures = measures_in(text, pos)
        if not measures and at >= 0 and sentence:
            measures = measures_in(sentence, at)  # e.g. "..., including 160 children"
        if not measures:
            measures = measures_in(counts, None)
        if family == "money":
            measures = [m for m in measures if m == "cost"]
    scope_text = f"{text} {unit}" + ("" if pos is not None else f" {counts}")
    population = sorted({p for p in map(_population, _words(scope_text)) if p})
    span = _span(masked) or _span(text, _SPAN_NEAR)
    places = sorted(
        {p.strip().removesuffix("'s") for p in _PLACE.findall(text)} - broad_places - _NOT_PLACES
    )
    agent = _agent(text, measures[0]) if measures else ""
    if measures:
        what: tuple = ("measure", measures[0])
        if measures[0] in _NOUN_MEASURES:  # "number of cases", not "number of people cases"
            label = "cost" if measures[0] == "cost" else f"number of {measures[0]}"
        else:
            label = f"number of {' and '.join(population) or 'people'} {measures[0]}"
    else:
        # without a measure, only the same wording (two content words or more besides the
        # unit) says two figures count the same thing: "13 hours" of "marathon talks lasted"
        unit_words = set(_words(unit)) | {w.rstrip("s") for w in _words(unit)}
        words = _content(counts) - unit_words - {w + "s" for w in unit_words} - {"#"}
        words = {w for w in words if not w.isdigit() and w not in _NUMBER_WORDS}
        if len(words) < 2:
            return None
        what = ("counts", unit.lower(), frozenset(words))
        label = counts.strip() or unit
    if places:
        label += " in " + ", ".join(places)
    if span:
        label += f" ({span})"
    if agent:
        label += f" by {agent}"
    return (family, what, tuple(population), span, tuple(places), agent), label


def _broad_places(articles: dict[str, Article]) -> set[str]:
    """Capitalised place names every article mentions: the story's setting, not a scope."""
    if len(articles) < 2:
        return set()
    sets = [set(re.findall(r"\b[A-Z][\w'-]+", a.text)) for a in articles.values()]
    return set.intersection(*sets)


def figure_statement(figure: Figure) -> str:
    """'more than 400,000 people killed': qualifier, value, unit and counts, each once."""
    counts = figure.counts.strip()
    unit = figure.unit.strip()
    if unit and unit.lower() not in f"{counts} {figure.value_text}".lower():
        counts = f"{unit} {counts}".strip()
    qualifier = figure.qualifier or ""
    if figure.value_text.lower() in counts.lower():  # counts quotes the whole phrase
        value = ""
        qualifier = "" if qualifier.lower() in counts.lower() else qualifier
    else:
        value = figure.value_text
    return " ".join(p for p in (qualifier, value, counts) if p)


def keyed_figures(briefs: list[ArticleBrief], articles: dict[str, Article]) -> list[KeyedFigure]:
    broad = _broad_places(articles)
    out = []
    for brief in briefs:
        for figure in brief.figures:
            if (
                figure.value is None
                or not figure.verified
                or not figure.sentence_id.startswith(brief.article_id + ".")
            ):
                continue
            keyed = _fig_key(figure, sentence_text(articles, figure.sentence_id), broad)
            if keyed:
                out.append(KeyedFigure(brief.article_id, figure, keyed[0], keyed[1]))
    return out


def numeric_conflicts(
    briefs: list[ArticleBrief], articles: list[Article] | None = None
) -> list[Conflict]:
    """Figures from different articles that count the same thing and differ by more than 5%.

    Two figures count the same thing when they have the same unit family, the same measure
    (killed / dead / deaths / death toll are one measure; displaced / refugees another; ...)
    read from the figure's own clause in its sentence, and the same scope: the same counted
    group (civilians or children are not "people"), the same time span ("in forty days"),
    the same place (places every article mentions are the story's setting and do not count),
    the same agent ("killed by ..."). Figures without a known measure are compared only
    when their `counts` wording has two or more content words besides the unit and they
    match ("the two countries" alone says too little). Values more than tenfold apart
    are not reported: they are far more often different quantities than a disagreement.
    Each article gives one position (its most repeated value); unverified figures are ignored.
    """
    if len({b.article_id for b in briefs}) < 2:
        return []  # a conflict needs two articles
    by_id = {a.id: a for a in articles or ()}
    groups: dict[tuple, list[KeyedFigure]] = {}
    for fig in keyed_figures(briefs, by_id):
        groups.setdefault(fig.key, []).append(fig)
    order = {b.article_id: i for i, b in enumerate(briefs)}
    dates = {
        b.article_id: b.date or (by_id[b.article_id].date if b.article_id in by_id else None)
        for b in briefs
    }
    conflicts = []
    for figs in groups.values():
        per_article: dict[str, list[KeyedFigure]] = {}
        for fig in figs:
            per_article.setdefault(fig.article_id, []).append(fig)
        if len(per_article) < 2:
            continue
        positions, qualifiers = [], []
        for article_id in sorted(per_article, key=order.__getitem__):
            own = per_article[article_id]
            value = Counter(f.figure.value for f in own).most_common(1)[0][0]
            first = next(f.figure for f in own if f.figure.value == value)
            qualifier = (first.qualifier or "").lower().strip()
            qualifiers.append(_QUALIFIERS.get(qualifier, qualifier))
            positions.append(
                Position(
                    article_id=article_id,
                    statement=figure_statement(first),
                    value=value,
                    sentence_ids=list(
                        dict.fromkeys(f.figure.sentence_id for f in own if f.figure.value == value)
                    ),
                )
            )
        values = [abs(p.value or 0.0) for p in positions]
        low, high = min(values), max(values)
        if low <= 0 or (high - low) / high <= TOLERANCE or high / low > MAX_RATIO:
            continue
        update = _update_note(positions, dates)
        conflicts.append(
            Conflict(
                kind="update" if update else "numeric",
                topic=figs[0].topic,
                positions=positions,
                origin="code",
                note=update or _note(positions, qualifiers, dates),
            )
        )
    return conflicts


def _update_note(positions: list[Position], dates: dict) -> str:
    """When every position's article is dated and no two share a date, the figures are
    successive reports: the note lists them in time order and names the latest.
    """
    known: list[tuple[dt.date, Position]] = [
        (d, p) for p in positions if (d := dates.get(p.article_id)) is not None
    ]
    if len(known) < len(positions) or len({d for d, _ in known}) < len(known):
        return ""
    ordered = sorted(known, key=lambda t: t[0])
    steps = " -> ".join(f"{p.statement} ({p.article_id}, {d.isoformat()})" for d, p in ordered)
    latest = ordered[-1][1]
    return (
        f"Successive reports: {steps}. The latest, {latest.article_id}, supersedes the "
        "earlier figures."
    )


def _note(positions: list[Position], qualifiers: list[str], dates: dict) -> str:
    notes = []
    if len(set(qualifiers)) > 1:
        shown = ", ".join(
            f"{p.article_id}: {q or 'none'}" for p, q in zip(positions, qualifiers, strict=True)
        )
        notes.append(f"Qualifiers differ ({shown}); the reported figures still disagree.")
    known = {p.article_id: dates.get(p.article_id) for p in positions}
    if len({d for d in known.values()}) > 1:
        shown = ", ".join(
            f"{a}: {d.isoformat() if d else 'date unknown'}" for a, d in known.items()
        )
        notes.append(
            f"The articles were published on different dates ({shown}); "
            "the figures may be as of different dates."
        )
    elif None in known.values():
        notes.append("Publication dates are unknown; the figures may be as of different dates.")
    return " ".join(notes)
