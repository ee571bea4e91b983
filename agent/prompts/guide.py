"""Helpers that turn schemas and articles into prompt text."""

from __future__ import annotations

import re
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from ..schemas import SENTENCE_ID_PATTERN


def field_guide(model_cls: type[BaseModel], indent: str = "") -> str:
    """A compact, human-readable guide to a model's fields, built from its descriptions.

    The full JSON Schema is long; small models do better with one line a field, and the
    schema itself travels separately (response_format or the prompted-mode appendix).
    """
    lines = ["{"]
    for name, field in model_cls.model_fields.items():
        lines.append(
            f'{indent}  "{name}": {_shape(field.annotation)}  // {field.description or ""}'.rstrip()
        )
    lines.append(indent + "}")
    return "\n".join(lines)


def compact_guide(model_cls: type[BaseModel]) -> str:
    """The reply's keys on one line, for prompts whose model neither sees nor is bound by the
    schema: `headline, summary, key_points [{text, sentence_ids}], ...`; a field limited to
    a few values lists them (`kind (person|place|...)`).
    """
    return "Reply with one JSON object with the keys " + _keys(model_cls) + "."


def _keys(model_cls: type[BaseModel]) -> str:
    parts = []
    for name, field in model_cls.model_fields.items():
        origin, args = get_origin(field.annotation), get_args(field.annotation)
        if origin is list:
            inner = args[0] if args else None
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                parts.append(f"{name} [{{{_keys(inner)}}}]")
            else:
                parts.append(f"{name} [...]")
        elif origin is Literal:
            parts.append(f"{name} ({'|'.join(str(a) for a in args)})")
        else:
            parts.append(name)
    return ", ".join(parts)


def _shape(annotation: Any) -> str:
    origin = getattr(annotation, "__origin__", None)
    args = getattr(annotation, "__args__", ())
    if origin is list and args:
        inner = args[0]
        inner = getattr(inner, "__origin__", inner) if not isinstance(inner, type) else inner
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            fields = ", ".join(f'"{n}": ...' for n in inner.model_fields)
            return f"[{{{fields}}}, ...]"
        return "[string, ...]"
    return "string"


def with_id_enums(
    schema: dict[str, Any], sentence_ids: list[str], article_ids: list[str]
) -> dict[str, Any]:
    """A copy of a JSON Schema whose sentence/article id fields accept only the given ids.

    Grammar-backed and strict endpoints then cannot cite an id that does not exist; the
    reply is still validated (and every id checked) by code afterwards.
    """

    def narrow(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: narrow(v) for k, v in node.items()}
            pattern = out.get("pattern")
            if pattern == SENTENCE_ID_PATTERN and sentence_ids:
                out.pop("pattern")
                out.pop("type", None)  # some grammar converters read "type" before "enum"
                out["enum"] = list(sentence_ids)
            elif pattern == r"^a\d+$" and article_ids:
                out.pop("pattern")
                out.pop("type", None)
                out["enum"] = list(article_ids)
            return out
        if isinstance(node, list):
            return [narrow(v) for v in node]
        return node

    return narrow(schema)


# The labels prompts give: articles a1.., sentences s1.., aligned groups G1.., candidate
# conflicts C1.. (one digit: fewer are shown, and "G20:" stays a summit).
_LABEL = r"(?:[aAsS]\d+|[gGcC][1-9](?!\d))"
_LABELS = re.compile(
    rf"^\s*(?:"
    rf"[\[(](?:{_LABEL}[\s,]*)+[\])]\s*[:\-\u2013]?"  # [a1 a4] / (a1, a4)
    rf"|(?:{_LABEL}[\s,]*)+:"  # A2: / G5, G7:
    rf"|{_LABEL}(?:[\s,]+{_LABEL})+(?=\s)"  # G5 G7
    rf"|[sS]\d+,?(?=\s)"  # s3 / S13,
    rf"|\[\d+\]"  # [1]
    rf")\s*"
)
_ID_KEYS = frozenset({"article_id", "article_ids", "sentence_id", "sentence_ids", "kind"})


def strip_labels(text: str) -> str:
    """`text` less the labels a prompt gave (`a2:`, `s3`, `G5 G7`, `[a1 a4]`, and list
    numbers `[1]`) that a small model copied to its start; ids are never part of what a
    source says.
    """
    stripped = text
    while True:
        match = _LABELS.match(stripped)
        if not match or not match.group(0):
            break
        stripped = stripped[match.end() :]
    return stripped if stripped.strip() else text


def unlabel(data: Any) -> Any:
    """A reply (parsed JSON) with `strip_labels` applied to every text but its ids."""
    if isinstance(data, dict):
        return {k: v if k in _ID_KEYS else unlabel(v) for k, v in data.items()}
    if isinstance(data, list):
        return [unlabel(v) for v in data]
    return strip_labels(data) if isinstance(data, str) else data
