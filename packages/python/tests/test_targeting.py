"""The shared targeting vectors (packages/core/src/targeting-vectors.json), which the TypeScript
core and SDK tests read too: the server and both SDKs put every context on the same version."""

import json
import unittest

from promptline.resolve import build_entries, pick
from promptline.targeting import choose_served, match_targeting, targeted_versions

from .support import REPO

VECTORS = json.loads((REPO / "packages" / "core" / "src" / "targeting-vectors.json").read_text(encoding="utf-8"))


class SharedTargetingVectors(unittest.TestCase):
    def test_match_targeting_reproduces_every_match(self) -> None:
        self.assertGreater(len(VECTORS["match"]), 50)
        for v in VECTORS["match"]:
            ctx = v["context"]
            got = match_targeting(v["targeting"], v["segments"], ctx.get("unit"), ctx.get("attributes"))
            self.assertEqual(got, v["match"], v["description"])

    def test_choose_served_reproduces_every_index(self) -> None:
        for v in VECTORS["served"]:
            ctx = v["context"]
            release = v["release"]
            got = choose_served(
                v["prompt"], release["variants"], release.get("targeting"), v["segments"], ctx.get("unit"), ctx.get("attributes")
            )
            self.assertEqual(got, v["index"], v["description"])

    def test_targeted_versions_follow_rules_then_pins_once_each(self) -> None:
        targeting = {"rules": [{"when": {"segment": "a"}, "version": 5}, {"when": {"segment": "b"}, "version": 3}], "pins": [{"unit": "u", "version": 8}, {"unit": "w", "version": 5}]}
        self.assertEqual(targeted_versions([{"version": 3, "weight": 10000}], targeting), [5, 8])

    def test_the_sdk_snapshot_path_answers_every_served_index(self) -> None:
        for v in VECTORS["served"]:
            release = v["release"]
            targeting = release.get("targeting") or {}
            numbers = {x["version"] for x in release["variants"]} | {r["version"] for r in targeting.get("rules", [])} | {p["version"] for p in targeting.get("pins", [])}
            versions = {
                str(n): {"type": "text", "template": "v%d" % n, "number": n, "semver": "%d.0.0" % n, "config": {}, "variables": [], "hash": "h%d" % n}
                for n in numbers
            }
            snapshot = {"environment": "production", "etag": "x", "prompts": {v["prompt"]: dict(release, enabled=True, versions=versions)}, "segments": v["segments"]}
            entry = build_entries(snapshot, "server", lambda e: self.fail(str(e)))[v["prompt"]]
            ctx = v["context"]
            got = pick(v["prompt"], entry, ctx.get("unit"), ctx.get("attributes"), snapshot["segments"])
            self.assertIsNotNone(got)
            self.assertEqual(got.variant, v["index"], v["description"])


if __name__ == "__main__":
    unittest.main()
