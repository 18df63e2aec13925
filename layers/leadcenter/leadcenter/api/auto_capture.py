"""Auto-capture settings: apply, read, switch on and off; the platform's review; attribution windows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from leadcenter import clock
from leadcenter.api.capture_schemas import (
    AttributionWindowsIn,
    AttributionWindowsOut,
    AutoCaptureIn,
    AutoCaptureOut,
    AutoCapturePatchIn,
    PrivacyPolicyUploadOut,
    ReviewIn,
)
from leadcenter.api.params import AccountId
from leadcenter.api.security import IAM_ROUTE
from leadcenter.config import settings
from leadcenter.domain import attribution
from leadcenter.domain import auto_capture as domain
from leadcenter.http import caller_id
from leadcenter.policy import Action, authorize
from leadcenter.store import privacy_policies as policy_store
from leadcenter.store.auto_capture import Application

router = Router()
TAG = "capture"


def _out(application: Application) -> AutoCaptureOut:
    due = application.review_due_at
    # Deployed, a person reviews: a due time would promise what only the local runner does.
    shown = due is not None and settings().local_mode and application.status == "pending"
    review_due_at = clock.iso(datetime.fromtimestamp(due, tz=UTC)) if shown and due is not None else None
    return AutoCaptureOut.model_validate(vars(application) | {"review_due_at": review_due_at})


@router.put(
    "/accounts/<account_id>/auto-capture",
    operation_id="applyForAutoCapture",
    tags=[TAG],
    summary="Apply for auto-capture (admin); pending until reviewed",
)
def apply(account_id: AccountId, body: AutoCaptureIn) -> AutoCaptureOut:
    access = authorize(caller_id(router), account_id, Action.SETTINGS_MANAGE)
    url = str(body.privacy_policy_url) if body.privacy_policy_url is not None else None
    return _out(domain.apply(access, url, body.company_name, body.privacy_policy_upload))


@router.post(
    "/accounts/<account_id>/auto-capture/privacy-policy-upload",
    operation_id="createPrivacyPolicyUpload",
    tags=[TAG],
    summary="Upload a privacy-policy PDF (admin): a presigned S3 POST, PDF only, at most 5 MB",
    status_code=201,
)
def privacy_policy_upload(account_id: AccountId) -> tuple[PrivacyPolicyUploadOut, int]:
    access = authorize(caller_id(router), account_id, Action.SETTINGS_MANAGE)
    post = domain.privacy_policy_upload(access)
    out = PrivacyPolicyUploadOut(
        url=post.url,
        fields=post.fields,
        key=post.key,
        max_bytes=policy_store.MAX_BYTES,
        content_type=policy_store.CONTENT_TYPE,
        expires_in_seconds=policy_store.UPLOAD_SECONDS,
    )
    return out, 201


@router.get(
    "/accounts/<account_id>/auto-capture",
    operation_id="getAutoCapture",
    tags=[TAG],
    summary="The auto-capture application and whether it is on",
)
def get_auto_capture(account_id: AccountId) -> AutoCaptureOut:
    authorize(caller_id(router), account_id, Action.SETTINGS_MANAGE)
    return _out(domain.get(account_id))


@router.patch(
    "/accounts/<account_id>/auto-capture",
    operation_id="patchAutoCapture",
    tags=[TAG],
    summary="Switch auto-capture on or off (admin; on once approved)",
)
def set_enabled(account_id: AccountId, body: AutoCapturePatchIn) -> AutoCaptureOut:
    access = authorize(caller_id(router), account_id, Action.SETTINGS_MANAGE)
    return _out(domain.set_enabled(access, body.enabled))


def _reviewer() -> str:
    """Deployed, the route is IAM-authorised and the reviewer is the signing principal; the local gateway
    authorises it like any route, with a bearer token."""
    event = cast(APIGatewayProxyEvent, router.current_event)
    arn = event.request_context.identity.user_arn
    return arn or caller_id(router)


@router.post(
    "/review/auto-capture/<account_id>",
    operation_id="reviewAutoCapture",
    security=IAM_ROUTE,
    tags=[TAG],
    summary="Platform review of an auto-capture application",
)
def review(account_id: AccountId, body: ReviewIn) -> AutoCaptureOut:
    decision = domain.ApplicationStatus(body.decision)
    return _out(domain.review(account_id, decision, _reviewer(), body.reason))


@router.get(
    "/accounts/<account_id>/attribution",
    operation_id="getAttributionWindows",
    tags=[TAG],
    summary="Attribution windows (days after a click or a view)",
)
def get_windows(account_id: AccountId) -> AttributionWindowsOut:
    authorize(caller_id(router), account_id, Action.SETTINGS_MANAGE)
    return AttributionWindowsOut.model_validate(attribution.windows(account_id))


@router.put(
    "/accounts/<account_id>/attribution",
    operation_id="putAttributionWindows",
    tags=[TAG],
    summary="Change the attribution windows (admin)",
)
def put_windows(account_id: AccountId, body: AttributionWindowsIn) -> AttributionWindowsOut:
    access = authorize(caller_id(router), account_id, Action.SETTINGS_MANAGE)
    windows = attribution.set_windows(access, body.click_window_days, body.view_window_days)
    return AttributionWindowsOut.model_validate(windows)
