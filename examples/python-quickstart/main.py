"""The Python SDK in an application: resolve and render support/triage for a user, follow
deployments live, record the call and a score. Without a server it serves the fallback.

    PROMPTLINE_API_KEY=promptline-dev-key python3 examples/python-quickstart/main.py [--watch]

(PROMPTLINE_URL defaults to http://127.0.0.1:4100; deploy support/triage as in the README tour.)
"""

import os
import sys
import time
from pathlib import Path

# Runs from the checkout without installing: `pip install --no-build-isolation ./packages/python` makes this unnecessary.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packages" / "python" / "src"))

from promptline import Client, PromptlineError  # noqa: E402

NAME = "support/triage"
VARIABLES = {"customer": {"name": "Ann"}, "plan": "pro", "ticket": "I was charged twice"}


def main() -> None:
    client = Client(
        os.environ.get("PROMPTLINE_URL", "http://127.0.0.1:4100"),
        os.environ.get("PROMPTLINE_API_KEY", "no-key-set-0000000"),
        os.environ.get("PROMPTLINE_ENV", "production"),
        fallbacks={NAME: {"type": "text", "template": "Classify this ticket from {{customer.name}}:\n{{ticket}}"}},
        on_error=lambda error: print("[promptline] %s: %s" % (error.code, error.message), file=sys.stderr),
    )
    with client:
        print("serving from:", client.ready())
        prompt = client.prompt(NAME, unit="user-42")
        print("%s v%d (%s), variant %d, source %s" % (prompt.name, prompt.version, prompt.semver, prompt.variant, prompt.source))
        try:
            text = prompt.render(VARIABLES)
        except PromptlineError as error:
            print("cannot render:", error)
            return
        print(text)
        with client.trace("answer-ticket", user_id="user-42") as span:
            client.record("llm-call", prompt=prompt, model="mock-1", input=text, output="billing", duration_ms=12)
        client.score(span.trace_id, "thumbs_up", True, source="user")
        print("trace", span.trace_id, "flushed:", client.flush(timeout=5))
        if "--watch" in sys.argv:
            client.on("update", lambda event: print("update:", event.changed))
            print("watching deployments (Ctrl-C to stop)…")
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass


if __name__ == "__main__":
    main()
