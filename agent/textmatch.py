"""Text normalisation and matching shared by `agent.rules` and `agent.verify`.

Everything here is deterministic and dependency-free:

* `fold` / `find_span`: typography-tolerant search (curly quotes, dashes and whitespace runs
  folded), with offsets mapped back to the original text;
* `content_words` / `coverage`: the bag of stemmed content words behind `support_score`;
* `is_degenerate`: detects the repetitive text a tiny model produces when it loops;
* `lead_sentences`: the article's opening sentences, used for extractive fallbacks.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from .schemas import Article, Sentence

_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"',
        "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
        "\u00a0": " ", "\u2009": " ", "\u202f": " ",
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
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+")
_CREDIT = re.compile(r"\((?:AFP|AP|Reuters|Getty[^)]*|file)\)\s*$")  # a photo caption
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")

# Thresholds of `is_degenerate` (see its docstring).
MAX_SAME_WORD_RUN = 3  # "the the the the" (4 in a row) is degenerate
MAX_TOP_WORD_SHARE = 0.5  # one word making up more than half of 6+ words
MIN_DISTINCT_TRIGRAMS = 0.5  # fewer than half the 3-grams distinct (12+ words)
MAX_SENTENCE_REPEATS = 2  # one sentence written 3 times or more


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


def find_span(needle: str, text: str, ignore_case: bool = False, first_letter_free: bool = False) -> tuple[int, int] | None:
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
    for suffix, repl, min_len in (("ies", "y", 5), ("ied", "y", 5), ("sses", "ss", 5), ("ing", "", 6), ("ed", "", 5)):
        if word.endswith(suffix) and len(word) >= min_len:
            word = word[: -len(suffix)] + repl
            if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    else:
        if word.endswith("es") and word[-3:-2] in ("s", "x", "z") or word.endswith(("ches", "shes")):
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
            token = token.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", token) else token
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


# --------------------------------------------------------------------------- prose


def split_sentences(text: str) -> list[str]:
    """A plain sentence split for model prose (summaries), not for articles."""
    return [part.strip() for part in _SENTENCE_END.split(fold(text)) if part.strip()]


def _longest_run(tokens: Sequence[str]) -> int:
    best = run = 0
    for index, token in enumerate(tokens):
        run = run + 1 if index and token == tokens[index - 1] else 1
        best = max(best, run)
    return best


def is_degenerate(text: str) -> bool:
    """True for looping text: the same word 4+ times in a row, one word over half of 6+ words,
    under half the 3-grams distinct (12+ words), or one sentence written 3+ times."""
    tokens = re.findall(r"\w+", fold(text).lower())
    if len(tokens) < 4:
        return False
    if _longest_run(tokens) > MAX_SAME_WORD_RUN:
        return True
    if len(tokens) >= 6 and Counter(tokens).most_common(1)[0][1] / len(tokens) > MAX_TOP_WORD_SHARE:
        return True
    trigrams = list(zip(tokens, tokens[1:], tokens[2:], strict=False))
    if len(tokens) >= 12 and len(set(trigrams)) / len(trigrams) < MIN_DISTINCT_TRIGRAMS:
        return True
    sentences = Counter(" ".join(words(s)) for s in split_sentences(text))
    return any(count > MAX_SENTENCE_REPEATS for key, count in sentences.items() if key)


def dedupe_sentences(text: str, threshold: float = 0.85) -> tuple[str, int]:
    """`text` without sentences near-identical to an earlier one; also how many were removed."""
    kept: list[str] = []
    for sentence in split_sentences(text):
        if not any(similarity(sentence, other) >= threshold for other in kept):
            kept.append(sentence)
    return " ".join(kept), len(split_sentences(text)) - len(kept)


def trim(text: str, limit: int) -> str:
    """`text` folded and cut at a word boundary to at most `limit` characters (with '…')."""
    text = fold(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


# --------------------------------------------------------------------------- articles


def _is_lead_like(sentence: Sentence) -> bool:
    """A body sentence rather than a heading, caption or dateline."""
    text = sentence.text.strip()
    ends_like_prose = re.search(r"[.!?][\"'\u201d\u2019)\]]*$", text) is not None
    return len(text.split()) >= 8 and ends_like_prose and not _CREDIT.search(text)


def lead_sentences(article: Article, count: int = 3) -> list[Sentence]:
    """The first `count` body-like sentences (the first sentences if none look like body)."""
    lead = [s for s in article.sentences if _is_lead_like(s)][:count]
    return lead or article.sentences[:count]


def sentence_by_id(article: Article, sentence_id: str) -> Sentence | None:
    """The sentence with this id, found by binary search on its number (sentences are in
    id order, some may be left out), so looking up every figure of a long article stays fast."""
    number = _sentence_number(sentence_id)
    sentences = article.sentences
    at = bisect.bisect_left(sentences, number, key=lambda s: _sentence_number(s.id))
    return sentences[at] if at < len(sentences) and sentences[at].id == sentence_id else None


def sentence_text(articles: dict[str, Article], sentence_id: str) -> str | None:
    """The text of sentence `sentence_id` ('a2.s14') among articles keyed by id, or None."""
    article = articles.get(sentence_id.split(".")[0])
    if article is None:
        return None
    sentence = sentence_by_id(article, sentence_id)
    return sentence.text if sentence is not None else None


def _sentence_number(sentence_id: str) -> int:
    _, _, number = sentence_id.rpartition(".s")
    return int(number) if number.isdigit() else -1


def sentence_map(article: Article) -> dict[str, Sentence]:
    return {sentence.id: sentence for sentence in article.sentences}


def sentence_at(article: Article, offset: int) -> Sentence | None:
    """The sentence containing `offset`, else the first one starting after it."""
    for sentence in article.sentences:
        if sentence.start <= offset < sentence.end:
            return sentence
    return next((s for s in article.sentences if s.start >= offset), None)


def sentences_between(article: Article, start: int, end: int, margin: int = 0) -> list[Sentence]:
    """Sentences overlapping [start, end), plus `margin` sentences either side."""
    indexes = [i for i, s in enumerate(article.sentences) if s.start < max(end, start + 1) and s.end > start]
    if not indexes:
        return []
    low, high = max(indexes[0] - margin, 0), indexes[-1] + margin + 1
    return article.sentences[low:high]


def mentions(name: str, text: str) -> bool:
    """True when `name` appears in `text` as whole words (case-insensitive)."""
    return has_phrase(text, name)
