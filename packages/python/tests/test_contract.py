"""Typed inputs: the shared input schema vectors (packages/core/src/contract/input-vectors.json), which
the TypeScript SDK's and the server's tests read too, so all three name the same fields with the
same messages; and Picoschema read as the TypeScript SDK reads it."""

import json
import unittest

from promptline import PromptlineError
from promptline.contract import find_schema_issues, input_check, is_json_schema, to_json_schema

from .support import REPO

VECTORS = json.loads(
    (REPO / "packages" / "core" / "src" / "contract" / "input-vectors.json").read_text(encoding="utf-8")
)["cases"]


class SharedVectors(unittest.TestCase):
    def test_the_file_has_passing_and_failing_cases(self) -> None:
        self.assertGreater(len([v for v in VECTORS if not v["errors"]]), 2)
        self.assertGreater(len([v for v in VECTORS if v["errors"]]), 10)

    def test_every_vector_gives_the_same_errors_in_the_same_order(self) -> None:
        for v in VECTORS:
            with self.subTest(v["description"]):
                check = input_check("p", {"input": {"schema": v["schema"]}})
                assert check is not None
                if not v["errors"]:
                    check(v["variables"])
                    continue
                with self.assertRaises(PromptlineError) as raised:
                    check(v["variables"])
                error = raised.exception
                self.assertEqual((error.code, error.status), ("INPUT_INVALID", 422))
                self.assertEqual(error.errors, v["errors"])
                self.assertEqual(
                    error.message,
                    'The variables do not match the input schema of "p": %s.'
                    % "; ".join(e["path"] + " " + e["message"] for e in v["errors"]),
                )


class Picoschema(unittest.TestCase):
    def test_converts_like_the_typescript_sdk(self) -> None:
        self.assertEqual(
            to_json_schema({"name": "string, the full name", "age?": "integer", "tags(array)": "string"}),
            {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "the full name"},
                    "age": {"type": ["integer", "null"]},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["name", "tags"],
            },
        )
        # A field named `type` stays Picoschema; a JSON type with JSON Schema keywords is JSON Schema.
        self.assertFalse(is_json_schema({"type": "string", "ticket": "string"}))
        self.assertTrue(is_json_schema({"type": "object", "required": ["a"]}))

    def test_an_unreadable_schema_names_the_field(self) -> None:
        with self.assertRaises(PromptlineError) as raised:
            to_json_schema({"customer": {"name": "text"}})
        self.assertEqual(raised.exception.code, "VALIDATION_FAILED")
        self.assertEqual(raised.exception.errors[0]["path"], "customer.name")

    def test_no_schema_no_check(self) -> None:
        self.assertIsNone(input_check("p", {"model": "m"}))
        self.assertEqual(find_schema_issues({"type": "object"}, {"anything": 1}), [])


if __name__ == "__main__":
    unittest.main()
