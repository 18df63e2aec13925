"""Notes on a lead: items under the lead's children key, the text sealed with the lead's own key."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist

from leadcenter import crypto
from leadcenter.errors import NotFound
from leadcenter.store._base import transact_write, translate_write_errors
from leadcenter.store.lead_items import (
    LeadState,
    NoteItem,
    TimelineEvent,
    children_pk,
    event_item,
    expiry_key,
    lead_pk,
    lead_sk,
    models,
)


@dataclass(frozen=True)
class Note:
    id: str
    author: str
    text: str
    created_at: str
    updated_at: str


def _cipher(state: LeadState) -> crypto.FieldCipher:
    return crypto.FieldCipher(state.lead_key, state.lead.account_id, state.lead.id)


def _note(item: NoteItem, cipher: crypto.FieldCipher) -> Note:
    return Note(
        item.note_id, item.author, cipher.open(f"note:{item.note_id}", item.text_ct), item.created_at, item.updated_at
    )


def add_note(state: LeadState, note: Note, event: TimelineEvent) -> None:
    """The note and its timeline event, only while the lead exists."""
    lead = state.lead
    region = lead.storage_region
    m = models(region)
    with translate_write_errors("the lead was deleted"), transact_write(region) as tx:
        tx.condition_check(m.lead, lead_pk(lead.account_id), lead_sk(lead.id), condition=m.lead.pk.exists())
        tx.save(
            m.note(
                pk=children_pk(lead.account_id, lead.id),
                sk=f"N#{note.id}",
                note_id=note.id,
                author=note.author,
                text_ct=_cipher(state).seal(f"note:{note.id}", note.text),
                created_at=note.created_at,
                updated_at=note.updated_at,
                expires_at=state.expires_epoch,
                g_exp=expiry_key(state.expires_epoch, lead.id),
            )
        )
        tx.save(event_item(region, lead.account_id, lead.id, state.expires_epoch, event))


def list_notes(state: LeadState) -> list[Note]:
    lead = state.lead
    m = models(lead.storage_region)
    cipher = _cipher(state)
    return [_note(i, cipher) for i in m.note.query(children_pk(lead.account_id, lead.id), m.note.sk.startswith("N#"))]


def get_note(state: LeadState, note_id: str) -> Note:
    lead = state.lead
    m = models(lead.storage_region)
    try:
        item = m.note.get(children_pk(lead.account_id, lead.id), f"N#{note_id}", consistent_read=True)
    except DoesNotExist as exc:
        raise NotFound(f"note {note_id} not found") from exc
    return _note(item, _cipher(state))


def edit_note(state: LeadState, note_id: str, text: str, updated_at: str, event: TimelineEvent) -> None:
    lead = state.lead
    region = lead.storage_region
    m = models(region)
    target = m.note(pk=children_pk(lead.account_id, lead.id), sk=f"N#{note_id}")
    with translate_write_errors("the note was deleted"), transact_write(region) as tx:
        tx.update(
            target,
            actions=[
                m.note.text_ct.set(_cipher(state).seal(f"note:{note_id}", text)),
                m.note.updated_at.set(updated_at),
            ],
            condition=m.note.pk.exists(),
        )
        tx.save(event_item(region, lead.account_id, lead.id, state.expires_epoch, event))


def delete_note(state: LeadState, note_id: str, event: TimelineEvent) -> None:
    lead = state.lead
    region = lead.storage_region
    m = models(region)
    with translate_write_errors("the note was already deleted"), transact_write(region) as tx:
        tx.delete(m.note(pk=children_pk(lead.account_id, lead.id), sk=f"N#{note_id}"), condition=m.note.pk.exists())
        tx.save(event_item(region, lead.account_id, lead.id, state.expires_epoch, event))
