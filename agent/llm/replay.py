"""Recorded model responses: record from any backend, replay offline, cache.

A recording is one JSON file per request, `<dir>/<key>.json`, where the key is the SHA-256
of the request's canonical key material (messages, schema, mode, max_tokens,
temperature). A file holds either a completion or the endpoint's rejection of the
structured mode (`"rejected"`), so a replay walks the same mode fallback as the recorded
run did. Beside them, `_meta.json` keeps the recorded backend's name, model, modes and
context size, and `_tokens.json` the token counts it gave, so a replayed run plans its
chunks exactly as the recorded one did. Files hold no API key, header or URL.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from .base import Backend, Completion, Delegating, ModeRejected, ReplayMiss, Request, StructuredMode

ALL_MODES: tuple[StructuredMode, ...] = ("json_schema", "json_object", "prompted")


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_key(request: Request) -> str:
    """SHA-256 hex digest of the request's canonical key material."""
    return hashlib.sha256(_canonical(request.key_material()).encode("utf-8")).hexdigest()


def _modeless_key(material: dict[str, Any]) -> str:
    rest = {k: v for k, v in material.items() if k != "mode"}
    return hashlib.sha256(_canonical(rest).encode("utf-8")).hexdigest()


class RecordStore:
    """A directory of recordings."""

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def load(self, key: str) -> dict[str, Any] | None:
        try:
            return json.loads(self.path(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    def save(self, key: str, entry: dict[str, Any]) -> None:
        """Write atomically (temporary file + os.replace)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:12]}.", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(entry, handle, ensure_ascii=False, indent=1, sort_keys=True)
                handle.write("\n")
            os.replace(tmp, self.path(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load_extra(self, name: str) -> dict[str, Any]:
        try:
            data = json.loads((self.directory / f"_{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save_extra(self, name: str, data: dict[str, Any]) -> None:
        self.save(f"_{name}", data)

    def entries(self) -> list[dict[str, Any]]:
        out = []
        for file in sorted(self.directory.glob("[!_]*.json")):
            try:
                out.append(json.loads(file.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        return out


def request_summary(request: Request) -> dict[str, Any]:
    """What a recording keeps of its request: the mode and digests, never the messages.

    Prompts carry article text, which may be licensed (benchmark clusters) or private; a
    recording must be shareable, so it keeps only what replay needs to match requests.
    """
    material = request.key_material()
    return {
        "mode": request.mode,
        "modeless": _modeless_key(material),
        "max_tokens": request.max_tokens,
    }


def completion_entry(
    key: str, model: str, request: Request, completion: Completion
) -> dict[str, Any]:
    return {
        "key": key,
        "model": model,
        "request": request_summary(request),
        "completion": {
            "text": completion.text,
            "prompt_tokens": completion.prompt_tokens,
            "completion_tokens": completion.completion_tokens,
            "finish_reason": completion.finish_reason,
            "refusal": completion.refusal,
        },
    }


def rejection_entry(key: str, model: str, request: Request, err: ModeRejected) -> dict[str, Any]:
    # The endpoint's own message may name its URL: keep only what happened.
    reason = f"endpoint rejected structured mode {request.mode} (recorded)"
    return {"key": key, "model": model, "request": request_summary(request), "rejected": reason}


def completion_from_entry(entry: dict[str, Any], cache_hit: bool) -> Completion:
    """The recorded completion; a recorded mode rejection is raised again."""
    if "rejected" in entry:
        raise ModeRejected(entry["rejected"])
    data = entry["completion"]
    return Completion(
        text=data.get("text") or "",
        prompt_tokens=int(data.get("prompt_tokens") or 0),
        completion_tokens=int(data.get("completion_tokens") or 0),
        finish_reason=data.get("finish_reason"),
        refusal=data.get("refusal"),
        cache_hit=cache_hit,
    )


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class _Wrapper(Delegating):
    """Shared plumbing of the backends that wrap another one."""

    record_tokens = False

    def __init__(self, inner: Backend, directory: str | os.PathLike[str]):
        super().__init__(inner)
        self.store = RecordStore(directory)
        self._lock = threading.Lock()
        self._tokens: dict[str, int] = self.store.load_extra("tokens") if self.record_tokens else {}
        self._meta_written = False

    def _write_meta(self) -> None:
        """Record the inner backend's identity once, before its first answer."""
        if not self.record_tokens or self._meta_written:
            return
        meta = {
            "backend": self.inner.name,
            "model": self.inner.model,
            "modes": list(self.inner.modes),
            "context_tokens": self.inner.context_tokens,
        }
        with self._lock:
            if not self._meta_written:
                self._meta_written = True
                self.store.save_extra("meta", meta)

    def count_tokens(self, text: str) -> int:
        count = self.inner.count_tokens(text)
        if self.record_tokens:
            self._write_meta()
            digest = text_digest(text)
            with self._lock:
                if self._tokens.get(digest) != count:
                    self._tokens[digest] = count
                    self.store.save_extra("tokens", dict(self._tokens))
        return count

    def _call_and_record(self, request: Request, key: str) -> Completion:
        self._write_meta()
        try:
            completion = self.inner.complete(request)
        except ModeRejected as err:
            self.store.save(key, rejection_entry(key, self.inner.model, request, err))
            raise
        self.store.save(key, completion_entry(key, self.inner.model, request, completion))
        return completion


class RecordingBackend(_Wrapper):
    """Calls `inner` and writes every answer (or mode rejection) to `<dir>/<key>.json`,
    and the token counts it gives to `<dir>/_tokens.json`.
    """

    record_tokens = True

    def complete(self, request: Request) -> Completion:
        return self._call_and_record(request, request_key(request))


class ReplayBackend:
    """Answers from recordings only: no network, no model.

    A request with no recording raises `ReplayMiss`, except that a structured-mode request
    (json_schema / json_object) whose messages were recorded under another mode raises
    `ModeRejected`, so the structured layer falls back the way the recorded run did.
    """

    name = "replay"
    concurrency_safe = True
    priced = False  # answers from disk

    def __init__(
        self,
        directory: str | os.PathLike[str],
        model: str | None = None,
        context_tokens: int | None = None,
    ):
        self.store = RecordStore(directory)
        self.directory = self.store.directory
        meta = self.store.load_extra("meta")
        recorded_modes = tuple(m for m in meta.get("modes", ()) if m in ALL_MODES)
        self.modes: tuple[StructuredMode, ...] = recorded_modes or ALL_MODES
        self.context_tokens = int(context_tokens or meta.get("context_tokens") or 8192)
        self._model = model or meta.get("model")
        self._tokens = self.store.load_extra("tokens")
        self._modeless: dict[str, set[str]] | None = None

    @property
    def model(self) -> str:
        if self._model is None:
            models = [e.get("model") for e in self.store.entries() if e.get("model")]
            self._model = str(models[0]) if models else "replay"
        return self._model

    @model.setter
    def model(self, value: str) -> None:
        self._model = value

    def _recorded_modes(self, material: dict[str, Any]) -> set[str]:
        if self._modeless is None:
            index: dict[str, set[str]] = {}
            for entry in self.store.entries():
                req = entry.get("request") or {}
                modeless = req.get("modeless") or _modeless_key(
                    req
                )  # older recordings kept the messages
                index.setdefault(modeless, set()).add(str(req.get("mode")))
            self._modeless = index
        return self._modeless.get(_modeless_key(material), set())

    def complete(self, request: Request) -> Completion:
        key = request_key(request)
        entry = self.store.load(key)
        if entry is not None:
            return completion_from_entry(entry, cache_hit=False)
        if request.mode != "prompted":
            others = self._recorded_modes(request.key_material()) - {request.mode}
            if others:
                raise ModeRejected(
                    f"replay: request recorded under mode(s) {', '.join(sorted(others))}, not "
                    f"{request.mode}"
                )
        raise ReplayMiss(
            f"no recording for request {key} in {self.directory}; "
            "record it first (newsbrief --record DIR with a real backend) or check the prompt "
            "and options match"
        )

    def count_tokens(self, text: str) -> int:
        """The count the recorded backend gave for this text, else cl100k_base's."""
        recorded = self._tokens.get(text_digest(text))
        if recorded is not None:
            return int(recorded)
        from .openai_backend import count_tokens_cl100k

        return count_tokens_cl100k(text)
