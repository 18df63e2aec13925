"""Auto-capture: an ad account applies (privacy-policy URL, company), the platform reviews, the admin switches
it on. Messages are scanned for contacts only while the application is approved and capture is on.

Review in the local runner is data, not a thread: each application carries `review_due_at`; when it is read
(the API, or the worker processing an event) after that time by `leadcenter.clock` and the process runs
locally (settings().local_mode), it is approved then. Deployed, only the reviewer route decides.
"""

from __future__ import annotations

import re
from dataclasses import replace
from enum import StrEnum
from typing import TYPE_CHECKING

from leadcenter import clock, ids
from leadcenter.capture_settings import capture_settings, markets
from leadcenter.config import settings
from leadcenter.errors import Conflict, NotFound, Unprocessable
from leadcenter.policy import Access
from leadcenter.store import auto_capture as store
from leadcenter.store.auto_capture import Application

if TYPE_CHECKING:
    from leadcenter.store.privacy_policies import PresignedPost

LOCAL_REVIEWER = "local-runner"


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


def apply(
    access: Access, privacy_policy_url: str | None, company_name: str, privacy_policy_upload: str | None = None
) -> Application:
    """(Re)applies with a privacy-policy URL or an uploaded PDF. Any change to what was reviewed needs a new
    review, so capture is off until then."""
    account = access.account
    if account.type != "ad_account":
        raise Unprocessable("auto-capture is a setting of an ad account; apply in the ad account", field="account")
    offered = markets()
    if account.country not in offered:
        raise Unprocessable(
            f"auto-capture is offered only to ad accounts registered in {', '.join(offered)}; "
            f"this account is registered in {account.country}",
            field="country",
        )
    if privacy_policy_upload is not None:
        check_upload(account.account_id, privacy_policy_upload)
    now = clock.now()
    application = Application(
        account_id=account.account_id,
        status=ApplicationStatus.PENDING.value,
        enabled=False,
        privacy_policy_url=privacy_policy_url,
        privacy_policy_upload=privacy_policy_upload,
        company_name=company_name.strip(),
        applied_by=access.caller,
        applied_at=clock.iso(now),
        review_due_at=now.timestamp() + capture_settings().auto_capture_review_seconds,
    )
    store.put_application(application)
    return application


def privacy_policy_upload(access: Access) -> PresignedPost:
    """Where the admin's browser posts the PDF (S3 enforces PDF content type and 1 byte to 5 MB); the key is then
    sent as `privacy_policy_upload` with the application."""
    from leadcenter.store import privacy_policies as policy_store  # the API's only, not the capture worker's

    if access.account.type != "ad_account":
        raise Unprocessable("auto-capture is a setting of an ad account; upload in the ad account", field="account")
    return policy_store.presigned_post(policy_store.key_for(access.account_id, ids.ulid()))


def check_upload(account_id: str, key: str) -> None:
    """The object exists under this account's prefix, is at most 5 MB and is a PDF (starts with `%PDF`)."""
    from leadcenter.store import privacy_policies as policy_store

    field = "privacy_policy_upload"
    pattern = rf"{policy_store.PREFIX}/{re.escape(account_id)}/[0-9A-Z]{{26}}\.pdf"
    if not re.fullmatch(pattern, key):
        raise Unprocessable("not an upload of this account; upload with POST .../privacy-policy-upload", field=field)
    uploaded = policy_store.inspect(key)
    if uploaded is None:
        raise Unprocessable("nothing was uploaded under this key (or the upload failed); upload again", field=field)
    if uploaded.size > policy_store.MAX_BYTES:
        raise Unprocessable("the privacy policy PDF is larger than 5 MB", field=field)
    if not uploaded.head.startswith(b"%PDF"):
        raise Unprocessable("the uploaded file is not a PDF", field=field)


def current(account_id: str) -> Application | None:
    """The application as it stands, after the local runner's automatic review if that has fallen due."""
    application = store.get_application(account_id)
    if (
        application is not None
        and application.status == ApplicationStatus.PENDING
        and settings().local_mode
        and application.review_due_at is not None
        and application.review_due_at <= clock.epoch()
    ):
        at = clock.iso()
        store.decide(
            account_id,
            ApplicationStatus.APPROVED.value,
            LOCAL_REVIEWER,
            at,
            None,
            only_if_pending_since=application.applied_at,
        )
        application = store.get_application(account_id)
        if application is not None and application.status == ApplicationStatus.APPROVED:
            from leadcenter.domain import notifications  # local runner only: its automatic review

            notifications.auto_capture_reviewed(account_id, application.status, application.applied_at)
    return application


def get(account_id: str) -> Application:
    application = current(account_id)
    if application is None:
        raise NotFound("this account has not applied for auto-capture; apply with PUT .../auto-capture")
    return application


def set_enabled(access: Access, enabled: bool) -> Application:
    application = get(access.account_id)
    if enabled and application.status != ApplicationStatus.APPROVED:
        raise Unprocessable(_not_approved(application.status), field="enabled")
    try:
        store.set_enabled(access.account_id, enabled, access.caller, clock.iso())
    except Conflict:  # rejected between our read and the write
        raise Unprocessable(_not_approved(get(access.account_id).status), field="enabled") from None
    return replace(application, enabled=enabled)


def _not_approved(status: str) -> str:
    return f"auto-capture can be switched on once the application is approved; it is {status}"


def review(account_id: str, decision: ApplicationStatus, reviewer: str, reason: str | None) -> Application:
    if current(account_id) is None:
        raise NotFound(f"account {account_id} has not applied for auto-capture")
    store.decide(account_id, decision.value, reviewer, clock.iso(), reason)
    application = get(account_id)
    from leadcenter.domain import notifications  # the reviewer's route only

    notifications.auto_capture_reviewed(account_id, decision.value, application.applied_at)
    return application


def is_capturing(account_id: str) -> bool:
    application = current(account_id)
    return application is not None and application.status == ApplicationStatus.APPROVED and application.enabled
