"""Check a document against the report's JSON Schema without the ``jsonschema`` package
(not a core dependency): the keywords
:func:`~sedna_conformance.harness.contract.results.report_schema` uses, and no others
(an unknown one raises, so a schema change cannot be checked wrongly).
"""

from __future__ import annotations

from typing import Any

__all__ = ["schema_error"]

_ANNOTATIONS = {"$schema", "title", "description", "deprecated"}
_TYPES: dict[str, tuple[type, ...]] = {"object": (dict,), "array": (list,), "string": (str,),
                                       "number": (int, float), "integer": (int,),
                                       "boolean": (bool,), "null": (type(None),)}


def _is(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind != "boolean":
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES[kind])


def schema_error(value: Any, schema: dict[str, Any], where: str = "") -> str | None:
    """The first way ``value`` breaks ``schema``, as ``"path: problem"``; ``None`` if none."""
    at = where or "the document"
    unknown = set(schema) - _ANNOTATIONS - {"type", "required", "properties",
                                            "additionalProperties", "enum", "minimum", "items"}
    if unknown:
        raise ValueError(f"schema keywords {sorted(unknown)} are not supported here")
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(value, k) for k in kinds):
            return f"{at}: expected {' or '.join(kinds)}, got {type(value).__name__}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{at}: {value!r} is not one of {schema['enum']}"
    if "minimum" in schema and isinstance(value, int | float) and value < schema["minimum"]:
        return f"{at}: {value!r} is less than {schema['minimum']}"
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            if problem := schema_error(item, schema["items"], f"{where}[{i}]"):
                return problem
    if not isinstance(value, dict):
        return None
    missing = [key for key in schema.get("required", ()) if key not in value]
    if missing:
        return f"{at}: missing {', '.join(map(repr, missing))}"
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        sub = properties.get(key, extra)
        path = f"{where}.{key}" if where else key
        if sub is False:
            return f"{at}: unexpected key {key!r}"
        if isinstance(sub, dict) and (problem := schema_error(item, sub, path)):
            return problem
    return None
