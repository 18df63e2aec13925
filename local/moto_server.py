"""The AWS emulation of `make run`: moto's server in a child process of its own.

AWS emulation and the functions then run on two cores instead of sharing one interpreter lock (a load run is
bound by moto's Python as much as by ours). The child watches its parent and goes when the runner goes, even
when the runner is killed without a word.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import tempfile
import time

from local import aws_wire


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class MotoProcess:
    """moto's server in a child process, started with `start()` and ended with `stop()`."""

    def __init__(self, port: int) -> None:
        import multiprocessing

        self.port = port
        # The runner's own calls take a Unix socket (local/aws_wire.py); everyone else the HTTP port.
        self.wire_path = None
        if aws_wire.enabled():  # in a directory only this user can enter (mkdtemp makes it 0700)
            self.wire_path = os.path.join(tempfile.mkdtemp(prefix="leadcenter-aws-"), "moto.sock")
        self.process = multiprocessing.get_context("spawn").Process(
            target=serve_moto, args=(port, os.getpid(), self.wire_path), name="moto", daemon=True
        )

    def start(self, timeout: float = 60.0) -> None:
        self.process.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.process.is_alive():
                raise SystemExit(f"the moto server stopped at start (exit code {self.process.exitcode})")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    if self.wire_path is None or os.path.exists(self.wire_path):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise SystemExit(f"the moto server did not listen on {self.port} within {timeout:.0f}s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(timeout=10)
        if self.wire_path is not None:
            shutil.rmtree(os.path.dirname(self.wire_path), ignore_errors=True)


def serve_moto(port: int, parent_pid: int, wire_path: str | None = None) -> None:
    """The child's whole life: serve until the runner goes, even if it is killed without a word."""
    from moto.server import ThreadedMotoServer

    from local import moto_patches

    moto_patches.install()  # item-level transaction rollback, atomic writes, SQS at scale: see that module
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call would drown the console
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the runner stops us itself
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    if wire_path is not None and server._server is not None:
        aws_wire.serve(server._server.app, wire_path, ("127.0.0.1", port))  # the same app the HTTP port runs
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    server.stop()


def start_moto(port: int) -> MotoProcess:
    """moto's threaded server waits forever when its port is taken, so check first and fail clearly."""
    if not port_is_free(port):
        raise SystemExit(f"AWS_PORT {port} is already in use (another `make run`?); choose another AWS_PORT")
    server = MotoProcess(port)
    server.start()
    return server
