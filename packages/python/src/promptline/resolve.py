"""The in-memory resolution structures: a snapshot turned, once per change, into one entry per prompt
holding a ready resolved prompt per variant. ``client.prompt()`` then costs a dict lookup, a bucket
hash when the release has several variants, and an index."""

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from .bucketing import choose_variant
from .contract import input_check
from .targeting import choose_served, targeted_versions
from .errors import PromptlineError
from .template import (
    PartialLookup,
    compile_template,
    extract_partials,
    extract_variables,
    render_messages,
)

Snapshot = Dict[str, Any]
Variables = Mapping[str, Any]


@dataclass(frozen=True)
class _PromptBase:
    name: str
    #: Version number served; 0 for a fallback.
    version: int
    #: ``0.0.0`` for a fallback.
    semver: str
    #: Index of the chosen variant in the release (0 for a fallback).
    variant: int
    #: The environment that served it (the client's environment for a fallback).
    environment: str
    config: Mapping[str, Any]
    #: Variable names the content uses.
    variables: Tuple[str, ...]
    #: Content hash of the version; empty for a fallback.
    hash: str
    #: ``server`` (this process's last snapshot), ``cache`` (the disk copy) or ``fallback``.
    source: str
    _partials: Optional[PartialLookup] = field(default=None, repr=False, compare=False)
    #: The version's input schema check (``config.input.schema``), run before every strict render.
    _check_inputs: Optional[Callable[[Variables], None]] = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class ResolvedTextPrompt(_PromptBase):
    """A resolved text prompt: ``render`` answers a string."""

    template: str = ""
    type: str = "text"
    # Held here, not looked up per render: the template cache is an LRU and may evict it.
    _compiled: Any = field(default=None, repr=False, compare=False)

    def render(self, variables: Optional[Variables] = None, *, strict: bool = True) -> str:
        """Renders the template. In strict mode (the default) the variables are first checked against
        the version's input schema, when it declares one.

        :raises PromptlineError: ``INPUT_INVALID`` (strict mode, naming each offending field),
            ``TEMPLATE_VARIABLE_MISSING`` (strict mode) or another ``TEMPLATE_*`` code.
        """
        if strict and self._check_inputs is not None:
            self._check_inputs({} if variables is None else variables)
        compiled = self._compiled if self._compiled is not None else compile_template(self.template)
        return compiled.render(variables, strict=strict, partials=self._partials)


@dataclass(frozen=True)
class ResolvedChatPrompt(_PromptBase):
    """A resolved chat prompt: ``render`` answers the message list (placeholders filled)."""

    messages: Tuple[Mapping[str, Any], ...] = ()
    type: str = "chat"

    def render(self, variables: Optional[Variables] = None, *, strict: bool = True) -> List[Dict[str, Any]]:
        """Renders every message; a placeholder is replaced by the message list passed under its name.
        In strict mode (the default) the variables are first checked against the version's input schema.

        :raises PromptlineError: ``INPUT_INVALID`` or ``TEMPLATE_VARIABLE_MISSING`` (strict mode),
            ``VALIDATION_FAILED`` or ``TEMPLATE_*``.
        """
        if strict and self._check_inputs is not None:
            self._check_inputs({} if variables is None else variables)
        return render_messages(self.messages, {} if variables is None else variables, strict=strict, partials=self._partials)


ResolvedPrompt = Union[ResolvedTextPrompt, ResolvedChatPrompt]


@dataclass(frozen=True)
class PromptEntry:
    """One prompt of the current snapshot (or a fallback), ready to resolve."""

    variants: Tuple[Mapping[str, Any], ...]
    #: ``resolved[i]`` serves variant i; empty when the release is switched off.
    resolved: Tuple[ResolvedPrompt, ...]
    enabled: bool
    uses_partials: bool = False
    #: Set when a variant includes partials that are themselves split or targeted: rebuilt per call.
    bind_to_unit: Optional[Callable[..., Optional[ResolvedPrompt]]] = None
    #: Pins and rules tried before the split (``resolved`` then also serves the versions only they name).
    targeting: Optional[Mapping[str, Any]] = None


def _served_number(variants: Sequence[Mapping[str, Any]], targeting: Optional[Mapping[str, Any]], index: int) -> Optional[int]:
    if index < len(variants):
        return variants[index]["version"]
    extra = targeted_versions(variants, targeting)
    k = index - len(variants)
    return extra[k] if k < len(extra) else None


def partial_lookup(
    snapshot: Callable[[], Optional[Snapshot]], unit: Optional[str], attributes: Optional[Mapping[str, Any]] = None
) -> PartialLookup:
    """``{{> name}}`` includes what the environment serves for ``name``, its variant picked for the
    same unit; a partial not deployed there or switched off is not found."""

    def lookup(name: str) -> Optional[str]:
        current = snapshot()
        entry = None if current is None else current["prompts"].get(name)
        if entry is None or not entry["enabled"] or not entry["variants"]:
            return None
        variants = entry["variants"]
        targeting = entry.get("targeting")
        if targeting:
            index = choose_served(name, variants, targeting, current.get("segments") or {}, unit, attributes)
        else:
            index = choose_variant(name, variants, unit)
        number = _served_number(variants, targeting, index)
        version = None if number is None else entry["versions"].get(str(number))
        return version["template"] if version is not None and version["type"] == "text" else None

    return lookup


def _depends_on_unit(snapshot: Snapshot, content: Mapping[str, Any]) -> bool:
    seen = set()
    pending = extract_partials(content)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        entry = snapshot["prompts"].get(name)
        if entry is None or not entry["enabled"]:
            continue
        if len(entry["variants"]) > 1 or entry.get("targeting"):
            return True
        version = entry["versions"].get(str(entry["variants"][0]["version"])) if entry["variants"] else None
        if version is not None and version["type"] == "text":
            try:
                pending.extend(compile_template(version["template"]).partials)
            except PromptlineError:
                pass  # A broken partial fails the render that includes it; it cannot make it unit-dependent.
    return False


def _inputs_of(name: str, config: Mapping[str, Any]) -> Optional[Callable[[Variables], None]]:
    try:
        return input_check(name, config)
    except PromptlineError:
        # The server refuses an unreadable schema when the version is saved; one that got through
        # anyway is checked by the server's render, not here, rather than making the prompt unusable.
        return None


def _build(meta: Dict[str, Any], content: Mapping[str, Any], partials: PartialLookup) -> ResolvedPrompt:
    meta = dict(meta, _check_inputs=_inputs_of(meta["name"], meta["config"]))
    if content["type"] == "text":
        compiled = compile_template(content["template"])
        return ResolvedTextPrompt(template=content["template"], _partials=partials, _compiled=compiled, **meta)
    messages = tuple(content["messages"])
    # Compile now so a syntax error surfaces when the snapshot arrives, not at the first render.
    for message in messages:
        if message.get("type") != "placeholder":
            compile_template(message["content"])
    return ResolvedChatPrompt(messages=messages, _partials=partials, **meta)


def _build_version(
    name: str, environment: str, variant: int, version: Mapping[str, Any], source: str, partials: PartialLookup
) -> ResolvedPrompt:
    meta = {
        "name": name,
        "version": version["number"],
        "semver": version["semver"],
        "variant": variant,
        "environment": environment,
        "config": version["config"],
        "variables": tuple(version["variables"]),
        "hash": version["hash"],
        "source": source,
    }
    return _build(meta, version, partials)


def _entry_builder(
    snapshot: Snapshot, source: str, on_problem: Callable[[PromptlineError], None]
) -> Callable[[str, Mapping[str, Any]], Optional[PromptEntry]]:
    def current() -> Snapshot:
        return snapshot

    shared = partial_lookup(current, None)
    environment = snapshot["environment"]

    def build(name: str, release: Mapping[str, Any]) -> Optional[PromptEntry]:
        variants = tuple(release["variants"])
        if not variants:
            return None
        if not release["enabled"]:
            return PromptEntry(variants=variants, resolved=(), enabled=False)
        targeting = release.get("targeting") or None
        try:
            versions = []
            for number in [v["version"] for v in variants] + targeted_versions(variants, targeting):
                version = release["versions"].get(str(number))
                if version is None:
                    raise PromptlineError(
                        "VERSION_NOT_FOUND",
                        'The snapshot of "%s" deploys %s v%s without its content; upgrade the Promptline server. Serving the fallback for %s.'
                        % (environment, name, number, name),
                    )
                versions.append(version)
            resolved = tuple(_build_version(name, environment, i, v, source, shared) for i, v in enumerate(versions))
            uses_partials = any(extract_partials(v) for v in versions)
            per_unit = [uses_partials and _depends_on_unit(snapshot, v) for v in versions]
            if not any(per_unit):
                return PromptEntry(variants=variants, resolved=resolved, enabled=True, uses_partials=uses_partials, targeting=targeting)

            def bind(i: int, unit: Optional[str], attributes: Optional[Mapping[str, Any]] = None) -> Optional[ResolvedPrompt]:
                if i >= len(versions):
                    return None
                if per_unit[i]:
                    return _build_version(name, environment, i, versions[i], source, partial_lookup(current, unit, attributes))
                return resolved[i]

            return PromptEntry(
                variants=variants, resolved=resolved, enabled=True, uses_partials=True, bind_to_unit=bind, targeting=targeting
            )
        except PromptlineError as error:
            on_problem(error)
            return None
        except Exception as error:  # noqa: BLE001 — a snapshot this SDK cannot read must not stop the others
            on_problem(PromptlineError("TEMPLATE_SYNTAX", 'Prompt "%s" in the snapshot does not compile: %s' % (name, error)))
            return None

    return build


def build_entries(snapshot: Snapshot, source: str, on_problem: Callable[[PromptlineError], None]) -> Dict[str, PromptEntry]:
    """Turns a snapshot into entries; a prompt that cannot be built is reported and left out."""
    build = _entry_builder(snapshot, source, on_problem)
    entries: Dict[str, PromptEntry] = {}
    for name, release in snapshot["prompts"].items():
        entry = build(name, release)
        if entry is not None:
            entries[name] = entry
    return entries


def update_entries(
    previous: Mapping[str, PromptEntry],
    snapshot: Snapshot,
    changed: Sequence[str],
    source: str,
    on_problem: Callable[[PromptlineError], None],
) -> Dict[str, PromptEntry]:
    """Entries of ``snapshot`` reusing the previous ones when only ``changed`` releases differ (a
    delta from the stream); entries that include partials are rebuilt too."""
    build = _entry_builder(snapshot, source, on_problem)
    entries = dict(previous)
    rebuild = set(changed)
    rebuild.update(name for name, entry in previous.items() if entry.uses_partials)
    for name in rebuild:
        entries.pop(name, None)
        release = snapshot["prompts"].get(name)
        entry = None if release is None else build(name, release)
        if entry is not None:
            entries[name] = entry
    return entries


def build_fallback(
    name: str, environment: str, fallback: Mapping[str, Any], snapshot: Callable[[], Optional[Snapshot]]
) -> PromptEntry:
    """The entry of an application-supplied fallback (``{"type": "text", "template": …}`` or
    ``{"type": "chat", "messages": […]}``, optional ``config``).

    :raises PromptlineError: ``TEMPLATE_SYNTAX`` or ``VALIDATION_FAILED`` for a broken fallback.
    """
    kind = fallback.get("type")
    if kind not in ("text", "chat") or (kind == "text" and not isinstance(fallback.get("template"), str)):
        raise PromptlineError(
            "VALIDATION_FAILED",
            'Fallback "%s" must be {"type": "text", "template": "…"} or {"type": "chat", "messages": [...]}.' % name,
        )
    meta = {
        "name": name,
        "version": 0,
        "semver": "0.0.0",
        "variant": 0,
        "environment": environment,
        "config": fallback.get("config") or {},
        "variables": tuple(extract_variables(fallback)),
        "hash": "",
        "source": "fallback",
    }
    resolved = _build(meta, fallback, partial_lookup(snapshot, None))
    return PromptEntry(variants=({"version": 0, "weight": 10_000},), resolved=(resolved,), enabled=True)


def pick(
    name: str,
    entry: PromptEntry,
    unit: Optional[str],
    attributes: Optional[Mapping[str, Any]] = None,
    segments: Optional[Mapping[str, Any]] = None,
) -> Optional[ResolvedPrompt]:
    """The resolved prompt of an entry for a unit and its attributes (the server's pick: pins and
    rules first, then the split), None when switched off. ``segments`` are the snapshot's."""
    resolved = entry.resolved
    if not resolved:
        return None
    if entry.targeting:
        variant = choose_served(name, entry.variants, entry.targeting, segments or {}, unit, attributes)
    else:
        variant = 0 if len(resolved) == 1 else choose_variant(name, entry.variants, unit)
    if entry.bind_to_unit is not None:
        return entry.bind_to_unit(variant, unit, attributes)
    if variant >= len(resolved):
        return None
    return resolved[variant]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_version(value: Any) -> bool:
    if not isinstance(value, dict) or not _is_number(value.get("number")) or not isinstance(value.get("semver"), str):
        return False
    if not isinstance(value.get("config"), dict) or not isinstance(value.get("variables"), list):
        return False
    if not isinstance(value.get("hash"), str):
        return False
    if value.get("type") == "text":
        return isinstance(value.get("template"), str)
    if value.get("type") != "chat" or not isinstance(value.get("messages"), list):
        return False
    for m in value["messages"]:
        if not isinstance(m, dict):
            return False
        if m.get("type") == "placeholder":
            if not isinstance(m.get("name"), str):
                return False
        elif not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            return False
    return True


def snapshot_problem(value: Any) -> Optional[str]:
    """What is wrong with a value that should be a snapshot (None when it is fine)."""
    if not isinstance(value, dict):
        return "not an object"
    if not isinstance(value.get("environment"), str):
        return '"environment" is not a string'
    if not isinstance(value.get("etag"), str):
        return '"etag" is not a string'
    if not isinstance(value.get("prompts"), dict):
        return '"prompts" is not an object'
    for name, release in value["prompts"].items():
        if not isinstance(release, dict) or not isinstance(release.get("enabled"), bool) or not isinstance(release.get("variants"), list):
            return 'prompts["%s"] is not a release' % name
        for variant in release["variants"]:
            if not isinstance(variant, dict) or not _is_number(variant.get("version")) or not _is_number(variant.get("weight")):
                return 'prompts["%s"].variants holds an invalid variant' % name
        if not isinstance(release.get("versions"), dict):
            return 'prompts["%s"].versions is not an object' % name
        for key, version in release["versions"].items():
            if not _is_version(version):
                return 'prompts["%s"].versions["%s"] is not a version' % (name, key)
    return None


def _signature(release: Optional[Mapping[str, Any]]) -> str:
    if release is None:
        return ""
    versions = release["versions"]
    return json.dumps(
        [
            release["enabled"],
            [[v["version"], v["weight"], (versions.get(str(v["version"])) or {}).get("hash", "")] for v in release["variants"]],
            release.get("targeting"),
            [(versions.get(str(n)) or {}).get("hash", "") for n in targeted_versions(release["variants"], release.get("targeting"))],
        ],
        sort_keys=True,
    )


def changed_prompts(before: Optional[Snapshot], after: Snapshot, candidates: Optional[Sequence[str]] = None) -> List[str]:
    """Names of prompts whose release or served content differ; only among ``candidates`` when given."""
    old = {} if before is None else before["prompts"]
    if candidates is not None:
        return [name for name in candidates if _signature(old.get(name)) != _signature(after["prompts"].get(name))]
    changed = [name for name, release in after["prompts"].items() if _signature(old.get(name)) != _signature(release)]
    changed.extend(name for name in old if name not in after["prompts"])
    return changed
