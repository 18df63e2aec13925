"""Conversations as the DM page shows them: what happened, without what was said.

A conversation exists once a platform event names it. Its events are notices (a message arrived, a lead
was created, contact information was updated, the lead's status changed), never message text or contact
values, so admins see the history of a chat's lead without the chat being stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadcenter import clock, ids
from leadcenter.config import settings
from leadcenter.errors import NotFound
from leadcenter.model import Lead
from leadcenter.policy import Access
from leadcenter.store import conversations as store
from leadcenter.store import people as people_store
from leadcenter.store.conversations import Conversation, ConversationEvent

MESSAGE_RECEIVED = "message_received"
LEAD_CREATED = "lead_created"
CONTACT_UPDATED = "contact_updated"
FORM_SUBMITTED = "form_submitted"
MARKED_AS_LEAD = "marked_as_lead"
STATUS_CHANGED = "status_changed"

_SUMMARIES = {
    MESSAGE_RECEIVED: "Message received",
    LEAD_CREATED: "Lead created",
    CONTACT_UPDATED: "Contact information was updated",
    FORM_SUBMITTED: "Form submitted",
    MARKED_AS_LEAD: "Marked as lead",
}


def summary(event: ConversationEvent) -> str:
    """The notice the DM page shows for an event."""
    if event.type == STATUS_CHANGED:
        return f"Status changed from {event.data.get('from')} to {event.data.get('to')}"
    return _SUMMARIES.get(event.type, event.type.replace("_", " ").capitalize())


def _expiry() -> int:
    # A conversation's notices are kept as long as a lead would be, counted from the last activity.
    return int(clock.epoch()) + settings().retention_days * 86400


# The conversation and its person-index entry are kept a day past their newest notice, so that a conversation
# active again within that day writes neither: their expiry moves at most once a day.
_KEEP_SLACK_SECONDS = 86400


def note(
    account_id: str,
    conversation_id: str,
    person_hash: str,
    country: str,
    storage_region: str,
    lead_id: str | None = None,
    *,
    person_global: str | None = None,
) -> None:
    """Records the conversation (and its lead, once there is one), unless it is recorded already with that lead
    until at least the expiry a notice written now gets (then nothing would change). Capture calls
    `note_person` first, so that erasure finds every conversation written."""
    conversation = Conversation(
        account_id, conversation_id, person_hash, country, storage_region, lead_id, "", person_global
    )
    expires = _expiry()
    keep_until = expires + _KEEP_SLACK_SECONDS
    current = store.get(account_id, conversation_id)
    if (
        current is None
        or current.expires_at < expires
        or (lead_id and current.lead_id != lead_id)
        or (person_global and not current.person_global)
    ):
        store.record(conversation, clock.iso(), keep_until)


def note_person(account_id: str, conversation_id: str, storage_region: str, person_global: str) -> None:
    """Records in the person index that the conversation is theirs (erasure deletes it), unless it is recorded
    until at least the expiry a notice written now gets."""
    expires = _expiry()
    entry = people_store.conversation_entry_key(storage_region, person_global, account_id, conversation_id)
    noted = people_store.noted_until(entry)
    if noted is None or noted < expires:
        people_store.note_conversation(
            storage_region, person_global, account_id, conversation_id, expires + _KEEP_SLACK_SECONDS
        )


def link_lead(account_id: str, conversation_id: str, lead_id: str) -> None:
    store.link_lead(account_id, conversation_id, lead_id)


def get(account_id: str, conversation_id: str) -> Conversation:
    conversation = store.get(account_id, conversation_id)
    if conversation is None:
        raise NotFound(f"conversation {conversation_id} not found")
    return conversation


def add_event(
    account_id: str,
    conversation_id: str,
    event_type: str,
    actor: str,
    *,
    at: str,
    key: str,
    lead_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """`key` makes the event idempotent: the same key at the same time is the same event."""
    event = ConversationEvent(key, event_type, actor, at, lead_id, data or {})
    store.add_event(account_id, conversation_id, event, _expiry())


def on_lead_status_changed(lead: Lead, old: str, new: str, actor: str) -> None:
    """Called by the lead update path when a lead that came from a conversation changes status."""
    if not lead.conversation_id or old == new:
        return
    add_event(
        lead.account_id,
        lead.conversation_id,
        STATUS_CHANGED,
        actor,
        at=clock.iso(),
        key=ids.ulid(),
        lead_id=lead.id,
        data={"from": old, "to": new},
    )


@dataclass(frozen=True)
class EventPage:
    events: list[ConversationEvent]
    next_cursor: str | None


def events(access: Access, conversation_id: str, limit: int, cursor: str | None) -> EventPage:
    from leadcenter.cursors import Cursors

    get(access.account_id, conversation_id)
    cursors = Cursors("conversation_events", access.account_id, conversation_id)
    found, last = store.list_events(access.account_id, conversation_id, limit, cursors.after(cursor))
    return EventPage(found, cursors.issue(last))
