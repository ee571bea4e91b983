"""JSON Schema helpers shared by the backends, the structured loop and the fault server.

* `strict_schema`: a pydantic JSON schema made acceptable to OpenAI's strict `json_schema`
  mode (every property required, `additionalProperties: false`, unsupported keywords gone);
* `grammar_schema`: a schema that llama.cpp's JSON-schema-to-grammar converters can turn
  into a grammar without choking (regex escapes such as `\\d` rewritten or the pattern
  dropped), so a server is never sent a schema that breaks its grammar parser;
* `compact_schema`: the schema without titles, for putting in a prompt;
* `example_instance`: a small instance valid for a schema (used by the fault server);
* `resolve`: follow a local `$ref`.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any

from pydantic import BaseModel

Schema = dict[str, Any]

# Keywords OpenAI's strict mode does not accept (it answers 400 when it meets them).
_STRICT_DROP = {"default", "title", "minLength", "maxLength", "examples", "uniqueItems"}


def resolve(node: Schema, root: Schema) -> Schema:
    """Follow `#/$defs/...` references (one or more levels)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 32:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return node
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = target
        seen += 1
    return node


def _walk(node: Any, fn) -> Any:
    """Apply `fn` to every schema dict bottom-up; `fn` returns the replacement."""
    if isinstance(node, list):
        return [_walk(item, fn) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
            out[key] = {k: _walk(v, fn) for k, v in value.items()}
        elif key in (
            "items",
            "anyOf",
            "oneOf",
            "allOf",
            "additionalProperties",
            "not",
            "prefixItems",
        ):
            out[key] = _walk(value, fn)
        else:
            out[key] = value
    return fn(out)


@functools.lru_cache(maxsize=64)
def _schema_text(model: type[BaseModel]) -> str:
    return json.dumps(model.model_json_schema())


def json_schema_of(model: type[BaseModel]) -> Schema:
    """`model.model_json_schema()`, made once per model class (pydantic builds it anew on
    every call, about 3 ms for the article draft); a fresh copy each time.
    """
    return json.loads(_schema_text(model))  # type: ignore[no-any-return]


def strict_schema(schema: Schema) -> tuple[Schema, bool]:
    """Convert a pydantic schema for OpenAI strict mode; returns (schema, strict_ok).

    When the schema holds something strict mode cannot express (a free-form dict, say),
    the original schema is returned with `strict_ok=False` and the caller sends
    `strict: false`. Kept by the schema's JSON text (every request of a run converts the
    same few schemas); each answer is a fresh copy.
    """
    text, ok = _strict_text(json.dumps(schema))
    return json.loads(text), ok


@functools.lru_cache(maxsize=256)
def _strict_text(text: str) -> tuple[str, bool]:
    schema, ok = _strict(json.loads(text))
    return json.dumps(schema), ok


def _strict(schema: Schema) -> tuple[Schema, bool]:
    ok = True

    def fix(node: Schema) -> Schema:
        nonlocal ok
        if "$ref" in node:
            return {"$ref": node["$ref"]}  # strict mode rejects siblings of $ref
        node = {k: v for k, v in node.items() if k not in _STRICT_DROP}
        if node.get("type") == "object" or "properties" in node:
            extra = node.get("additionalProperties")
            if isinstance(extra, dict) or ("properties" not in node and extra is not False):
                ok = False
            props = node.get("properties", {})
            node["properties"] = props
            node["required"] = list(props)
            node["additionalProperties"] = False
        return node

    converted = _walk(schema, fix)  # a new schema: `fix` builds each node anew
    return (converted, True) if ok else (schema, False)


_CLASS_ESCAPES = {"d": "0-9", "w": "a-zA-Z0-9_", "s": " "}


def _grammar_pattern(pattern: str) -> str | None:
    """Rewrite a regex into the subset the grammar converters handle, or None to drop it.

    `\\d`, `\\w`, `\\s` become character classes and an escaped punctuation mark a
    one-character class (`\\.` -> `[.]`): llama.cpp's GBNF parser rejects such escapes
    (llama-cpp-python crashes on them). Anything else with a backslash is dropped.
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1 : i + 2]
            if nxt in _CLASS_ESCAPES:
                body = _CLASS_ESCAPES[nxt]
                out.append(body if in_class else f"[{body}]")
            elif nxt and nxt in ".-+*?(){}|/$" and not (in_class and nxt == "-"):
                out.append(nxt if in_class else f"[{nxt}]")
            else:
                return None
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    result = "".join(out)
    if "(?" in result:
        return None
    try:
        re.compile(result)
    except re.error:
        return None
    return result


def grammar_schema(schema: Schema) -> Schema:
    """The schema made safe for llama.cpp grammar conversion (patterns simplified)."""

    def fix(node: Schema) -> Schema:
        if "pattern" in node:
            simplified = _grammar_pattern(node["pattern"])
            if simplified is None:
                node.pop("pattern")
            else:
                node["pattern"] = simplified
        node.pop("format", None)
        return node

    return _walk(copy.deepcopy(schema), fix)


def compact_schema(schema: Schema) -> Schema:
    """The schema without titles (shorter to put in a prompt); kept as `strict_schema` is."""
    return json.loads(_compact_text(json.dumps(schema)))  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=256)
def _compact_text(text: str) -> str:
    schema = json.loads(text)

    def fix(node: Schema) -> Schema:
        node.pop("title", None)
        return node

    return json.dumps(_walk(schema, fix))


# --------------------------------------------------------------------------- examples


def example_for_pattern(pattern: str) -> str:
    """A short string matching a simple regex (`^a\\d+\\.s\\d+$` -> 'a1.s1')."""
    try:
        text, _ = _regex_example(pattern, 0)
    except (IndexError, ValueError):
        return "x"
    try:
        return text if re.search(pattern, text) else "x"
    except re.error:
        return "x"


_CLASS_EXAMPLE = {"d": "1", "w": "a", "s": " ", "D": "a", "W": "-", "S": "a"}


def _regex_example(p: str, i: int, stop: str = "") -> tuple[str, int]:
    """Walk a regex from index i until `stop` (')' or end), returning an example and index."""
    out: list[str] = []
    while i < len(p) and p[i] not in stop:
        ch = p[i]
        if ch in "^$":
            i += 1
            continue
        if ch == "|":  # keep the first alternative, skip the rest of this group
            depth = 0
            while i < len(p) and not (depth == 0 and p[i] in stop):
                depth += {"(": 1, ")": -1}.get(p[i], 0)
                i += 1
            break
        atom, i = _atom(p, i)
        count, i = _quantifier(p, i)
        out.append(atom * count)
    return "".join(out), i


def _atom(p: str, i: int) -> tuple[str, int]:
    ch = p[i]
    if ch == "\\":
        nxt = p[i + 1]
        return _CLASS_EXAMPLE.get(nxt, nxt), i + 2
    if ch == "[":
        end = p.index("]", i + 2 if p[i + 1] == "]" else i + 1)
        body = p[i + 1 : end]
        if body.startswith("^"):
            return ("a" if "a" not in body else "b"), end + 1
        if body.startswith("\\"):
            return _CLASS_EXAMPLE.get(body[1:2], body[1:2]), end + 1
        return body[0], end + 1
    if ch == "(":
        j = i + 1
        if p.startswith("?:", j):
            j += 2
        text, j = _regex_example(p, j, ")|")
        if j < len(p) and p[j] == "|":
            depth = 0
            while j < len(p) and not (depth == 0 and p[j] == ")"):
                depth += {"(": 1, ")": -1}.get(p[j], 0)
                j += 1
        return text, j + 1
    if ch == ".":
        return "a", i + 1
    return ch, i + 1


def _quantifier(p: str, i: int) -> tuple[int, int]:
    if i >= len(p):
        return 1, i
    ch = p[i]
    if ch in "*?":
        count, i = 0, i + 1
    elif ch == "+":
        count, i = 1, i + 1
    elif ch == "{":
        end = p.index("}", i)
        count, i = int(p[i + 1 : end].split(",")[0] or 0), end + 1
    else:
        return 1, i
    if i < len(p) and p[i] in "?+":  # lazy / possessive
        i += 1
    return count, i


def example_instance(schema: Schema, root: Schema | None = None, depth: int = 0) -> Any:
    """A minimal instance valid for `schema`: required properties, minItems, enums, patterns."""
    root = root if root is not None else schema
    node = resolve(schema, root)
    if depth > 12 or not isinstance(node, dict):
        return None
    if "const" in node:
        return node["const"]
    if node.get("enum"):
        return node["enum"][0]
    for key in ("anyOf", "oneOf"):
        if node.get(key):
            branches = [b for b in node[key] if resolve(b, root).get("type") != "null"]
            return example_instance((branches or node[key])[0], root, depth + 1)
    if node.get("allOf"):
        return example_instance(node["allOf"][0], root, depth + 1)
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in node:
        props = node.get("properties", {})
        return {
            name: example_instance(props[name], root, depth + 1)
            for name in node.get("required", [])
            if name in props
        }
    if kind == "array":
        n = int(node.get("minItems", 0))
        return [example_instance(node.get("items", {}), root, depth + 1) for _ in range(n)]
    if kind == "string":
        return _example_string(node)
    if kind in ("integer", "number"):
        low = node.get("minimum", node.get("exclusiveMinimum", -1) + 1)
        return int(low) if kind == "integer" else float(low)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return {}


def _example_string(node: Schema) -> str:
    if "pattern" in node:
        return example_for_pattern(node["pattern"])
    fmt = node.get("format")
    if fmt == "date":
        return "2020-01-01"
    if fmt == "date-time":
        return "2020-01-01T00:00:00Z"
    text = "x"
    return text * max(1, int(node.get("minLength", 1)))
