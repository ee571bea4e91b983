"""Helpers that turn schemas and articles into prompt text."""

from __future__ import annotations

from typing import Any

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
