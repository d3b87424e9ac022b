"""Request-body examples for the OpenAPI document, made from the command Structs' JSON schemas.

An example names every required field with a value of its schema (its own `examples` or default
when it declares one, else the first enum member, the smallest allowed number, a fixed UUID or
time of its format, a value of a known pattern ...). It is kept only when msgspec decodes it
into the command Struct, so no example in the document is a body the API would refuse for its
shape.
"""

from __future__ import annotations

from typing import Any

import msgspec

_REF_PREFIX = "#/components/schemas/"
_STRING_FORMATS = {
    "uuid": "6f1c2a4e-1111-4a0b-9c39-4d4c2a7b9e01",
    "date-time": "2030-03-04T09:00:00+08:00",
    "date": "2030-03-04",
    "time": "09:00:00",
    "email": "wang.fang@example.com",
    "uri": "https://example.com/kefu/hook",
    "duration": "P1D",
    "decimal": "59.00",
}
# Values for the patterns the command Structs use (a pattern not listed gets "text", and an
# example that then does not decode is left out).
_PATTERNS = {
    r"^[0-9*#+]+$": "8001",
    r"^\+?[0-9*#-]+$": "+8613800138000",
    r"^https?://\S+$": "https://example.com/kefu/hook",
    r"^[a-z][a-z0-9+.-]*:\S+$": "https://recordings.example.com/2030/03/04/call-1.wav",
    r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$": "2030-W10",
    r"^[0-9a-f]{64}$": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
}


def body_example(struct: type, components: dict[str, Any]) -> Any | None:
    """An example body for `struct` that decodes into it, or None when none could be made."""
    value = _sample({"$ref": _REF_PREFIX + struct.__name__}, components, depth=0)
    try:
        msgspec.json.decode(msgspec.json.encode(value), type=struct)
    except (msgspec.ValidationError, msgspec.EncodeError):
        return None
    return value


def _sample(schema: dict[str, Any], components: dict[str, Any], depth: int) -> Any:
    if "$ref" in schema:
        if depth > 8:
            return None  # a recursive schema: stop, and let decoding decide
        return _sample(components[schema["$ref"].removeprefix(_REF_PREFIX)], components, depth + 1)
    for given in ("examples", "enum"):
        if schema.get(given):
            return schema[given][0]
    for given in ("const", "default"):
        if given in schema:
            return schema[given]
    choices = schema.get("anyOf") or schema.get("oneOf")
    if choices:
        kept = [c for c in choices if c.get("type") != "null"] or choices
        return _sample(kept[0], components, depth)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    return _typed(kind, schema, components, depth)


def _typed(kind: str, schema: dict[str, Any], components: dict[str, Any], depth: int) -> Any:
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            name: _sample(properties.get(name, {}), components, depth)
            for name in schema.get("required", [])
        }
    if kind == "array":
        count = max(schema.get("minItems", 1), 1)
        return [_sample(schema.get("items", {}), components, depth)] * count
    if kind == "string":
        text = _PATTERNS.get(schema.get("pattern", ""), "text")
        text = _STRING_FORMATS.get(schema.get("format", ""), text)
        return text.ljust(schema.get("minLength", 0), "x")
    if kind in ("integer", "number"):
        low = 1
        if "minimum" in schema:
            low = schema["minimum"]
        elif "exclusiveMinimum" in schema:
            low = schema["exclusiveMinimum"] + 1
        return int(low) if kind == "integer" else float(low)
    if kind == "boolean":
        return False
    return None
