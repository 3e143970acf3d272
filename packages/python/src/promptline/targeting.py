"""Targeting, bit for bit the server's and the TypeScript SDK's (packages/core/src/targeting.ts):
pins first, then the first matching rule, else the weighted split. The shared vectors
(packages/core/src/targeting-vectors.json) hold both to the same answers.

Semantics: a missing attribute makes every comparison false (``neq`` and ``notIn`` too); numbers
are numbers or plain decimal text (``-12``, ``3.5``); text operators are case-sensitive; a segment
matches the units it lists or the contexts its ``when`` matches, and cannot refer to a segment."""

import re
from typing import Any, List, Mapping, Optional, Sequence

from .bucketing import choose_variant

_NUMERIC = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def _number_of(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, str) and _NUMERIC.fullmatch(value):
        return float(value)
    return None


def _text_of_bool(value: bool) -> str:
    return "true" if value else "false"


def _equals(attribute: Any, value: Any) -> bool:
    if isinstance(value, bool):
        return attribute is value or (isinstance(attribute, str) and attribute == _text_of_bool(value))
    if isinstance(value, (int, float)):
        n = _number_of(attribute)
        return n is not None and n == value
    if isinstance(attribute, str):
        return attribute == value
    if isinstance(attribute, bool):
        return _text_of_bool(attribute) == value
    return isinstance(value, str) and _NUMERIC.fullmatch(value) is not None and float(value) == attribute


def _leaf(op: str, attribute: Any, value: Any) -> bool:
    if attribute is None:
        return False
    if op == "exists":
        return True
    if op == "eq":
        return value is not None and not isinstance(value, list) and _equals(attribute, value)
    if op == "neq":
        return value is not None and not isinstance(value, list) and not _equals(attribute, value)
    if op == "in":
        return isinstance(value, list) and any(_equals(attribute, v) for v in value)
    if op == "notIn":
        return isinstance(value, list) and not any(_equals(attribute, v) for v in value)
    if op in ("contains", "startsWith", "endsWith"):
        if not isinstance(attribute, str) or not isinstance(value, str):
            return False
        if op == "contains":
            return value in attribute
        return attribute.startswith(value) if op == "startsWith" else attribute.endswith(value)
    if op in ("gt", "gte", "lt", "lte"):
        n = _number_of(attribute)
        if n is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if op == "gt":
            return n > value
        if op == "gte":
            return n >= value
        return n < value if op == "lt" else n <= value
    return False


def matches_condition(
    condition: Mapping[str, Any],
    segments: Mapping[str, Mapping[str, Any]],
    unit: Optional[str],
    attributes: Optional[Mapping[str, Any]],
    in_segment: bool = False,
) -> bool:
    """Whether a condition matches a context (``unit`` and ``attributes``)."""
    if "all" in condition:
        return all(matches_condition(c, segments, unit, attributes, in_segment) for c in condition["all"])
    if "any" in condition:
        return any(matches_condition(c, segments, unit, attributes, in_segment) for c in condition["any"])
    if "not" in condition:
        return not matches_condition(condition["not"], segments, unit, attributes, in_segment)
    if "segment" in condition:
        segment = segments.get(condition["segment"])
        if in_segment or segment is None:
            return False
        if unit is not None and unit in (segment.get("units") or []):
            return True
        when = segment.get("when")
        return when is not None and matches_condition(when, segments, unit, attributes, True)
    attribute = (attributes or {}).get(condition.get("attribute", ""))
    return _leaf(condition.get("op", ""), attribute, condition.get("value"))


def match_targeting(
    targeting: Optional[Mapping[str, Any]],
    segments: Mapping[str, Mapping[str, Any]],
    unit: Optional[str] = None,
    attributes: Optional[Mapping[str, Any]] = None,
) -> Optional[dict]:
    """The pin or first rule that matches: ``{"kind": "pin", "version"}`` or
    ``{"kind": "rule", "version", "rule", "name"?}``; None when the weighted split decides."""
    if not targeting:
        return None
    if unit is not None:
        for pin in targeting.get("pins") or []:
            if pin["unit"] == unit:
                return {"kind": "pin", "version": pin["version"]}
    for i, rule in enumerate(targeting.get("rules") or []):
        if matches_condition(rule["when"], segments, unit, attributes):
            match = {"kind": "rule", "version": rule["version"], "rule": i}
            if rule.get("name") is not None:
                match["name"] = rule["name"]
            return match
    return None


def targeted_versions(variants: Sequence[Mapping[str, Any]], targeting: Optional[Mapping[str, Any]]) -> List[int]:
    """Versions only the targeting serves (rules, then pins, each once), after the variants' ones."""
    if not targeting:
        return []
    seen = {v["version"] for v in variants}
    out: List[int] = []
    for version in [r["version"] for r in targeting.get("rules") or []] + [p["version"] for p in targeting.get("pins") or []]:
        if version not in seen:
            seen.add(version)
            out.append(version)
    return out


def choose_served(
    prompt: str,
    variants: Sequence[Mapping[str, Any]],
    targeting: Optional[Mapping[str, Any]],
    segments: Mapping[str, Mapping[str, Any]],
    unit: Optional[str] = None,
    attributes: Optional[Mapping[str, Any]] = None,
) -> int:
    """Index in the served list (variants, then ``targeted_versions``) of what the context gets."""
    if targeting:
        match = match_targeting(targeting, segments, unit, attributes)
        if match is not None:
            for i, v in enumerate(variants):
                if v["version"] == match["version"]:
                    return i
            return len(variants) + targeted_versions(variants, targeting).index(match["version"])
    return choose_variant(prompt, variants, unit)
