"""Text helpers shared by the gold checks and the scorers.

Gold labels cite article text by exact substring. Sources differ from each other (and
from the cleaned `Article.text`) in typography and whitespace only, so every search here
is made on a normalised copy: typographic quotes and dashes folded to ASCII, runs of
whitespace folded to one space. Offsets found in the copy are mapped back to the original.
"""

from __future__ import annotations

import re

_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"',
        "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
        "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    }
)
_WORD = re.compile(r"[^\W_]+(?:[.,'][^\W_]+)*")


def fold(text: str) -> str:
    """Typographic quotes and dashes as ASCII, whitespace runs as one space, stripped."""
    return re.sub(r"\s+", " ", text.translate(_FOLD)).strip()


def _folded_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the offset in `text`."""
    out: list[str] = []
    offsets: list[int] = []
    in_space = False
    for i, ch in enumerate(text.translate(_FOLD)):
        if ch.isspace():
            if not in_space:
                out.append(" ")
                offsets.append(i)
            in_space = True
            continue
        in_space = False
        out.append(ch)
        offsets.append(i)
    return "".join(out), offsets


def find_span(needle: str, text: str, ignore_case: bool = False) -> tuple[int, int] | None:
    """Character span of `needle` in `text`, tolerant of typography and whitespace."""
    target = fold(needle)
    if not target:
        return None
    folded, offsets = _folded_with_offsets(text)
    haystack = folded.lower() if ignore_case else folded
    at = haystack.find(target.lower() if ignore_case else target)
    if at < 0:
        return None
    end = at + len(target) - 1
    return offsets[at], offsets[end] + 1


def contains(text: str, needle: str) -> bool:
    """True when `needle` occurs in `text` (case-insensitive, typography-tolerant)."""
    return find_span(needle, text, ignore_case=True) is not None


def contains_phrase(text: str, phrase: str) -> bool:
    """Like `contains`, but the phrase must start and end on word boundaries."""
    target = re.escape(fold(phrase).lower())
    return re.search(rf"(?<!\w){target}(?!\w)", fold(text).lower()) is not None


def words(text: str) -> list[str]:
    """Lower-case word tokens; digit groups such as '400,000' become '400000'."""
    tokens = []
    for match in _WORD.finditer(fold(text).lower()):
        token = match.group(0)
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", token):
            token = token.replace(",", "")
        tokens.append(token)
    return tokens


def word_count(text: str) -> int:
    return len(words(text))


def split_sentences(text: str) -> list[str]:
    """A plain sentence split, used only on output prose (overview, summaries)."""
    parts = re.split(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[\"'(\[]?[A-Z0-9])", fold(text))
    return [part.strip() for part in parts if part.strip()]
