"""Assertions from a file: each function gets (output, context) with context["vars"],
context["prompt"] and context["test"], and returns a bool, a score or a GradingResult dict."""


def get_assert(output, context):
    return output.strip() != "" and "error" not in output.lower()


def mentions_customer(output, context):
    customer = context["vars"]["customer"]
    return 1.0 if customer in output or customer in context["prompt"] else 0.0
