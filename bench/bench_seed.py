"""The demo seed (issues 18 and 20): wall time from starting `python -m local.runner` with SEED=demo (300 leads)
and SEED=demo:5000 to the last lead being visible through the API.

Ours: the runner of this tree; done when `GET /_local/seed` says `done` (the seed finds every captured lead by
listing the API). Peer: the seed of commit 6a8cf8a (every lead a `POST /leads` plus PATCHes, no pipeline), from
`git archive` of that commit, run the same way; done when its `[seed] done` line is printed. The two runs of a
size take turns, ours first, each with the machine to itself (the goals are wall-clock seconds on this machine;
run together, each would be timed on half of it). The peer's 5,000 gets `SEED_BENCH_PEER_CAP_S` (default 300 s):
it takes far longer. `SEED_BENCH_SIZES=300` runs only the small one.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from io import BytesIO
from pathlib import Path
from typing import Any

from bench.harness import metric

ROOT = Path(__file__).resolve().parent.parent
PEER_COMMIT = "6a8cf8a"
SIZES = [int(s) for s in os.environ.get("SEED_BENCH_SIZES", "300,5000").split(",") if s.strip()]
TIMEOUT_S = {300: 900.0, 5000: float(os.environ.get("SEED_BENCH_5000_CAP_S") or 3600)}
PEER_CAP_S = float(os.environ.get("SEED_BENCH_PEER_CAP_S") or 300)


def _peer_cap(size: int) -> float:
    return TIMEOUT_S[300] if size == 300 else PEER_CAP_S


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _peer_tree() -> Path:
    """The peer commit's files in a temporary directory (its own local/ and layer, this tree's venv)."""
    target = Path(tempfile.mkdtemp(prefix="leadcenter-seed-peer-"))
    archive = subprocess.run(["git", "archive", PEER_COMMIT], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


class Run:
    def __init__(self, tree: Path, size: int, log: Path) -> None:
        self.tree, self.log, self.port = tree, log, _port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        path = f"{tree / 'layers' / 'leadcenter'}:{tree}"
        env.update(SEED=f"demo:{size}" if size != 300 else "demo", PYTHONPATH=path, PYTHONUNBUFFERED="1")
        command = [sys.executable, "-m", "local.runner", "--port", str(self.port), "--aws-port", str(_port())]
        self.started = time.monotonic()
        with log.open("wb") as out:
            self.process = subprocess.Popen(command, cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)  # fmt: skip
        self.seconds: float | None = None

    def done(self, ours: bool) -> bool:
        if self.seconds is not None:
            return True
        if ours:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_local/seed", timeout=5) as reply:
                    finished = b'"state": "done"' in reply.read()
            except OSError:
                finished = False
        else:
            finished = "[seed] done" in self.log.read_text(errors="replace")
        if finished:
            self.seconds = time.monotonic() - self.started
        return finished

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)


def _progress(run: Run) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{run.port}/_local/seed", timeout=5) as reply:
            return reply.read().decode()[:200]
    except OSError:
        return "unknown"


def _measure(size: int, peer_tree: Path, logs: Path) -> tuple[float | None, float | None, str]:
    ours = _finish(Run(ROOT, size, logs / f"ours-{size}.log"), True, TIMEOUT_S.get(size, 3600.0))
    found = re.search(r"\[seed\] done in [^\n]*", (logs / f"ours-{size}.log").read_text(errors="replace"))
    line = found.group(0)[:300] if found else f"not done at the cap: {ours[1]}"
    peer = _finish(Run(peer_tree, size, logs / f"peer-{size}.log"), False, _peer_cap(size))
    return ours[0], peer[0], line


def _finish(run: Run, ours: bool, cap: float) -> tuple[float | None, str]:
    """Waits for `run` to be done (at most `cap` seconds), stops it; its seconds (None: not done) and state."""
    deadline = time.monotonic() + cap
    try:
        while time.monotonic() < deadline and not run.done(ours):
            time.sleep(0.5)
        state = _progress(run) if ours else ""
    finally:
        run.stop()
    return run.seconds, state


def run() -> dict[str, Any]:
    results = {}
    peer_tree = _peer_tree()
    logs = Path(tempfile.mkdtemp(prefix="leadcenter-seed-bench-"))
    for size in SIZES:
        ours, peer, line = _measure(size, peer_tree, logs)
        name = "seed_demo_seconds" if size == 300 else f"seed_demo_{size}_seconds"
        how = ("through signed webhook events, the capture and jobs queue workers and API calls" if size <= 300 else
               "the first 300 through signed webhook events, the queue workers and API calls, the rest written "
               "through the store in batches meanwhile (local/seed/bulk.py)")  # fmt: skip
        note = (f"{size} leads {how}, "
                f"from runner start to GET /_local/seed done; peer = commit {PEER_COMMIT}'s seed (POST /leads + "
                f"PATCH per lead, no pipeline) run after ours, each alone on the machine; ours: {line}"
                f"{'' if peer else f'; peer not done within {_peer_cap(size):.0f}s'}; logs in {logs}")  # fmt: skip
        results[name] = metric(ours if ours is not None else TIMEOUT_S.get(size, 3600.0), "s", peer, note)
    return results
