"""HTTP routers (Powertools Router per domain) and their request/response models."""

from __future__ import annotations

from typing import Any


def all_routers() -> list[Any]:
    """Every API router, for the OpenAPI document and the route-coverage tests."""
    from leadcenter.api import accounts, leads

    return [accounts.router, leads.router]
