"""The Promptline client: keeps an environment's snapshot in memory, resolves and renders prompts
from it on the caller's thread without any I/O, and follows deployment changes over server-sent
events (or polling) on one background thread. Mirrors ``@promptline/sdk``'s ``createClient``."""

import http.client
import json
import logging
import os
import socket
import threading
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional
from urllib.parse import quote

from .errors import PromptlineError
from .http import Response, connect, http_error, path_of, request, unreachable
from .resolve import (
    PromptEntry,
    ResolvedPrompt,
    Snapshot,
    build_entries,
    build_fallback,
    changed_prompts,
    pick,
    snapshot_problem,
    update_entries,
)
from .sse import SseEvent, SseParser
from .tracing import ExportStats, SpanRef, Tracer, TracingOptions, _Backoff
from .types import UpdateEvent

_NOT_SUPPORTED = (404, 405, 501)
#: In polling mode the stream is tried again after this many polls (the server may have been upgraded).
_POLLS_BETWEEN_STREAM_ATTEMPTS = 20
_logger = logging.getLogger("promptline")


def normalize_etag(etag: Optional[str]) -> str:
    """``W/"abc"``, ``"abc"`` and ``abc`` name the same snapshot."""
    if etag is None:
        return ""
    raw = etag[2:] if etag.startswith("W/") else etag
    return raw[1:-1] if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"') else raw


def _etag_header(etag: str) -> str:
    return etag if etag.startswith('"') or etag.startswith('W/"') else '"%s"' % etag


def _unreadable(source: str, problem: str) -> PromptlineError:
    return PromptlineError(
        "INTERNAL",
        "The snapshot from %s is not one this SDK understands (%s); upgrade the promptline package or the server. "
        "Keeping the previous snapshot." % (source, problem),
    )


class Client:
    """A live view of one environment's deployed prompts, and the recorder of what the application
    did with them. Durations are in seconds.

    >>> client = Client('http://127.0.0.1:4100', api_key, 'production')  # doctest: +SKIP
    >>> client.ready()  # doctest: +SKIP
    'server'
    >>> client.prompt('support/triage', unit=user_id).render({'ticket': ticket})  # doctest: +SKIP
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        environment: str,
        *,
        fallbacks: Optional[Mapping[str, Mapping[str, Any]]] = None,
        cache_path: Optional[str] = None,
        on_error: Optional[Callable[[PromptlineError], None]] = None,
        updates: str = "stream",
        poll_interval: float = 30.0,
        ready_timeout: float = 5.0,
        request_timeout: float = 10.0,
        heartbeat_timeout: float = 45.0,
        reconnect_base: float = 1.0,
        reconnect_max: float = 30.0,
        tracing: Optional[TracingOptions] = None,
    ) -> None:
        if updates not in ("stream", "poll", "off"):
            raise ValueError("updates must be 'stream', 'poll' or 'off', got %r" % updates)
        self._base = url.rstrip("/")
        self._environment = environment
        env_path = "/api/v1/environments/" + quote(environment, safe="")
        self._snapshot_path = env_path + "/snapshot"
        self._stream_path = env_path + "/stream"
        self._auth = "Bearer " + api_key
        self._cache_path = cache_path
        self._on_error = on_error
        self._updates = updates
        self._poll_interval = poll_interval
        self._ready_timeout = ready_timeout
        self._request_timeout = request_timeout
        self._heartbeat_timeout = heartbeat_timeout
        self._reconnect = (reconnect_base, reconnect_max)

        self._snapshot: Optional[Snapshot] = None
        self._source: Optional[str] = None
        self._etag_header: Optional[str] = None
        self._entries: Dict[str, PromptEntry] = {}
        self._adoptions = 0
        self._connection = "idle" if updates == "off" else "connecting"
        self._lock = threading.RLock()
        self._update_listeners: List[Callable[[UpdateEvent], None]] = []
        self._error_listeners: List[Callable[[PromptlineError], None]] = []
        self._stop = threading.Event()
        self._started = threading.Event()
        self._refresh_cond = threading.Condition()
        self._refreshing = False
        self._again = False
        self._refresh_round = 0
        self._refresh_ok = False
        self._stream_conn: Optional[http.client.HTTPConnection] = None
        self._stream_sock: Optional[socket.socket] = None

        # Fallbacks compile now: a broken fallback is a bug in the application, better met at start.
        self._fallbacks = {
            name: build_fallback(name, environment, fallback, lambda: self._snapshot) for name, fallback in (fallbacks or {}).items()
        }
        self._tracer = Tracer(url, api_key, environment=environment, on_error=self._emit_error, tracing=tracing)
        self._thread = threading.Thread(target=self._main, name="promptline-updates", daemon=True)
        self._thread.start()

    # -- public API --------------------------------------------------------------------------

    def ready(self, timeout: Optional[float] = None) -> str:
        """Waits until the first snapshot is loaded — or, when the server cannot be reached, until the
        disk copy (if any) is in memory, or ``timeout`` seconds. Never raises: answers what serves now
        (``server``, ``cache`` or ``fallback``)."""
        self._started.wait(self._ready_timeout if timeout is None else timeout)
        return self._source or "fallback"

    def prompt(self, name: str, *, unit: Optional[str] = None, attributes: Optional[Mapping[str, Any]] = None) -> ResolvedPrompt:
        """Resolves ``name`` from memory for ``unit`` and context ``attributes`` (read by the
        release's targeting rules): the same version as the server's ``resolve``.

        :raises PromptlineError: ``DEPLOYMENT_NOT_FOUND`` when the environment serves nothing for it
            (not deployed, or switched off) and no fallback was given. Never because of the network.
        """
        entry = self._entries.get(name)
        if entry is not None:
            snapshot = self._snapshot
            resolved = pick(name, entry, unit, attributes, None if snapshot is None else snapshot.get("segments"))
            if resolved is not None:
                return resolved
        fallback = self._fallbacks.get(name)
        if fallback is not None:
            return fallback.resolved[0]
        raise self._not_found(name, entry)

    def on(self, event: str, listener: Callable[[Any], None]) -> Callable[[], None]:
        """Subscribes to ``update`` (a new snapshot is in memory) or ``error``; answers the unsubscribe
        function. Listeners run on the client's background thread."""
        listeners: List[Any]
        if event == "update":
            listeners = self._update_listeners
        elif event == "error":
            listeners = self._error_listeners
        else:
            raise ValueError("event must be 'update' or 'error', got %r" % event)
        listeners.append(listener)

        def off() -> None:
            if listener in listeners:
                listeners.remove(listener)

        return off

    def refresh(self) -> bool:
        """Fetches the snapshot now (with ``If-None-Match``); True when memory holds the server's current one."""
        with self._refresh_cond:
            if self._refreshing:
                # One request at a time; a request asked for meanwhile runs once more after it.
                self._again = True
                round_ = self._refresh_round
                while self._refreshing and self._refresh_round == round_:
                    self._refresh_cond.wait()
                return self._refresh_ok
            self._refreshing = True
        ok = False
        try:
            while True:
                with self._refresh_cond:
                    self._again = False
                ok = self._fetch_once()
                with self._refresh_cond:
                    if not self._again or self._stop.is_set():
                        break
        finally:
            with self._refresh_cond:
                self._refreshing = False
                self._refresh_ok = ok
                self._refresh_round += 1
                self._refresh_cond.notify_all()
        return ok

    @property
    def etag(self) -> Optional[str]:
        """The ETag of the snapshot in memory, None before the first load."""
        snapshot = self._snapshot
        return None if snapshot is None else snapshot["etag"]

    @property
    def connection(self) -> str:
        """How the client follows changes: ``connecting``, ``streaming``, ``polling``, ``idle`` or ``closed``."""
        return self._connection

    def close(self) -> None:
        """Sends the spans and scores still queued (up to ``tracing.close_timeout``), then stops the
        stream, polling and the background thread."""
        self._tracer.close()
        self._connection = "closed"
        self._stop.set()
        sock = self._stream_sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # Already gone: the stream loop ends either way.
        with self._refresh_cond:
            self._refresh_cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=self._request_timeout + 1)
        self._update_listeners.clear()
        self._error_listeners.clear()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # Tracing, delegated to the tracer (see promptline.tracing.Tracer).
    def record(self, name: str, **fields: Any) -> SpanRef:
        """Records one span; see :meth:`promptline.Tracer.record`. Never raises."""
        return self._tracer.record(name, **fields)

    def trace(self, name: str, **fields: Any) -> Any:
        """A span around a ``with`` block; see :meth:`promptline.Tracer.trace`."""
        return self._tracer.trace(name, **fields)

    def score(self, trace_id: str, name: str, value: Any, **options: Any) -> None:
        """Attaches a score to a trace or span; see :meth:`promptline.Tracer.score`. Never raises."""
        self._tracer.score(trace_id, name, value, **options)

    def active_span(self) -> Optional[SpanRef]:
        return self._tracer.active_span()

    def flush(self, timeout: float = 10.0) -> bool:
        """Sends queued spans and scores now; True once all are acknowledged."""
        return self._tracer.flush(timeout)

    def tracing_stats(self) -> ExportStats:
        return self._tracer.tracing_stats()

    # -- events ------------------------------------------------------------------------------

    def _emit_error(self, error: PromptlineError) -> None:
        if self._stop.is_set() and self._connection == "closed" and error.code != "TELEMETRY_DROPPED":
            return
        listeners = ([self._on_error] if self._on_error is not None else []) + list(self._error_listeners)
        if not listeners:
            _logger.warning("%s: %s", error.code, error.message)
            return
        for listener in listeners:
            try:
                listener(error)
            except Exception:  # noqa: BLE001 — a throwing listener must not break the update loop
                pass

    def _emit_update(self, event: UpdateEvent) -> None:
        for listener in list(self._update_listeners):
            try:
                listener(event)
            except Exception as error:  # noqa: BLE001
                self._emit_error(PromptlineError("INTERNAL", "An 'update' listener raised: %r" % error))

    def _not_found(self, name: str, entry: Optional[PromptEntry]) -> PromptlineError:
        env = self._environment
        advice = "or pass a fallback: Client(..., fallbacks={'%s': {'type': 'text', 'template': '…'}})" % name
        if self._snapshot is None:
            return PromptlineError(
                "DEPLOYMENT_NOT_FOUND",
                'No snapshot of "%s" is loaded yet and "%s" has no fallback: call client.ready() first, %s.' % (env, name, advice),
            )
        if entry is not None and not entry.enabled:
            return PromptlineError(
                "DEPLOYMENT_NOT_FOUND",
                '"%s" is switched off in "%s" (kill switch): re-enable its release, %s.' % (name, env, advice),
                details={"disabled": True},
            )
        return PromptlineError(
            "DEPLOYMENT_NOT_FOUND",
            '"%s" is not deployed in "%s": deploy it (PUT /api/v1/prompts/{name}/deployments/%s), %s.' % (name, env, env, advice),
        )

    # -- snapshots ---------------------------------------------------------------------------

    def _apply(self, new: Snapshot, source: str, etag: Optional[str], delta: Optional[List[str]] = None) -> None:
        with self._lock:
            incremental = delta is not None and self._source == source
            changed = changed_prompts(self._snapshot, new, delta if incremental else None)
            if incremental and delta is not None:
                entries = update_entries(self._entries, new, delta, source, self._emit_error)
            else:
                entries = build_entries(new, source, self._emit_error)
            # Swapped in one assignment each: prompt() on other threads sees the old or the new state.
            self._entries = entries
            self._snapshot = new
            self._source = source
            self._etag_header = etag
        if source == "server" and self._cache_path is not None:
            self._persist(self._cache_path, new, etag)
        self._emit_update(UpdateEvent(environment=new["environment"], etag=new["etag"], source=source, changed=changed))

    def _persist(self, path: str, value: Snapshot, etag: Optional[str]) -> None:
        """Writes the disk copy atomically (temp file, then rename), in the TypeScript SDK's format."""
        copy = {
            "format": 1,
            "savedAt": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "etag": etag,
            "snapshot": value,
        }
        tmp = "%s.%d.%d.tmp" % (path, os.getpid(), threading.get_ident())
        try:
            directory = os.path.dirname(path)
            if directory:
                os.makedirs(directory, exist_ok=True)
            with open(tmp, "w", encoding="utf-8") as handle:
                json.dump(copy, handle, ensure_ascii=False)
            os.replace(tmp, path)
        except (OSError, TypeError, ValueError) as error:
            try:
                os.remove(tmp)
            except OSError:
                pass
            self._emit_error(
                PromptlineError(
                    "INTERNAL",
                    "Could not write the snapshot copy to %s: %s. Check `cache_path`." % (path, error),
                    details={"operation": "cache-write"},
                )
            )

    def _load_disk_copy(self, path: str) -> None:
        try:
            try:
                with open(path, encoding="utf-8") as handle:
                    parsed = json.load(handle)
            except FileNotFoundError:
                return
            if not isinstance(parsed, dict) or parsed.get("format") != 1 or "snapshot" not in parsed:
                raise ValueError("%s is not a Promptline snapshot copy (format 1)" % path)
            if self._source == "server":
                return
            problem = snapshot_problem(parsed["snapshot"])
            if problem is not None:
                raise ValueError(problem)
            value = parsed["snapshot"]
            if value["environment"] != self._environment:
                raise ValueError('it holds environment "%s", not "%s"' % (value["environment"], self._environment))
            self._apply(value, "cache", parsed.get("etag"))
        except (OSError, ValueError) as error:
            self._emit_error(
                PromptlineError(
                    "INTERNAL",
                    "Could not read the snapshot copy at %s: %s. It will be rewritten." % (path, error),
                    details={"operation": "cache-read"},
                )
            )

    def _headers(self, accept: str) -> Dict[str, str]:
        return {"authorization": self._auth, "accept": accept}

    def _fetch_once(self) -> bool:
        headers = self._headers("application/json")
        if self._etag_header is not None:
            headers["if-none-match"] = self._etag_header
        adoptions_at_send = self._adoptions
        try:
            response = request(self._base, "GET", self._snapshot_path, headers, timeout=self._request_timeout)
        except (OSError, http.client.HTTPException, ValueError) as error:
            self._emit_error(unreachable(self._base, "snapshot", error))
            return False
        if response.status == 304:
            # The server vouches for the disk copy: it now counts as the server's snapshot.
            if self._snapshot is not None and self._source == "cache":
                self._apply(self._snapshot, "server", self._etag_header)
            return self._snapshot is not None
        if not 200 <= response.status < 300:
            self._emit_error(http_error(response, "GET " + self._base + self._snapshot_path))
            return False
        try:
            body = json.loads(response.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            self._emit_error(_unreadable(self._base + self._snapshot_path, "not JSON: %s" % error))
            return False
        # The stream brought a snapshot while this request was out: it is at least as recent.
        if self._adoptions != adoptions_at_send:
            return self._snapshot is not None
        problem = snapshot_problem(body)
        if problem is not None:
            self._emit_error(_unreadable(self._base + self._snapshot_path, problem))
            return False
        self._apply(body, "server", response.headers.get("etag") or _etag_header(body["etag"]))
        return True

    def _adopt_inline(self, data: Any) -> bool:
        """Takes the new state from a stream event when it carries it: the whole snapshot (connect
        events) or the changed releases on top of the snapshot held (change events whose ``baseEtag``
        is ours). False when the event carries neither: the caller compares ETags and fetches."""
        if not isinstance(data, dict) or not isinstance(data.get("etag"), str):
            return False
        etag = data["etag"]
        held = self._snapshot
        stream_url = self._base + self._stream_path
        delta: Optional[List[str]] = None
        if data.get("snapshot") is not None:
            problem = snapshot_problem(data["snapshot"])
            if problem is not None:
                self._emit_error(_unreadable(stream_url + " (connect event)", problem))
                return False
            new = data["snapshot"]
            if normalize_etag(new["etag"]) != normalize_etag(etag):
                return False
        elif (
            isinstance(data.get("delta"), dict)
            and isinstance(data.get("baseEtag"), str)
            and held is not None
            # The ETag is a hash of the content, so a disk copy with the base's ETag is the base.
            and normalize_etag(data["baseEtag"]) == normalize_etag(held["etag"])
        ):
            prompts = dict(held["prompts"])
            added = {}
            for name, release in data["delta"].items():
                if release is None:
                    prompts.pop(name, None)
                else:
                    added[name] = release
            problem = snapshot_problem({"environment": held["environment"], "etag": etag, "prompts": added})
            if problem is not None:
                self._emit_error(_unreadable(stream_url + " (change event)", problem))
                return False
            prompts.update(added)
            new = dict(held, etag=etag, prompts=prompts)
            delta = list(data["delta"].keys())
        else:
            return False
        # A fetch already on its way may answer an older snapshot: it must not replace this one.
        self._adoptions += 1
        if normalize_etag(new["etag"]) == normalize_etag(held["etag"] if held else None) and self._source == "server":
            return True
        self._apply(new, "server", _etag_header(etag), delta)
        return True

    # -- background thread -------------------------------------------------------------------

    def _main(self) -> None:
        try:
            if self._cache_path is not None:
                # Read first: serving the disk copy while the first request is out beats serving nothing.
                self._load_disk_copy(self._cache_path)
            self.refresh()
            self._started.set()
            if self._stop.is_set():
                return
            if self._updates == "stream":
                self._stream_loop()
            elif self._updates == "poll":
                self._poll_loop(None)
        except Exception as error:  # noqa: BLE001 — the background thread must report, not die silently
            self._emit_error(PromptlineError("INTERNAL", "The update thread stopped: %r" % error))
        finally:
            self._started.set()

    def _poll_loop(self, max_polls: Optional[int]) -> None:
        self._connection = "polling"
        polls = 0
        while not self._stop.is_set() and (max_polls is None or polls < max_polls):
            if self._stop.wait(self._poll_interval):
                return
            self.refresh()
            polls += 1

    def _stream_loop(self) -> None:
        backoff = _Backoff(*self._reconnect)
        while not self._stop.is_set():
            self._connection = "connecting"
            outcome = self._stream_once(backoff)
            if self._stop.is_set():
                return
            if outcome == "unsupported":
                # An older server without the stream: poll, and look for the stream again now and then.
                self._poll_loop(_POLLS_BETWEEN_STREAM_ATTEMPTS)
            elif self._stop.wait(backoff.next()):
                return

    def _stream_once(self, backoff: _Backoff) -> str:
        headers = self._headers("text/event-stream")
        headers["cache-control"] = "no-cache"
        # Tells the server which snapshot is held, so the connect event need not carry it again. A
        # disk copy is not named: the connect event's snapshot is what confirms it.
        if self._source == "server" and self._snapshot is not None:
            headers["last-event-id"] = self._snapshot["etag"]
        stream_url = self._base + self._stream_path
        silent = False
        conn = None
        try:
            conn = connect(self._base, self._request_timeout)
            self._stream_conn = conn
            if self._stop.is_set():
                return "ended"
            conn.request("GET", path_of(self._base) + self._stream_path, headers=headers)
            # Held apart: http.client forgets conn.sock once a response that ends with the
            # connection is opened, and the timeout and close() must still reach the socket.
            sock = conn.sock
            self._stream_sock = sock
            raw = conn.getresponse()
            if raw.status in _NOT_SUPPORTED:
                raw.read()
                return "unsupported"
            content_type = raw.getheader("content-type") or ""
            if not 200 <= raw.status < 300 or "text/event-stream" not in content_type:
                body = raw.read()
                response = Response(raw.status, raw.reason, {k.lower(): v for k, v in raw.getheaders()}, body)
                self._emit_error(
                    http_error(response, "GET " + stream_url)
                    if not 200 <= raw.status < 300
                    else PromptlineError("INTERNAL", "%s answered %s, not text/event-stream." % (stream_url, content_type or "no content type"))
                )
                return "ended"
            self._connection = "streaming"
            if sock is not None:
                # A stream silent this long (no event, no heartbeat) is reopened.
                sock.settimeout(self._heartbeat_timeout)
            parser = SseParser(lambda event: self._on_stream_event(event, backoff), lambda ms: backoff.set_base(ms / 1000))
            while not self._stop.is_set():
                try:
                    chunk = raw.read1(65536)
                except socket.timeout:
                    silent = True
                    raise
                if not chunk:
                    break
                parser.feed(chunk)
            parser.end()
            return "ended"
        except (OSError, http.client.HTTPException, ValueError) as error:
            if not self._stop.is_set():
                if silent:
                    self._emit_error(
                        PromptlineError(
                            "SERVER_UNREACHABLE",
                            "The update stream %s was silent for %g s (no heartbeat); reconnecting." % (stream_url, self._heartbeat_timeout),
                            details={"operation": "stream"},
                        )
                    )
                else:
                    self._emit_error(unreachable(self._base, "stream", error))
            return "ended"
        finally:
            self._stream_conn = None
            self._stream_sock = None
            if conn is not None:
                conn.close()
            if not self._stop.is_set():
                self._connection = "connecting"

    def _on_stream_event(self, event: SseEvent, backoff: _Backoff) -> None:
        if event.event != "update":
            return
        backoff.reset()
        try:
            data: Any = json.loads(event.data)
        except ValueError:
            # Not JSON: handled like an event without a usable body (the snapshot is re-fetched).
            data = None
        if self._adopt_inline(data):
            return
        etag = data.get("etag") if isinstance(data, dict) else None
        # A malformed event still means "something changed": fetching is the safe answer. A disk copy
        # is confirmed even when its ETag matches (a cheap 304).
        held = self._snapshot
        if not isinstance(etag, str) or normalize_etag(etag) != normalize_etag(held["etag"] if held else None) or self._source != "server":
            self.refresh()
