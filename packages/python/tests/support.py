"""What the tests share: the repository's paths, and the real Promptline server the vitest runner
(packages/python/test/python-sdk.test.ts) starts and names in PROMPTLINE_TEST_URL / PROMPTLINE_TEST_API_KEY."""

import json
import os
import socket
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

PACKAGE = Path(__file__).resolve().parent.parent
REPO = PACKAGE.parent.parent


def mustache_spec_dir() -> Path:
    """The Mustache spec files the TypeScript tests read (packages/core/src/template/spec.test.ts):
    `shared/mustache-spec` beside the checkout, found from the repository upwards (worktrees nest)."""
    override = os.environ.get("PROMPTLINE_MUSTACHE_SPEC")
    if override:
        return Path(override)
    for parent in [REPO] + list(REPO.parents):
        candidate = parent / "shared" / "mustache-spec"
        if (candidate / "interpolation.json").is_file():
            return candidate
    raise AssertionError("shared/mustache-spec not found beside %s; set PROMPTLINE_MUSTACHE_SPEC" % REPO)


class ServerTestCase(unittest.TestCase):
    """A test against the real server: fails (never skips) when the server is not named."""

    url = ""
    api_key = ""

    @classmethod
    def setUpClass(cls) -> None:
        url = os.environ.get("PROMPTLINE_TEST_URL")
        key = os.environ.get("PROMPTLINE_TEST_API_KEY")
        if not url or not key:
            raise AssertionError(
                "PROMPTLINE_TEST_URL and PROMPTLINE_TEST_API_KEY are not set: run these tests through "
                "`npx vitest run packages/python/test/python-sdk.test.ts`, which starts a server for them."
            )
        cls.url = url
        cls.api_key = key

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("authorization", "Bearer " + self.api_key)
        if data is not None:
            req.add_header("content-type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                text = res.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            raise AssertionError("%s %s answered %d: %s" % (method, path, error.code, error.read().decode())) from None
        return json.loads(text) if text else None

    def create_prompt(self, name: str, version: Any) -> None:
        self.api("POST", "/api/v1/prompts", {"name": name, "version": version})

    def add_version(self, name: str, version: Any) -> Any:
        return self.api("POST", "/api/v1/prompts/%s/versions" % quote(name, safe=""), version)

    def deploy(self, name: str, env: str, body: Any) -> Any:
        return self.api("PUT", "/api/v1/prompts/%s/deployments/%s" % (quote(name, safe=""), env), body)


def wait_for(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Polls ``check`` until it answers something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %g s waiting for %s" % (timeout, what))
        time.sleep(0.02)


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix: str) -> str:
    return "%s-%d" % (prefix, time.time_ns() % 10**12)


