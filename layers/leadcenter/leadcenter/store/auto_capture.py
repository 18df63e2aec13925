"""Auto-capture settings of an account (home table): the application and its review, the on/off switch,
and the attribution windows. No personal data.

Items:  pk ACC#<account>  sk AUTOCAPTURE    the application (status, enabled, review)
        pk ACC#<account>  sk ATTRIBUTION    click and view windows (days)
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from leadcenter.config import settings
from leadcenter.errors import Conflict, NotFound
from leadcenter.store import batch_io
from leadcenter.store._base import table_meta, translate_write_errors
from leadcenter.store.accounts import account_pk

APPLICATION_SK = "AUTOCAPTURE"
WINDOWS_SK = "ATTRIBUTION"


class ApplicationItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute()
    enabled = BooleanAttribute(default=False)
    privacy_policy_url = UnicodeAttribute(null=True)  # null when the policy is an uploaded PDF
    privacy_policy_upload = UnicodeAttribute(null=True)  # the uploaded PDF's key (store.privacy_policies)
    company_name = UnicodeAttribute()
    applied_by = UnicodeAttribute()
    applied_at = UnicodeAttribute()
    review_due_at = NumberAttribute(null=True)
    reviewed_by = UnicodeAttribute(null=True)
    reviewed_at = UnicodeAttribute(null=True)
    decision_reason = UnicodeAttribute(null=True)
    enabled_by = UnicodeAttribute(null=True)
    enabled_at = UnicodeAttribute(null=True)


class WindowsItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    click_window_days = NumberAttribute()
    view_window_days = NumberAttribute()
    updated_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()


@dataclass(frozen=True)
class Application:
    account_id: str
    status: str
    enabled: bool
    privacy_policy_url: str | None
    company_name: str
    applied_by: str
    applied_at: str
    review_due_at: float | None = None
    privacy_policy_upload: str | None = None
    reviewed_by: str | None = None
    reviewed_at: str | None = None
    decision_reason: str | None = None


@dataclass(frozen=True)
class Windows:
    click_window_days: int
    view_window_days: int
    updated_at: str | None = None


def _application(account_id: str, item: ApplicationItem) -> Application:
    return Application(
        account_id=account_id,
        status=item.status,
        enabled=bool(item.enabled),
        privacy_policy_url=item.privacy_policy_url,
        privacy_policy_upload=item.privacy_policy_upload,
        company_name=item.company_name,
        applied_by=item.applied_by,
        applied_at=item.applied_at,
        review_due_at=float(item.review_due_at) if item.review_due_at is not None else None,
        reviewed_by=item.reviewed_by,
        reviewed_at=item.reviewed_at,
        decision_reason=item.decision_reason,
    )


def get_application(account_id: str) -> Application | None:
    known = batch_io.cached(ApplicationItem, account_pk(account_id), APPLICATION_SK)
    if not isinstance(known, batch_io.Miss):
        return None if known is None else _application(account_id, known)
    try:
        return _application(
            account_id, ApplicationItem.get(account_pk(account_id), APPLICATION_SK, consistent_read=True)
        )
    except DoesNotExist:
        return None


def put_application(application: Application) -> None:
    """A new application (or a new one replacing the last): pending, switched off, awaiting review."""
    ApplicationItem(
        pk=account_pk(application.account_id),
        sk=APPLICATION_SK,
        status=application.status,
        enabled=application.enabled,
        privacy_policy_url=application.privacy_policy_url,
        privacy_policy_upload=application.privacy_policy_upload,
        company_name=application.company_name,
        applied_by=application.applied_by,
        applied_at=application.applied_at,
        review_due_at=application.review_due_at,
    ).save()
    batch_io.forget(ApplicationItem, account_pk(application.account_id), APPLICATION_SK)


def decide(
    account_id: str,
    status: str,
    reviewer: str,
    at: str,
    reason: str | None,
    *,
    only_if_pending_since: str | None = None,
) -> None:
    """Records a review decision; a rejection also switches capture off.

    `only_if_pending_since` makes the write conditional on the application still being the pending one
    applied at that time (the local runner's automatic approval must not approve a newer application).
    """
    item = ApplicationItem(pk=account_pk(account_id), sk=APPLICATION_SK)
    batch_io.forget(ApplicationItem, account_pk(account_id), APPLICATION_SK)
    actions: list[Action] = [
        ApplicationItem.status.set(status),
        ApplicationItem.reviewed_by.set(reviewer),
        ApplicationItem.reviewed_at.set(at),
        ApplicationItem.decision_reason.set(reason) if reason else ApplicationItem.decision_reason.remove(),
    ]
    if status != "approved":
        actions.append(ApplicationItem.enabled.set(False))
    condition = ApplicationItem.pk.exists()
    if only_if_pending_since is not None:
        condition &= (ApplicationItem.status == "pending") & (ApplicationItem.applied_at == only_if_pending_since)
    try:
        with translate_write_errors("the application changed meanwhile"):
            item.update(actions=actions, condition=condition)
    except Conflict:
        if only_if_pending_since is not None:
            return  # someone decided first, or the admin applied again: nothing to approve
        raise NotFound(f"account {account_id} has not applied for auto-capture") from None


def set_enabled(account_id: str, enabled: bool, by: str, at: str) -> None:
    """Switches capture on or off; on only while the application is approved (checked in the same write)."""
    item = ApplicationItem(pk=account_pk(account_id), sk=APPLICATION_SK)
    batch_io.forget(ApplicationItem, account_pk(account_id), APPLICATION_SK)
    condition = ApplicationItem.pk.exists()
    if enabled:
        condition &= ApplicationItem.status == "approved"
    with translate_write_errors("auto-capture can be switched on only while the application is approved"):
        item.update(
            actions=[
                ApplicationItem.enabled.set(enabled),
                ApplicationItem.enabled_by.set(by),
                ApplicationItem.enabled_at.set(at),
            ],
            condition=condition,
        )


def get_windows(account_id: str) -> Windows | None:
    known = batch_io.cached(WindowsItem, account_pk(account_id), WINDOWS_SK)
    if isinstance(known, batch_io.Miss):
        try:
            known = WindowsItem.get(account_pk(account_id), WINDOWS_SK)
        except DoesNotExist:
            return None
    if known is None:
        return None
    item = known
    return Windows(int(item.click_window_days), int(item.view_window_days), item.updated_at)


def put_windows(account_id: str, windows: Windows, by: str) -> None:
    WindowsItem(
        pk=account_pk(account_id),
        sk=WINDOWS_SK,
        click_window_days=windows.click_window_days,
        view_window_days=windows.view_window_days,
        updated_by=by,
        updated_at=windows.updated_at or "",
    ).save()
    batch_io.forget(WindowsItem, account_pk(account_id), WINDOWS_SK)


def settings_keys(account_id: str) -> list[batch_io.Key]:
    """The application and the windows, for a batch's reads."""
    return [
        batch_io.key_of(ApplicationItem, account_pk(account_id), APPLICATION_SK),
        batch_io.key_of(WindowsItem, account_pk(account_id), WINDOWS_SK),
    ]
