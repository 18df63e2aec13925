"""The caller's own notifications, across accounts: list (newest first), mark one or all read."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from leadcenter.api.schemas import Cursor, FromAttributes
from leadcenter.domain import notifications as domain
from leadcenter.http import caller_id

router = Router()
TAG = "notifications"
NotificationId = Annotated[str, Path(min_length=26, max_length=26, pattern=r"^[0-9A-Z]+$")]


class NotificationOut(FromAttributes):
    id: str
    type: str = Field(description="auto_capture.reviewed, lead.assigned, export.ready, integration.failing, "
                                  "lead_access.transferred")  # fmt: skip
    account_id: str
    created_at: str
    read_at: str | None = None
    title: str
    data: dict[str, Any] = Field(default_factory=dict, description="ids and counts only, never personal data")


class NotificationList(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None = None
    unread_count: int


class ReadAllOut(BaseModel):
    marked_read: int
    unread_count: int


@router.get(
    "/notifications",
    operation_id="listNotifications",
    tags=[TAG],
    summary="My notifications across accounts, newest first",
)
def list_notifications(
    unread: Annotated[bool, Query(description="only unread ones")] = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Cursor = None,
) -> NotificationList:
    box = domain.inbox(caller_id(router), unread_only=unread, limit=limit, cursor=cursor)
    return NotificationList(
        items=[NotificationOut.model_validate(n) for n in box.items],
        next_cursor=box.next_cursor,
        unread_count=box.unread_count,
    )


@router.post(
    "/notifications/read-all",
    operation_id="markAllNotificationsRead",
    tags=[TAG],
    summary="Mark all my notifications read",
)
def read_all() -> ReadAllOut:
    user = caller_id(router)
    marked = domain.read_all(user)
    return ReadAllOut(marked_read=marked, unread_count=0)


@router.post(
    "/notifications/<notification_id>/read",
    operation_id="markNotificationRead",
    tags=[TAG],
    summary="Mark one of my notifications read",
)
def read_one(notification_id: NotificationId) -> NotificationOut:
    return NotificationOut.model_validate(domain.read(caller_id(router), notification_id))
