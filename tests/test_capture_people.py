"""Issue 4: one lead per person per account, whatever order and concurrency their events come in."""

from __future__ import annotations

import threading
import uuid

import pytest

from leadcenter.domain import capture
from leadcenter.model import Contact, OtherContact
from tests.helpers.capture import deliver, enable_auto_capture, leads_of, platform_event

pytestmark = pytest.mark.usefixtures("empty_capture_queue")


@pytest.fixture
def capturing(api):
    admin = f"people-admin-{uuid.uuid4().hex[:8]}"
    account = api.account(admin)
    enable_auto_capture(api, account, admin)
    return account, admin


def test_contacts_shared_over_several_messages_accumulate_on_one_lead(api, gateway, capturing):
    account, admin = capturing
    deliver(api, gateway, platform_event(account, user_id="amir", name="Amir", text="my email amir@example.com"))
    deliver(api, gateway, platform_event(account, user_id="amir", name="Amir", text="WA 0812-3456-7890", region="ID"))
    deliver(api, gateway, platform_event(account, user_id="amir", name="Amir", text="and amir@example.com again"))
    [lead] = leads_of(api, account, admin)
    assert lead["contact"]["email"] == "amir@example.com"
    assert {"kind": "whatsapp", "value": "+6281234567890"} in lead["contact"]["others"]
    timeline = api.ok("GET", f"/accounts/{account}/leads/{lead['id']}/activity", admin)["items"]
    assert [e["type"] for e in timeline].count("contact_updated") == 1
    assert all("amir" not in str(e["data"]) for e in timeline)


def test_a_contact_typed_by_another_platform_user_never_attaches_them_to_the_first_ones_lead(api, gateway, capturing):
    # A lead belongs to one platform user: contacts are unverified, anyone can type anyone's number or email.
    account, admin = capturing
    deliver(api, gateway, platform_event(account, user_id="id-a", name="Ana", text="whatsapp me +65 9123 4567"))
    deliver(api, gateway, platform_event(account, user_id="id-b", name="Ben", text="call +65 9123 4567 or b@x.com"))
    leads = {lead["contact"]["name"]: lead["contact"] for lead in leads_of(api, account, admin)}
    # Then the first person's lead holds only what they wrote, and the second has a lead of their own
    assert leads["Ana"] == {
        "name": "Ana",
        "email": None,
        "phone": None,
        "others": [{"kind": "whatsapp", "value": "+6591234567"}],
    }
    assert leads["Ben"]["phone"] == "+6591234567" and leads["Ben"]["email"] == "b@x.com"
    # And the second person's later contacts go to their own lead
    deliver(api, gateway, platform_event(account, user_id="id-b", name="Ben", text="line id: bee_line"))
    leads = {lead["contact"]["name"]: lead["contact"] for lead in leads_of(api, account, admin)}
    assert {"kind": "line", "value": "bee_line"} in leads["Ben"]["others"]
    assert len(leads["Ana"]["others"]) == 1


def test_people_are_separate_per_account(api, gateway, capturing):
    account, admin = capturing
    other_admin = f"people-admin-{uuid.uuid4().hex[:8]}"
    other = api.account(other_admin)
    enable_auto_capture(api, other, other_admin)
    deliver(api, gateway, platform_event(account, user_id="same", text="s@example.com"))
    deliver(api, gateway, platform_event(other, user_id="same", text="s@example.com"))
    assert len(leads_of(api, account, admin)) == 1
    assert len(leads_of(api, other, other_admin)) == 1


def test_concurrent_messages_from_one_person_make_exactly_one_lead(api, capturing):
    # Given five messages from one person, each sharing a different contact, processed at the same instant
    account, admin = capturing
    texts = [f"reach me at user{i}@example.com" for i in range(3)] + ["+65 9123 4567", "ig @concurrent.cat"]
    events = [platform_event(account, user_id="racer", text=text, conversation_id="race") for text in texts]
    barrier = threading.Barrier(len(events))
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def run(event):
        try:
            barrier.wait(10)
            outcomes.append(capture.process(event).result)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # Then exactly one lead exists, created once, holding every contact (no merge lost another's)
    assert errors == []
    assert sorted(outcomes).count("lead_created") == 1
    [lead] = leads_of(api, account, admin)
    contact = lead["contact"]
    shared = {contact["email"], contact["phone"], *(o["value"] for o in contact["others"])}
    assert shared == {f"user{i}@example.com" for i in range(3)} | {"+6591234567", "concurrent.cat"}


def test_a_form_submission_creates_the_persons_lead_with_the_answers(api, gateway, capturing):
    account, admin = capturing
    answers = [
        {"question": "Your name", "answer": "Budi Santoso"},
        {"question": "Phone", "answer": "0812 9876 5432"},
        {"question": "Budget", "answer": "Rp 5.000.000"},
    ]
    form = {"form_id": "unknown-form", "answers": answers}
    deliver(
        api, gateway, platform_event(account, "form.submitted", user_id="budi", region="ID", name="Budi", form=form)
    )
    [lead] = leads_of(api, account, admin)
    assert lead["source"] == "form"
    assert lead["form"] == {"form_id": "unknown-form", "form_name": None, "answers": answers}
    assert lead["contact"]["phone"] == "+6281298765432"
    # When the same person later messages, it is the same lead
    deliver(api, gateway, platform_event(account, user_id="budi", region="ID", text="budi@example.co.id"))
    [lead] = leads_of(api, account, admin)
    assert lead["contact"]["email"] == "budi@example.co.id" and lead["source"] == "form"


def test_a_form_submission_updates_an_existing_lead_and_names_a_known_form(api, gateway, capturing):
    account, admin = capturing
    created = api.call(
        "POST",
        f"/accounts/{account}/forms",
        admin,
        json_body={"name": "Test drive", "questions": [{"question": "Car", "type": "short_text"}]},
    )
    assert created.status == 201, created.body
    form_id = created.json()["id"]
    deliver(api, gateway, platform_event(account, user_id="dana", text="dana@example.com"))
    form = {"form_id": form_id, "answers": [{"question": "Car", "answer": "the red one"}]}
    deliver(api, gateway, platform_event(account, "form.submitted", user_id="dana", form=form))
    [lead] = leads_of(api, account, admin)
    assert lead["source"] == "message"
    assert lead["form"]["form_id"] == form_id and lead["form"]["form_name"] == "Test drive"
    assert lead["form"]["answers"] == [{"question": "Car", "answer": "the red one"}]


def test_merge_fills_empty_fields_first_and_never_repeats_a_contact():
    current = Contact(name=None, email="a@example.com", others=[OtherContact(kind="line", value="x")])
    found = [("email", "a@example.com"), ("email", "b@example.com"), ("phone", "+6591234567"), ("line", "x")]
    merged, added = capture.merge_contacts(current, "Ana", found)
    assert merged == Contact(
        name="Ana",
        email="a@example.com",
        phone="+6591234567",
        others=[OtherContact(kind="line", value="x"), OtherContact(kind="email", value="b@example.com")],
    )
    assert added == ["email", "phone"]
    assert capture.merge_contacts(merged, "Other", found) == (merged, [])
