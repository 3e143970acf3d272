"""An incremental ``text/event-stream`` parser following the WHATWG interpretation rules (the same
rules as core's ``createSseParser``): BOM, ``\\r\\n``/``\\n``/``\\r`` line ends (also split across
chunks), comments, ``data`` lines joined with ``\\n``, ``event``, ``id``, ``retry``; an event without
its terminating blank line at the end of the stream is not dispatched."""

import codecs
from dataclasses import dataclass
from typing import Callable, Optional


@dataclass(frozen=True)
class SseEvent:
    """One dispatched event: ``event`` defaults to ``message``; ``id`` is the last id seen."""

    event: str
    data: str
    id: str


class SseParser:
    """Feed it bytes in order, split anywhere; it calls ``on_event`` and ``on_retry``."""

    def __init__(self, on_event: Callable[[SseEvent], None], on_retry: Optional[Callable[[int], None]] = None) -> None:
        self._on_event = on_event
        self._on_retry = on_retry
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._buffer = ""
        self._started = False
        self._skip_lf = False
        self._event = ""
        self._data: list = []
        self._has_data = False
        self._last_id = ""

    def feed(self, chunk: bytes) -> None:
        self._push(self._decoder.decode(chunk))

    def end(self) -> None:
        self._push(self._decoder.decode(b"", final=True))
        if self._buffer:
            self._line(self._buffer)
            self._buffer = ""
        # An unterminated event is dropped: it may have been cut off.

    def _push(self, text: str) -> None:
        if not text:
            return
        if not self._started:
            self._started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        if self._skip_lf and text.startswith("\n"):
            text = text[1:]
        self._skip_lf = False
        buffer = self._buffer + text
        start = 0
        n = len(buffer)
        i = 0
        while i < n:
            c = buffer[i]
            if c == "\n" or c == "\r":
                self._line(buffer[start:i])
                if c == "\r":
                    if i + 1 < n:
                        if buffer[i + 1] == "\n":
                            i += 1
                    else:
                        self._skip_lf = True
                start = i + 1
            i += 1
        self._buffer = buffer[start:]

    def _line(self, line: str) -> None:
        if line == "":
            if self._has_data:
                self._on_event(SseEvent(self._event or "message", "\n".join(self._data), self._last_id))
            self._event = ""
            self._data = []
            self._has_data = False
            return
        if line.startswith(":"):
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._has_data = True
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif name == "retry":
            if value and value.isascii() and value.isdigit() and self._on_retry is not None:
                self._on_retry(int(value))
