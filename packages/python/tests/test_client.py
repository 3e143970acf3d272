"""The client against the real server: snapshot with ETag, live updates over the stream and by
polling, the disk copy, fallbacks, and the same variant and rendering as the server's own API."""

import json
import os
import tempfile
import threading
import unittest
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, List
from urllib.parse import quote

from promptline import Client, PromptlineError, UpdateEvent
from promptline.client import normalize_etag

from .support import ServerTestCase, free_port, unique, wait_for


class Errors:
    """Collects what a client reports through on_error."""

    def __init__(self) -> None:
        self.items: List[PromptlineError] = []

    def __call__(self, error: PromptlineError) -> None:
        self.items.append(error)

    def codes(self) -> List[str]:
        return [e.code for e in self.items]


class AgainstTheServer(ServerTestCase):
    def client(self, **options: Any) -> Client:
        options.setdefault("on_error", Errors())
        client = Client(self.url, self.api_key, options.pop("environment", "production"), **options)
        self.addCleanup(client.close)
        return client

    def test_loads_the_snapshot_and_renders_what_production_serves(self) -> None:
        name = unique("py/load")
        self.create_prompt(name, {"type": "text", "template": "Hello {{user.name}}, {{count}} items", "config": {"model": "mock-1"}})
        self.deploy(name, "production", {"version": 1})
        errors = Errors()
        client = self.client(on_error=errors)
        self.assertEqual(client.ready(), "server")
        prompt = client.prompt(name, unit="user-1")
        self.assertEqual((prompt.type, prompt.version, prompt.semver, prompt.source), ("text", 1, "1.0.0", "server"))
        self.assertEqual(prompt.environment, "production")
        self.assertEqual(prompt.variables, ("count", "user"))
        self.assertEqual(dict(prompt.config), {"model": "mock-1"})
        self.assertEqual(prompt.render({"user": {"name": "Ann"}, "count": 3}), "Hello Ann, 3 items")
        self.assertIsNotNone(client.etag)
        with self.assertRaises(PromptlineError) as raised:
            prompt.render({"count": 3})
        self.assertEqual(raised.exception.code, "TEMPLATE_VARIABLE_MISSING")
        self.assertEqual(errors.items, [])

    def test_checks_variables_against_the_input_schema_as_the_servers_render_does(self) -> None:
        name = unique("py/typed")
        schema = {"customer": {"name": "string", "email?": "string"}, "ticket": "string", "priority(enum)": ["low", "high"]}
        self.create_prompt(
            name,
            {"type": "text", "template": "{{customer.name}}: {{ticket}} ({{priority}})", "config": {"input": {"schema": schema}}},
        )
        self.add_version(
            name,
            {"type": "chat", "messages": [{"role": "user", "content": "{{ticket}}"}], "config": {"input": {"schema": {"ticket": "string"}}}},
        )
        self.deploy(name, "production", {"version": 1})
        self.deploy(name, "staging", {"version": 2})
        client = self.client()
        self.assertEqual(client.ready(), "server")
        prompt = client.prompt(name)
        good = {"customer": {"name": "Ann"}, "ticket": "Refund", "priority": "low"}
        self.assertEqual(prompt.render(good), "Ann: Refund (low)")
        bad = {"customer": {"email": "ann@example.com"}, "ticket": 42, "priority": "urgent"}
        with self.assertRaises(PromptlineError) as raised:
            prompt.render(bad)
        error = raised.exception
        self.assertEqual((error.code, error.status), ("INPUT_INVALID", 422))
        # The same fields and messages, in the same order, as the server's own render answers.
        req = urllib.request.Request(
            self.url + "/api/v1/prompts/%s/render" % quote(name, safe=""),
            data=json.dumps({"env": "production", "variables": bad}).encode("utf-8"),
            method="POST",
            headers={"authorization": "Bearer " + self.api_key, "content-type": "application/json"},
        )
        with self.assertRaises(urllib.error.HTTPError) as answered:
            urllib.request.urlopen(req, timeout=10)
        server = json.loads(answered.exception.read().decode("utf-8"))
        self.assertEqual((answered.exception.code, server["code"]), (422, "INPUT_INVALID"))
        self.assertEqual(error.errors, server["errors"])
        self.assertEqual(
            [e["path"] for e in error.errors],
            ["variables.customer.name", "variables.ticket", "variables.priority"],
        )
        self.assertIn('variables.customer.name is required', error.message)
        # strict=False skips the check (and renders what it can).
        self.assertEqual(prompt.render(bad, strict=False), ": 42 (urgent)")
        # Chat prompts are checked the same way.
        staging = self.client(environment="staging")
        self.assertEqual(staging.ready(), "server")
        chat = staging.prompt(name)
        with self.assertRaises(PromptlineError) as chat_raised:
            chat.render({"ticket": ["not", "text"]})
        self.assertEqual(chat_raised.exception.errors, [{"path": "variables.ticket", "message": "must be string"}])
        self.assertEqual(chat.render({"ticket": "hi"}), [{"role": "user", "content": "hi"}])

    def test_picks_the_same_variant_as_the_servers_resolve_for_every_unit(self) -> None:
        name = unique("py/split")
        self.create_prompt(name, {"type": "text", "template": "v1 {{x}}"})
        self.add_version(name, {"type": "text", "template": "v2 {{x}}"})
        self.add_version(name, {"type": "text", "template": "v3 {{x}}"})
        self.deploy(name, "production", {"variants": [{"version": 3, "weight": 2000}, {"version": 2, "weight": 3000}, {"version": 1, "weight": 5000}]})
        client = self.client()
        client.ready()
        seen = set()
        for i in range(60):
            unit = "unit-%d-é" % i
            served = self.api("GET", "/api/v1/prompts/%s/resolve?env=production&unit=%s" % (quote(name, safe=""), quote(unit)))
            local = client.prompt(name, unit=unit)
            self.assertEqual((local.version, local.variant), (served["version"], served["variant"]), unit)
            seen.add(local.version)
        self.assertEqual(seen, {1, 2, 3})

    def test_renders_exactly_as_the_servers_render_including_partials_and_chat(self) -> None:
        partial = unique("py/shared-tone")
        text = unique("py/render-text")
        chat = unique("py/render-chat")
        self.create_prompt(partial, {"type": "text", "template": "Be {{tone}}.\n"})
        self.deploy(partial, "production", {"version": 1})
        template = "{{> %s}}Items:\n{{#items}}\n- {{name}} x{{qty}} ({{price}})\n{{/items}}\n{{^items}}none{{/items}}{{meta}}" % partial
        self.create_prompt(text, {"type": "text", "template": template})
        self.deploy(text, "production", {"version": 1})
        self.create_prompt(
            chat,
            {
                "type": "chat",
                "messages": [
                    {"role": "system", "content": "{{> %s}}You help {{user.name}}." % partial},
                    {"type": "placeholder", "name": "history"},
                    {"role": "user", "content": "{{question}}"},
                ],
            },
        )
        self.deploy(chat, "production", {"version": 1})
        client = self.client()
        client.ready()
        variables = {
            "tone": "brief",
            "items": [{"name": "Tea", "qty": 2, "price": 3.5}, {"name": "Cake", "qty": 1, "price": 4.0}],
            "meta": {"ok": True, "n": [1, 2.5]},
            "user": {"name": "Ann"},
            "question": "Where is my order?",
            "history": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
        }
        served = self.api("POST", "/api/v1/prompts/%s/render" % quote(text, safe=""), {"env": "production", "variables": variables})
        self.assertEqual(client.prompt(text).render(variables), served["text"])
        served = self.api("POST", "/api/v1/prompts/%s/render" % quote(chat, safe=""), {"env": "production", "variables": variables})
        self.assertEqual(client.prompt(chat).render(variables), served["messages"])

    def test_follows_deployments_live_over_the_stream(self) -> None:
        name = unique("py/live")
        self.create_prompt(name, {"type": "text", "template": "one"})
        self.deploy(name, "production", {"version": 1})
        client = self.client()
        client.ready()
        wait_for(lambda: client.connection == "streaming", what="the stream to open")
        events: List[UpdateEvent] = []
        client.on("update", events.append)
        self.add_version(name, {"type": "text", "template": "two"})
        self.deploy(name, "production", {"version": 2})
        wait_for(lambda: client.prompt(name).render() == "two", what="the deployment to reach the client")
        self.assertTrue(any(name in e.changed and e.source == "server" for e in events))
        self.deploy(name, "production", {"version": 1, "enabled": False})
        wait_for(lambda: client.connection == "streaming" and not client._entries.get(name, None).enabled, what="the kill switch")
        with self.assertRaises(PromptlineError) as raised:
            client.prompt(name)
        self.assertEqual(raised.exception.code, "DEPLOYMENT_NOT_FOUND")
        self.assertEqual(raised.exception.details, {"disabled": True})

    def test_follows_deployments_by_polling_with_if_none_match(self) -> None:
        name = unique("py/poll")
        self.create_prompt(name, {"type": "text", "template": "one"})
        self.deploy(name, "production", {"version": 1})
        client = self.client(updates="poll", poll_interval=0.05)
        client.ready()
        self.assertEqual(client.connection, "polling")
        etag = client.etag
        self.assertTrue(client.refresh())  # a 304: nothing changes
        self.assertEqual(client.etag, etag)
        self.add_version(name, {"type": "text", "template": "two"})
        self.deploy(name, "production", {"version": 2})
        wait_for(lambda: client.prompt(name).render() == "two", what="polling to pick up the deployment")
        self.assertNotEqual(client.etag, etag)

    def test_serves_the_disk_copy_when_the_server_is_down_and_never_raises_for_the_network(self) -> None:
        name = unique("py/disk")
        self.create_prompt(name, {"type": "text", "template": "cached {{x}}"})
        self.deploy(name, "production", {"version": 1})
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "nested", "snapshot.json")
            first = Client(self.url, self.api_key, "production", cache_path=path, updates="off", on_error=Errors())
            self.assertEqual(first.ready(), "server")
            first.close()
            with open(path, encoding="utf-8") as handle:
                copy = json.load(handle)
            self.assertEqual(copy["format"], 1)
            self.assertIn(name, copy["snapshot"]["prompts"])

            errors = Errors()
            down = "http://127.0.0.1:%d" % free_port()
            client = Client(down, self.api_key, "production", cache_path=path, on_error=errors, reconnect_base=0.05, reconnect_max=0.1)
            self.addCleanup(client.close)
            self.assertEqual(client.ready(timeout=5), "cache")
            prompt = client.prompt(name, unit="u")
            self.assertEqual((prompt.source, prompt.render({"x": 1})), ("cache", "cached 1"))
            wait_for(lambda: errors.codes().count("SERVER_UNREACHABLE") >= 2, what="reconnect attempts")
            self.assertIn("Could not reach Promptline at %s" % down, str(errors.items[0]))

    def test_a_corrupt_disk_copy_is_reported_and_rewritten(self) -> None:
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "snapshot.json")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("{not json")
            errors = Errors()
            client = self.client(cache_path=path, updates="off", on_error=errors)
            self.assertEqual(client.ready(), "server")
            self.assertEqual(errors.items[0].details, {"operation": "cache-read"})
            with open(path, encoding="utf-8") as handle:
                self.assertEqual(normalize_etag(json.load(handle)["etag"]), normalize_etag(client.etag))

    def test_fallbacks_serve_until_a_snapshot_names_the_prompt(self) -> None:
        errors = Errors()
        down = "http://127.0.0.1:%d" % free_port()
        client = Client(
            down,
            self.api_key,
            "production",
            updates="off",
            on_error=errors,
            fallbacks={
                "welcome": {"type": "text", "template": "Welcome {{name}}", "config": {"model": "m"}},
                "chat": {"type": "chat", "messages": [{"role": "system", "content": "Hi {{name}}"}]},
            },
        )
        self.addCleanup(client.close)
        self.assertEqual(client.ready(timeout=3), "fallback")
        welcome = client.prompt("welcome", unit="u")
        self.assertEqual((welcome.source, welcome.version, welcome.semver, welcome.variables), ("fallback", 0, "0.0.0", ("name",)))
        self.assertEqual(welcome.render({"name": "Bo"}), "Welcome Bo")
        self.assertEqual(client.prompt("chat").render({"name": "Bo"}), [{"role": "system", "content": "Hi Bo"}])
        with self.assertRaises(PromptlineError) as raised:
            client.prompt("unknown")
        self.assertEqual(raised.exception.code, "DEPLOYMENT_NOT_FOUND")
        self.assertIn("fallbacks=", str(raised.exception))
        self.assertEqual(errors.codes(), ["SERVER_UNREACHABLE"])
        with self.assertRaises(PromptlineError) as raised:
            Client(down, self.api_key, "production", updates="off", fallbacks={"bad": {"type": "text", "template": "{{#x}}"}})
        self.assertEqual(raised.exception.code, "TEMPLATE_SYNTAX")

    def test_a_wrong_key_and_an_unknown_environment_are_reported_with_their_codes(self) -> None:
        errors = Errors()
        client = Client(self.url, "not-a-key-at-all-000000", "production", updates="off", on_error=errors)
        self.addCleanup(client.close)
        self.assertEqual(client.ready(), "fallback")
        self.assertEqual(errors.codes(), ["UNAUTHORIZED"])
        self.assertIn("api_key", str(errors.items[0]))
        errors = Errors()
        client = self.client(environment="nowhere", updates="off", on_error=errors)
        self.assertEqual(client.ready(), "fallback")
        self.assertEqual(errors.codes(), ["ENVIRONMENT_NOT_FOUND"])


class Snapshots:
    """A stand-in server the test controls: serves a snapshot taken from the real server, and no stream."""

    def __init__(self, snapshot: Any, silent_stream: bool = False) -> None:
        self.snapshot = snapshot
        self.requests: List[str] = []
        self.closed = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 — http.server's naming
                outer.requests.append("%s %s" % (self.path, self.headers.get("if-none-match") or "-"))
                if self.path.endswith("/stream") and silent_stream:
                    # Opens the stream, then says nothing: no event, no heartbeat.
                    self.send_response(200)
                    self.send_header("content-type", "text/event-stream")
                    self.end_headers()
                    self.wfile.flush()
                    outer.closed.wait(10)
                    return
                if self.path.endswith("/stream"):
                    self.send_response(404)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                etag = '"%s"' % outer.snapshot["etag"]
                if self.headers.get("if-none-match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                body = json.dumps(outer.snapshot).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("etag", etag)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.closed.set()
        self.server.shutdown()
        self.server.server_close()


class WithoutTheStream(ServerTestCase):
    def test_polls_when_the_server_has_no_stream(self) -> None:
        name = unique("py/nostream")
        self.create_prompt(name, {"type": "text", "template": "one"})
        self.add_version(name, {"type": "text", "template": "two"})
        self.deploy(name, "production", {"version": 1})
        first = self.api("GET", "/api/v1/environments/production/snapshot")
        self.deploy(name, "production", {"version": 2})
        second = self.api("GET", "/api/v1/environments/production/snapshot")
        stand_in = Snapshots(first)
        self.addCleanup(stand_in.close)
        client = Client(stand_in.url, self.api_key, "production", poll_interval=0.05, on_error=Errors())
        self.addCleanup(client.close)
        self.assertEqual(client.ready(), "server")
        wait_for(lambda: client.connection == "polling", what="the fallback to polling")
        self.assertEqual(client.prompt(name).render(), "one")
        stand_in.snapshot = second
        wait_for(lambda: client.prompt(name).render() == "two", what="polling to pick up the change")
        self.assertTrue(any(r.endswith('"%s"' % first["etag"]) for r in stand_in.requests), "polls send If-None-Match")

    def test_a_silent_stream_is_reopened_after_the_heartbeat_timeout(self) -> None:
        stand_in = Snapshots(self.api("GET", "/api/v1/environments/production/snapshot"), silent_stream=True)
        self.addCleanup(stand_in.close)
        errors = Errors()
        client = Client(stand_in.url, self.api_key, "production", heartbeat_timeout=0.3, reconnect_base=0.05, reconnect_max=0.1, on_error=errors)
        self.addCleanup(client.close)
        self.assertEqual(client.ready(), "server")
        wait_for(lambda: sum(r.startswith("/api/v1/environments/production/stream") for r in stand_in.requests) >= 2, what="a reconnect")
        silent = [e for e in errors.items if "silent for 0.3 s" in str(e)]
        self.assertTrue(silent, errors.codes())
        self.assertEqual(silent[0].code, "SERVER_UNREACHABLE")


if __name__ == "__main__":
    unittest.main()
