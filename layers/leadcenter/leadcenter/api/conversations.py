"""The DM side of a conversation: its notices, and "mark as lead"."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from leadcenter.api.capture_schemas import ConversationEventList, ConversationEventOut
from leadcenter.api.params import AccountId
from leadcenter.api.schemas import Cursor
from leadcenter.domain import capture
from leadcenter.domain import conversations as domain
from leadcenter.http import caller_id
from leadcenter.model import Lead
from leadcenter.platform_events import CONVERSATION_ID_PATTERN
from leadcenter.policy import Action, authorize

router = Router()
TAG = "capture"
ConversationId = Annotated[str, Path(min_length=1, max_length=128, pattern=CONVERSATION_ID_PATTERN)]


@router.post(
    "/accounts/<account_id>/conversations/<conversation_id>/mark-as-lead",
    operation_id="markConversationAsLead",
    tags=[TAG],
    summary="Make the conversation's person a raw lead, contacts or not (201); their existing lead (200)",
    status_code=201,
    responses={200: {"description": "already done: nothing changed"}},
)
def mark_as_lead(account_id: AccountId, conversation_id: ConversationId) -> tuple[Lead, int]:
    access = authorize(caller_id(router), account_id, Action.LEADS_MANAGE)
    lead, created = capture.mark_as_lead(access, conversation_id)
    return lead, 201 if created else 200


@router.get(
    "/accounts/<account_id>/conversations/<conversation_id>/events",
    operation_id="listConversationEvents",
    tags=[TAG],
    summary="The conversation's notices, oldest first (never message text)",
)
def conversation_events(
    account_id: AccountId,
    conversation_id: ConversationId,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Cursor = None,
) -> ConversationEventList:
    access = authorize(caller_id(router), account_id, Action.LEADS_VIEW)
    page = domain.events(access, conversation_id, limit, cursor)
    items = [ConversationEventOut.model_validate(vars(e) | {"summary": domain.summary(e)}) for e in page.events]
    return ConversationEventList(items=items, next_cursor=page.next_cursor)
