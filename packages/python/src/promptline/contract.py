"""Typed inputs: a version's ``config.input.schema`` (Picoschema or JSON Schema) checked before every
strict render, locally, with the TypeScript SDK's rules and wording (core's ``contract/picoschema.ts``
and ``contract/validate.ts``), so both SDKs and the server name the same fields with the same
messages (the shared vectors in ``packages/core/src/contract/input-vectors.json``).

The validator runs without code generation and checks the keywords input schemas use: ``type``,
``properties``, ``required``, ``additionalProperties``, ``items``, ``enum``, ``const``, ``anyOf``,
``oneOf``, ``minimum``, ``maximum``, ``minLength``, ``maxLength``, ``pattern``, ``minItems``,
``maxItems``. Others (``$ref``, ``format``…) are checked fully only by the server."""

import json
import math
import re
from typing import Any, Callable, Dict, List, Mapping, Optional

from .errors import PromptlineError

_SCALARS = {"string", "number", "integer", "boolean", "null", "any"}
_JSON_TYPES = {"string", "number", "integer", "boolean", "null", "object", "array"}
_JSON_SCHEMA_KEYWORDS = {
    "$schema", "$id", "$ref", "$defs", "definitions", "type", "properties", "required", "items",
    "additionalProperties", "enum", "const", "description", "title", "default", "anyOf", "oneOf",
    "allOf", "not", "minimum", "maximum", "minLength", "maxLength", "pattern", "format", "minItems",
    "maxItems", "examples", "nullable", "patternProperties", "exclusiveMinimum", "exclusiveMaximum",
}
_KEY = re.compile(r"^([^?(]+)(\?)?(?:\(([^,)]*)(?:,\s*([^)]*))?\))?$")


def _schema_error(path: str, message: str) -> PromptlineError:
    return PromptlineError(
        "VALIDATION_FAILED",
        "The input schema cannot be read: %s: %s." % (path or "(root)", message),
        errors=[{"path": path, "message": message}],
    )


def is_json_schema(schema: Mapping[str, Any]) -> bool:
    """Whether a schema is JSON Schema (a ``$schema``, ``properties``, or a JSON type with only JSON
    Schema keywords beside it) rather than Picoschema."""
    if "$schema" in schema or isinstance(schema.get("properties"), dict):
        return True
    kind = schema.get("type")
    if isinstance(kind, str):
        typed = kind in _JSON_TYPES
    elif isinstance(kind, list):
        typed = all(_js_string(t) in _JSON_TYPES for t in kind)
    else:
        typed = False
    return typed and all(k in _JSON_SCHEMA_KEYWORDS for k in schema)


def _scalar(spec: str, path: str) -> Dict[str, Any]:
    comma = spec.find(",")
    kind = (spec if comma == -1 else spec[:comma]).strip()
    description = None if comma == -1 else spec[comma + 1:].strip()
    if kind not in _SCALARS:
        raise _schema_error(
            path,
            '"%s" is not a Picoschema type (use string, number, integer, boolean, null, any, or a nested map)' % kind,
        )
    out: Dict[str, Any] = {} if kind == "any" else {"type": kind}
    if description:
        out["description"] = description
    return out


def _value(spec: Any, path: str) -> Dict[str, Any]:
    if isinstance(spec, str):
        return _scalar(spec, path)
    if isinstance(spec, dict):
        return spec if is_json_schema(spec) else _object(spec, path + ".")
    raise _schema_error(path, 'expected a type name ("string, a description") or a nested map')


def _object(fields: Mapping[str, Any], prefix: str) -> Dict[str, Any]:
    properties: Dict[str, Any] = {}
    required: List[str] = []
    additional: Any = None
    has_additional = False
    for key, spec in fields.items():
        if key == "(*)":
            additional = _value(spec, prefix + "(*)")
            has_additional = True
            continue
        m = _KEY.match(key.strip())
        name = m.group(1).strip() if m else ""
        if not m or not name:
            raise _schema_error(
                prefix + key,
                '"%s" is not a Picoschema field name (name, name?, name(array), name(enum), name(object))' % key,
            )
        path = prefix + name
        kind = m.group(3).strip() if m.group(3) is not None else None
        description = m.group(4).strip() if m.group(4) is not None else None
        if kind is None or kind == "":
            schema = _value(spec, path)
        elif kind == "array":
            schema = {"type": "array", "items": _value(spec, path + "[]")}
        elif kind == "object":
            if not isinstance(spec, dict):
                raise _schema_error(path, "an (object) field needs a nested map")
            schema = _object(spec, path + ".")
        elif kind == "enum":
            if not isinstance(spec, list) or len(spec) == 0:
                raise _schema_error(path, "an (enum) field needs a list of values")
            schema = {"enum": list(spec) + [None] if m.group(2) else list(spec)}
        elif kind in _SCALARS:
            schema = _scalar(kind, path)
        else:
            raise _schema_error(path, '"(%s)" is not a Picoschema kind (array, object, enum or a type name)' % kind)
        if description:
            schema = dict(schema, description=description)
        if m.group(2):
            if isinstance(schema.get("type"), str):
                schema = dict(schema, type=[schema["type"], "null"])
        else:
            required.append(name)
        properties[name] = schema
    out: Dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    if has_additional:
        out["additionalProperties"] = additional
    return out


def to_json_schema(schema: Mapping[str, Any]) -> Dict[str, Any]:
    """The JSON Schema a Picoschema (or a JSON Schema, returned as is) describes.

    :raises PromptlineError: ``VALIDATION_FAILED`` naming the field that cannot be read.
    """
    return dict(schema) if is_json_schema(schema) else _object(schema, "")


# --- validation, with the TypeScript SDK's semantics (JavaScript values as JSON gives them) ---


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _js_string(value: Any) -> str:
    """A value as JavaScript's ``String()`` writes it (numbers without a needless ``.0``)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)


def _canonical(value: Any) -> Any:
    """JSON values as JavaScript sees them: 3.0 and 3 are the same number."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def _equal(a: Any, b: Any) -> bool:
    # As JSON text, like the TypeScript SDK (key order matters there too).
    return json.dumps(_canonical(a), separators=(",", ":")) == json.dumps(_canonical(b), separators=(",", ":"))


def _type_matches(kind: str, data: Any) -> bool:
    if kind == "string":
        return isinstance(data, str)
    if kind == "number":
        return _is_number(data) and math.isfinite(data)
    if kind == "integer":
        return _is_number(data) and math.isfinite(data) and float(data).is_integer()
    if kind == "boolean":
        return isinstance(data, bool)
    if kind == "null":
        return data is None
    if kind == "array":
        return isinstance(data, (list, tuple))
    if kind == "object":
        return isinstance(data, dict)
    return True


def _walk(schema: Any, data: Any, path: List[str], out: List[Dict[str, str]]) -> None:
    if not isinstance(schema, dict):
        return
    at = ".".join(path)
    declared = schema.get("type")
    types = [_js_string(t) for t in declared] if isinstance(declared, list) else [declared] if isinstance(declared, str) else []
    if types and not any(_type_matches(t, data) for t in types):
        out.append({"path": at, "message": "must be " + ",".join(types)})
    if isinstance(schema.get("enum"), list) and not any(_equal(v, data) for v in schema["enum"]):
        out.append({"path": at, "message": "must be equal to one of the allowed values"})
    if "const" in schema and not _equal(schema["const"], data):
        out.append({"path": at, "message": "must be equal to constant"})
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list):
            def passes(option: Any) -> bool:
                sub: List[Dict[str, str]] = []
                _walk(option, data, path, sub)
                return not sub

            if not any(passes(o) for o in options):
                out.append({"path": at, "message": "must match a schema in " + key})
    if _is_number(data):
        minimum, maximum = schema.get("minimum"), schema.get("maximum")
        if _is_number(minimum) and data < minimum:
            out.append({"path": at, "message": "must be >= " + _js_string(minimum)})
        if _is_number(maximum) and data > maximum:
            out.append({"path": at, "message": "must be <= " + _js_string(maximum)})
    if isinstance(data, str):
        length = len(data)  # code points, as the TypeScript SDK counts them
        low, high, pattern = schema.get("minLength"), schema.get("maxLength"), schema.get("pattern")
        if _is_number(low) and length < low:
            out.append({"path": at, "message": "must NOT have fewer than %s characters" % _js_string(low)})
        if _is_number(high) and length > high:
            out.append({"path": at, "message": "must NOT have more than %s characters" % _js_string(high)})
        if isinstance(pattern, str) and re.search(pattern, data) is None:
            out.append({"path": at, "message": 'must match pattern "%s"' % pattern})
    if isinstance(data, (list, tuple)):
        low, high = schema.get("minItems"), schema.get("maxItems")
        if _is_number(low) and len(data) < low:
            out.append({"path": at, "message": "must NOT have fewer than %s items" % _js_string(low)})
        if _is_number(high) and len(data) > high:
            out.append({"path": at, "message": "must NOT have more than %s items" % _js_string(high)})
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(data):
                _walk(schema["items"], item, path + [str(i)], out)
    if isinstance(data, dict):
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        required = schema.get("required") if isinstance(schema.get("required"), list) else []
        for name in (_js_string(r) for r in required):
            if name not in data:
                out.append({"path": ".".join(path + [name]), "message": "is required"})
        additional = schema.get("additionalProperties")
        for name, value in data.items():
            if name in properties:
                _walk(properties[name], value, path + [name], out)
            elif additional is False:
                out.append({"path": ".".join(path + [name]), "message": "must NOT have additional properties"})
            elif isinstance(additional, dict):
                _walk(additional, value, path + [name], out)


def find_schema_issues(schema: Mapping[str, Any], data: Any) -> List[Dict[str, str]]:
    """Every offending field of ``data`` against a JSON Schema: ``[{"path", "message"}]``, paths
    dotted (``customer.name``, ``tags.1``), ``""`` for the root."""
    out: List[Dict[str, str]] = []
    _walk(schema, data, [], out)
    return out


def input_check(name: str, config: Mapping[str, Any]) -> Optional[Callable[[Mapping[str, Any]], None]]:
    """The input check of a version that declares ``config.input.schema``, or None. The schema is
    converted once, here; the check raises ``INPUT_INVALID`` naming each offending field, as the
    server's render and the TypeScript SDK do.

    :raises PromptlineError: ``VALIDATION_FAILED`` when the schema cannot be read (the server refuses
        such a schema when the version is saved).
    """
    declared = config.get("input") if isinstance(config, Mapping) else None
    schema = declared.get("schema") if isinstance(declared, Mapping) else None
    if not isinstance(schema, Mapping):
        return None
    json_schema = to_json_schema(schema)

    def check(variables: Mapping[str, Any]) -> None:
        issues = find_schema_issues(json_schema, dict(variables))
        if not issues:
            return
        errors = [
            {"path": "variables" if i["path"] == "" else "variables." + i["path"], "message": i["message"]}
            for i in issues
        ]
        raise PromptlineError(
            "INPUT_INVALID",
            'The variables do not match the input schema of "%s": %s.'
            % (name, "; ".join(e["path"] + " " + e["message"] for e in errors)),
            errors=errors,
        )

    return check
