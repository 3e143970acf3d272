"""Promptline for Python: resolve and render prompts locally, in microseconds, from an in-memory
snapshot of one environment that follows every deployment change live; record what the application
did with them. Standard library only; Python 3.9 or newer.

>>> from promptline import Client  # doctest: +SKIP
>>> client = Client('http://127.0.0.1:4100', api_key, 'production')  # doctest: +SKIP
>>> client.ready()  # doctest: +SKIP
>>> client.prompt('support/triage', unit='user-42').render({'ticket': 'refund'})  # doctest: +SKIP
"""

from .bucketing import bucket_of, choose_variant, murmurhash3, pick_variant
from .client import Client
from .errors import PromptlineError
from .resolve import ResolvedChatPrompt, ResolvedPrompt, ResolvedTextPrompt
from .template import compile_template, extract_variables, render_messages, render_template
from .tracing import ActiveSpan, ExportStats, SpanRef, Tracer, TracingOptions
from .types import UpdateEvent

__version__ = "0.1.0"

__all__ = [
    "ActiveSpan",
    "Client",
    "ExportStats",
    "PromptlineError",
    "ResolvedChatPrompt",
    "ResolvedPrompt",
    "ResolvedTextPrompt",
    "SpanRef",
    "Tracer",
    "TracingOptions",
    "UpdateEvent",
    "bucket_of",
    "choose_variant",
    "compile_template",
    "extract_variables",
    "murmurhash3",
    "pick_variant",
    "render_messages",
    "render_template",
]
