"""`make run`: the whole Leads Center on one machine, built from template.yaml (`python -m local.runner`).

Two processes. A child runs the moto server (`local.moto_server`): every table, key, queue and bucket of the
template, in memory. The runner serves HTTP (`local.http_server`): API requests through the API Gateway
emulation (`local.gateway`) to the real handlers, the static web UI, and the local-only routes under
`/_local/` (tokens, the app clock, running a schedule now). Beside it run the event sources: a long-polling
consumer per SQS-triggered function (`local.sqs_source`), a poller per DynamoDB stream (`local.stream_source`)
and a scheduler for the scheduled functions (`local.scheduler`), all held by `local.runtime`.

This module is the start-up: environment, moto, runtime, server, banner, seeding, and a clean stop.
Nothing here implements app behaviour: every request and event ends in a function's own handler.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
import time
import traceback
from types import FrameType

from local import aws_wire
from local.common import HOME_REGION, log
from local.gateway import Gateway, handler_of
from local.http_server import LocalApp, PortUnavailable, make_local_server
from local.moto_server import start_moto
from local.runtime import LocalRuntime
from local.stream_source import stream_pollers
from local.template import Stack

DEFAULT_SEED_COUNT = 300


def configure_environment(aws_port: int) -> None:
    """Must run before anything imports `leadcenter`: its stores read the endpoint when they are built."""
    for name in list(os.environ):
        # A developer's own AWS profile or per-service endpoint must never steer a local run to real AWS.
        if name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE") or name.startswith("AWS_ENDPOINT_URL_"):
            del os.environ[name]
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_REGION": HOME_REGION,
            "AWS_DEFAULT_REGION": HOME_REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "LEADCENTER_LOCAL": "true",
        }
    )
    os.environ.setdefault("WEBHOOK_SECRET", "local-webhook-secret")
    # No EMF lines between the log lines locally; POWERTOOLS_METRICS_DISABLED=false shows them.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("AUTO_CAPTURE_REVIEW_SECONDS", "2")  # CONTRACT: local review approves after 2 s


def apply_function_environment(stack: Stack) -> None:
    """All functions share this process, so they share one environment: Globals plus each function's own."""
    merged = stack.environment()
    for function in stack.functions().values():
        for name, value in function.environment.items():
            if name in merged and merged[name] != value:
                log(f"{function.logical_id} sets {name} unlike another function; keeping {merged[name]!r}")
                continue
            merged[name] = value
    os.environ.update(merged)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.runner", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 3000))
    parser.add_argument("--aws-port", type=int, default=int(os.environ.get("AWS_PORT") or 4566))
    parser.add_argument("--seed", default=os.environ.get("SEED", ""), help="demo or demo:N (default: $SEED)")
    return parser.parse_args(argv)


def seed_count(value: str) -> int | None:
    """SEED=demo -> a few hundred leads; SEED=demo:N -> N; empty -> no seeding."""
    value = value.strip()
    if not value:
        return None
    if value == "demo":
        return DEFAULT_SEED_COUNT
    found = re.fullmatch(r"demo:(\d{1,6})", value)
    if not found:
        log(f"ignoring SEED={value!r}: use SEED=demo or SEED=demo:N")
        return None
    return int(found.group(1))


def build_runtime() -> LocalRuntime:
    import boto3

    session = boto3.session.Session()
    stack = Stack.from_template(home_region=HOME_REGION)
    stack.provision(session)
    apply_function_environment(stack)
    from leadcenter.config import reset_settings

    reset_settings()
    gateway = Gateway(stack)
    for function in gateway.functions.values():
        try:
            handler_of(function)  # import now, so the first request does not pay for it
        except Exception:
            # Keep serving: the UI and the other functions still work, and each call shows the error.
            log(f"{function.logical_id} does not import:\n{traceback.format_exc()}")
    return LocalRuntime(stack, gateway, session.client("sqs", region_name=HOME_REGION), stream_pollers(stack, session))


def start_seeding(runtime: LocalRuntime, count: int) -> None:
    from local.seed import seed

    def work() -> None:
        try:
            seed(runtime.gateway, count)
        except Exception:
            log(f"seeding failed:\n{traceback.format_exc()}")

    threading.Thread(target=work, name="seed", daemon=True).start()


def banner(port: int, aws_port: int, runtime: LocalRuntime, elapsed: float) -> None:
    base = f"http://127.0.0.1:{port}"
    lines = [
        f"leadcenter is running (ready in {elapsed:.1f}s)",
        f"  UI + API     {base}/",
        f"  OpenAPI      {base}/openapi.json",
        f"  AWS (moto)   http://127.0.0.1:{aws_port}   (AWS_ENDPOINT_URL for aws-cli / boto3)",
        f'  token        curl -s -X POST {base}/_local/token -d \'{{"sub": "alice"}}\'',
        "               then send  Authorization: Bearer <token>",
        f"  clock        curl -s -X POST {base}/_local/clock -d '{{\"advance_days\": 91}}'",
        f"  queues       {', '.join(f'{c.function.logical_id} x{c.concurrency}' for c in runtime.consumers) or 'none'}",
        f"  streams      {', '.join(sorted({p.function.logical_id for p in runtime.pollers})) or 'none'}",
        f"  schedules    {', '.join(runtime.scheduler.schedules) or 'none'}  (POST {base}/_local/run/<name>)",
        "Ctrl-C stops it; all state is in memory.",
    ]
    print("\n".join(lines), flush=True)


def stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    args = parse_args(argv)
    count = seed_count(args.seed)
    configure_environment(args.aws_port)
    app = LocalApp()
    try:
        # Bind first: a taken port fails at once, and early clients wait in the backlog until we serve.
        server = make_local_server(args.port, app)
    except PortUnavailable as exc:
        raise SystemExit(f"PORT {args.port} is not available ({exc}); choose another PORT") from None
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    # A shell without job control starts background jobs ignoring SIGINT; `kill -INT` should still stop us.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    moto = None
    runtime = None
    try:
        moto = start_moto(args.aws_port)
        if moto.wire_path is not None:
            aws_wire.install(os.environ["AWS_ENDPOINT_URL"], moto.wire_path)
        runtime = build_runtime()
        app.runtime = runtime
        runtime.start_workers()
        banner(args.port, args.aws_port, runtime, time.monotonic() - started)
        if count:
            start_seeding(runtime, count)
        server.serve_forever(poll_interval=0.25)  # returns on Ctrl-C or SIGTERM (werkzeug takes the interrupt)
    except KeyboardInterrupt:
        pass
    finally:
        log("stopping")
        if runtime is not None:
            runtime.stop_workers()
        server.server_close()
        if moto is not None:
            moto.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
