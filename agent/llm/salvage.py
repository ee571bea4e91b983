"""Salvage a JSON object whose reply was cut at the token limit.

Small models with a JSON grammar never write malformed JSON, but they often run out of
tokens mid-object. Rather than re-asking (and running out again), keep the longest prefix
that ends on a complete value, close the brackets left open, and let the schema decide
whether what survives is enough. The caller records the salvage as a warning.
"""

from __future__ import annotations

import json
from typing import Any

_CLOSERS = {"{": "}", "[": "]"}


def _cut_points(text: str) -> list[tuple[int, str]]:
    """Positions after which the prefix ends on a complete value, with the closers needed there."""
    points: list[tuple[int, str]] = []
    stack: list[str] = []
    in_string = escaped = False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append(ch)
        elif ch in "}]":
            if not stack:
                break
            stack.pop()
            points.append((i + 1, "".join(_CLOSERS[c] for c in reversed(stack))))
            if not stack:
                break
        elif ch == "," and stack:
            points.append((i, "".join(_CLOSERS[c] for c in reversed(stack))))
    return points


def salvage_truncated_object(text: str) -> dict[str, Any] | None:
    """The largest complete-prefix reading of a cut JSON object, or None."""
    start = text.find("{")
    if start < 0:
        return None
    body = text[start:]
    for end, closers in reversed(_cut_points(body)):
        try:
            value = json.loads(body[:end] + closers)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None
