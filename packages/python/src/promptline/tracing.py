"""Recording and export of spans and scores: ``record``, ``trace`` and ``score`` serialise on the
caller's thread (a JSON dump and a queue append) and one background thread sends them to the native
ingest API (``POST /api/v1/traces``, ``POST /api/v1/scores``) in batches, with a bounded buffer that
drops the oldest when the server is away too long. Nothing here raises to the caller: every failure
goes to ``on_error`` and every dropped item is counted."""

import atexit
import contextvars
import http.client
import json
import math
import random
import re
import secrets
import threading
import time
import weakref
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Deque, Dict, Iterator, List, Mapping, Optional, Union

from .errors import PromptlineError
from .http import Response, connect, http_error, path_of, retry_after_seconds, retryable, unreachable

MAX_SPANS_PER_BATCH = 1_000
MAX_TRACE_BATCH_BYTES = 5 * 1024 * 1024
MAX_SPAN_TEXT_LENGTH = 1_024
MAX_ATTRIBUTE_VALUE_LENGTH = 16_384
_BATCH_OVERHEAD = len('{"spans":[]}')
_TRACE_ID = re.compile(r"^(?!0+$)[0-9a-f]{32}$")
_SPAN_ID = re.compile(r"^(?!0+$)[0-9a-f]{16}$")
_SCORE_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")

TimeInput = Union[datetime, int, float, str]


@dataclass
class TracingOptions:
    """Options of tracing (``Client(tracing=…)`` or ``Tracer``); durations in seconds."""

    #: False turns recording into a no-op.
    enabled: bool = True
    #: Every this many seconds, what is queued is sent.
    flush_interval: float = 1.0
    #: A batch leaves as soon as this many spans wait (at most 1 000).
    max_batch_size: int = 500
    #: Spans kept while the server is unreachable; beyond it the oldest are dropped.
    max_queue_size: int = 10_000
    #: Timeout of one export request.
    request_timeout: float = 10.0
    #: Retry backoff of export: base and cap, full jitter.
    retry_base: float = 0.5
    retry_max: float = 30.0
    #: How long ``close()`` (and the interpreter's exit) keeps trying to send what is queued.
    close_timeout: float = 5.0


@dataclass(frozen=True)
class SpanRef:
    """Where a span sits in its trace."""

    trace_id: str
    span_id: str


@dataclass(frozen=True)
class ExportStats:
    """Export counters so far: spans waiting, acknowledged and given up; the same for scores."""

    queued: int
    sent: int
    dropped: int
    scores_queued: int
    scores_sent: int
    scores_dropped: int


def new_trace_id() -> str:
    """32 lowercase hex digits, never all zero."""
    while True:
        value = secrets.token_hex(16)
        if value.strip("0"):
            return value


def new_span_id() -> str:
    """16 lowercase hex digits, never all zero."""
    while True:
        value = secrets.token_hex(8)
        if value.strip("0"):
            return value


def is_trace_id(value: Any) -> bool:
    return isinstance(value, str) and _TRACE_ID.match(value) is not None


def is_span_id(value: Any) -> bool:
    return isinstance(value, str) and _SPAN_ID.match(value) is not None


_active: "contextvars.ContextVar[Optional[SpanRef]]" = contextvars.ContextVar("promptline_active_span", default=None)


def _text(value: Any, limit: int = MAX_SPAN_TEXT_LENGTH) -> Optional[str]:
    if value is None:
        return None
    s = value if isinstance(value, str) else str(value)
    if s == "":
        return None
    return s[:limit]


def _epoch_ms(value: Optional[TimeInput], name: str) -> Optional[float]:
    if value is None:
        return None
    ms: float
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        ms = moment.timestamp() * 1000
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ms = float(value)
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
        except ValueError:
            ms = math.nan
        else:
            return _epoch_ms(parsed, name)
    else:
        ms = math.nan
    if not math.isfinite(ms) or ms < 0:
        raise PromptlineError(
            "VALIDATION_FAILED", "Span %s %r is not a time: pass a datetime, epoch ms or ISO-8601." % (name, value)
        )
    # Microseconds are the finest a stored span keeps.
    return round(ms * 1000) / 1000


def _prompt_link(ref: Any, environment: Optional[str]) -> Optional[Dict[str, Any]]:
    """The registry link of a prompt (what ``client.prompt()`` answered, or a mapping with ``name``
    and ``version``); a fallback (version 0) links nothing."""

    def get(key: str) -> Any:
        return ref.get(key) if isinstance(ref, Mapping) else getattr(ref, key, None)

    version = get("version")
    if get("source") == "fallback" or not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return None
    link: Dict[str, Any] = {"name": get("name"), "version": version}
    env = get("environment") or environment
    if env is not None:
        link["environment"] = env
    if get("variant") is not None:
        link["variant"] = get("variant")
    return link


def _error_message(error: Any) -> str:
    if isinstance(error, BaseException):
        return str(error) or type(error).__name__
    return error if isinstance(error, str) else str(error)


class _UnsetType:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNSET"


_UNSET: Any = _UnsetType()

#: Keyword fields of a span and their wire names.
_FIELDS = {
    "unit": "unit",
    "provider": "provider",
    "model": "model",
    "usage": "usage",
    "cost_usd": "costUsd",
    "time_to_first_token_ms": "timeToFirstTokenMs",
    "input": "input",
    "output": "output",
    "variables": "variables",
    "user_id": "userId",
    "session_id": "sessionId",
    "attributes": "attributes",
}
_TEXT_FIELDS = {"unit", "provider", "model", "user_id", "session_id"}


def build_span(name: Any, fields: Mapping[str, Any], active: Optional[SpanRef], environment: Optional[str]) -> Dict[str, Any]:
    """Builds one span of the contract (``SpanInput``) from ``record``'s arguments.

    :raises PromptlineError: ``VALIDATION_FAILED`` for ids or times that cannot be sent.
    """
    unknown = set(fields) - set(_FIELDS) - {
        "trace_id", "span_id", "parent_span_id", "start_time", "end_time", "duration_ms",
        "prompt", "status", "status_message", "error",
    }  # fmt: skip
    if unknown:
        raise PromptlineError("VALIDATION_FAILED", "Unknown span field(s): %s." % ", ".join(sorted(unknown)))
    span_name = _text(name)
    if span_name is None:
        raise PromptlineError("VALIDATION_FAILED", "A span needs a non-empty `name`.")
    trace_id = fields.get("trace_id")
    span_id = fields.get("span_id")
    parent = fields.get("parent_span_id", _UNSET)
    if trace_id is not None and not is_trace_id(trace_id):
        raise PromptlineError("VALIDATION_FAILED", 'trace_id "%s" is not 32 lowercase hex digits.' % trace_id)
    if span_id is not None and not is_span_id(span_id):
        raise PromptlineError("VALIDATION_FAILED", 'span_id "%s" is not 16 lowercase hex digits.' % span_id)
    if isinstance(parent, str) and not is_span_id(parent):
        raise PromptlineError("VALIDATION_FAILED", 'parent_span_id "%s" is not 16 lowercase hex digits.' % parent)
    # The active span is the parent only within its own trace.
    inherit = parent is _UNSET and (trace_id is None or (active is not None and trace_id == active.trace_id))
    trace_id = trace_id or (active.trace_id if inherit and active is not None else None) or new_trace_id()
    span_id = span_id or new_span_id()
    if parent is _UNSET:
        parent = active.span_id if inherit and active is not None else None

    end = _epoch_ms(fields.get("end_time"), "end_time")
    if end is None:
        end = round(time.time() * 1_000_000) / 1000
    start = _epoch_ms(fields.get("start_time"), "start_time")
    if start is None:
        duration = fields.get("duration_ms")
        ok = isinstance(duration, (int, float)) and not isinstance(duration, bool) and math.isfinite(duration)
        start = max(0.0, end - duration) if ok else end

    error = fields.get("error")
    failed = error is not None or fields.get("status") == "error"
    status_message = _text(
        fields.get("status_message") if fields.get("status_message") is not None else (None if error is None else _error_message(error)),
        MAX_ATTRIBUTE_VALUE_LENGTH,
    )
    span: Dict[str, Any] = {"traceId": trace_id, "spanId": span_id}
    if parent is not None:
        span["parentSpanId"] = parent
    span.update({"name": span_name, "startTime": min(start, end), "endTime": end, "status": "error" if failed else "ok"})
    if status_message is not None:
        span["statusMessage"] = status_message
    attributes = fields.get("attributes")
    ref = fields.get("prompt")
    if ref is not None:
        link = _prompt_link(ref, environment)
        if link is not None:
            span["prompt"] = link
        else:
            # Served from the application's fallback: kept visible without a registry link.
            attributes = dict(attributes or {})
            attributes["promptline.fallback"] = ref.get("name") if isinstance(ref, Mapping) else getattr(ref, "name", None)
    for key, wire in _FIELDS.items():
        value = attributes if key == "attributes" else fields.get(key)
        if key in _TEXT_FIELDS:
            value = _text(value)
        if value is not None:
            span[wire] = value
    return span


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)


class ActiveSpan:
    """The span of a running ``trace()``: add what you learn while it runs with ``set``."""

    def __init__(self, trace_id: str, span_id: str, fields: Dict[str, Any]) -> None:
        self.trace_id = trace_id
        self.span_id = span_id
        self._fields = fields

    def set(self, **fields: Any) -> None:
        """Merges fields into the span; later values win, ``attributes`` are merged key by key."""
        attributes = fields.get("attributes")
        if attributes is not None and self._fields.get("attributes") is not None:
            fields = dict(fields, attributes={**self._fields["attributes"], **attributes})
        self._fields.update(fields)

    @property
    def ref(self) -> SpanRef:
        return SpanRef(self.trace_id, self.span_id)


class _Backoff:
    """Exponential backoff with full jitter: attempt n waits uniform in [base/2, min(max, base·2ⁿ)]."""

    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap
        self.attempt = 0

    def next(self) -> float:
        ceiling = min(self.cap, self.base * 2 ** self.attempt)
        self.attempt = min(self.attempt + 1, 30)
        floor = min(self.base / 2, ceiling)
        return floor + random.random() * (ceiling - floor)

    def reset(self) -> None:
        self.attempt = 0

    def set_base(self, seconds: float) -> None:
        self.base = max(0.001, min(seconds, self.cap))


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


class _Exporter:
    """The bounded queues and the one worker thread that empties them."""

    def __init__(self, base_url: str, api_key: str, options: TracingOptions, report: Callable[[PromptlineError], None]) -> None:
        self._base = base_url
        self._options = options
        self._report = report
        self._max_batch = max(1, min(options.max_batch_size, MAX_SPANS_PER_BATCH))
        self._capacity = max(1, options.max_queue_size)
        self._score_capacity = max(1, min(options.max_queue_size, 10_000))
        self._spans: Deque[str] = deque()
        self._scores: Deque[str] = deque()
        self._splits: List[List[str]] = []
        self._headers = {
            "authorization": "Bearer " + api_key,
            "content-type": "application/json",
            "x-promptline-source": "sdk",
        }
        self._cond = threading.Condition()
        self._backoff = _Backoff(options.retry_base, options.retry_max)
        self._thread: Optional[threading.Thread] = None
        self._conn: Optional[http.client.HTTPConnection] = None
        self._sent = self._dropped = self._scores_sent = self._scores_dropped = 0
        self._in_flight = 0
        # A score being sent is out of its queue: flush() must still wait for it.
        self._score_in_flight = False
        self._overflow_spans = self._overflow_scores = 0
        self._retry_at = 0.0
        self._retry_hint: Optional[float] = None
        self._urgent = False
        self._stopping = False
        self._closed = False
        self._told_after_close = False

    # -- caller side ------------------------------------------------------------------------

    def add_span(self, payload: str) -> None:
        with self._cond:
            if self._closed:
                self._dropped += 1
                self._after_close("span")
                return
            size = _utf8_len(payload)
            if size + _BATCH_OVERHEAD > MAX_TRACE_BATCH_BYTES:
                self._dropped += 1
                self._report(
                    PromptlineError(
                        "PAYLOAD_TOO_LARGE",
                        "Dropped a span of %d bytes: a batch may carry at most %d bytes. Record less input/output on it."
                        % (size, MAX_TRACE_BATCH_BYTES),
                        details={"spans": 1},
                    )
                )
                return
            if len(self._spans) + self._in_flight >= self._capacity and self._spans:
                self._spans.popleft()
                self._dropped += 1
                self._overflow_spans += 1
            self._spans.append(payload)
            self._ensure_thread()
            if len(self._spans) >= self._max_batch:
                # Size trigger: the batch leaves from the worker, never inside the caller's call.
                self._urgent = True
                self._cond.notify_all()

    def add_score(self, payload: str) -> None:
        with self._cond:
            if self._closed:
                self._scores_dropped += 1
                self._after_close("score")
                return
            if len(self._scores) >= self._score_capacity:
                self._scores.popleft()
                self._scores_dropped += 1
                self._overflow_scores += 1
            self._scores.append(payload)
            self._ensure_thread()

    def flush(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            self._urgent = True
            self._cond.notify_all()
            while self._pending() or self._in_flight or self._score_in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._thread is None or not self._thread.is_alive():
                    break
                self._cond.wait(min(remaining, 0.05))
            done = not self._pending() and not self._in_flight and not self._score_in_flight
        self._report_overflow()
        return done

    def close(self, timeout: float) -> bool:
        done = self.flush(timeout)
        with self._cond:
            self._closed = True
            self._stopping = True
            left = len(self._spans) + sum(len(b) for b in self._splits)
            left_scores = len(self._scores)
            self._spans.clear()
            self._scores.clear()
            self._splits.clear()
            self._dropped += left
            self._scores_dropped += left_scores
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=max(0.1, self._options.request_timeout))
        if left or left_scores:
            self._report(
                PromptlineError(
                    "TELEMETRY_DROPPED",
                    "close() gave up after %g s with %d span(s) and %d score(s) unsent; they are dropped. Is the server reachable?"
                    % (timeout, left, left_scores),
                    details={"spans": left, "scores": left_scores, "totalDropped": self._dropped},
                )
            )
        return done

    def stats(self) -> ExportStats:
        with self._cond:
            return ExportStats(
                queued=len(self._spans) + self._in_flight + sum(len(b) for b in self._splits),
                sent=self._sent,
                dropped=self._dropped,
                scores_queued=len(self._scores),
                scores_sent=self._scores_sent,
                scores_dropped=self._scores_dropped,
            )

    # -- worker side ------------------------------------------------------------------------

    def _after_close(self, what: str) -> None:
        if self._told_after_close:
            return
        self._told_after_close = True
        self._report(
            PromptlineError(
                "TELEMETRY_DROPPED",
                "A %s was recorded after close(): it is dropped, as is everything recorded from now on. Record before closing the client." % what,
                details={"afterClose": True},
            )
        )

    def _pending(self) -> bool:
        return bool(self._splits or self._spans or self._scores)

    def _ensure_thread(self) -> None:
        if self._thread is None and not self._stopping:
            self._thread = threading.Thread(target=self._run, name="promptline-export", daemon=True)
            self._thread.start()

    def _report_overflow(self) -> None:
        with self._cond:
            spans, scores = self._overflow_spans, self._overflow_scores
            self._overflow_spans = self._overflow_scores = 0
        if not spans and not scores:
            return
        what = " and ".join(p for p in ("%d span(s)" % spans if spans else "", "%d score(s)" % scores if scores else "") if p)
        self._report(
            PromptlineError(
                "TELEMETRY_DROPPED",
                "Dropped %s, oldest first: the export queue holds at most %d spans and the server has not taken them fast enough "
                "(is it reachable?). Raise `max_queue_size` or check the server." % (what, self._capacity),
                details={"spans": spans, "scores": scores, "totalDropped": self._dropped},
            )
        )

    def _run(self) -> None:
        interval = max(0.01, self._options.flush_interval)
        next_tick = time.monotonic() + interval
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        self._close_conn()
                        return
                    now = time.monotonic()
                    if now >= next_tick:
                        next_tick = now + interval
                        break
                    if self._urgent and self._pending() and now >= self._retry_at:
                        break
                    wait = next_tick - now
                    if self._urgent and self._pending():
                        wait = min(wait, self._retry_at - now)
                    self._cond.wait(max(0.001, wait))
                self._urgent = False
            self._report_overflow()
            try:
                self._pump()
            except Exception as error:  # noqa: BLE001 — the worker must survive anything
                self._report(PromptlineError("INTERNAL", "Trace export failed unexpectedly: %r" % error))
            with self._cond:
                self._cond.notify_all()

    def _pump(self) -> None:
        while True:
            with self._cond:
                if self._stopping or not self._pending() or time.monotonic() < self._retry_at:
                    return
                spans_first = bool(self._splits or self._spans)
            # Spans first: a score may name a span that is still queued.
            outcome = self._send_spans() if spans_first else self._send_score()
            with self._cond:
                if outcome == "retry":
                    delay = max(self._retry_hint or 0.0, self._backoff.next())
                    self._retry_hint = None
                    self._retry_at = time.monotonic() + delay
                    return
                self._backoff.reset()
                self._retry_at = 0.0
                self._cond.notify_all()

    def _post(self, path: str, body: bytes) -> Response:
        if self._conn is None:
            self._conn = connect(self._base, self._options.request_timeout)
        try:
            self._conn.request("POST", path_of(self._base) + path, body=body, headers=self._headers)
            raw = self._conn.getresponse()
            data = raw.read()
        except BaseException:
            self._close_conn()
            raise
        if raw.will_close:
            self._close_conn()
        return Response(raw.status, raw.reason, {k.lower(): v for k, v in raw.getheaders()}, data)

    def _close_conn(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _take_batch(self) -> List[str]:
        with self._cond:
            if self._splits:
                batch = self._splits.pop(0)
            else:
                batch = []
                size = _BATCH_OVERHEAD
                while self._spans and len(batch) < self._max_batch:
                    item_size = _utf8_len(self._spans[0]) + 1
                    if batch and size + item_size > MAX_TRACE_BATCH_BYTES:
                        break
                    batch.append(self._spans.popleft())
                    size += item_size
            self._in_flight = len(batch)
            return batch

    def _requeue(self, batch: List[str]) -> None:
        """Puts a failed batch back in front; what no longer fits is the oldest and goes."""
        for i in range(len(batch) - 1, -1, -1):
            if len(self._spans) >= self._capacity:
                self._dropped += i + 1
                self._overflow_spans += i + 1
                return
            self._spans.appendleft(batch[i])

    def _send_spans(self) -> str:
        batch = self._take_batch()
        try:
            try:
                response = self._post("/api/v1/traces", ('{"spans":[' + ",".join(batch) + "]}").encode("utf-8"))
            except (OSError, http.client.HTTPException, ValueError) as error:
                with self._cond:
                    self._requeue(batch)
                self._report(unreachable(self._base, "trace export", error))
                return "retry"
            if 200 <= response.status < 300:
                with self._cond:
                    self._sent += len(batch)
                return "sent"
            error = http_error(
                response, "POST /api/v1/traces", ("ROUTE_NOT_FOUND", " Upgrade the Promptline server: this one has no trace ingestion.")
            )
            if retryable(response.status):
                with self._cond:
                    self._retry_hint = retry_after_seconds(response)
                    self._requeue(batch)
                self._report(error)
                return "retry"
            if response.status in (413, 422) and len(batch) > 1:
                bad = _named_indices(error, len(batch)) if response.status == 422 else set()
                with self._cond:
                    if bad:
                        self._dropped += len(bad)
                        self._requeue([s for i, s in enumerate(batch) if i not in bad])
                    else:
                        # The server did not say which span: try each half, down to the one it refuses.
                        half = (len(batch) + 1) // 2
                        self._splits[0:0] = [batch[:half], batch[half:]]
                if bad:
                    self._report(_with_dropped(error, len(bad), "span"))
                return "sent"
            with self._cond:
                self._dropped += len(batch)
            self._report(_with_dropped(error, len(batch), "span"))
            return "sent"
        finally:
            with self._cond:
                self._in_flight = 0

    def _send_score(self) -> str:
        with self._cond:
            if not self._scores:
                return "sent"
            score = self._scores.popleft()
            self._score_in_flight = True
        try:
            return self._post_score(score)
        finally:
            with self._cond:
                self._score_in_flight = False

    def _post_score(self, score: str) -> str:
        try:
            response = self._post("/api/v1/scores", score.encode("utf-8"))
        except (OSError, http.client.HTTPException, ValueError) as error:
            with self._cond:
                self._scores.appendleft(score)
            self._report(unreachable(self._base, "score export", error))
            return "retry"
        if 200 <= response.status < 300:
            with self._cond:
                self._scores_sent += 1
            return "sent"
        error = http_error(
            response, "POST /api/v1/scores", ("ROUTE_NOT_FOUND", " Upgrade the Promptline server: this one does not take scores.")
        )
        if retryable(response.status):
            with self._cond:
                self._retry_hint = retry_after_seconds(response)
                self._scores.appendleft(score)
            self._report(error)
            return "retry"
        with self._cond:
            self._scores_dropped += 1
        self._report(_with_dropped(error, 1, "score"))
        return "sent"


def _named_indices(error: PromptlineError, size: int) -> set:
    indices = set()
    for issue in error.errors or []:
        match = re.match(r"^(?:body\.)?spans[.\[](\d+)", str(issue.get("path", "")))
        if match is not None and int(match.group(1)) < size:
            indices.add(int(match.group(1)))
    return indices


def _with_dropped(error: PromptlineError, count: int, what: str) -> PromptlineError:
    details = dict(error.details or {})
    details[what + "s"] = count
    return PromptlineError(
        error.code,
        "%s Dropped %d %s(s): the server refused them." % (error.message, count, what),
        details=details,
        errors=error.errors,
    )


def _close_at_exit(ref: "weakref.ref[Tracer]") -> None:
    tracer = ref()
    if tracer is not None:
        tracer.close()


class Tracer:
    """Records spans and scores and exports them in the background. ``Client`` has the same methods.

    >>> tracer = Tracer('http://127.0.0.1:4100', api_key)  # doctest: +SKIP
    >>> tracer.record('summarise', model='gpt-4o-mini', usage={'input': 120, 'output': 30}, duration_ms=840)  # doctest: +SKIP
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        environment: Optional[str] = None,
        on_error: Optional[Callable[[PromptlineError], None]] = None,
        tracing: Optional[TracingOptions] = None,
    ) -> None:
        self._environment = environment
        self._on_error = on_error
        self._options = tracing or TracingOptions()
        self._exporter: Optional[_Exporter] = (
            _Exporter(url.rstrip("/"), api_key, self._options, self._report) if self._options.enabled else None
        )
        self._closed = False
        # Queued spans are sent when the interpreter exits normally, within close_timeout.
        atexit.register(_close_at_exit, weakref.ref(self))

    def _report(self, error: PromptlineError) -> None:
        if self._on_error is None:
            import logging

            logging.getLogger("promptline").warning("%s: %s", error.code, error.message)
            return
        try:
            self._on_error(error)
        except Exception:  # noqa: BLE001 — a throwing handler must not reach the code that recorded
            pass

    def record(self, name: str, **fields: Any) -> SpanRef:
        """Records one span (an LLM call you made yourself, a tool call…). Ids and times are filled
        when absent; inside ``trace()`` it becomes a child of the active span. Never raises.

        Fields: ``trace_id``, ``span_id``, ``parent_span_id`` (None: a root span), ``start_time``,
        ``end_time`` (datetime, epoch ms or ISO-8601), ``duration_ms``, ``prompt`` (what
        ``client.prompt()`` answered), ``unit``, ``provider``, ``model``, ``usage`` (``{"input":
        812, "output": 64}``), ``cost_usd``, ``time_to_first_token_ms``, ``input``, ``output``,
        ``variables``, ``user_id``, ``session_id``, ``attributes``, ``status``, ``status_message``, ``error``.
        """
        try:
            span = build_span(name, fields, _active.get(), self._environment)
            payload = _dumps(span)
            if self._exporter is not None:
                self._exporter.add_span(payload)
            return SpanRef(span["traceId"], span["spanId"])
        except Exception as error:  # noqa: BLE001 — recording never raises
            self._report(
                error if isinstance(error, PromptlineError) else PromptlineError("VALIDATION_FAILED", "Could not record span %r: %s" % (name, error))
            )
            trace_id = fields.get("trace_id")
            span_id = fields.get("span_id")
            return SpanRef(
                trace_id if is_trace_id(trace_id) else new_trace_id(),
                span_id if is_span_id(span_id) else new_span_id(),
            )

    @contextmanager
    def trace(self, name: str, *, parent: Any = _UNSET, **fields: Any) -> Iterator[ActiveSpan]:
        """A span around a block: it ends when the block does (an exception marks it failed and
        propagates unchanged). Spans recorded inside become its children.

        >>> with client.trace('answer-ticket', user_id=user.id) as span:  # doctest: +SKIP
        ...     span.set(output=answer)
        """
        given = _active.get() if parent is _UNSET else parent
        parent_ref = given.ref if isinstance(given, ActiveSpan) else given
        trace_id = parent_ref.trace_id if parent_ref is not None else new_trace_id()
        span = ActiveSpan(trace_id, new_span_id(), dict(fields))
        start = time.time()
        t0 = time.perf_counter()
        token = _active.set(span.ref)
        error: Optional[BaseException] = None
        try:
            yield span
        except BaseException as raised:
            error = raised
            raise
        finally:
            _active.reset(token)
            recorded = dict(span._fields)
            if error is not None:
                recorded["error"] = error
            start_ms = start * 1000
            recorded.update(
                trace_id=trace_id,
                span_id=span.span_id,
                parent_span_id=parent_ref.span_id if parent_ref is not None else None,
                start_time=start_ms,
                end_time=start_ms + (time.perf_counter() - t0) * 1000,
            )
            self.record(name, **recorded)

    def score(
        self,
        trace_id: str,
        name: str,
        value: Union[float, bool, str],
        *,
        span_id: Optional[str] = None,
        comment: Optional[str] = None,
        source: Optional[str] = None,
    ) -> None:
        """Attaches a score (user feedback, an evaluator's verdict) to a trace or one of its spans;
        sent after the spans queued before it. Never raises."""
        try:
            if not is_trace_id(trace_id):
                raise PromptlineError("VALIDATION_FAILED", 'score: trace_id "%s" is not 32 lowercase hex digits.' % trace_id)
            if span_id is not None and not is_span_id(span_id):
                raise PromptlineError("VALIDATION_FAILED", 'score: span_id "%s" is not 16 lowercase hex digits.' % span_id)
            if not isinstance(name, str) or _SCORE_NAME.match(name) is None:
                raise PromptlineError(
                    "VALIDATION_FAILED",
                    'score: name "%s" must be 1–100 letters, digits, "_", ".", ":" or "-" (e.g. helpfulness).' % name,
                )
            body: Dict[str, Any] = {"traceId": trace_id}
            if span_id is not None:
                body["spanId"] = span_id
            body.update(name=name, value=value)
            if comment is not None:
                body["comment"] = comment
            if source is not None:
                body["source"] = source
            if self._exporter is not None:
                self._exporter.add_score(_dumps(body))
        except Exception as error:  # noqa: BLE001 — recording never raises
            self._report(error if isinstance(error, PromptlineError) else PromptlineError("VALIDATION_FAILED", "Could not record a score: %s" % error))

    def active_span(self) -> Optional[SpanRef]:
        """The span active here (inside ``trace()``), if any."""
        return _active.get()

    def flush(self, timeout: float = 10.0) -> bool:
        """Sends what is queued now; True once the server acknowledged all of it, False at the timeout."""
        return True if self._exporter is None else self._exporter.flush(timeout)

    def tracing_stats(self) -> ExportStats:
        """Export counters: queued, sent and dropped spans and scores."""
        if self._exporter is None:
            return ExportStats(0, 0, 0, 0, 0, 0)
        return self._exporter.stats()

    def close(self) -> None:
        """Flushes (up to ``close_timeout``), then stops the export; what is left is dropped and reported."""
        if self._closed:
            return
        self._closed = True
        if self._exporter is not None:
            self._exporter.close(self._options.close_timeout)


__all__ = ["ActiveSpan", "ExportStats", "SpanRef", "Tracer", "TracingOptions"]
