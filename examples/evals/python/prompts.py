"""Prompt functions: called with {"vars": …, "provider": {"id", "label"}} for every test case."""

import json


def triage_prompt(context):
    v = context["vars"]
    return json.dumps(
        [
            {"role": "system", "content": "You route support tickets. Answer with one word: billing, shipping or other."},
            {"role": "user", "content": "Ticket from %s: %s" % (v["customer"], v["ticket"])},
        ]
    )


def short_prompt(context):
    return "Route this ticket from %s: %s" % (context["vars"]["customer"], context["vars"]["ticket"])
