"""cold_init_ms_<function>: a fresh interpreter imports the function's handler module (what Lambda's INIT
phase does), median of 7. Peer: the floor of importing botocore and creating one DynamoDB client.

first_request_ms_<function>, beside it: import plus one typical invocation (bench/first_request.py), same peer, so
that work moved out of INIT into the first request shows.

Both sides are timed in process CPU time: on a shared 2-core machine wall time mostly measures the neighbours.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import first_request
from bench.harness import ENV, median, metric
from local.template import Stack

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7

FLOOR = """
import time
start = time.process_time()
import botocore.session
botocore.session.get_session().create_client("dynamodb", region_name="us-east-1")
print((time.process_time() - start) * 1000)
"""

FUNCTION = """
import importlib, time
start = time.process_time()
importlib.import_module({module!r})
print((time.process_time() - start) * 1000)
"""


def _time(code: str) -> float:
    env = {**os.environ, **ENV, "PYTHONPATH": f"{ROOT / 'layers' / 'leadcenter'}:{ROOT}"}
    # The warm-up run writes the bytecode caches the timed runs read: with PYTHONDONTWRITEBYTECODE (set in some
    # shells) every run compiled the layer from source, ~30 ms more than with caches, depending on who ran it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def run() -> dict[str, Any]:
    floor_code = FLOOR
    _time(floor_code)  # compile caches warm for both sides alike
    floor = median([_time(floor_code) for _ in range(RUNS)])
    metrics = {}
    modules = {}
    for function in Stack.from_template().functions().values():
        module = function.code_uri.replace("/", ".") + "." + function.handler.rsplit(".", 1)[0]
        code = FUNCTION.format(module=module)
        _time(code)
        value = median([_time(code) for _ in range(RUNS)])
        name = function.code_uri.rstrip("/").rsplit("/", 1)[-1]
        modules[name] = module
        metrics[f"cold_init_ms_{name}"] = metric(
            value,
            "ms",
            floor,
            f"median CPU ms of {RUNS} fresh interpreters importing {module}; peer = botocore import + one DynamoDB "
            f"client (ratio {value / floor:.2f}, goal <= 1.5)",
        )
    for name, value in first_request.measure(modules, RUNS).items():
        metrics[f"first_request_ms_{name}"] = metric(
            value,
            "ms",
            floor,
            f"median CPU ms of {RUNS} fresh interpreters importing {modules[name]} and serving one typical invocation "
            f"against moto's server in another process (ratio {value / floor:.2f}); peer = the same floor",
        )
    return metrics


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
