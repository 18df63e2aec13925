"""Lead ads: campaigns, ad groups and ads of an ad account, and the Lead optimization goal's rules.

An ad group's goal is `conversation` or `lead`. The Lead goal is offered only where both the account's country
and every targeted country are in LEAD_GOAL_COUNTRIES, and only while the account's auto-capture is approved and
switched on (a lead from a chat needs the chat to be scanned); both are checked on creation and whenever a PATCH
touches the goal or the targeting. An ad may use an instant form only once the form has a privacy policy.
Their names (and the ad groups' goals) go to the account's catalog, which `q` and the reports read.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from leadcenter import clock, ids
from leadcenter.cursors import Cursors
from leadcenter.domain import auto_capture
from leadcenter.errors import NotFound, Unprocessable
from leadcenter.policy import Access
from leadcenter.regions import region_router
from leadcenter.store import catalog
from leadcenter.store import forms as form_store
from leadcenter.store import lead_ads as store
from leadcenter.store.lead_ads import LeadAd

# Asia-Pacific; Latin America; Middle East, Africa and South Asia.
_LEAD_GOAL_MARKETS = (
    "SG MY PH TH VN ID KH JP AU NZ",
    "AR BR CL CO PE EC BO GY PY UY VE BZ CR DO SV GT HN NI PA MX",
    "SA AE QA OM KW LB JO IQ IL EG LK MA KE DZ NG ZA PK",
)
LEAD_GOAL_COUNTRIES = frozenset(code for line in _LEAD_GOAL_MARKETS for code in line.split())
GOALS = ("conversation", "lead")
STATUSES = ("active", "paused")
ID_PREFIX = {"campaign": "campaign", "adgroup": "adgroup", "ad": "ad"}


class LeadGoalUnavailable(Unprocessable):
    code = "lead_goal_unavailable"


class AutoCaptureRequired(Unprocessable):
    code = "auto_capture_required"


class PrivacyPolicyRequired(Unprocessable):
    code = "privacy_policy_required"


# ---------------------------------------------------------------------------------------------- rules


def check_lead_goal(access: Access, targeting: tuple[str, ...]) -> None:
    """Raises unless an ad group of this account may optimise for leads with this targeting."""
    account_country = access.account.country
    offending = sorted({c for c in (account_country, *targeting) if c not in LEAD_GOAL_COUNTRIES})
    if offending:
        where = [f"{c} (the account's country)" if c == account_country else c for c in offending]
        raise LeadGoalUnavailable(
            f"the Lead optimization goal is not available for {', '.join(where)}; choose the conversation goal "
            "or target only countries where it is offered",
            countries=offending,
        )
    if not auto_capture.is_capturing(access.account_id):
        raise AutoCaptureRequired(
            "the Lead optimization goal needs auto-capture approved and switched on for this account "
            "(PUT, then PATCH /accounts/{a}/auto-capture)"
        )


def _countries(given: list[str]) -> tuple[str, ...]:
    router = region_router()
    found: list[str] = []
    for code in given:
        try:
            country = router.validate_country(code)
        except Unprocessable:
            raise Unprocessable(
                f"{code!r} is not an ISO 3166-1 alpha-2 country code", field="targeting_countries"
            ) from None
        if country not in found:
            found.append(country)
    return tuple(found)


def _form_for_ad(account_id: str, form_id: str | None) -> None:
    if form_id is None:
        return
    try:
        form = form_store.get_form(account_id, form_id)
    except NotFound:
        raise Unprocessable(f"form {form_id} not found in this account", field="form_id") from None
    if not form.privacy_policy_url:
        raise PrivacyPolicyRequired(
            f"form {form_id} has no privacy policy; add privacy_policy_url (https) to the form before an ad uses it",
            field="form_id",
        )


def _parent(account_id: str, kind: str, entity_id: str, field: str) -> LeadAd:
    found = store.find(account_id, kind, entity_id)
    if found is None:
        raise Unprocessable(f"{kind} {entity_id} not found in this account", field=field)
    return found


def _catalog(entity: LeadAd) -> None:
    catalog.record(entity.account_id, [(entity.kind, entity.id, entity.name)])
    if entity.kind == "adgroup" and entity.optimization_goal:
        catalog.record_structure(entity.account_id, {entity.id: entity.optimization_goal}, {})
    elif entity.kind == "ad" and entity.adgroup_id:
        catalog.record_structure(entity.account_id, {}, {entity.id: entity.adgroup_id})


# ---------------------------------------------------------------------------------------------- create


def _new(access: Access, kind: str, name: str, **fields: Any) -> LeadAd:
    now = clock.iso()
    entity = LeadAd(
        kind=kind,
        id=f"{ID_PREFIX[kind]}-{ids.ulid().lower()}",
        account_id=access.account_id,
        name=name.strip(),
        status="active",
        created_at=now,
        updated_at=now,
        created_by=access.caller,
        **fields,
    )
    if not entity.name:
        raise Unprocessable("the name is empty", field="name")
    store.create(entity)
    _catalog(entity)
    return entity


def create_campaign(access: Access, name: str) -> LeadAd:
    return _new(access, "campaign", name)


def create_adgroup(access: Access, campaign_id: str, name: str, goal: str, targeting: list[str]) -> LeadAd:
    _parent(access.account_id, "campaign", campaign_id, "campaign_id")
    countries = _countries(targeting)
    if goal == "lead":
        check_lead_goal(access, countries)
    return _new(access, "adgroup", name, campaign_id=campaign_id, optimization_goal=goal, targeting_countries=countries)


def create_ad(access: Access, adgroup_id: str, name: str, form_id: str | None) -> LeadAd:
    adgroup = _parent(access.account_id, "adgroup", adgroup_id, "adgroup_id")
    _form_for_ad(access.account_id, form_id)
    return _new(access, "ad", name, adgroup_id=adgroup.id, campaign_id=adgroup.campaign_id, form_id=form_id)


# ---------------------------------------------------------------------------------------------- read, list


def get(access: Access, kind: str, entity_id: str) -> LeadAd:
    return store.get(access.account_id, kind, entity_id)


def page(access: Access, kind: str, limit: int, cursor: str | None) -> tuple[list[LeadAd], str | None]:
    cursors = Cursors(kind, access.account_id, "")
    found, last = store.page(access.account_id, kind, limit, cursors.after(cursor))
    return found, cursors.issue(last)


# ---------------------------------------------------------------------------------------------- edit


def patch(
    access: Access,
    kind: str,
    entity_id: str,
    changes: dict[str, Any],
    if_match: int | None,
) -> LeadAd:
    """Applies `changes` (name, status; an ad group's goal and targeting; an ad's form) to the version read, or to
    `if_match` when given (409 if it moved on)."""
    current = store.get(access.account_id, kind, entity_id)
    expected = current.version if if_match is None else if_match
    updated = current
    if "name" in changes:
        name = str(changes["name"]).strip()
        if not name:
            raise Unprocessable("the name is empty", field="name")
        updated = replace(updated, name=name)
    if "status" in changes:
        updated = replace(updated, status=changes["status"])
    if kind == "adgroup" and ("targeting_countries" in changes or "optimization_goal" in changes):
        countries = _countries(changes.get("targeting_countries", list(current.targeting_countries)))
        goal = changes.get("optimization_goal", current.optimization_goal)
        if goal == "lead":
            check_lead_goal(access, countries)
        updated = replace(updated, targeting_countries=countries, optimization_goal=goal)
    if kind == "ad" and "form_id" in changes:
        _form_for_ad(access.account_id, changes["form_id"])
        updated = replace(updated, form_id=changes["form_id"])
    if updated == current and if_match in (None, current.version):
        return current
    updated = replace(updated, updated_at=clock.iso(), version=expected + 1)
    store.replace(updated, expected)
    _catalog(updated)
    return updated
