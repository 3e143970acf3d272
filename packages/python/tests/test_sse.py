"""The event-stream parser follows the WHATWG rules core's parser follows."""

import unittest
from typing import List

from promptline.sse import SseEvent, SseParser


def parse(*chunks: bytes) -> List[SseEvent]:
    events: List[SseEvent] = []
    parser = SseParser(events.append)
    for chunk in chunks:
        parser.feed(chunk)
    parser.end()
    return events


class Parser(unittest.TestCase):
    def test_events_split_anywhere_with_every_line_ending(self) -> None:
        text = "\ufeffevent: update\r\ndata: {\"a\":\r\ndata: 1}\r\rid: 7\n: heartbeat\ndata:x\n\n".encode()
        for size in (1, 2, 3, 7, len(text)):
            chunks = [text[i : i + size] for i in range(0, len(text), size)]
            self.assertEqual(
                parse(*chunks),
                [SseEvent("update", '{"a":\n1}', ""), SseEvent("message", "x", "7")],
                size,
            )

    def test_retry_hint_and_an_unterminated_event_at_the_end(self) -> None:
        retries: List[int] = []
        events: List[SseEvent] = []
        parser = SseParser(events.append, retries.append)
        parser.feed(b"retry: 2000\nretry: x1\n\ndata: cut")
        parser.end()
        self.assertEqual((retries, events), ([2000], []))

    def test_multibyte_characters_split_across_chunks(self) -> None:
        data = "data: é日😀\n\n".encode()
        self.assertEqual(parse(*[data[i : i + 1] for i in range(len(data))]), [SseEvent("message", "é日😀", "")])
