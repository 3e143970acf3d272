"""Python providers: call_api(prompt, options, context) returns {"output": …} (and optionally
"tokenUsage", "cost", or "error"). These route by keywords, so the example runs offline."""

import json

KEYWORDS = {"billing": ["charged", "refund", "invoice"], "shipping": ["parcel", "arrived", "delivery"]}


def _text(prompt):
    try:
        messages = json.loads(prompt)
        return " ".join(m["content"] for m in messages)
    except ValueError:
        return prompt


def _route(text, labels):
    for label in labels:
        if any(word in text.lower() for word in KEYWORDS.get(label, [])):
            return label
    return "other"


def call_api(prompt, options, context):
    text = _text(prompt)
    label = _route(text, ["billing", "shipping"])
    customer = context["vars"].get("customer", "")
    return {
        "output": "Routing %s's ticket to %s." % (customer, label),
        "tokenUsage": {"prompt": len(text.split()), "completion": 6, "total": len(text.split()) + 6},
    }


async def classify(prompt, options, context):
    labels = options["config"]["labels"]
    return {"output": "%s (for %s)" % (_route(_text(prompt), labels), context["vars"]["customer"])}
