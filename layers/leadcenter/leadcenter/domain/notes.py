"""Notes on a lead: encrypted like other personal data; only the author or an admin edits or deletes one."""

from __future__ import annotations

from leadcenter import clock, ids
from leadcenter.domain.leads import load_state
from leadcenter.errors import Forbidden
from leadcenter.policy import Access
from leadcenter.store import notes as note_store
from leadcenter.store.lead_items import TimelineEvent
from leadcenter.store.notes import Note


def add(access: Access, lead_id: str, text: str) -> Note:
    state = load_state(access, lead_id)
    now = clock.iso()
    note = Note(ids.ulid(), access.caller, text, now, now)
    note_store.add_note(state, note, TimelineEvent(ids.ulid(), "note_added", access.caller, now, {"note_id": note.id}))
    return note


def list_for(access: Access, lead_id: str) -> list[Note]:
    return note_store.list_notes(load_state(access, lead_id))


def _may_change(access: Access, note: Note) -> None:
    if note.author != access.caller and access.member.role != "admin":
        raise Forbidden("only the note's author or an admin can change it")


def edit(access: Access, lead_id: str, note_id: str, text: str) -> Note:
    state = load_state(access, lead_id)
    note = note_store.get_note(state, note_id)
    _may_change(access, note)
    now = clock.iso()
    note_store.edit_note(
        state, note_id, text, now, TimelineEvent(ids.ulid(), "note_edited", access.caller, now, {"note_id": note_id})
    )
    return Note(note.id, note.author, text, note.created_at, now)


def delete(access: Access, lead_id: str, note_id: str) -> None:
    state = load_state(access, lead_id)
    note = note_store.get_note(state, note_id)
    _may_change(access, note)
    note_store.delete_note(
        state, note_id, TimelineEvent(ids.ulid(), "note_deleted", access.caller, clock.iso(), {"note_id": note_id})
    )
