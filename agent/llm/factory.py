"""Choosing and assembling a backend from command-line style settings."""

from __future__ import annotations

import os
from typing import Literal, get_args

from ..errors import ConfigError
from .base import Backend

BackendName = Literal["local", "openai", "replay", "none"]
BACKEND_NAMES: tuple[str, ...] = get_args(BackendName)  # every --backend choice
MODEL_BACKENDS = tuple(n for n in BACKEND_NAMES if n != "none")  # the ones that are a Backend
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"


def make_backend(
    name: str | None = None,
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    record_dir: str | None = None,
    replay_dir: str | None = None,
    cache: bool = False,
    cache_dir: str | None = None,
    cache_max_mb: float | None = None,
    timeout: float = 120.0,
) -> Backend:
    """Build a backend.

    name None: "openai" when a base URL is given or OPENAI_BASE_URL is set, else "local".
    `record_dir` wraps any backend so it records its answers; `cache` puts the on-disk
    response cache (`agent.llm.cache`, in `cache_dir` or the user cache directory) in
    front of it, except for "replay", which answers from `replay_dir` only.
    """
    base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
    if name is None:
        name = "openai" if base_url else "local"
    name = name.lower()
    backend: Backend
    if name == "local":
        from .local import LocalBackend

        backend = LocalBackend(
            model_path=model if model and model.lower().endswith(".gguf") else None
        )
    elif name == "openai":
        from .openai_backend import OpenAIBackend

        backend = OpenAIBackend(
            _openai_model(model, base_url), base_url=base_url, api_key=api_key, timeout=timeout
        )
    elif name == "replay":
        if not replay_dir:
            raise ConfigError("the replay backend needs a directory of recordings (--replay DIR)")
        if not os.path.isdir(replay_dir):
            raise ConfigError(f"replay directory not found: {replay_dir}")
        from .replay import ReplayBackend

        backend = ReplayBackend(replay_dir, model=model)
    else:
        raise ConfigError(f"unknown backend {name!r}: choose one of {', '.join(MODEL_BACKENDS)}")
    if cache and name != "replay":
        from .cache import DEFAULT_MAX_MB, CachedBackend

        backend = CachedBackend(
            backend,
            cache_dir,
            max_mb=cache_max_mb or DEFAULT_MAX_MB,
            prompt_version=_prompt_versions(),
        )
    if record_dir:
        from .replay import RecordingBackend

        backend = RecordingBackend(backend, record_dir)
    return backend


def _openai_model(model: str | None, base_url: str | None) -> str | None:
    """The model to ask for; None lets the backend take the server's first listed model."""
    model = model or os.environ.get("NEWSBRIEF_MODEL") or None
    if model:
        return model
    if not base_url or "api.openai.com" in base_url:
        return DEFAULT_OPENAI_MODEL
    return None


def _prompt_versions() -> str:
    """The versions of the bundled prompts, part of every cache key ('article/3,...')."""
    from ..prompts.loader import load_prompt

    return ",".join(
        f"{pid}/{load_prompt(pid).version}" for pid in ("article", "synthesis", "repair")
    )
