"""Typography-tolerant matching and word bags, shared by extraction, grounding and evaluation.

* `fold` / `find_span` / `has_phrase`: search with curly quotes, dashes and whitespace runs
  folded, offsets mapped back to the original text;
* `words` / `content_words` / `coverage` / `similarity`: the bag of stemmed content words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not of off on once only or other
    our ours ourselves out over own same she should so some such than that the their theirs
    them themselves then there these they this those through to too under until up very was
    we were what when where which while who whom why will with would you your yours yourself
    said says say saying told tells according mr mrs ms dr its it's s t""".split()
)

NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+")


# --------------------------------------------------------------------------- folding


def fold(text: str) -> str:
    """Typographic quotes and dashes as ASCII, whitespace runs as one space, stripped."""
    return re.sub(r"\s+", " ", text.translate(_FOLD)).strip()


def _folded_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded text (not stripped) and, for each of its characters, the offset in `text`."""
    out: list[str] = []
    offsets: list[int] = []
    previous_space = False
    for index, char in enumerate(text.translate(_FOLD)):
        is_space = char.isspace()
        if not (is_space and previous_space):
            out.append(" " if is_space else char)
            offsets.append(index)
        previous_space = is_space
    return "".join(out), offsets


def find_span(
    needle: str, text: str, ignore_case: bool = False, first_letter_free: bool = False
) -> tuple[int, int] | None:
    """Offsets in `text` of `needle`, tolerant of typography and whitespace.

    `first_letter_free` compares case-sensitively except the first letter, which is how a
    quote is 'verbatim' when a writer capitalises the start of a quoted fragment.
    """
    target = fold(needle)
    if not target:
        return None
    folded, offsets = _folded_with_offsets(text)
    flags = re.IGNORECASE if ignore_case else 0
    head, rest = re.escape(target[0]), re.escape(target[1:])
    pattern = f"(?i:{head}){rest}" if first_letter_free else head + rest
    match = re.search(pattern, folded, flags)
    if match is None:
        return None
    return offsets[match.start()], offsets[match.end() - 1] + 1


def has_phrase(text: str, phrase: str, ignore_case: bool = True) -> bool:
    """True when `phrase` occurs in `text` starting and ending on word boundaries."""
    target = re.escape(fold(phrase))
    if not target:
        return False
    flags = re.IGNORECASE if ignore_case else 0
    return re.search(rf"(?<!\w){target}(?!\w)", fold(text), flags) is not None


# --------------------------------------------------------------------------- words


def stem(word: str) -> str:
    """A light suffix stripper: plural s/es/ies, -ed, -ing and a final e, doubled consonants."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, repl, min_len in (
        ("ies", "y", 5),
        ("ied", "y", 5),
        ("sses", "ss", 5),
        ("ing", "", 6),
        ("ed", "", 5),
    ):
        if word.endswith(suffix) and len(word) >= min_len:
            word = word[: -len(suffix)] + repl
            if (
                suffix in ("ing", "ed")
                and len(word) > 3
                and word[-1] == word[-2]
                and word[-1] not in "lsz"
            ):
                word = word[:-1]
            break
    else:
        if (
            word.endswith("es")
            and word[-3:-2] in ("s", "x", "z")
            or word.endswith(("ches", "shes"))
        ):
            word = word[:-2]
        elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def words(text: str) -> list[str]:
    """Lower-case tokens; '400,000' -> '400000', number words -> digits, "'s" dropped."""
    folded = re.sub(r"'s\b", "", fold(text).lower())
    tokens = []
    for token in _TOKEN.findall(folded):
        if token[0].isdigit():
            token = (
                token.replace(",", "")
                if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", token)
                else token
            )
        tokens.append(str(NUMBER_WORDS.get(token, token)))
    return tokens


def content_words(text: str) -> list[str]:
    """Stemmed tokens of `text` without stopwords and one-letter words."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


def coverage(claim: str, texts: Iterable[str]) -> float:
    """Share of the claim's distinct content words found among the texts' content words."""
    wanted = set(content_words(claim))
    if not wanted:
        return 0.0
    found: set[str] = set()
    for text in texts:
        found.update(content_words(text))
    return len(wanted & found) / len(wanted)


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of two texts' content words (1.0 for two empty texts)."""
    left, right = set(content_words(a)), set(content_words(b))
    if not left and not right:
        return 1.0 if fold(a).lower() == fold(b).lower() else 0.0
    return len(left & right) / len(left | right)


def jaccard(a: set, b: set) -> float:
    """Jaccard similarity of two sets (0.0 when either is empty)."""
    return len(a & b) / len(a | b) if a and b else 0.0
