"""Typography-tolerant matching and word bags, shared by extraction, grounding and evaluation.

* `fold` / `find_span` / `has_phrase`: search with curly quotes, dashes and whitespace runs
  folded, offsets mapped back to the original text;
* `words` / `content_words` / `coverage` / `similarity`: the bag of stemmed content words.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping

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


_SPACES = re.compile(r"\s+")
_POSSESSIVE = re.compile(r"'s\b")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")


@functools.lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Typographic quotes and dashes as ASCII, whitespace runs as one space, stripped."""
    return _SPACES.sub(" ", text.translate(_FOLD)).strip()


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


@functools.lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str, ignore_case: bool) -> re.Pattern[str] | None:
    """The compiled search of `has_phrase` (None for a phrase that folds to nothing), kept:
    looking many names up in many sentences compiles each name once.
    """
    target = re.escape(fold(phrase))
    if not target:
        return None
    return re.compile(rf"(?<!\w){target}(?!\w)", re.IGNORECASE if ignore_case else 0)


def has_phrase(text: str, phrase: str, ignore_case: bool = True) -> bool:
    """True when `phrase` occurs in `text` starting and ending on word boundaries."""
    if not ignore_case:
        return _has_exact(fold(text), fold(phrase))
    pattern = _phrase_pattern(phrase, ignore_case)
    return pattern is not None and pattern.search(fold(text)) is not None


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # what `\w` matches


def _has_exact(folded: str, target: str) -> bool:
    """The case-sensitive `has_phrase` without a regular expression: an article names
    thousands of people, and compiling a search for each costs more than the searches.
    """
    if not target:
        return False
    start = folded.find(target)
    while start >= 0:
        end = start + len(target)
        if not (start and _is_word_char(folded[start - 1])) and not (
            end < len(folded) and _is_word_char(folded[end])
        ):
            return True
        start = folded.find(target, start + 1)
    return False


# --------------------------------------------------------------------------- phrase index

_WORD_RUN = re.compile(r"\w+")
# Characters `re.IGNORECASE` may equate with a character of another key: every non-ASCII
# character, and i, k, s (equal to the dotted I, the Kelvin sign and the long s).
_LOOSE = frozenset("iksIKS")
_LOOSE_ASCII = str.maketrans(dict.fromkeys("iks", "*"))


@functools.lru_cache(maxsize=1 << 16)
def _word_key(word: str) -> str:
    """A word with every character that case-insensitive matching could equate with another
    as '*', the other ASCII letters lower-cased: words `has_phrase` finds equal (in any case)
    have equal keys.
    """
    if word.isascii():
        return word.lower().translate(_LOOSE_ASCII)
    return "".join("*" if not c.isascii() or c in _LOOSE else c.lower() for c in word)


class PhraseIndex:
    """Texts indexed by their words, to answer `has_phrase` for many phrases without
    scanning every text: only the texts holding the phrase's rarest word are searched.

    `containing(phrase)` is [i for i, t in enumerate(texts) if has_phrase(t, phrase)] and
    `contained_in(text)` is [i for i, t in enumerate(texts) if has_phrase(text, t)], exactly:
    a phrase found at word boundaries has each of its words as a whole word of the text, so
    a text without one of them cannot hold it.
    """

    def __init__(self, texts: Iterable[str] = ()) -> None:
        self.texts: list[str] = []
        self.folded: list[str] = []
        self._with_word: dict[str, list[int]] = {}  # word key -> texts holding the word
        self._first_word: dict[str, list[int]] = {}  # word key -> texts starting with it
        self._wordless: list[int] = []  # texts with no word at all
        for text in texts:
            self.add(text)

    def add(self, text: str) -> int:
        """Index one more text; its position."""
        index = len(self.texts)
        folded = fold(text)
        self.texts.append(text)
        self.folded.append(folded)
        keys = [_word_key(w) for w in _WORD_RUN.findall(folded)]
        for key in dict.fromkeys(keys):
            self._with_word.setdefault(key, []).append(index)
        if keys:
            self._first_word.setdefault(keys[0], []).append(index)
        elif folded:
            self._wordless.append(index)
        return index

    def containing(self, phrase: str, ignore_case: bool = True) -> list[int]:
        """Positions of the texts `phrase` occurs in (as `has_phrase`), in order."""
        pattern = _phrase_pattern(phrase, ignore_case)
        if pattern is None:
            return []
        keys = {_word_key(w) for w in _WORD_RUN.findall(fold(phrase))}
        if keys:
            candidates = min((self._with_word.get(k, []) for k in keys), key=len)
        else:
            candidates = list(range(len(self.texts)))
        return [i for i in candidates if pattern.search(self.folded[i])]

    def contained_in(self, text: str, ignore_case: bool = True) -> list[int]:
        """Positions of the texts that occur in `text` (as `has_phrase(text, t)`), in order."""
        folded = fold(text)
        keys = {_word_key(w) for w in _WORD_RUN.findall(folded)}
        candidates = sorted(
            {i for k in keys for i in self._first_word.get(k, [])} | set(self._wordless)
        )
        found = []
        for i in candidates:
            pattern = _phrase_pattern(self.texts[i], ignore_case)
            if pattern is not None and pattern.search(folded):
                found.append(i)
        return found


# --------------------------------------------------------------------------- similar word sets


class SimilarSets:
    """Word sets in the order added, to find the first one that shares `share` of the smaller
    set's words with a given set (`len(a & b) / min(len(a), len(b)) >= share`, both
    non-empty) without comparing it with every set added: prefix filtering.

    Words are ranked rarest first by `frequency` (any fixed ranking is exact; rarer first is
    fast). A set `a` of `m` words similar to `b` shares at least `need(min(m, len(b)))`
    words with it, so: when `m >= len(b)`, `a` holds one of the `len(b) - need + 1`
    rarest words of `b`; when `m < len(b)`, one of `a`'s `m - need(m) + 1` rarest words is
    in `b`. Only the sets found through those words are compared.
    """

    def __init__(self, share: float, frequency: Mapping[str, int]) -> None:
        if not 0 < share <= 1:
            raise ValueError(f"share must be in (0, 1], got {share}")
        self.share = share
        self.frequency = frequency
        self.sets: list[frozenset[str]] = []
        self._with: dict[str, list[int]] = {}  # word -> sets holding it
        self._prefix: dict[str, list[int]] = {}  # word -> sets holding it among their rarest

    def need(self, size: int) -> int:
        """The fewest shared words that make a set of `size` words similar."""
        count = max(1, math.ceil(self.share * size) - 1)
        while count / size < self.share:
            count += 1
        return count

    def _rarest(self, words: frozenset[str], count: int) -> list[str]:
        return sorted(words, key=lambda w: (self.frequency.get(w, 0), w))[:count]

    def add(self, words: frozenset[str]) -> int:
        """Add one set; its position."""
        index = len(self.sets)
        self.sets.append(words)
        for word in words:
            self._with.setdefault(word, []).append(index)
        if words:
            for word in self._rarest(words, len(words) - self.need(len(words)) + 1):
                self._prefix.setdefault(word, []).append(index)
        return index

    def first(self, words: frozenset[str]) -> int | None:
        """The position of the first set added that is similar to `words`, or None."""
        if not words:
            return None
        size = len(words)
        candidates = {i for w in words for i in self._prefix.get(w, ()) if len(self.sets[i]) < size}
        rarest = self._rarest(words, size - self.need(size) + 1)
        candidates.update(i for w in rarest for i in self._with.get(w, ()))
        for index in sorted(candidates):
            other = self.sets[index]
            if other and len(other & words) / min(len(other), size) >= self.share:
                return index
        return None


# --------------------------------------------------------------------------- words


@functools.lru_cache(maxsize=1 << 16)
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
    folded = _POSSESSIVE.sub("", fold(text).lower())
    tokens = []
    for token in _TOKEN.findall(folded):
        if token[0].isdigit():
            token = token.replace(",", "") if _THOUSANDS.fullmatch(token) else token
        tokens.append(str(NUMBER_WORDS.get(token, token)))
    return tokens


def content_words(text: str) -> list[str]:
    """Stemmed tokens of `text` without stopwords and one-letter words."""
    return list(_content_words(text))


@functools.lru_cache(maxsize=1 << 16)
def _content_words(text: str) -> tuple[str, ...]:
    """`content_words`, kept for the last texts asked: extraction, alignment, the timeline and
    the checks each read every sentence of an article.
    """
    return tuple(stem(w) for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit()))


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
    """Jaccard similarity of two sets (0.0 when either is empty). The union's size is
    counted, not built: |A u B| = |A| + |B| - |A n B|.
    """
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)
