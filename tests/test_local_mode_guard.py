"""Issue "2 of 6" (from review): local mode (LEADCENTER_LOCAL: local tokens, /_local/*, loopback CRM URLs, public
default secrets) never switches on inside a real Lambda. With AWS_LAMBDA_FUNCTION_NAME set too, the function fails
at cold start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from leadcenter.config import LocalModeInLambda, reset_settings, settings

ROOT = Path(__file__).resolve().parents[1]


def _cold_start(function: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """Imports a function's app.py in a fresh interpreter, as Lambda's init phase does."""
    env = {"PATH": os.environ["PATH"], "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", **variables}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "layers" / "leadcenter"), str(ROOT / "functions" / function)])
    return subprocess.run(
        [sys.executable, "-c", "import app"], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("function", ["leads", "capture"])
def test_a_lambda_with_local_mode_fails_at_cold_start(function):
    started = _cold_start(function, LEADCENTER_LOCAL="true", AWS_LAMBDA_FUNCTION_NAME=f"leadcenter-{function}")
    assert started.returncode != 0
    assert "LocalModeInLambda" in started.stderr and "LEADCENTER_LOCAL" in started.stderr


def test_the_same_function_starts_without_local_mode_and_locally_without_a_lambda_name():
    assert _cold_start("leads", AWS_LAMBDA_FUNCTION_NAME="leadcenter-leads").returncode == 0
    assert _cold_start("leads", LEADCENTER_LOCAL="true").returncode == 0


def test_settings_refuse_local_mode_inside_lambda(monkeypatch):
    monkeypatch.setenv("LEADCENTER_LOCAL", "true")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "leadcenter-leads")
    reset_settings()
    try:
        with pytest.raises(LocalModeInLambda, match="LEADCENTER_LOCAL"):
            settings()
    finally:
        monkeypatch.undo()
        reset_settings()
    assert settings().local_mode
