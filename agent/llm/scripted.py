"""A scripted backend: a real, in-process implementation of the backend protocol whose
"model" is a script, for tests that must run in milliseconds.

`ScriptedBackend` is not a mock: nothing in the pipeline is patched or stubbed, and the
structured-output loop, chunk planning, budget and verification all run as they do over
HTTP. Like a real endpoint it counts tokens (a simple deterministic counter: one token per
word or punctuation mark), reports usage, stops a reply at the request's `max_tokens` with
`finish_reason="length"`, refuses a request that does not fit its context window, may
reject structured-output modes, and declares its capabilities (`name`, `model`, `modes`,
`context_tokens`, `concurrency_safe`). Only the text of its replies comes from a script:

* a list of replies, used in order; each is a `str` (the model's text), a `Completion`
  (returned as given, token counts filled in when zero) or an exception instance, which is
  raised (e.g. `TransportError("down")`, to play an endpoint that cannot be reached);
* and/or a function `(Request) -> str | Completion`, asked once the list is used up (or
  always, without a list): it can answer from what the request contains.

When the script has no reply left, `ScriptExhausted` is raised. It is deliberately not a
`BackendError`, so the structured-output loop does not turn it into a model failure: the
test stops with a message saying which request found no reply.

`draft_for` / `draft_reply` build a valid `ArticleDraft` reply from an article's sentences
(optionally only those a request shows), so tests stay short.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from ..schemas import SENTENCE_ID, Article
from .base import BackendError, Completion, ModeRejected, Request, StructuredMode

__all__ = [
    "ScriptExhausted",
    "ScriptedBackend",
    "count_pieces",
    "draft_for",
    "draft_reply",
    "request_sentence_ids",
]

Reply = str | Completion | BaseException
Responder = Callable[[Request], str | Completion]

ALL_MODES: tuple[StructuredMode, ...] = ("json_schema", "json_object", "prompted")
_PIECE = re.compile(r"\w+|[^\w\s]")
_SENTENCE_LINE = re.compile(rf"^({SENTENCE_ID}): ", re.M)
_SHORT_LINE = re.compile(r"^(s\d+) ", re.M)
_HEADER = re.compile(r"\A(?:Article )?(a\d+)\b")


def count_pieces(text: str) -> int:
    """Tokens of `text` by the scripted counter: one per run of word characters and one per
    other non-space character (so JSON punctuation counts, as it does for real tokenizers).
    """
    return sum(1 for _ in _PIECE.finditer(text or ""))


def _cut(text: str, max_tokens: int) -> str | None:
    """`text` stopped after its first `max_tokens` tokens, or None when it fits."""
    if max_tokens <= 0:
        return "" if text.strip() else None
    for n, match in enumerate(_PIECE.finditer(text), 1):
        if n == max_tokens:
            end = match.end()
            return text[:end] if text[end:].strip() else None
    return None


class ScriptExhausted(RuntimeError):
    """A request came after the script's last reply (and there is no function to ask)."""


class ScriptedBackend:
    """A backend whose replies come from a script (see the module docstring).

    `requests` holds every request received, in order (rejected ones too: a real endpoint
    receives those); `completions` every completion returned. `context_tokens` is enforced:
    a request whose messages plus `max_tokens` exceed it raises `BackendError`, as an
    endpoint answers HTTP 400. The schema sent beside the prompt (modes other than
    "prompted") is not counted, as the pipeline assumes. `rejects` lists structured modes
    the "endpoint" refuses with `ModeRejected` (no reply is used up). The structured-output
    loop remembers a rejected mode for one run (`ModeState`), never on the backend.
    """

    name = "scripted"
    priced = False  # a test model on this machine

    def __init__(
        self,
        replies: Iterable[Reply] = (),
        respond: Responder | None = None,
        *,
        model: str = "scripted-local",
        modes: Sequence[StructuredMode] = ALL_MODES,
        context_tokens: int = 32768,
        concurrency_safe: bool = False,
        rejects: Collection[StructuredMode] = (),
    ) -> None:
        self._replies: list[Reply] = list(replies)
        for i, reply in enumerate(self._replies):
            if not isinstance(reply, (str, Completion, BaseException)):
                raise TypeError(
                    f"ScriptedBackend reply {i} is a {type(reply).__name__}; "
                    "expected str, Completion "
                    "or an exception instance"
                )
        if not self._replies and respond is None:
            raise ValueError("ScriptedBackend needs replies, a respond function, or both")
        unknown = [m for m in (*modes, *rejects) if m not in ALL_MODES]
        if unknown or not modes:
            raise ValueError(f"ScriptedBackend modes must be a non-empty subset of {ALL_MODES}")
        self._respond = respond
        self.model = model
        self.modes: tuple[StructuredMode, ...] = tuple(modes)
        self.context_tokens = context_tokens
        self.concurrency_safe = concurrency_safe
        self.rejects = frozenset(rejects)
        self.requests: list[Request] = []
        self.completions: list[Completion] = []
        self._used = 0
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ protocol

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` (see `count_pieces`)."""
        return count_pieces(text)

    def complete(self, request: Request) -> Completion:
        """Answer `request` with the script's next reply, as an endpoint would."""
        with self._lock:
            number = len(self.requests) + 1
            self.requests.append(
                dataclasses.replace(request, messages=[dict(m) for m in request.messages])
            )
            if request.mode in self.rejects:
                raise ModeRejected(f"scripted endpoint rejects structured mode {request.mode}")
            prompt = sum(self.count_tokens(m.get("content") or "") for m in request.messages)
            if prompt + request.max_tokens > self.context_tokens:
                raise BackendError(
                    f"scripted endpoint: request {number} needs {prompt} prompt tokens "
                    f"+ {request.max_tokens} "
                    f"for the reply, over the context of {self.context_tokens}"
                )
            reply = self._next(request, number)
        if isinstance(reply, BaseException):
            raise reply
        completion = self._completion(reply, prompt, request.max_tokens)
        with self._lock:
            self.completions.append(completion)
        return completion

    # ------------------------------------------------------------------ script

    @property
    def remaining(self) -> int:
        """Replies of the list not used yet (the function, if any, is not counted)."""
        return len(self._replies) - self._used

    def _next(self, request: Request, number: int) -> Reply:
        if self._used < len(self._replies):
            self._used += 1
            return self._replies[self._used - 1]
        if self._respond is None:
            raise ScriptExhausted(
                f"ScriptedBackend: request {number} ({request.schema_name}, mode {request.mode}) "
                f"came after "
                f"the script's {len(self._replies)} replies; last message: {_last_words(request)}"
            )
        reply = self._respond(request)
        if not isinstance(reply, (str, Completion)):
            raise TypeError(
                f"ScriptedBackend respond function returned a {type(reply).__name__}; "
                "expected str or Completion"
            )
        return reply

    def _completion(self, reply: str | Completion, prompt: int, max_tokens: int) -> Completion:
        if isinstance(reply, Completion):
            return dataclasses.replace(
                reply,
                prompt_tokens=reply.prompt_tokens or prompt,
                completion_tokens=reply.completion_tokens or self.count_tokens(reply.text or ""),
            )
        cut = _cut(reply, max_tokens)
        text = reply if cut is None else cut
        return Completion(
            text=text,
            prompt_tokens=prompt,
            completion_tokens=self.count_tokens(text),
            finish_reason="stop" if cut is None else "length",
        )


def _last_words(request: Request, limit: int = 120) -> str:
    text = " ".join((request.messages[-1].get("content") or "").split()) if request.messages else ""
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


# --------------------------------------------------------------------------- reply builders


def request_sentence_ids(request: Request) -> list[str]:
    """The sentence ids an article request shows the model, as full ids: its `a1.s3: ...`
    lines, or the `s3 ...` lines of a prompt whose first line names the article (`Article a1`).
    """
    ids: list[str] = []
    for message in request.messages:
        if message.get("role") == "user":
            text = message.get("content") or ""
            found = _SENTENCE_LINE.findall(text)
            header = _HEADER.match(text)
            if header:
                found += [f"{header.group(1)}.{i}" for i in _SHORT_LINE.findall(text)]
            ids += [i for i in found if i not in ids]
    return ids


def _fit(text: str, low: int, high: int, filler: str) -> str:
    text = " ".join(text.split())[:high].rstrip()
    return text if len(text) >= low else (text + " " + filler).strip()[:high]


def draft_for(
    article: Article, sentence_ids: Collection[str] | None = None, points: int = 3, **overrides: Any
) -> dict[str, Any]:
    """A valid ArticleDraft (as a dict) that a faithful model could write about `article`.

    Headline: the title or the first sentence's first words; summary: the first two
    sentences; key points: the first `points` sentences, each citing itself. With
    `sentence_ids`, only those sentences are used (one chunk). `overrides` replace
    top-level fields as given (they may make the draft invalid, on purpose).
    """
    chosen = [s for s in article.sentences if sentence_ids is None or s.id in sentence_ids]
    if not chosen:
        raise ValueError(
            f"{article.id}: none of the sentence ids {sorted(sentence_ids or ())} is in it"
        )
    first = " ".join(chosen[0].text.split()[:12])
    draft: dict[str, Any] = {
        "headline": _fit(article.title or first, 8, 120, "(news report)"),
        "summary": _fit(" ".join(s.text for s in chosen[:2]), 20, 500, "(as the article reports)"),
        "key_points": [
            {"text": _fit(s.text, 12, 220, "(reported)"), "sentence_ids": [s.id]}
            for s in chosen[:points]
        ],
        "entities": [],
        "quotes": [],
        "figures": [],
        "events": [],
    }
    draft.update(overrides)
    return draft


def draft_reply(
    article: Article, sentence_ids: Collection[str] | None = None, points: int = 3, **overrides: Any
) -> str:
    """`draft_for` as the JSON text a model would reply."""
    return json.dumps(draft_for(article, sentence_ids, points, **overrides), ensure_ascii=False)
