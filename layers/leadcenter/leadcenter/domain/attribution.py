"""Last-touch attribution of leads (and conversations) to ads.

Touches: every `ad.touch` event is kept per person (blind-index digest of the platform user id, never the
id itself) in the person's storage region. A lead made for that person is attributed to the newest touch
before it that still qualifies: a click within the click window (7 days unless the account changed it),
a view within the view window (1 day). A newer view that is too old does not hide an older click that
still qualifies. Attribution is decided once, when the lead is created.

The report by ad, ad group or campaign reads counters kept as leads, conversations and spend happen
(domain/ad_metrics.py, domain/ad_reports.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from leadcenter import clock
from leadcenter.model import Attribution
from leadcenter.platform_events import AdTouch
from leadcenter.policy import Access
from leadcenter.store import auto_capture as settings_store
from leadcenter.store import people as people_store
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
        noted = people_store.noted_until(people_store.touch_entry_key(storage_region, person_global, account_id))
        if noted is None or noted < expires:
            people_store.note_touch(storage_region, person_global, account_id, expires)
    touch_store.record(storage_region, account_id, person_hash, event_id, stored, expires)


def qualifies(kind: str, age: timedelta, span: Windows) -> bool:
    """A touch `age` before the lead counts: a click within the click window, a view within the view window."""
    window = span.click_window_days if kind == "click" else span.view_window_days
    return timedelta(0) <= age <= timedelta(days=window)


def attribute(
    account_id: str, storage_region: str, person_hash: str, moment: datetime, *, person_global: str | None = None
) -> Attribution:
    """The ad of the last qualifying touch before `moment`, or an empty attribution.

    With `person_global`, a person the person index knows no touch of in the account (as a batch read it) is not
    queried for touches: every touch is indexed before it is written (`record_touch`)."""
    if person_global:
        noted = people_store.noted_until(people_store.touch_entry_key(storage_region, person_global, account_id))
        if noted == 0:
            return Attribution()
    span = windows(account_id)
    since = clock.iso(moment - timedelta(days=max(span.click_window_days, span.view_window_days)))
    for touch in touch_store.newest_first(storage_region, account_id, person_hash, since, clock.iso(moment)):
        if qualifies(touch.kind, moment - clock.parse_iso(touch.at), span):
            return Attribution(
                ad_id=touch.ad_id,
                ad_name=touch.ad_name,
                adgroup_id=touch.adgroup_id,
                adgroup_name=touch.adgroup_name,
                campaign_id=touch.campaign_id,
                campaign_name=touch.campaign_name,
            )
    return Attribution()
