"""Tracing against the real server: spans and scores reach the native ingest API from the background
thread, linked to the prompt version; nothing raises to the caller; the buffer is bounded."""

import time
import unittest
from typing import Any, List

from promptline import Client, PromptlineError, Tracer, TracingOptions

from .support import ServerTestCase, free_port, unique, wait_for


class Errors:
    def __init__(self) -> None:
        self.items: List[PromptlineError] = []

    def __call__(self, error: PromptlineError) -> None:
        self.items.append(error)

    def codes(self) -> List[str]:
        return [e.code for e in self.items]


class Tracing(ServerTestCase):
    def trace_of(self, trace_id: str, spans: int) -> Any:
        def read() -> Any:
            try:
                detail = self.api("GET", "/api/v1/traces/" + trace_id)
            except AssertionError:
                return None
            return detail if len(detail["spans"]) >= spans else None

        return wait_for(read, what="trace %s with %d spans" % (trace_id, spans))

    def test_record_trace_and_score_reach_the_server_linked_to_the_version(self) -> None:
        name = unique("py/traced")
        self.create_prompt(name, {"type": "text", "template": "Answer {{q}}"})
        self.deploy(name, "production", {"version": 1})
        errors = Errors()
        client = Client(self.url, self.api_key, "production", updates="off", on_error=errors, tracing=TracingOptions(flush_interval=0.05))
        self.addCleanup(client.close)
        client.ready()
        prompt = client.prompt(name, unit="user-7")
        with client.trace("answer-ticket", user_id="user-7", attributes={"a": 1}) as span:
            span.set(attributes={"b": "two"}, session_id="s-1")
            child = client.record(
                "llm-call",
                prompt=prompt,
                unit="user-7",
                provider="openai",
                model="gpt-4o-mini",
                usage={"input": 12, "output": 5},
                input=[{"role": "user", "content": prompt.render({"q": "why?"})}],
                output="because",
                variables={"q": "why?"},
                duration_ms=120,
            )
            self.assertEqual(client.active_span(), span.ref)
        self.assertIsNone(client.active_span())
        self.assertEqual(child.trace_id, span.trace_id)
        client.score(span.trace_id, "helpfulness", 0.75, span_id=child.span_id, comment="fine", source="user")
        self.assertTrue(client.flush(timeout=10))
        detail = self.trace_of(span.trace_id, 2)
        spans = {s["name"]: s for s in detail["spans"]}
        root, call = spans["answer-ticket"], spans["llm-call"]
        self.assertIsNone(root.get("parentSpanId"))
        self.assertEqual((root["userId"], root["sessionId"], root["attributes"]), ("user-7", "s-1", {"a": 1, "b": "two"}))
        self.assertEqual(call["parentSpanId"], span.span_id)
        self.assertEqual(call["prompt"], {"name": name, "version": 1, "environment": "production", "variant": 0})
        self.assertEqual((call["source"], call["model"], call["usage"]["input"], call["unit"]), ("sdk", "gpt-4o-mini", 12, "user-7"))
        self.assertEqual(call["input"], [{"role": "user", "content": "Answer why?"}])
        self.assertAlmostEqual(call["durationMs"], 120, delta=1)
        self.assertEqual([(s["name"], s["value"], s["source"]) for s in call["scores"]], [("helpfulness", 0.75, "user")])
        stats = client.tracing_stats()
        self.assertEqual((stats.sent, stats.dropped, stats.scores_sent, stats.queued), (2, 0, 1, 0))
        self.assertEqual(errors.items, [])

    def test_an_exception_marks_the_span_failed_and_propagates_unchanged(self) -> None:
        tracer = Tracer(self.url, self.api_key, on_error=Errors())
        self.addCleanup(tracer.close)
        with self.assertRaises(KeyError):
            with tracer.trace("lookup") as span:
                raise KeyError("order-9")
        self.assertTrue(tracer.flush(timeout=10))
        (stored,) = self.trace_of(span.trace_id, 1)["spans"]
        self.assertEqual((stored["status"], stored["statusMessage"]), ("error", "'order-9'"))

    def test_a_fallback_prompt_is_kept_visible_without_a_registry_link(self) -> None:
        tracer = Tracer(self.url, self.api_key, on_error=Errors())
        self.addCleanup(tracer.close)
        client = Client("http://127.0.0.1:%d" % free_port(), self.api_key, "production", updates="off", on_error=Errors(),
                        fallbacks={"offline/greet": {"type": "text", "template": "hi"}})  # fmt: skip
        self.addCleanup(client.close)
        ref = tracer.record("greet", prompt=client.prompt("offline/greet"))
        self.assertTrue(tracer.flush(timeout=10))
        (stored,) = self.trace_of(ref.trace_id, 1)["spans"]
        self.assertNotIn("prompt", stored)
        self.assertEqual(stored["attributes"], {"promptline.fallback": "offline/greet"})

    def test_a_span_the_server_refuses_is_dropped_alone(self) -> None:
        errors = Errors()
        tracer = Tracer(self.url, self.api_key, on_error=errors, tracing=TracingOptions(flush_interval=60))
        self.addCleanup(tracer.close)
        good = tracer.record("fine-1")
        tracer.record("bad", usage={"input": -1, "output": 1})
        tracer.record("fine-2", trace_id=good.trace_id)
        self.assertTrue(tracer.flush(timeout=10))
        stats = tracer.tracing_stats()
        self.assertEqual((stats.sent, stats.dropped), (2, 1))
        self.assertEqual(errors.codes(), ["VALIDATION_FAILED"])
        self.assertIn("Dropped 1 span(s)", str(errors.items[0]))
        self.assertEqual(sorted(s["name"] for s in self.trace_of(good.trace_id, 2)["spans"]), ["fine-1", "fine-2"])

    def test_bad_input_is_reported_never_raised(self) -> None:
        errors = Errors()
        tracer = Tracer(self.url, self.api_key, on_error=errors)
        self.addCleanup(tracer.close)
        ref = tracer.record("", model="m")
        self.assertEqual((len(ref.trace_id), len(ref.span_id)), (32, 16))
        tracer.record("x", trace_id="XYZ")
        tracer.record("x", end_time="yesterday")
        tracer.record("x", colour="blue")
        tracer.score("nope", "helpfulness", 1)
        tracer.score(ref.trace_id, "has spaces", 1)
        self.assertEqual(errors.codes(), ["VALIDATION_FAILED"] * 6)
        self.assertIn("colour", str(errors.items[3]))
        self.assertEqual(tracer.tracing_stats().queued, 0)


class Unreachable(unittest.TestCase):
    def test_the_buffer_is_bounded_and_drops_the_oldest_while_the_server_is_away(self) -> None:
        errors = Errors()
        down = "http://127.0.0.1:%d" % free_port()
        options = TracingOptions(max_queue_size=3, flush_interval=0.02, retry_base=0.01, retry_max=0.02, close_timeout=0.2)
        tracer = Tracer(down, "key-0000000000000000", on_error=errors, tracing=options)
        started = time.perf_counter()
        for i in range(5):
            tracer.record("span-%d" % i)
        self.assertLess(time.perf_counter() - started, 0.5, "recording never waits for the network")
        wait_for(lambda: "SERVER_UNREACHABLE" in errors.codes(), what="export attempts")
        self.assertFalse(tracer.flush(timeout=0.2))
        stats = tracer.tracing_stats()
        self.assertEqual((stats.sent, stats.dropped, stats.queued), (0, 2, 3))
        self.assertIn("TELEMETRY_DROPPED", errors.codes())
        tracer.close()
        self.assertEqual(tracer.tracing_stats().dropped, 5)
        self.assertIn("close() gave up", str([e for e in errors.items if e.code == "TELEMETRY_DROPPED"][-1]))
        tracer.record("after")
        tracer.record("after-again")
        self.assertEqual([e for e in errors.items if "after close()" in str(e)].__len__(), 1)

    def test_disabled_tracing_records_nothing_and_starts_no_thread(self) -> None:
        tracer = Tracer("http://127.0.0.1:1", "k", tracing=TracingOptions(enabled=False))
        tracer.record("x")
        self.assertEqual(tracer.tracing_stats().queued, 0)
        self.assertTrue(tracer.flush())
        tracer.close()


if __name__ == "__main__":
    unittest.main()
