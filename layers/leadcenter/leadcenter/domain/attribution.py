"""Last-touch attribution of leads to ads, and the lead report by ad, ad group or campaign.

Touches: every `ad.touch` event is kept per person (blind-index digest of the platform user id, never the
id itself) in the person's storage region. A lead made for that person is attributed to the newest touch
before it that still qualifies: a click within the click window (7 days unless the account changed it),
a view within the view window (1 day). A newer view that is too old does not hide an older click that
still qualifies. Attribution is decided once, when the lead is created.

Report design (no scans): the groups an account has are listed by its catalog item (one GetItem; it
gains every ad, ad group and campaign with a name when a lead naming it is created), and each group is
counted with one key query, Select=COUNT on the lead table's attribution index (by_ad, by_adgroup,
by_campaign; hash key A#<account>#<dimension>#<id>) in each storage region the account has leads in.
Counts are therefore exact at read time (a deleted or expired lead no longer counts) and each read is
proportional to the leads counted, never to the table; a cached counter would drift with every delete
and retention sweep that it would have to hear about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from leadcenter import clock
from leadcenter.domain import leads as lead_domain
from leadcenter.model import Attribution
from leadcenter.platform_events import AdTouch
from leadcenter.policy import Access
from leadcenter.store import accounts as account_store
from leadcenter.store import auto_capture as settings_store
from leadcenter.store import catalog as catalog_store
from leadcenter.store import people as people_store
from leadcenter.store import reports as report_store
from leadcenter.store import touches as touch_store
from leadcenter.store.auto_capture import Windows

DEFAULT_WINDOWS = Windows(click_window_days=7, view_window_days=1)
MAX_CLICK_WINDOW_DAYS = 28
MAX_VIEW_WINDOW_DAYS = 7
# A touch is kept only while a window could still reach it.
TOUCH_TTL = timedelta(days=MAX_CLICK_WINDOW_DAYS + 1)


def windows(account_id: str) -> Windows:
    return settings_store.get_windows(account_id) or DEFAULT_WINDOWS


def set_windows(access: Access, click_window_days: int | None, view_window_days: int | None) -> Windows:
    """Sets the windows given; one left out keeps its current value."""
    current = windows(access.account_id)
    updated = Windows(
        current.click_window_days if click_window_days is None else click_window_days,
        current.view_window_days if view_window_days is None else view_window_days,
        clock.iso(),
    )
    settings_store.put_windows(access.account_id, updated, access.caller)
    return updated


def record_touch(
    account_id: str,
    storage_region: str,
    person_hash: str,
    event_id: str,
    touch: AdTouch,
    at: datetime,
    *,
    person_global: str | None = None,
) -> None:
    stored = touch_store.Touch(
        kind=touch.kind,
        at=clock.iso(at),
        ad_id=touch.ad_id,
        ad_name=touch.ad_name,
        adgroup_id=touch.adgroup_id,
        adgroup_name=touch.adgroup_name,
        campaign_id=touch.campaign_id,
        campaign_name=touch.campaign_name,
    )
    expires = int((at + TOUCH_TTL).timestamp())
    if person_global:  # first the index, so erasure finds every touch written
        people_store.note_touch(storage_region, person_global, account_id, expires)
    touch_store.record(storage_region, account_id, person_hash, event_id, stored, expires)


def attribute(account_id: str, storage_region: str, person_hash: str, moment: datetime) -> Attribution:
    """The ad of the last qualifying touch before `moment`, or an empty attribution."""
    span = windows(account_id)
    click = timedelta(days=span.click_window_days)
    view = timedelta(days=span.view_window_days)
    since = clock.iso(moment - max(click, view))
    for touch in touch_store.newest_first(storage_region, account_id, person_hash, since, clock.iso(moment)):
        age = moment - clock.parse_iso(touch.at)
        if timedelta(0) <= age <= (click if touch.kind == "click" else view):
            return Attribution(
                ad_id=touch.ad_id,
                ad_name=touch.ad_name,
                adgroup_id=touch.adgroup_id,
                adgroup_name=touch.adgroup_name,
                campaign_id=touch.campaign_id,
                campaign_name=touch.campaign_name,
            )
    return Attribution()


# ---------------------------------------------------------------------------------------------- report


@dataclass(frozen=True)
class GroupCount:
    id: str
    name: str | None
    leads: int


def lead_report(access: Access, group_by: str) -> list[GroupCount]:
    """Leads per group, most first; groups without leads are left out."""
    now = int(clock.epoch())
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    for account_id in lead_domain.lead_accounts(access):
        regions = sorted(account_store.get_account(account_id).lead_regions)
        for group_id, name in catalog_store.load(account_id)[group_by].items():
            found = sum(report_store.count_group(region, account_id, group_by, group_id, now) for region in regions)
            counts[group_id] = counts.get(group_id, 0) + found
            names.setdefault(group_id, str(name))
    rows = [GroupCount(group_id, names.get(group_id), n) for group_id, n in counts.items() if n]
    return sorted(rows, key=lambda row: (-row.leads, (row.name or "").casefold(), row.id))
