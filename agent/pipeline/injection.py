"""Prompt-injection screening: sentences of an article that talk to an AI instead of a reader.

An article is data, never instructions. `suspect_sentences` finds sentences that look like
instructions aimed at a language model ("Ignore previous instructions and ...", "You are now
...", "Respond only with ...", chat-template tokens such as `<|im_start|>`, role-play headers
such as `### Instruction`). The pipeline then

* flags the article `prompt_injection_suspected` and says which sentences in a warning;
* sends the model `[removed: suspected instructions to AI]` in their place (`REDACTED`);
* verifies the model's draft against `screened(article)`, a view of the article in which
  those sentences are blanked out, so no output item can cite them or be supported by them;
* drops, with `drop_echoes`, output text that repeats them (model text re-using their words).

The `Article` itself keeps the sentences (ids and offsets unchanged) for transparency.
Detection is by patterns, so an article *about* prompt injection that quotes such phrases is
flagged too: its quoted instructions are left out of the model's view, the rest is summarised.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..schemas import Article, ArticleBrief, Verification, VerificationIssue
from ..text.match import content_words
from ..text.sentences import split_sentences

FLAG = "prompt_injection_suspected"
REDACTED = "[removed: suspected instructions to AI]"
ECHO_SHARE = 0.5  # share of an output text's content words taken from suspect sentences

_AI = r"(?:ai|a\.i\.|assistant|chat ?bot|chatgpt|gpt|llm|language model|model|bot|summari[sz]er)"
_OVERRIDE = r"(?:ignore|disregard|forget|override|bypass|overrule)"
_RULES = (
    r"(?:instructions?|prompts?|directions?|directives?|rules|guidelines|context|messages?|"
    r"commands?|programming)"
)
_CLAUSE = r"(?:^|[:;\"\u201c(\[]\s*|[.!?]\s+)\W*(?:please\s+|now\s+|so\s+|and\s+)?"

# A match of any of these alone makes a sentence suspect.
_STRONG = [
    (
        _CLAUSE
        + _OVERRIDE
        + r"\b.{0,40}?(?:\b"
        + _RULES
        + r"\b|\bthe\s+above\b|\beverything\s+(?:above|before|"
        r"previous|else|you)\b)",
        "overrides instructions",
    ),
    (
        r"\b"
        + _OVERRIDE
        + r"\s+(?:all\s+|any\s+)?(?:of\s+)?(?:your|the\s+(?:above|previous|system)|"
        r"(?:previous|prior|above|"
        r"preceding|foregoing|earlier|original)\s+)\s*" + _RULES,
        "overrides instructions",
    ),
    (
        r"\byou\s+are\s+(?:now|no\s+longer)\s+(?:an?|the|my|in|acting|operating|going\s+to|unrestricted|unfiltered|"
        r"jailbroken|dan|free\s+from|bound)\b",
        "assigns the model a new role",
    ),
    (r"\bfrom\s+now\s+on,?\s+(?:you|the\s+" + _AI + r")\b", "assigns the model a new role"),
    (
        r"\b(?:new|updated|real|actual|hidden|secret)\s+(?:system\s+)?instructions?\s*:",
        "gives new instructions",
    ),
    (
        r"\b(?:respond|reply|answer|output)\s+(?:only|solely|just|exclusively)\s+(?:with|using|in\s+json)\b",
        "dictates the reply",
    ),
    (r"\b(?:respond|reply|answer)\s+with\s+only\b", "dictates the reply"),
    (
        r"\b(?:end|begin|start|finish|close|conclude|sign|prefix)\s+(?:every|each|all|your)\s+"
        r"(?:summar(?:y|ies)|answers?|repl(?:y|ies)|outputs?)\s+(?:with|by)\b",
        "dictates the reply",
    ),
    (r"\b(?:developer|god|jailbreak|dan)\s+mode\b", "asks for a jailbreak mode"),
    (r"\b(?:if|when)\s+you\s+are\s+(?:an?\s+)?" + _AI + r"\b", "addresses an AI reader"),
    (
        r"\b(?:dear|attention|note\s+(?:to|for)|hey|hello)\s*,?\s+(?:the\s+)?" + _AI + r"s?\b",
        "addresses an AI reader",
    ),
    (
        r"\b(?:any|all)\s+" + _AI + r"s?\s+(?:reading|processing|summari[sz]ing|analy[sz]ing)\b",
        "addresses an AI reader",
    ),
    (
        r"\bin\s+your\s+(?:summary|response|reply|answer|output|brief|analysis)\b",
        "dictates the reply",
    ),
    (
        r"\bdo\s+not\s+(?:mention|include|report|summari[sz]e|reveal|repeat)\b.{0,60}\b(?:summary|response|reply|answer|"
        r"output|brief)\b",
        "dictates the reply",
    ),
]
# Chat-template tokens and role-play headers: never part of a news sentence.
_MARKERS = [
    (
        r"<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id)\|>",
        "chat-template token",
    ),
    (r"\[/?INST\]|<</?SYS>>", "chat-template token"),
    (
        r"#{2,}\s*(?:instruction|instructions|system|response|assistant|user|input|prompt)\b",
        "role-play header",
    ),
    (r"(?:^|\n)\s*(?:system|assistant|user|human)\s*:\s", "role-play marker"),
]
# Weak cues: suspect only together with an order to the reader (second person or imperative).
_WEAK = [
    (r"\bsystem\s+(?:prompt|message|instructions?)\b", "addresses the system prompt"),
    (r"\bjailbreak", "asks for a jailbreak"),
    (
        r"\bas\s+an?\s+(?:ai|a\.i\.|artificial intelligence|large language model|language "
        r"model|llm|assistant)\b",
        "speaks as an AI",
    ),
    (r"\b(?:pretend|act|role-?play|behave)\s+(?:to\s+be|as|like|that)\b", "asks for role-play"),
    (r"\b(?:say|state|write|claim|report|declare|conclude)\s+that\b", "dictates a conclusion"),
]
_ORDER = re.compile(
    r"\b(?:you|your|you're|yourself)\b|^\s*(?:please\s+)?(?:ignore|say|state|write|claim|report|"
    r"respond|reply|answer|output|print|pretend|act|summari[sz]e|include|declare|conclude|tell)\b",
    re.IGNORECASE,
)

_COMPILED = [(re.compile(p, re.IGNORECASE), why) for p, why in _STRONG + _MARKERS]
_COMPILED_WEAK = [(re.compile(p, re.IGNORECASE), why) for p, why in _WEAK]
# What each strong pattern cannot match without, in the order of `_COMPILED`: groups of
# lower-case words, each group needed (any one word of it). A sentence is searched only with
# the patterns whose groups it has, and most news sentences have none. Exact, since
# re.IGNORECASE equates these words only with their ASCII spellings, except through the four
# characters of `_CASE_FOLDS`, which send a sentence through every pattern.
_OVERRIDES = ("ignore", "disregard", "forget", "override", "bypass", "overrule")
_RULE_WORDS = (
    "instruction", "prompt", "direction", "directive", "rules", "guideline", "context",
    "message", "command", "programming",
)  # fmt: skip
_NEEDS: list[tuple[tuple[str, ...], ...]] = [
    (_OVERRIDES, (*_RULE_WORDS, "above", "everything")),
    (_OVERRIDES, _RULE_WORDS),
    (("you",), ("now", "no")),
    (("now",),),
    (("instruction",),),
    (("respond", "reply", "answer", "output"),),
    (("respond", "reply", "answer"), ("only",)),
    (("summar", "answer", "repl", "output"),),
    (("mode",),),
    (("you",),),
    (("dear", "attention", "note", "hey", "hello"),),
    (("reading", "processing", "summari", "analy"),),
    (("your",),),
    (("not",), ("summar", "respons", "repl", "answer", "output", "brief")),
    (("<|",),),
    (("inst]", "sys>>"),),
    (("##",),),
    (("system", "assistant", "user", "human"),),
]
_CASE_FOLDS = frozenset("\u0130\u0131\u017f\u212a")  # İ ı ſ K: equal to i, i, s, k under re.I
_GUARDED = list(zip(_NEEDS, _COMPILED, strict=True))
# Any first-group word at all: one search that lets most sentences skip the loop.
_ANY_NEED = re.compile("|".join(sorted({re.escape(w) for n in _NEEDS for w in n[0]})))


def _has(lower: str, needs: tuple[tuple[str, ...], ...]) -> bool:
    return all(any(word in lower for word in group) for group in needs)


def injection_cue(text: str) -> str | None:
    """Why `text` looks like instructions to an AI ('overrides instructions', ...), or None."""
    if _CASE_FOLDS.isdisjoint(text):
        lower = text.lower()
        if _ANY_NEED.search(lower):
            for needs, (pattern, why) in _GUARDED:
                if _has(lower, needs) and pattern.search(text):
                    return why
    else:
        for pattern, why in _COMPILED:
            if pattern.search(text):
                return why
    return _weak_cue(text)


def _weak_cue(text: str) -> str | None:
    """A weak cue, counted only in a sentence that gives the reader an order."""
    if _ORDER.search(text):
        for pattern, why in _COMPILED_WEAK:
            if pattern.search(text):
                return why
    return None


def suspect_sentences(article: Article) -> dict[str, str]:
    """Sentence id -> cue, for every sentence of the article that looks like an injection."""
    found = {}
    for sentence in article.sentences:
        cue = injection_cue(sentence.text)
        if cue:
            found[sentence.id] = cue
    return found


def screened(article: Article, suspects: Mapping[str, str]) -> Article:
    """The article as verification sees it: suspect sentences blanked (offsets kept) and
    left out of `sentences`; a title that reads as an injection is left out too.
    """
    if not suspects and not (article.title and injection_cue(article.title)):
        return article
    chars = list(article.text)
    for sentence in article.sentences:
        if sentence.id in suspects:
            chars[sentence.start : sentence.end] = " " * (sentence.end - sentence.start)
    kept = [s for s in article.sentences if s.id not in suspects]
    title = None if article.title and injection_cue(article.title) else article.title
    return article.model_copy(update={"text": "".join(chars), "sentences": kept, "title": title})


def warning(article: Article, suspects: Mapping[str, str]) -> str:
    cues = sorted(set(suspects.values()))
    return (
        f"{article.id}: prompt injection suspected in {', '.join(suspects)} ({'; '.join(cues)}); "
        f"those sentences "
        "were not sent to the model and nothing in the brief rests on them"
    )


class _EchoCheck:
    """Says whether a text repeats suspect sentences: it uses a word that only they contain,
    and at least `ECHO_SHARE` of its content words are theirs.
    """

    def __init__(self, article: Article, view: Article, suspects: Mapping[str, str]):
        self.suspect_words = set(
            content_words(" ".join(s.text for s in article.sentences if s.id in suspects))
        )
        self.only_there = (
            self.suspect_words
            - set(content_words(view.text))
            - set(content_words(view.title or ""))
        )

    def __call__(self, text: str) -> bool:
        wanted = set(content_words(text))
        if not wanted or not wanted & self.only_there:
            return False
        return len(wanted & self.suspect_words) / len(wanted) >= ECHO_SHARE


def _fallback_text(view: Article, article: Article) -> str:
    return view.title or (view.sentences[0].text[:160] if view.sentences else article.source)


def drop_echoes(
    brief: ArticleBrief, article: Article, view: Article, suspects: Mapping[str, str]
) -> ArticleBrief:
    """The brief without text that repeats the suspect sentences (listed in its verification)."""
    echoes = _EchoCheck(article, view, suspects)
    dropped = [f"key_points: {p.text[:100]!r}" for p in brief.key_points if echoes(p.text)]
    update: dict[str, object] = {
        "key_points": [p for p in brief.key_points if not echoes(p.text)],
        "entities": [
            e.model_copy(update={"role": ""}) if echoes(e.role) else e for e in brief.entities
        ],
    }
    sentences = split_sentences(brief.summary)
    kept = [s for s in sentences if not echoes(s)]
    if len(kept) < len(sentences):
        dropped.append(f"summary: {len(sentences) - len(kept)} sentence(s)")
        update["summary"] = " ".join(kept) if kept else _fallback_text(view, article)
        update["summary_origin"] = brief.summary_origin if kept else "code"
    if echoes(brief.headline):
        dropped.append(f"headline: {brief.headline[:100]!r}")
        update["headline"] = _fallback_text(view, article)
    if dropped:
        update["verification"] = _note(brief.verification, dropped)
    return brief.model_copy(update=update)


def _note(verification: Verification, dropped: list[str]) -> Verification:
    issues = [
        VerificationIssue(
            item=d.split(":", 1)[0],
            check="injection_echo",
            detail="repeats a sentence suspected of instructing the model",
        )
        for d in dropped
    ]
    return verification.model_copy(
        update={
            "issues": [*verification.issues, *issues],
            "dropped": [
                *verification.dropped,
                *(f"{d}: repeats suspected instructions to AI" for d in dropped),
            ],
        }
    )
