"""The template engine, rendering exactly as the server and the TypeScript SDK do: logic-less
Mustache (variables, sections, inverted sections, comments, partials), never HTML-escaping, strict
about missing variables by default, values printed as JavaScript prints them (``1.0`` is ``1``,
``True`` is ``true``, a dict is its compact JSON). A template is parsed once into a tree of
closures and cached (1 000 templates)."""

import json
import math
import re
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from .errors import PromptlineError

#: Default limit of partial nesting at render time.
DEFAULT_MAX_PARTIAL_DEPTH = 5

PartialLookup = Callable[[str], Optional[str]]


class _Missing:
    __slots__ = ()


_MISSING = _Missing()
_WHITESPACE = re.compile(r"\s")


# --- values as JavaScript prints them -------------------------------------------------------


def _js_number(value: float) -> str:
    """``String(n)`` of JavaScript (ECMAScript Number::toString) for a float."""
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    if value < 0:
        return "-" + _js_number(-value)
    # repr() is the shortest round-tripping form, as in JavaScript; only the layout differs.
    mantissa, _, exp = repr(value).partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    point = len(whole) + (int(exp) if exp else 0)  # decimal point position relative to digits
    if whole == "0":
        # 0.000123 → digits "123", the point sits before the leading zeros of frac.
        point = -(len(frac) - len(frac.lstrip("0"))) + (int(exp) if exp else 0)
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    n = point
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    if k == 1:
        return digits + "e" + sign + str(abs(e))
    return digits[0] + "." + digits[1:] + "e" + sign + str(abs(e))


def js_json(value: Any) -> str:
    """``JSON.stringify`` of JavaScript: compact, numbers as JavaScript prints them."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _js_number(value) if math.isfinite(value) else "null"
    if isinstance(value, Mapping):
        return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + js_json(v) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(js_json(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def to_text(value: Any) -> str:
    """How a value prints: strings as they are, numbers and booleans as JavaScript prints them,
    None as nothing, dicts and lists as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _js_number(value)
    if isinstance(value, (Mapping, list, tuple)):
        return js_json(value)
    return str(value)


def _falsy(value: Any) -> bool:
    """JavaScript falsiness plus the empty list: what skips a section (an empty dict does not)."""
    if value is None or value is False or value is True:
        return value is not True
    if isinstance(value, str):
        return value == ""
    if isinstance(value, (int, float)):
        return value == 0 or value != value
    if isinstance(value, (list, tuple)):
        return len(value) == 0
    return False


def _own(value: Any, key: str) -> Any:
    """``value[key]`` when ``value`` is an object that owns ``key`` (as ``Object.hasOwn``), else missing.
    Lists own their indices and ``length``, as JavaScript arrays do."""
    if isinstance(value, Mapping):
        return value[key] if key in value else _MISSING
    if isinstance(value, (list, tuple)):
        if key == "length":
            return len(value)
        if key.isdigit() and (key == "0" or not key.startswith("0")):
            index = int(key)
            return value[index] if index < len(value) else _MISSING
    return _MISSING


def _resolve(stack: List[Any], head: Optional[str], rest: Tuple[str, ...]) -> Any:
    if head is None:
        return stack[-1]
    value: Any = _MISSING
    for i in range(len(stack) - 1, -1, -1):
        found = _own(stack[i], head)
        if found is not _MISSING:
            value = found
            break
    if value is _MISSING:
        return _MISSING
    for segment in rest:
        value = _own(value, segment)
        if value is _MISSING:
            return _MISSING
    return value


# --- parser ---------------------------------------------------------------------------------


def _position(source: str, offset: int) -> Tuple[int, int]:
    line = source.count("\n", 0, offset) + 1
    line_start = source.rfind("\n", 0, offset) + 1
    return line, offset - line_start + 1


def _syntax_error(source: str, offset: int, problem: str) -> PromptlineError:
    line, column = _position(source, offset)
    return PromptlineError(
        "TEMPLATE_SYNTAX",
        "Template syntax error at line %d, column %d: %s" % (line, column, problem),
        details={"line": line, "column": column},
    )


def _standalone_end(source: str, end: int) -> int:
    i = end
    n = len(source)
    while i < n and source[i] in " \t":
        i += 1
    if i == n:
        return i
    if source[i] == "\n":
        return i + 1
    if source.startswith("\r\n", i):
        return i + 2
    return -1


def _parse_name(source: str, offset: int, raw: str, what: str) -> Tuple[str, Tuple[str, ...]]:
    name = raw.strip()
    if name == "":
        raise _syntax_error(source, offset, "empty %s tag; write a name inside, e.g. {{name}}." % what)
    if _WHITESPACE.search(name):
        raise _syntax_error(source, offset, '"%s" is not a valid name: names cannot contain spaces.' % name)
    if name == ".":
        return name, ()
    path = tuple(name.split("."))
    if any(segment == "" for segment in path):
        raise _syntax_error(
            source,
            offset,
            '"%s" is not a valid name: dotted names need a name between dots (e.g. user.name).' % name,
        )
    return name, path


# Nodes: ("text", str) | ("var", name, path) | ("section", inverted, name, path, children) | ("partial", name, indent)
Node = Tuple[Any, ...]


def _append_text(nodes: List[Node], text: str) -> None:
    if text == "":
        return
    if nodes and nodes[-1][0] == "text":
        nodes[-1] = ("text", nodes[-1][1] + text)
    else:
        nodes.append(("text", text))


def parse_template(source: str) -> List[Node]:
    """Parses a template into its node tree, applying the spec's standalone-line rules.

    :raises PromptlineError: ``TEMPLATE_SYNTAX`` naming line, column and the fix.
    """
    root: List[Node] = []
    open_sections: List[Tuple[str, bool, int, List[Node], List[Node]]] = []
    nodes = root
    text_start = 0
    cursor = 0
    while True:
        start = source.find("{{", cursor)
        if start == -1:
            break
        if source.startswith("{", start + 2):
            close = source.find("}}}", start + 3)
            if close == -1:
                raise _syntax_error(source, start, 'unclosed tag "{{{": close it with "}}}".')
            inner = "&" + source[start + 3 : close]
            end = close + 3
        else:
            close = source.find("}}", start + 2)
            if close == -1:
                raise _syntax_error(source, start, 'unclosed tag "{{": close it with "}}".')
            inner = source[start + 2 : close]
            end = close + 2
        body = inner.lstrip()
        sigil = body[:1]
        rest = body[1:]

        standalone = False
        line_start = start
        after_line = end
        if sigil in ("#", "^", "/", "!", ">", "="):
            line_start = source.rfind("\n", 0, start) + 1
            if line_start >= text_start and source[line_start:start].strip(" \t") == "":
                after_line = _standalone_end(source, end)
                standalone = after_line != -1
        if standalone:
            _append_text(nodes, source[text_start:line_start])
            text_start = cursor = after_line
        else:
            _append_text(nodes, source[text_start:start])
            text_start = cursor = end

        if sigil == "!":
            continue
        if sigil == "=":
            raise _syntax_error(
                source,
                start,
                "changing delimiters ({{=<% %>=}}) is not supported: Promptline templates always use {{ }}. Remove the tag.",
            )
        if sigil in ("#", "^"):
            name, path = _parse_name(source, start, rest, "section")
            children: List[Node] = []
            open_sections.append((name, sigil == "^", start, nodes, children))
            nodes.append(("section", sigil == "^", name, path, children))
            nodes = children
            continue
        if sigil == "/":
            name = rest.strip()
            if not open_sections:
                raise _syntax_error(
                    source,
                    start,
                    "{{/%s}} closes a section that was never opened: remove it or add {{#%s}} before it." % (name, name),
                )
            opened_name, _inverted, opened_at, parent, _children = open_sections.pop()
            if opened_name != name:
                line, column = _position(source, opened_at)
                raise _syntax_error(
                    source,
                    start,
                    "{{/%s}} does not match the open section {{#%s}} (line %d, column %d): close it with {{/%s}} first."
                    % (name, opened_name, line, column, opened_name),
                )
            nodes = parent
            continue
        if sigil == ">":
            name = rest.strip()
            if name == "" or _WHITESPACE.search(name):
                raise _syntax_error(source, start, "a partial tag needs one name without spaces, e.g. {{> shared/tone}}.")
            nodes.append(("partial", name, source[line_start:start] if standalone else ""))
            continue
        if sigil == "&":
            name, path = _parse_name(source, start, rest, "variable")
        else:
            name, path = _parse_name(source, start, body, "variable")
        nodes.append(("var", name, path))

    if open_sections:
        name, inverted, opened_at, _parent, _children = open_sections[-1]
        raise _syntax_error(
            source,
            opened_at,
            "section {{%s%s}} is never closed: add {{/%s}} after its content." % ("^" if inverted else "#", name, name),
        )
    _append_text(nodes, source[text_start:])
    return root


# --- compiler -------------------------------------------------------------------------------


class _State:
    __slots__ = ("stack", "strict", "missing", "partials", "max_depth", "partial_path")

    def __init__(
        self, variables: Any, strict: bool, partials: Optional[PartialLookup], max_depth: int, missing: Optional[List[str]]
    ) -> None:
        self.stack: List[Any] = [variables]
        self.strict = strict
        self.missing = missing
        self.partials = partials
        self.max_depth = max_depth
        self.partial_path: List[str] = []


Emit = Callable[[_State], str]


def _report_missing(state: _State, name: str) -> None:
    if state.missing is None:
        state.missing = []
    if name not in state.missing:
        state.missing.append(name)


def missing_variables_error(missing: Sequence[str]) -> PromptlineError:
    """The one error of a strict render with unresolved names; lists every one."""
    listed = ", ".join('"%s"' % name for name in missing)
    return PromptlineError(
        "TEMPLATE_VARIABLE_MISSING",
        "Missing template variable%s: %s." % ("" if len(missing) == 1 else "s", listed),
        details={"missing": list(missing)},
        hint="Pass %s in variables, or render with strict: false." % ("it" if len(missing) == 1 else "them"),
    )


def _in_partial(name: str, error: Exception) -> Exception:
    if not isinstance(error, PromptlineError) or error.code != "TEMPLATE_SYNTAX":
        return error
    details = dict(error.details or {})
    details["partial"] = name
    return PromptlineError("TEMPLATE_SYNTAX", 'In partial "%s": %s' % (name, error.message), details=details)


def _compile_nodes(nodes: Sequence[Node]) -> Emit:
    head = ""
    parts: List[Tuple[Emit, str]] = []
    for node in nodes:
        if node[0] == "text":
            if parts:
                emit, after = parts[-1]
                parts[-1] = (emit, after + node[1])
            else:
                head += node[1]
        else:
            parts.append((_compile_node(node), ""))
    if not parts:
        return lambda state: head
    if len(parts) == 1:
        emit, after = parts[0]
        return lambda state: head + emit(state) + after

    def run(state: _State) -> str:
        out = [head]
        for emit, after in parts:
            out.append(emit(state))
            out.append(after)
        return "".join(out)

    return run


def _indent_lines(text: str, indent: str) -> str:
    # A trailing newline gets no indent: the line after the partial belongs to the includer.
    return indent + re.sub(r"\n(?!$)", "\n" + indent.replace("\\", "\\\\"), text)


def _compile_partial(name: str, indent: str) -> Emit:
    def run(state: _State) -> str:
        text = state.partials(name) if state.partials is not None else None
        path = state.partial_path
        if text is None:
            if not state.strict:
                return ""
            includer = path[-1] if path else None
            raise PromptlineError(
                "TEMPLATE_PARTIAL_NOT_FOUND",
                'Partial "%s" was not found (included by %s).'
                % (name, "the template" if includer is None else 'partial "%s"' % includer),
                details={"partial": name, "includedBy": includer},
                hint="Create it, pass it in partials, or render with strict: false.",
            )
        if len(path) >= state.max_depth:
            chain = " → ".join(["template"] + path + [name])
            raise PromptlineError(
                "TEMPLATE_PARTIAL_TOO_DEEP",
                "Partials nest deeper than %d levels (%s). Check for a partial that includes itself, or flatten the includes."
                % (state.max_depth, chain),
                details={"path": path + [name], "maxDepth": state.max_depth},
            )
        try:
            entry = compile_template(_indent_lines(text, indent) if indent else text)
        except PromptlineError as error:
            cause: Exception = error
            if indent:
                try:
                    compile_template(text)
                except PromptlineError as unindented:
                    cause = unindented
            raise _in_partial(name, cause) from None
        path.append(name)
        out = entry._run(state)
        path.pop()
        return out

    return run


def _compile_node(node: Node) -> Emit:
    kind = node[0]
    if kind == "var":
        name, path = node[1], node[2]
        head = path[0] if path else None
        rest = path[1:]

        def variable(state: _State) -> str:
            value = _resolve(state.stack, head, rest)
            if type(value) is str:
                return value
            if value is _MISSING:
                if state.strict:
                    _report_missing(state, name)
                return ""
            return to_text(value)

        return variable
    if kind == "section":
        inverted, name, path, children = node[1], node[2], node[3], node[4]
        head = path[0] if path else None
        rest = path[1:]
        body = _compile_nodes(children)
        if inverted:

            def inverted_section(state: _State) -> str:
                value = _resolve(state.stack, head, rest)
                if value is _MISSING:
                    if state.strict:
                        _report_missing(state, name)
                    return body(state)
                return body(state) if _falsy(value) else ""

            return inverted_section

        def section(state: _State) -> str:
            value = _resolve(state.stack, head, rest)
            if value is _MISSING:
                if state.strict:
                    _report_missing(state, name)
                return ""
            stack = state.stack
            if isinstance(value, (list, tuple)):
                out = []
                for item in value:
                    stack.append(item)
                    out.append(body(state))
                    stack.pop()
                return "".join(out)
            if value is True:
                return body(state)
            if _falsy(value):
                return ""
            stack.append(value)
            out = body(state)
            stack.pop()
            return out

        return section
    if kind == "partial":
        return _compile_partial(node[1], node[2])
    text = node[1]
    return lambda state: text


def _collect_variables(nodes: Sequence[Node], into: set) -> None:
    for node in nodes:
        if node[0] == "var":
            if node[2]:
                into.add(node[2][0])
        elif node[0] == "section":
            if node[3]:
                into.add(node[3][0])
            if node[1]:
                _collect_variables(node[4], into)


def _collect_partials(nodes: Sequence[Node], into: set) -> None:
    for node in nodes:
        if node[0] == "partial":
            into.add(node[1])
        elif node[0] == "section":
            _collect_partials(node[4], into)


class CompiledTemplate:
    """A parsed template, ready to render many times (immutable, shared through the cache)."""

    __slots__ = ("source", "variables", "partials", "_run")

    def __init__(self, source: str) -> None:
        nodes = parse_template(source)
        names: set = set()
        _collect_variables(nodes, names)
        partial_names: set = set()
        _collect_partials(nodes, partial_names)
        self.source = source
        #: Top-level variable names the caller must pass (sorted, unique).
        self.variables: Tuple[str, ...] = tuple(sorted(names))
        #: Partials included directly (sorted, unique).
        self.partials: Tuple[str, ...] = tuple(sorted(partial_names))
        self._run = _compile_nodes(nodes)

    def render(
        self,
        variables: Optional[Mapping[str, Any]] = None,
        *,
        strict: bool = True,
        partials: Optional[PartialLookup] = None,
        max_partial_depth: int = DEFAULT_MAX_PARTIAL_DEPTH,
    ) -> str:
        """Renders with ``variables``.

        :raises PromptlineError: ``TEMPLATE_VARIABLE_MISSING`` (strict, lists every missing name),
            ``TEMPLATE_PARTIAL_NOT_FOUND``, ``TEMPLATE_PARTIAL_TOO_DEEP``, ``TEMPLATE_SYNTAX`` (in a partial).
        """
        state = _State({} if variables is None else variables, strict, partials, max_partial_depth, None)
        out = self._run(state)
        if state.missing:
            raise missing_variables_error(state.missing)
        return out

    def render_collecting(
        self, variables: Any, strict: bool, partials: Optional[PartialLookup], missing: List[str]
    ) -> str:
        """Renders without raising for missing names: they are appended to ``missing``."""
        state = _State(variables, strict, partials, DEFAULT_MAX_PARTIAL_DEPTH, missing)
        return self._run(state)


_CACHE: "OrderedDict[str, CompiledTemplate]" = OrderedDict()
_CACHE_MAX = 1000


def compile_template(source: str) -> CompiledTemplate:
    """Parses a template once; later calls with the same text answer the cached object.

    :raises PromptlineError: ``TEMPLATE_SYNTAX`` with the line, column and the fix.
    """
    hit = _CACHE.get(source)
    if hit is not None:
        return hit
    compiled = CompiledTemplate(source)
    _CACHE[source] = compiled
    while len(_CACHE) > _CACHE_MAX:
        _CACHE.popitem(last=False)
    return compiled


def render_template(
    source: str,
    variables: Optional[Mapping[str, Any]] = None,
    *,
    strict: bool = True,
    partials: Optional[PartialLookup] = None,
) -> str:
    """Compiles (cached) and renders a template.

    >>> render_template('Hi {{name}}{{#tags}} #{{.}}{{/tags}}', {'name': 'Ada', 'tags': ['a', 'b']})
    'Hi Ada #a #b'
    """
    return compile_template(source).render(variables, strict=strict, partials=partials)


# --- contents: text or chat with placeholders -----------------------------------------------


def _is_placeholder(message: Mapping[str, Any]) -> bool:
    return message.get("type") == "placeholder"


def extract_variables(content: Mapping[str, Any]) -> List[str]:
    """Variables of a content (``{"type": "text", "template"}`` or ``{"type": "chat", "messages"}``):
    for chat, the union over the messages plus every placeholder's name. Sorted, unique."""
    if content.get("type") == "text":
        return list(compile_template(content["template"]).variables)
    names: set = set()
    for message in content.get("messages", []):
        if _is_placeholder(message):
            names.add(message["name"])
        else:
            names.update(compile_template(message["content"]).variables)
    return sorted(names)


def extract_partials(content: Mapping[str, Any]) -> List[str]:
    """Partial names a content includes (any chat message). Sorted, unique."""
    if content.get("type") == "text":
        return list(compile_template(content["template"]).partials)
    names: set = set()
    for message in content.get("messages", []):
        if not _is_placeholder(message):
            names.update(compile_template(message["content"]).partials)
    return sorted(names)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a object" if isinstance(value, Mapping) else "a " + type(value).__name__


def _placeholder_messages(name: str, value: Any) -> List[Dict[str, Any]]:
    expected = 'Pass variables.%s as an array of messages like [{ "role": "user", "content": "…" }].' % name
    if not isinstance(value, (list, tuple)):
        message = 'Placeholder "%s" needs an array of messages but got %s. %s' % (name, _describe(value), expected)
        raise PromptlineError(
            "VALIDATION_FAILED", message, errors=[{"path": "variables.%s" % name, "message": message}]
        )
    out = []
    for index, item in enumerate(value):
        if not (isinstance(item, Mapping) and isinstance(item.get("role"), str) and isinstance(item.get("content"), str)):
            message = 'Placeholder "%s": element %d must be an object with string "role" and "content", got %s. %s' % (
                name,
                index,
                _describe(item),
                expected,
            )
            raise PromptlineError(
                "VALIDATION_FAILED", message, errors=[{"path": "variables.%s.%d" % (name, index), "message": message}]
            )
        out.append(dict(item))
    return out


def render_messages(
    messages: Sequence[Mapping[str, Any]],
    variables: Mapping[str, Any],
    *,
    strict: bool = True,
    partials: Optional[PartialLookup] = None,
) -> List[Dict[str, Any]]:
    """Renders chat messages: each message's content as a template, each placeholder replaced by the
    list of messages passed under its name. Strict mode reports every missing name in one error.

    :raises PromptlineError: ``TEMPLATE_VARIABLE_MISSING``, ``VALIDATION_FAILED`` (a placeholder's
        value is not a list of messages), ``TEMPLATE_*``.
    """
    missing: List[str] = []
    out: List[Dict[str, Any]] = []
    for message in messages:
        if _is_placeholder(message):
            name = message["name"]
            if name not in variables:
                if strict and name not in missing:
                    missing.append(name)
                continue
            out.extend(_placeholder_messages(name, variables[name]))
        else:
            compiled = compile_template(message["content"])
            text = compiled.render_collecting(variables, strict, partials, missing)
            out.append({"role": message["role"], "content": text})
    if missing:
        raise missing_variables_error(missing)
    return out
