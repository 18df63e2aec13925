"""Notes on a lead."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field

from leadcenter.api.leads import LeadId
from leadcenter.api.params import AccountId
from leadcenter.api.schemas import FromAttributes, Strict
from leadcenter.domain import notes as domain
from leadcenter.http import caller_id
from leadcenter.policy import Action, authorize
from leadcenter.store.notes import Note

router = Router()
TAG = "notes"
NoteId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z]+$")]


class NoteIn(Strict):
    text: str = Field(min_length=1, max_length=5000)


class NoteOut(FromAttributes):
    id: str
    author: str
    text: str
    created_at: str
    updated_at: str


class NoteList(BaseModel):
    items: list[NoteOut]
    next_cursor: str | None = None


def _out(note: Note) -> NoteOut:
    return NoteOut.model_validate(note)


@router.get(
    "/accounts/<account_id>/leads/<lead_id>/notes",
    operation_id="listNotes",
    tags=[TAG],
    summary="Notes on a lead, oldest first",
)
def list_notes(account_id: AccountId, lead_id: LeadId) -> NoteList:
    access = authorize(caller_id(router), account_id, Action.LEADS_VIEW)
    return NoteList(items=[_out(n) for n in domain.list_for(access, lead_id)])


@router.post(
    "/accounts/<account_id>/leads/<lead_id>/notes",
    operation_id="createNote",
    tags=[TAG],
    summary="Add a note",
    status_code=201,
)
def add_note(account_id: AccountId, lead_id: LeadId, body: NoteIn) -> tuple[NoteOut, int]:
    access = authorize(caller_id(router), account_id, Action.LEADS_MANAGE)
    return _out(domain.add(access, lead_id, body.text)), 201


@router.patch(
    "/accounts/<account_id>/leads/<lead_id>/notes/<note_id>",
    operation_id="patchNote",
    tags=[TAG],
    summary="Edit a note (author or admin)",
)
def edit_note(account_id: AccountId, lead_id: LeadId, note_id: NoteId, body: NoteIn) -> NoteOut:
    access = authorize(caller_id(router), account_id, Action.LEADS_MANAGE)
    return _out(domain.edit(access, lead_id, note_id, body.text))


@router.delete(
    "/accounts/<account_id>/leads/<lead_id>/notes/<note_id>",
    operation_id="deleteNote",
    tags=[TAG],
    summary="Delete a note (author or admin)",
    status_code=204,
)
def delete_note(account_id: AccountId, lead_id: LeadId, note_id: NoteId) -> tuple[dict[str, Any], int]:
    access = authorize(caller_id(router), account_id, Action.LEADS_MANAGE)
    domain.delete(access, lead_id, note_id)
    return {}, 204
