"""The shared bucketing vectors (packages/core/src/bucketing-vectors.json), which the TypeScript
tests read too: both SDKs and the server put every unit in the same bucket and variant."""

import json
import unittest

from promptline import bucket_of, choose_variant, murmurhash3, pick_variant

from .support import REPO

VECTORS = json.loads((REPO / "packages" / "core" / "src" / "bucketing-vectors.json").read_text(encoding="utf-8"))


class SharedVectors(unittest.TestCase):
    def test_murmurhash3_reproduces_every_hash_including_non_ascii_and_lone_surrogates(self) -> None:
        self.assertGreater(len(VECTORS["murmurhash3"]), 50)
        self.assertTrue(any(any(0xD800 <= ord(c) <= 0xDFFF for c in v["text"]) for v in VECTORS["murmurhash3"]))
        for v in VECTORS["murmurhash3"]:
            self.assertEqual(murmurhash3(v["text"], v["seed"]), v["hash"], repr(v["text"]))

    def test_bucket_of_reproduces_every_bucket(self) -> None:
        for v in VECTORS["bucketOf"]:
            self.assertEqual(bucket_of(v["prompt"], v["unit"]), v["bucket"], v)

    def test_pick_variant_and_choose_variant_reproduce_every_index(self) -> None:
        for v in VECTORS["pickVariant"]:
            self.assertEqual(pick_variant(v["variants"], v["bucket"]), v["index"], v)
        for v in VECTORS["chooseVariant"]:
            self.assertEqual(choose_variant(v["prompt"], v["variants"], v["unit"]), v["index"], v)

    def test_published_murmurhash3_values(self) -> None:
        self.assertEqual(murmurhash3("", 1), 0x514E28B7)
        self.assertEqual(murmurhash3("The quick brown fox jumps over the lazy dog", 0x9747B28C), 0x2FA826CD)
        self.assertEqual(murmurhash3("hello"), 613153351)

    def test_a_unit_keeps_its_variant_while_the_rollout_grows(self) -> None:
        units = ["user-%d" % i for i in range(2000)]
        at5 = {u for u in units if choose_variant("p", [{"version": 2, "weight": 500}, {"version": 1, "weight": 9500}], u) == 0}
        at25 = {u for u in units if choose_variant("p", [{"version": 2, "weight": 2500}, {"version": 1, "weight": 7500}], u) == 0}
        self.assertTrue(at5 <= at25)
        self.assertTrue(60 <= len(at5) <= 140, len(at5))
