"""`make bench`: runs every benchmark, prints a table, writes bench/results.json (CONTRACT shape)."""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results.json")
MODULES = [
    "bench.bench_cold_init",
    "bench.bench_kms",
    "bench.bench_listing",
    "bench.bench_retention",
    "bench.bench_erasure",
    "bench.bench_capture",
    "bench.bench_capture_requests",
    "bench.bench_contacts",
    "bench.bench_jobs",
    "bench.bench_crm",
    "bench.bench_reports",
    "bench.bench_salesforce",
]


def machine() -> str:
    import os

    system = f"{platform.system()} {platform.release()}"
    return f"{platform.machine()} {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


def main(selected: list[str]) -> int:
    metrics: dict[str, Any] = {}
    if RESULTS.exists():
        metrics = json.loads(RESULTS.read_text()).get("metrics", {})
    failed = []
    for name in MODULES:
        if selected and not any(s in name for s in selected):
            continue
        started = time.perf_counter()
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            print(f"skip {name}: {exc}", file=sys.stderr)
            continue
        try:
            found = module.run()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failed.append(name)
            print(f"FAILED {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        metrics.update(found)
        print(f"{name}: {time.perf_counter() - started:.1f}s", file=sys.stderr)
    RESULTS.write_text(json.dumps({"machine": machine(), "metrics": metrics}, indent=2, ensure_ascii=False) + "\n")
    width = max(len(n) for n in metrics) if metrics else 10
    print(f"{'metric':<{width}}  {'value':>12}  {'peer':>12}  unit")
    for name, m in sorted(metrics.items()):
        peer = "-" if m["peer"] is None else f"{m['peer']:.3f}"
        print(f"{name:<{width}}  {m['value']:>12.3f}  {peer:>12}  {m['unit']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
