"""Driven by bench/python.bench.ts: the Python SDK's render with five variables against pystache in
the same process, and resolve + render per call from a live client. Prints one JSON object.

Environment: PROMPTLINE_BENCH_URL / PROMPTLINE_BENCH_API_KEY (a snapshot server serving
support/reply and support/reply-rollout), PROMPTLINE_BENCH_TEMPLATE (the template), and
PROMPTLINE_BENCH_SECONDS (per measurement, default 0.6).
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "packages" / "python" / "src"))

from promptline import Client, compile_template  # noqa: E402

TEMPLATE = os.environ["PROMPTLINE_BENCH_TEMPLATE"]
SECONDS = float(os.environ.get("PROMPTLINE_BENCH_SECONDS", "0.6"))
ROUNDS = int(os.environ.get("PROMPTLINE_BENCH_ROUNDS", "5"))
VARIABLES = {
    "company": "Acme",
    "customer_name": "Ada Lovelace",
    "plan": "Pro",
    "order_id": "A-10042",
    "message": "My parcel has not arrived yet, can you check where it is?",
}
UNITS = ["user-%d" % i for i in range(1024)]


def measure(op):
    """Ops per wall second and per CPU second of ``op(i)`` over about SECONDS, after a warm-up."""
    for i in range(2000):
        op(i)
    ops = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    while True:
        for i in range(1000):
            op(ops + i)
        ops += 1000
        wall = time.perf_counter() - wall0
        if wall >= SECONDS:
            break
    cpu = time.process_time() - cpu0
    return ops / wall, ops / cpu if cpu > 0 else None


def best(results):
    walls = [r[0] for r in results]
    cpus = [r[1] for r in results if r[1] is not None]
    return {"ops_s": round(max(walls)), "ops_cpu_s": round(max(cpus)) if cpus else None}


def main():
    compiled = compile_template(TEMPLATE)
    expected = compiled.render(VARIABLES)
    out = {"python": sys.version.split()[0], "template_bytes": len(TEMPLATE), "variables": len(VARIABLES)}
    contenders = {"promptline_render": lambda i: compiled.render(VARIABLES)}
    try:
        import pystache

        # pystache escapes HTML by default; Promptline never does, so the comparison turns it off.
        renderer = pystache.Renderer(escape=lambda text: text)
        parsed = pystache.parse(TEMPLATE)
        if renderer.render(parsed, VARIABLES) != expected:
            out["note"] = "pystache output differs from promptline output on this template"
        contenders["pystache_render"] = lambda i: renderer.render(parsed, VARIABLES)
        out["pystache"] = getattr(pystache, "__version__", "installed")
    except ImportError:
        out["pystache"] = None
        out["note"] = "pystache not installed: apt-get install -y python3-pystache (for /usr/bin/python3)"

    client = Client(os.environ["PROMPTLINE_BENCH_URL"], os.environ["PROMPTLINE_BENCH_API_KEY"], "production", updates="off")
    if client.ready() != "server":
        raise SystemExit("the snapshot did not load")
    if client.prompt("support/reply", unit="u").render(VARIABLES) != expected:
        raise SystemExit("the client renders something else than the compiled template")
    contenders["resolve_render"] = lambda i: client.prompt("support/reply", unit=UNITS[i & 1023]).render(VARIABLES)
    contenders["resolve_render_rollout"] = lambda i: client.prompt("support/reply-rollout", unit=UNITS[i & 1023]).render(VARIABLES)

    # Interleaved rounds, best of each: other load on a shared machine hits every contender alike.
    results = {name: [] for name in contenders}
    for _ in range(ROUNDS):
        for name, op in contenders.items():
            results[name].append(measure(op))
    for name, runs in results.items():
        out[name] = best(runs)
    for name in ("resolve_render", "resolve_render_rollout"):
        out[name]["us_per_call"] = round(1e6 / out[name]["ops_s"], 2)
        if out[name]["ops_cpu_s"]:
            out[name]["us_cpu_per_call"] = round(1e6 / out[name]["ops_cpu_s"], 2)
    if out.get("pystache_render"):
        out["ratio_vs_pystache"] = round(out["promptline_render"]["ops_s"] / out["pystache_render"]["ops_s"], 2)
        out["ratio_vs_pystache_cpu"] = round(out["promptline_render"]["ops_cpu_s"] / out["pystache_render"]["ops_cpu_s"], 2)
    client.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
