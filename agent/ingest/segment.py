"""Sentence splitting of article bodies, with exact character offsets."""

from __future__ import annotations

import re

# --------------------------------------------------------------------------- sentences

_TITLES = frozenset(
    "mr mrs ms dr prof gen sen rep gov lt col capt sgt maj adm cmdr rev hon pres supt det insp "
    "brig cpl pvt fr st mt ft messrs mme mlle gens reps sens lieut cmdt".split()
)
_BEFORE_NUMBER = frozenset(
    "no nos vol art p pp fig ch sec para jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_NEVER = frozenset("e.g i.e vs v cf approx ca viz al".split())
_AMBIGUOUS = frozenset(
    "jr sr inc corp co ltd bros plc llc etc ala ariz ark calif colo conn del fla ga ill kan ky la "
    "md mich minn mo mont neb nev okla ore pa tenn tex va vt wis wyo".split()
)
_STARTERS = frozenset(
    "the a an he she it they we i you but and or so yet in on at as for if when while after before "
    "since this that these those his her its their our my your there here however meanwhile still "
    "also now then some many most one two three what who why how no not".split()
)
_CANDIDATE = re.compile(r"(?:\.{2,}|…|[.!?]+)(?:['\"”’»)\]]*)(?=\s+\S|$)")
_OPENERS = "\"'“‘«([¿¡"
_SPEECH = re.compile(
    r"(?:[A-Z][\w'’.-]*\s+){1,4}(?:said|says|asked|asks|added|adds|told|tells|wrote|writes|tweeted|replied"
    r"|explained|insisted|noted|continued|stated|declared|shouted|warned|recalled|concluded)\b"
)


_NONSPACE = re.compile(r"\S")
_NEXT_WORD = re.compile(r"[\w'’]+")


def _is_boundary(line: str, punct: re.Match[str], nxt_at: int) -> bool:
    """Whether the punctuation `punct` ends a sentence; the next sentence would start at nxt_at."""
    if nxt_at >= len(line):
        return True
    nxt = line[nxt_at]
    if not (nxt.isupper() or nxt.isdigit() or nxt in _OPENERS):
        return False
    mark = punct.group()
    closed = mark[-1] in "'\"”’»"
    if closed and mark.rstrip("'\"”’»")[-1:] in "?!" and _SPEECH.match(line, nxt_at):
        return False
    if not mark.startswith(".") or mark.startswith(".."):
        return True
    begin = punct.start()
    while begin > 0 and not line[begin - 1].isspace() and punct.start() - begin < 40:
        begin -= 1
    token = line[begin : punct.start()].lstrip(_OPENERS)
    core = token.lower()
    next_word = _NEXT_WORD.match(line, nxt_at)
    starter = (next_word is not None and next_word.group().lower() in _STARTERS) or nxt in _OPENERS
    if core in _TITLES or core in _NEVER:
        return False
    if core in _BEFORE_NUMBER and nxt.isdigit():
        return False
    if len(core) == 1 and core.isalpha() and token.isupper():
        return False  # an initial: John F. Kennedy
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", core) or core in _AMBIGUOUS:
        return starter  # U.S. officials / in the U.S. The...; a.m.; Inc.
    return True


def split_line(line: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) within one line; whitespace is never part of a span."""
    spans: list[tuple[int, int]] = []
    first = _NONSPACE.search(line)
    if not first:
        return spans
    start = first.start()
    for m in _CANDIDATE.finditer(line, start):
        following = _NONSPACE.search(line, m.end())
        nxt_at = following.start() if following else len(line)
        if m.end() <= start or not _is_boundary(line, m, nxt_at):
            continue
        spans.append((start, m.end()))
        start = nxt_at
    end = len(line.rstrip())
    if start < end:
        spans.append((start, end))
    return spans


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans over a whole text; a sentence never crosses a line break."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        spans.extend((offset + a, offset + b) for a, b in split_line(line))
        offset += len(line) + 1
    return spans
