"""A lead as a Salesforce Lead record: the JSON of the upsert (README, "Salesforce connector").

FirstName/LastName from the contact's name (Salesforce requires LastName: "[not provided]" when there is none),
Email, Phone (E.164, as the lead holds it), Company from a form answer whose question names a company (else the
ad account's name), LeadSource, Status through the connector's status map, Description with the form answers and
the ad, and the connector's `field_map` for custom fields. The external id (`LeadCenter_Id__c`) is in the URL,
not in the body. Empty values are sent as null, so an upsert of a changed lead clears what the lead no longer has.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from leadcenter.model import Lead

EXTERNAL_ID_FIELD = "LeadCenter_Id__c"
NOT_PROVIDED = "[not provided]"
LEAD_SOURCE = "LeadCenter"
TEST_LEAD_SOURCE = "LeadCenter Test"
DEFAULT_STATUS_MAP: dict[str, str] = {
    "raw": "Open - Not Contacted",
    "contacted": "Working - Contacted",
    "qualified": "Working - Contacted",
    "unqualified": "Closed - Not Converted",
    "converted": "Closed - Converted",
}
# Salesforce API names: a letter, then letters, digits and underscores (custom fields end in __c).
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
# What a `field_map` entry may take its value from (besides "answer:<question>" and "=<fixed text>").
LEAD_SOURCES_OF_VALUES: dict[str, str] = {
    "lead.id": "id",
    "lead.status": "status",
    "lead.source": "source",
    "lead.region": "region",
    "lead.created_at": "created_at",
    "lead.updated_at": "updated_at",
    "lead.assignee": "assignee",
    "ad.ad_id": "ad.ad_id",
    "ad.ad_name": "ad.ad_name",
    "ad.adgroup_id": "ad.adgroup_id",
    "ad.adgroup_name": "ad.adgroup_name",
    "ad.campaign_id": "ad.campaign_id",
    "ad.campaign_name": "ad.campaign_name",
    "form.form_id": "form.form_id",
    "form.form_name": "form.form_name",
}
RESERVED_FIELDS = frozenset({EXTERNAL_ID_FIELD.lower(), "id"})
_COMPANY_QUESTION = re.compile(r"compan|business name|organi[sz]ation", re.IGNORECASE)
_LIMITS = {"FirstName": 40, "LastName": 80, "Company": 255, "Email": 80, "Phone": 40, "Description": 32000}


def field_map_problem(field_map: Mapping[str, str]) -> str | None:
    """Why a field map cannot be used, or None."""
    for name, source in field_map.items():
        if not FIELD_NAME.match(name) or name.lower() in RESERVED_FIELDS:
            return f"{name!r} is not a Salesforce field this connector may set"
        free = (source.startswith("answer:") and len(source) > 7) or source.startswith("=")
        if not free and source not in LEAD_SOURCES_OF_VALUES:
            allowed = ", ".join(sorted(LEAD_SOURCES_OF_VALUES))
            return f"{name}: {source!r} is not a value source (answer:<question>, =<text>, or one of {allowed})"
    return None


def _cut(name: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    limit = _LIMITS.get(name)
    return value.strip()[:limit] if limit else value.strip()


def split_name(name: str | None) -> tuple[str | None, str]:
    """(FirstName, LastName): the last word is the last name; one word is a last name; none is NOT_PROVIDED."""
    words = (name or "").split()
    if not words:
        return None, NOT_PROVIDED
    if len(words) == 1:
        return None, words[0]
    return " ".join(words[:-1]), words[-1]


def _answer(lead: Lead, question: str) -> str | None:
    wanted = question.strip().casefold()
    return next((a.answer for a in lead.form.answers if a.question.strip().casefold() == wanted), None)


def _company(lead: Lead, account_name: str | None) -> str:
    answers = lead.form.answers
    named = next((a.answer for a in answers if _COMPANY_QUESTION.search(a.question) and a.answer.strip()), None)
    return named or account_name or NOT_PROVIDED


def _description(lead: Lead) -> str | None:
    lines = []
    if lead.form.answers:
        lines.append(f"Form: {lead.form.form_name or lead.form.form_id or 'instant form'}")
        lines += [f"{a.question}: {a.answer}" for a in lead.form.answers]
    ad = [lead.ad.campaign_name, lead.ad.adgroup_name, lead.ad.ad_name]
    if any(ad):
        lines.append("Ad: " + " / ".join(part or "-" for part in ad))
    return "\n".join(lines) or None


def _value(lead: Lead, source: str) -> Any:
    if source.startswith("="):
        return source[1:]
    if source.startswith("answer:"):
        return _answer(lead, source[len("answer:") :])
    value: Any = lead.model_dump(mode="json")
    for part in LEAD_SOURCES_OF_VALUES[source].split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def record(
    lead: Lead,
    *,
    status_map: Mapping[str, str] | None = None,
    field_map: Mapping[str, str] | None = None,
    account_name: str | None = None,
    test: bool = False,
) -> dict[str, Any]:
    """The upsert body for the lead."""
    first, last = split_name(lead.contact.name)
    statuses = {**DEFAULT_STATUS_MAP, **(status_map or {})}
    body: dict[str, Any] = {
        "FirstName": _cut("FirstName", first),
        "LastName": _cut("LastName", last) or NOT_PROVIDED,
        "Email": _cut("Email", lead.contact.email),
        "Phone": _cut("Phone", lead.contact.phone),
        "Company": _cut("Company", _company(lead, account_name)) or NOT_PROVIDED,
        "LeadSource": TEST_LEAD_SOURCE if test else LEAD_SOURCE,
        "Status": statuses[str(lead.status)],
        "Description": _cut("Description", _description(lead)),
    }
    for name, source in (field_map or {}).items():
        body[name] = _value(lead, source)
    if test:
        body["LeadSource"] = TEST_LEAD_SOURCE  # a test lead is marked whatever the field map says
    return body
