"""Label settings of an account."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field

from leadcenter.api.params import AccountId
from leadcenter.api.schemas import FromAttributes, Strict
from leadcenter.domain import labels as domain
from leadcenter.http import caller_id
from leadcenter.policy import Action, authorize
from leadcenter.store import labels as store
from leadcenter.store.labels import Label

router = Router()
TAG = "labels"
LabelId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[0-9a-z]+$",
        description="A label id as `POST .../labels` returns it (a lower-case ULID, 26 characters)",
        examples=["01jb8x9a2kq4w7e1r5t8y3v6m0"],
    ),
]


class LabelIn(Strict):
    name: str = Field(min_length=1, max_length=50, pattern=r"\S")


class LabelOut(FromAttributes):
    id: str
    name: str
    created_at: str


class LabelList(BaseModel):
    items: list[LabelOut]
    next_cursor: str | None = None


def _out(label: Label) -> LabelOut:
    return LabelOut.model_validate(label)


@router.get(
    "/accounts/<account_id>/labels", operation_id="listLabels", tags=[TAG], summary="The account's labels, by name"
)
def list_labels(account_id: AccountId) -> LabelList:
    authorize(caller_id(router), account_id, Action.LEADS_VIEW)
    return LabelList(items=[_out(label) for label in store.list_labels(account_id)])


@router.post(
    "/accounts/<account_id>/labels",
    operation_id="createLabel",
    tags=[TAG],
    summary="Create a label (names are unique, case-insensitively)",
    status_code=201,
)
def create_label(account_id: AccountId, body: LabelIn) -> tuple[LabelOut, int]:
    access = authorize(caller_id(router), account_id, Action.LEADS_MANAGE)
    return _out(domain.create(access, body.name)), 201


@router.patch(
    "/accounts/<account_id>/labels/<label_id>", operation_id="renameLabel", tags=[TAG], summary="Rename a label"
)
def rename_label(account_id: AccountId, label_id: LabelId, body: LabelIn) -> LabelOut:
    access = authorize(caller_id(router), account_id, Action.LEADS_MANAGE)
    return _out(domain.rename(access, label_id, body.name))


@router.delete(
    "/accounts/<account_id>/labels/<label_id>",
    operation_id="deleteLabel",
    tags=[TAG],
    summary="Delete a label and remove it from every lead",
    status_code=204,
)
def delete_label(account_id: AccountId, label_id: LabelId) -> tuple[dict[str, Any], int]:
    access = authorize(caller_id(router), account_id, Action.LEADS_MANAGE)
    domain.delete(access, label_id)
    return {}, 204
