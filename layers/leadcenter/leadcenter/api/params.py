"""What every router shares and nothing more: the path parameter types and the model bases.

A light module so that a router imports these without another router (the transfer function imported the
accounts router, its store and every shared request/response model at cold start for `AccountId`).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict

AccountId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="An account id as `POST /accounts` returns it (a lower-case ULID, 26 characters)",
        examples=["01jb8x4m5qz7r2c9v6n3t0wdke"],
    ),
]
UserId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.@:-]+$",
        description="A user id: the Cognito `sub` of the user",
        examples=["3f2b7c1e-9a4d-4e8b-b6c2-5d1a0e7f9c34"],
    ),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FromAttributes(BaseModel):
    """A response model read from a domain object's attributes: `Model.model_validate(obj)`. Where the
    attribute's name differs, the field's `validation_alias` names it; the document and the JSON show the
    field's own name (responses are documented in serialization mode, which ignores validation aliases)."""

    model_config = ConfigDict(from_attributes=True, validate_by_name=True, validate_by_alias=True)
