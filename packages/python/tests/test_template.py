"""The template engine renders exactly as the server's: the official Mustache spec files the
TypeScript tests run (packages/core/src/template/spec.test.ts), and Promptline's own rules."""

import json
import unittest

from promptline import PromptlineError, compile_template, extract_variables, render_messages, render_template
from promptline.template import js_json, to_text

from .support import mustache_spec_dir

SPEC_FILES = ["interpolation", "sections", "inverted", "comments", "partials"]


def unescape_html(text: str) -> str:
    # Promptline never HTML-escapes (see the spec folder's README), so expected text is unescaped.
    return text.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class MustacheSpec(unittest.TestCase):
    def test_every_case_of_the_shared_spec_files(self) -> None:
        directory = mustache_spec_dir()
        total = 0
        for name in SPEC_FILES:
            spec = json.loads((directory / (name + ".json")).read_text(encoding="utf-8"))
            self.assertGreater(len(spec["tests"]), 5, name)
            for case in spec["tests"]:
                total += 1
                partials = case.get("partials", {})
                with self.subTest(file=name, case=case["name"]):
                    output = render_template(case["template"], case["data"], strict=False, partials=partials.get)
                    self.assertEqual(output, unescape_html(case["expected"]), case["desc"])
        self.assertGreater(total, 100)


class Rules(unittest.TestCase):
    def test_strict_mode_lists_every_missing_name_in_one_error(self) -> None:
        with self.assertRaises(PromptlineError) as raised:
            render_template("{{a}} {{b.c}} {{#d}}x{{/d}} {{a}}", {})
        self.assertEqual(raised.exception.code, "TEMPLATE_VARIABLE_MISSING")
        self.assertEqual(raised.exception.details, {"missing": ["a", "b.c", "d"]})
        self.assertIn('Missing template variables: "a", "b.c", "d".', str(raised.exception))
        self.assertEqual(render_template("{{a}}|{{b}}", {"a": 1}, strict=False), "1|")

    def test_values_print_as_javascript_prints_them(self) -> None:
        cases = [
            (1.0, "1"), (1.5, "1.5"), (True, "true"), (False, "false"), (None, ""), (1e21, "1e+21"),
            (1e-7, "1e-7"), (0.000001, "0.000001"), (1.5e17, "150000000000000000"), (-0.0, "0"), (10**20, "100000000000000000000"),
            ({"a": [1, 2.0, None, "é"]}, '{"a":[1,2,null,"é"]}'), ([], "[]"),
        ]  # fmt: skip
        for value, expected in cases:
            with self.subTest(value=value):
                self.assertEqual(render_template("{{v}}", {"v": value}), expected)
        self.assertEqual(to_text(float("nan")), "NaN")
        self.assertEqual(js_json({"x": float("inf")}), '{"x":null}')

    def test_sections_follow_javascript_truthiness(self) -> None:
        t = "{{#v}}yes{{/v}}{{^v}}no{{/v}}"
        for value, expected in [(0, "no"), ("", "no"), ([], "no"), (None, "no"), ({}, "yes"), ("x", "yes"), (0.5, "yes")]:
            with self.subTest(value=value):
                self.assertEqual(render_template(t, {"v": value}), expected)

    def test_lists_answer_length_and_indices_like_javascript_arrays(self) -> None:
        self.assertEqual(render_template("{{items.length}}: {{items.0}}", {"items": ["a", "b"]}), "2: a")

    def test_never_html_escapes(self) -> None:
        self.assertEqual(render_template("{{v}} {{{v}}} {{&v}}", {"v": "<b>&"}), "<b>& <b>& <b>&")

    def test_syntax_errors_name_line_column_and_the_fix(self) -> None:
        for source, fragment in [
            ("a\n  {{#open}}", "line 2, column 3: section {{#open}} is never closed"),
            ("{{/x}}", "closes a section that was never opened"),
            ("{{#a}}{{/b}}", "does not match the open section {{#a}}"),
            ("{{a b}}", "names cannot contain spaces"),
            ("{{=<% %>=}}", "changing delimiters"),
            ("{{a", 'unclosed tag "{{"'),
            ("{{a..b}}", "dotted names need a name between dots"),
        ]:
            with self.subTest(source=source):
                with self.assertRaises(PromptlineError) as raised:
                    compile_template(source)
                self.assertEqual(raised.exception.code, "TEMPLATE_SYNTAX")
                self.assertIn(fragment, str(raised.exception))

    def test_partials_not_found_and_too_deep(self) -> None:
        with self.assertRaises(PromptlineError) as raised:
            render_template("{{> nope}}", {}, partials=lambda name: None)
        self.assertEqual(raised.exception.code, "TEMPLATE_PARTIAL_NOT_FOUND")
        self.assertEqual(render_template("[{{> nope}}]", {}, strict=False, partials=lambda name: None), "[]")
        with self.assertRaises(PromptlineError) as raised:
            render_template("{{> self}}", {}, partials=lambda name: "{{> self}}")
        self.assertEqual(raised.exception.code, "TEMPLATE_PARTIAL_TOO_DEEP")

    def test_variables_are_the_top_level_names_a_caller_must_pass(self) -> None:
        self.assertEqual(compile_template("{{a.b}} {{#list}}{{item}}{{/list}} {{^c}}{{d}}{{/c}} {{.}}").variables, ("a", "c", "d", "list"))
        chat = {"type": "chat", "messages": [{"role": "system", "content": "{{tone}}"}, {"type": "placeholder", "name": "history"}]}
        self.assertEqual(extract_variables(chat), ["history", "tone"])

    def test_chat_placeholders_are_replaced_by_message_lists(self) -> None:
        messages = [{"role": "system", "content": "Be {{tone}}."}, {"type": "placeholder", "name": "history"}, {"role": "user", "content": "{{q}}"}]
        rendered = render_messages(messages, {"tone": "brief", "q": "Hi?", "history": [{"role": "assistant", "content": "Hello"}]})
        self.assertEqual(
            rendered,
            [{"role": "system", "content": "Be brief."}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Hi?"}],
        )
        with self.assertRaises(PromptlineError) as raised:
            render_messages(messages, {})
        self.assertEqual(raised.exception.details, {"missing": ["tone", "history", "q"]})
        with self.assertRaises(PromptlineError) as raised:
            render_messages(messages, {"tone": "x", "q": "y", "history": [{"role": 1}]})
        self.assertEqual(raised.exception.code, "VALIDATION_FAILED")
        self.assertEqual(raised.exception.errors[0]["path"], "variables.history.0")
        self.assertEqual(render_messages(messages, {"tone": "x", "q": "y"}, strict=False)[1], {"role": "user", "content": "y"})
