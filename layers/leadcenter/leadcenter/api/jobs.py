"""Background jobs: bulk changes to leads, CSV exports, their progress and the export download."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import AliasPath, BaseModel, Field

from leadcenter.api.leads import lead_filter
from leadcenter.api.params import AccountId
from leadcenter.api.schemas import FromAttributes, LeadFilterIn, Strict
from leadcenter.domain import jobs as domain
from leadcenter.domain.jobs import BulkAction
from leadcenter.http import caller_id
from leadcenter.model import LeadStatus
from leadcenter.policy import Action, authorize
from leadcenter.store.jobs import Job

router = Router()
TAG = "jobs"
# Lenient on purpose: the caller's access is checked first, and an unknown job is then a 404.
JobId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z]+$")]
LeadIdItem = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z-]+$")]
# The label and user id rules of the labels and members routes.
LabelIdItem = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9a-z]+$")]
UserIdValue = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.@:-]+$")]


class _BulkSelection(Strict):
    lead_ids: list[LeadIdItem] | None = Field(default=None, max_length=domain.MAX_BULK_LEADS)
    filter: LeadFilterIn | None = Field(
        default=None, description="the list filters, resolved when the job starts ({} = every lead)"
    )


class BulkSetStatusIn(_BulkSelection):
    action: Literal[BulkAction.SET_STATUS]
    value: LeadStatus = Field(description="the status every lead gets")

    def change(self) -> domain.BulkChange:
        return domain.SetStatus(self.value)


class BulkLabelsIn(_BulkSelection):
    action: Literal[BulkAction.ADD_LABELS, BulkAction.REMOVE_LABELS]
    value: list[LabelIdItem] = Field(min_length=1, max_length=50, description="label ids (1 to 50)")

    def change(self) -> domain.BulkChange:
        return domain.ChangeLabels(self.action, self.value)


class BulkSetAssigneeIn(_BulkSelection):
    action: Literal[BulkAction.SET_ASSIGNEE]
    value: UserIdValue | None = Field(description="an admin's user id, or null to unassign (required)")

    def change(self) -> domain.BulkChange:
        return domain.SetAssignee(self.value)


class BulkDeleteIn(_BulkSelection):
    action: Literal[BulkAction.DELETE]
    value: None = Field(default=None, description="none: delete takes no value")

    def change(self) -> domain.BulkChange:
        return domain.DeleteLeads()


# The body of POST .../leads/bulk: `value`'s type follows `action`, so a wrong value is a validation error
# (422, its field named) before the route runs.
BulkIn = Annotated[
    BulkSetStatusIn | BulkLabelsIn | BulkSetAssigneeIn | BulkDeleteIn,
    Body(discriminator="action", title="BulkIn"),
]


class ExportIn(Strict):
    filter: LeadFilterIn | None = Field(default=None, description="the list filters (none = every lead)")


class JobAccepted(BaseModel):
    job_id: str


class JobErrorOut(FromAttributes):
    lead_id: str
    code: str
    message: str


class JobFailureOut(FromAttributes):
    code: str
    message: str


class JobResultOut(FromAttributes):
    download_url: str = Field(
        description="this API's download route (relative to the API base URL): it checks your access again and "
        "answers 302 to a presigned S3 URL valid 10 minutes"
    )
    rows: int
    bytes: int
    columns: int
    file_expires_at: str | None = None


class DownloadOut(BaseModel):
    url: str = Field(description="the presigned S3 URL of the CSV (also in Location)")
    expires_in: int = Field(description="seconds the URL stays valid")


class JobOut(FromAttributes):
    id: str
    type: str
    action: str
    value: str | list[str] | None = None
    state: str = Field(description="queued | running | succeeded | partially_failed | failed")
    total: int
    done: int
    failed: int
    errors: list[JobErrorOut] = Field(description=f"the first {domain.ERRORS_SHOWN} leads that failed, and why")
    result: JobResultOut | None = None
    failure: JobFailureOut | None = Field(default=None, description="why a failed job did not run")
    filter: dict[str, Any] | None = Field(default=None, validation_alias=AliasPath("selection", "filter"))
    lead_ids: int | None = Field(
        default=None, validation_alias=AliasPath("selection", "lead_ids"), description="how many lead ids the job named"
    )
    created_by: str = Field(validation_alias="actor")
    created_at: str
    updated_at: str
    started_at: str | None = None
    finished_at: str | None = None


def _download_path(job: Job) -> str:
    return f"/accounts/{job.account_id}/jobs/{job.id}/download"


def _out(job: Job) -> JobOut:
    """The job's attributes; an export's result as this API offers it (its download route), once it ran."""
    result = None
    if job.result is not None and job.state in ("succeeded", "partially_failed"):
        result = job.result | {"download_url": _download_path(job), "file_expires_at": domain.file_expires_at(job)}
    return JobOut.model_validate(vars(job) | {"result": result, "failure": job.failure or None})


@router.post(
    "/accounts/<account_id>/leads/bulk",
    operation_id="createBulkJob",
    tags=[TAG],
    summary="Change or delete many leads in the background (up to 10,000 ids, or a filter)",
    status_code=202,
)
def bulk(account_id: AccountId, body: BulkIn) -> tuple[JobAccepted, int]:
    action = Action.LEADS_DELETE if body.action == BulkAction.DELETE else Action.LEADS_MANAGE
    access = authorize(caller_id(router), account_id, action)
    job = domain.create_bulk_job(
        access,
        body.change(),
        lead_ids=body.lead_ids,
        lead_filter=lead_filter(body.filter) if body.filter is not None else None,
    )
    return JobAccepted(job_id=job.id), 202


@router.post(
    "/accounts/<account_id>/exports",
    operation_id="createExport",
    tags=[TAG],
    summary="Export leads to a CSV file in the background",
    status_code=202,
)
def create_export(account_id: AccountId, body: ExportIn) -> tuple[JobAccepted, int]:
    access = authorize(caller_id(router), account_id, Action.LEADS_DOWNLOAD)
    job = domain.create_export_job(access, lead_filter(body.filter or LeadFilterIn()))
    return JobAccepted(job_id=job.id), 202


@router.get(
    "/accounts/<account_id>/jobs/<job_id>",
    operation_id="getJob",
    tags=[TAG],
    summary="A background job's progress and result",
)
def get_job(account_id: AccountId, job_id: JobId) -> JobOut:
    access = authorize(caller_id(router), account_id, Action.LEADS_VIEW)
    return _out(domain.get_job(access, job_id))


@router.get(
    "/accounts/<account_id>/jobs/<job_id>/download",
    operation_id="downloadExport",
    tags=[TAG],
    summary="Download an export: 302 to a presigned URL valid 10 minutes, after checking access again",
    status_code=302,
    responses={
        302: {
            "description": "Location: the presigned S3 URL of the CSV; the body holds it too",
            "content": {"application/json": {"model": DownloadOut}},
        }
    },
)
def download(account_id: AccountId, job_id: JobId) -> Response[DownloadOut]:
    access = authorize(caller_id(router), account_id, Action.LEADS_DOWNLOAD)
    url = domain.download_url(access, job_id)
    return Response(
        status_code=302,
        content_type=content_types.APPLICATION_JSON,
        body=DownloadOut(url=url, expires_in=domain.DOWNLOAD_SECONDS),
        headers={"Location": url, "Cache-Control": "no-store"},
    )
