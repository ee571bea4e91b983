"""Structured output over any backend: choose a mode, parse, validate, re-ask.

`complete_structured` asks a backend for JSON matching a pydantic model. It tries the
backend's `modes` best first; a `ModeRejected` drops that mode from the backend for the
rest of the run. A reply that is not JSON, fails validation, stops at the token limit, is
empty or is a refusal is re-asked with the problem spelled out (prompt `repair`), a bounded
number of times. Transport failures are the backend's to retry; when they persist the
result carries a `ModelError(kind="transport")`; a refused API key (`AuthError`) ends the
call at once with `kind="auth"`. Every attempt's tokens count.

Counting: `attempts` is every request sent for the call (each HTTP request of the openai
backend: the first, each transport retry, each request in a structured mode the endpoint then
rejected, each re-ask; a reply from the response cache counts as one), so it equals what the
endpoint saw. `transport_retries` and `reasks` say how many of them were retries after a
transport failure and re-asks after an invalid reply.

With `lenient=True`, replies are coerced before validation in ways that lose nothing the
schema allows: raw line breaks inside strings accepted, lists cut to their `maxItems`,
strings to their `maxLength`, unknown keys dropped, a lone string put in a list, a single
wrapping object unwrapped. Each coercion is reported in `warnings` (a documented
degradation for small models).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import BudgetExceeded, validation_lines
from ..prompts.loader import load_prompt
from ..schemas import ErrorKind, ModelError, Usage
from .base import (
    AuthError,
    Backend,
    BackendError,
    Completion,
    ModeRejected,
    ModeState,
    ReplayMiss,
    Request,
    TransportError,
)
from .pricing import PriceTable, call_cost
from .salvage import salvage_truncated_object
from .schema_tools import compact_schema, json_schema_of, resolve

REPLY_ECHO_CHARS = 1500  # how much of a bad reply is echoed back in a re-ask
LAST_OUTPUT_CHARS = 2000  # how much of the last reply a ModelError keeps
MAX_LISTED_ERRORS = 10


__all__ = ["StructuredResult", "complete_structured", "parse_json_object", "coerce_to_schema"]


@dataclass
class StructuredResult:
    value: BaseModel | None
    error: ModelError | None
    attempts: int = 0  # requests sent (see the module docstring)
    reasks: int = 0
    transport_retries: int = 0
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None
    mode: str | None = None
    last_text: str | None = None
    seconds: float = 0.0
    cache_hits: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.value is not None


@dataclass
class _Problem:
    kind: ErrorKind
    message: str  # one line for the ModelError
    repair: str  # what the re-ask says is wrong
    details: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- parsing


def parse_json_object(text: str, strict: bool = True) -> tuple[dict[str, Any] | None, str | None]:
    """The outermost JSON object in a reply (fences and leading prose ignored).

    `strict=False` accepts control characters (a raw line break) inside strings, which small
    models write and a grammar may let through. Returns (object, None) or (None, what is
    wrong).
    """
    cleaned = re.sub(r"```[A-Za-z0-9_-]*", "", text)
    start = cleaned.find("{")
    if start < 0:
        return None, "the reply contains no JSON object"
    try:
        value, _ = json.JSONDecoder(strict=strict).raw_decode(cleaned, start)
    except json.JSONDecodeError as err:
        return None, f"invalid JSON ({err.msg} at line {err.lineno} column {err.colno})"
    return value, None


def coerce_to_schema(data: Any, schema: dict[str, Any]) -> tuple[Any, list[str]]:
    """Trim over-long lists and strings, drop unknown keys; returns (data, notes)."""
    notes: list[str] = []
    props = schema.get("properties", {})
    if isinstance(data, dict) and len(data) == 1 and props:
        ((key, inner),) = data.items()
        if key not in props and isinstance(inner, dict) and set(inner) & set(props):
            notes.append(f"unwrapped the reply from its {key!r} key")
            data = inner
    return _coerce(data, schema, schema, "", notes), notes


def _coerce(
    value: Any, node: dict[str, Any], root: dict[str, Any], path: str, notes: list[str]
) -> Any:
    node = resolve(node, root)
    for key in ("anyOf", "oneOf"):
        if key in node:
            branch = _matching_branch(value, node[key], root)
            return _coerce(value, branch, root, path, notes) if branch is not None else value
    kind = node.get("type")
    if isinstance(value, dict) and (kind == "object" or "properties" in node):
        return _coerce_object(value, node, root, path, notes)
    if kind == "array":
        return _coerce_array(value, node, root, path, notes)
    if kind == "string" and isinstance(value, str):
        limit = node.get("maxLength")
        if limit is not None and len(value) > limit:
            notes.append(f"cut {path or 'reply'} from {len(value)} to {limit} characters")
            return value[:limit].rstrip()
    return value


def _coerce_object(
    value: dict[str, Any], node: dict[str, Any], root: dict[str, Any], path: str, notes: list[str]
) -> dict[str, Any]:
    props = node.get("properties", {})
    out = {}
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        if key in props:
            out[key] = _coerce(item, props[key], root, where, notes)
        elif node.get("additionalProperties") is False:
            notes.append(f"dropped unknown key {where}")
        else:
            out[key] = item
    return out


def _coerce_array(
    value: Any, node: dict[str, Any], root: dict[str, Any], path: str, notes: list[str]
) -> Any:
    items = resolve(node.get("items", {}), root)
    if isinstance(value, str) and items.get("type") == "string":
        notes.append(f"wrapped the string at {path or 'reply'} in a list")
        value = [value]
    if not isinstance(value, list):
        return value
    limit = node.get("maxItems")
    if limit is not None and len(value) > limit:
        notes.append(f"cut {path or 'reply'} from {len(value)} to {limit} items")
        value = value[:limit]
    return [_coerce(item, items, root, f"{path}[{i}]", notes) for i, item in enumerate(value)]


_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


def _matching_branch(
    value: Any, branches: list[dict[str, Any]], root: dict[str, Any]
) -> dict[str, Any] | None:
    wanted = _JSON_TYPES.get(type(value))
    for branch in branches:
        node = resolve(branch, root)
        kind = node.get("type", "object" if "properties" in node else None)
        if kind == wanted or (wanted == "integer" and kind == "number"):
            return branch
    return None


# --------------------------------------------------------------------------- checking a reply


SALVAGED = "reply cut at the token limit: kept its complete part"


def _check_reply(
    completion: Completion,
    model_cls: type[BaseModel],
    schema: dict[str, Any],
    lenient: bool,
    prepare: Callable[[Any], Any] | None = None,
) -> tuple[BaseModel | None, _Problem | None, list[str]]:
    text = completion.text or ""
    if completion.refusal or (completion.finish_reason == "content_filter" and not text.strip()):
        why = " ".join((completion.refusal or "content filter").split())[:200]
        return (
            None,
            _Problem(
                "refusal",
                f"the model refused: {why}",
                "it was a refusal. The task is a neutral description of published news text; "
                "answer with the JSON object.",
            ),
            [],
        )
    if not text.strip():
        cut = completion.finish_reason == "length"
        return (
            None,
            _Problem("length" if cut else "empty", "the reply was empty", "it was empty."),
            [],
        )
    data, parse_error = parse_json_object(text)
    notes: list[str] = []
    if parse_error is not None and lenient:
        data, loose_error = parse_json_object(text, strict=False)
        if loose_error is None:
            parse_error = None
            notes.append("accepted control characters (line breaks) inside strings")
    if parse_error is not None and lenient and completion.finish_reason == "length":
        salvaged = salvage_truncated_object(text)
        if salvaged is not None:
            data, parse_error = salvaged, None
            notes.append(SALVAGED)
    if parse_error is None and lenient:
        data, coerced = coerce_to_schema(data, schema)
        notes += coerced
    if parse_error is None:
        if prepare is not None:
            data = prepare(data)
        try:
            return model_cls.model_validate(data), None, notes
        except ValidationError as err:
            details = validation_lines(err, limit=MAX_LISTED_ERRORS)
            problem = _Problem(
                "schema",
                f"the reply failed the schema: {details[0]}",
                "it does not match the schema:",
                details,
            )
    else:
        problem = _Problem(
            "invalid_json",
            f"the reply is not JSON: {parse_error}",
            f"it is not valid JSON: {parse_error}.",
        )
    if completion.finish_reason == "length":
        problem = _Problem(
            "length",
            "the reply was cut at the token limit",
            "it was cut off at the token limit, so the JSON is incomplete. Make it much shorter: "
            "fewer list items and shorter texts.",
        )
    return None, problem, notes


def _repair_messages(
    base: list[dict[str, str]], reply: str, problem: _Problem, prompt_id: str
) -> list[dict[str, str]]:
    echoed = reply if len(reply) <= REPLY_ECHO_CHARS else reply[:REPLY_ECHO_CHARS] + " ...(cut)"
    errors = "\n".join(f"- {line}" for line in problem.details)
    user = load_prompt(prompt_id).render(problem=problem.repair, errors=errors)[1]
    return [*base, {"role": "assistant", "content": echoed}, user]


def _prompted_messages(
    messages: list[dict[str, str]], schema: dict[str, Any]
) -> list[dict[str, str]]:
    """Messages with the schema appended to the last user message (prompted mode)."""
    return _with_note(
        messages,
        "Reply with one JSON object, and nothing else, that matches this JSON Schema:\n"
        + json.dumps(compact_schema(schema), separators=(",", ":")),
    )


def _base_messages(
    messages: list[dict[str, str]],
    schema: dict[str, Any],
    backend: Backend,
    mode: str,
    guide: str | None,
) -> list[dict[str, str]]:
    """The request's messages for `mode`: the schema written in (prompted), the guide added
    where the model would not know the fields, or as given.
    """
    if mode == "prompted":
        return _prompted_messages(messages, schema)
    if guide and needs_guide(backend, mode):
        return _with_note(messages, guide)
    return list(messages)


def needs_guide(backend: Backend, mode: str) -> bool:
    """Whether a request in `mode` needs the reply's fields described in the prompt.

    Not in `json_schema` (the schema goes with the request and binds the reply), not in
    `prompted` (the schema is written into the prompt), and not in `json_object` on a backend
    whose best structured mode it is: such backends (llama.cpp, in process or as a server)
    take the schema with it and bind the reply with a grammar. A backend that also offers
    `json_schema` reaches `json_object` only after a refusal, and there (OpenAI's own
    json_object) the model sees no schema.
    """
    return mode == "json_object" and "json_schema" in tuple(backend.modes)


def _with_note(messages: list[dict[str, str]], note: str) -> list[dict[str, str]]:
    """Messages with `note` appended to the last user message."""
    out = [dict(m) for m in messages]
    note = "\n\n" + note
    for message in reversed(out):
        if message.get("role") == "user":
            message["content"] = message.get("content", "") + note
            return out
    return [*out, {"role": "user", "content": note.strip()}]


# --------------------------------------------------------------------------- modes


# --------------------------------------------------------------------------- the loop


@dataclass
class _Run:
    """Mutable state of one `complete_structured` call."""

    result: StructuredResult
    backend: Backend
    pricing: PriceTable | None
    started: float = field(default_factory=time.monotonic)

    def count(self, request: Request, completion: Completion) -> None:
        """A reply arrived: it took one request plus the transport retries before it."""
        r = self.result
        r.attempts += 1 + completion.transport_retries
        r.transport_retries += completion.transport_retries
        r.cache_hits += int(completion.cache_hit)
        r.finish_reason = completion.finish_reason
        r.mode = request.mode
        r.last_text = completion.text if completion.text else completion.refusal
        cost = call_cost(self.backend, completion, self.pricing)
        r.usage = r.usage.add(
            Usage(
                prompt_tokens=completion.prompt_tokens,
                completion_tokens=completion.completion_tokens,
                cost_usd=cost,
            )
        )

    def count_failed(self, err: BackendError) -> None:
        """A backend error: the requests it sent count, the repeats among them as retries."""
        self.result.attempts += err.requests
        self.result.transport_retries += max(0, err.requests - 1)

    def fail(self, kind: ErrorKind, message: str) -> StructuredResult:
        r = self.result
        last = r.last_text[:LAST_OUTPUT_CHARS] if r.last_text else None
        line = " ".join(message.split())[:400]
        r.error = ModelError(
            kind=kind,
            message=line,
            attempts=r.attempts,
            last_output=last,
            usage=r.usage,
        )  # type: ignore[arg-type]
        return self.finish()

    def finish(self) -> StructuredResult:
        self.result.seconds = round(time.monotonic() - self.started, 3)
        return self.result


def complete_structured(
    backend: Backend,
    messages: list[dict[str, str]],
    model_cls: type[BaseModel],
    *,
    max_tokens: int = 1024,
    max_reasks: int = 2,
    temperature: float = 0.0,
    repair_prompt_id: str = "repair",
    lenient: bool = True,
    before_call: Callable[[Request], None] | None = None,
    after_call: Callable[[Request, Completion], None] | None = None,
    pricing: PriceTable | None = None,
    schema: dict[str, Any] | None = None,
    modes: ModeState | None = None,
    guide: str | None = None,
    prepare: Callable[[Any], Any] | None = None,
) -> StructuredResult:
    """Ask `backend` for a `model_cls` instance; never raises for model or transport failures.

    `before_call(request)` runs before every call and may raise `BudgetExceeded`, which
    propagates with the result so far in its `partial` attribute (the requests already
    sent and their tokens); `after_call(request, completion)` runs after every call that
    returned.
    `schema` narrows the JSON Schema sent with the request (e.g. enums of valid ids); the
    reply is still validated by `model_cls`. `modes` carries the modes refused earlier in
    the same run (see `ModeState`); without it, this call starts from the declared modes.
    `guide`: a short description of the reply's fields, added to the last user message only
    where the model would otherwise not know them (`needs_guide`). `prepare(data)` runs on
    the parsed (and coerced) reply before validation, e.g. to turn the short sentence ids a
    prompt showed back into full ones.
    """
    modes = modes if modes is not None else ModeState(backend.modes)
    schema = schema or json_schema_of(model_cls)
    run = _Run(StructuredResult(value=None, error=None), backend, pricing)
    conversation: list[dict[str, str]] | None = None  # set once a re-ask is under way
    refusals = 0
    while True:
        mode = modes.current
        base = _base_messages(messages, schema, backend, mode, guide)
        request = Request(
            messages=conversation if conversation is not None else base,
            schema=schema,
            schema_name=model_cls.__name__,
            mode=mode,
            max_tokens=max_tokens,
            temperature=temperature,
        )
        if before_call is not None:
            try:
                before_call(request)
            except BudgetExceeded as exc:
                exc.partial = run.finish()
                raise
        try:
            completion = backend.complete(request)
        except ModeRejected as err:
            run.count_failed(err)
            run.result.warnings.append(
                f"structured mode {mode} rejected by the endpoint, falling back ({_short(err)})"
            )
            if not modes.refuse(mode):
                return run.fail(
                    "other", f"the endpoint rejected every structured mode: {_short(err)}"
                )
            continue
        except TransportError as err:
            run.count_failed(err)
            return run.fail("transport", f"gave up after {run.result.attempts} attempt(s): {err}")
        except AuthError as err:
            run.count_failed(err)
            return run.fail("auth", str(err))
        except ReplayMiss as err:  # nothing was sent: the recordings have no answer
            return run.fail("replay_miss", str(err))
        except BackendError as err:
            run.count_failed(err)
            return run.fail(err.kind, str(err))
        run.count(request, completion)
        if after_call is not None:
            after_call(request, completion)
        value, problem, notes = _check_reply(completion, model_cls, schema, lenient, prepare)
        run.result.warnings.extend(f"lenient: {note}" for note in notes)
        if problem is None:
            if completion.finish_reason == "length" and SALVAGED not in notes:
                run.result.warnings.append(
                    "the reply reached the token limit but was complete and valid"
                )
            run.result.value = value
            return run.finish()
        refusals += problem.kind == "refusal"
        if run.result.reasks >= max_reasks or refusals >= 2:
            return run.fail(
                problem.kind, f"{problem.message} (after {run.result.attempts} attempt(s))"
            )
        run.result.reasks += 1
        conversation = _repair_messages(
            base, completion.text or completion.refusal or "", problem, repair_prompt_id
        )


def _short(err: Exception) -> str:
    text = " ".join(str(err).split())
    return text[:200]
