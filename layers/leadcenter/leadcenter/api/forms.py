"""Instant forms: all roles view ("View Instant Form"), admins and operators create and edit."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from pydantic import BaseModel, Field, HttpUrl, field_validator

from leadcenter import clock, ids
from leadcenter.api.params import AccountId
from leadcenter.api.schemas import POLICY_URL_SCHEMA, FromAttributes, Strict, policy_url_length
from leadcenter.http import caller_id, if_match_version
from leadcenter.policy import Action, authorize
from leadcenter.store import catalog
from leadcenter.store import forms as store
from leadcenter.store.forms import Form

router = Router()
TAG = "forms"
FormId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
QuestionType = Literal[
    "short_text", "long_text", "email", "phone", "single_choice", "multiple_choice", "date", "number", "name"
]


class Question(Strict):
    question: str = Field(min_length=1, max_length=500)
    type: QuestionType = "short_text"


class FormIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    questions: list[Question] = Field(min_length=1, max_length=50)
    privacy_policy_url: HttpUrl | None = Field(
        default=None,
        description="https; a form saves without it, but no ad can use the form until it has one",
        examples=["https://example.com/privacy"],
        json_schema_extra=POLICY_URL_SCHEMA,
    )
    disclaimer: str | None = Field(default=None, max_length=2000, description="shown under the form's questions")

    _length = field_validator("privacy_policy_url", mode="before")(policy_url_length)

    @field_validator("privacy_policy_url")
    @classmethod
    def _https(cls, value: HttpUrl | None) -> HttpUrl | None:
        if value is not None and value.scheme != "https":
            raise ValueError("the privacy policy URL must be an https URL of at most 2048 characters")
        return value

    @property
    def policy_url(self) -> str | None:
        return None if self.privacy_policy_url is None else str(self.privacy_policy_url)


class FormOut(FromAttributes):
    id: str
    name: str
    questions: list[Question]
    created_at: str
    updated_at: str
    version: int
    privacy_policy_url: str | None = None
    disclaimer: str | None = None


class FormList(BaseModel):
    items: list[FormOut]
    next_cursor: str | None = None


def _out(form: Form) -> FormOut:
    questions = [{"question": question, "type": kind} for question, kind in form.questions]
    return FormOut.model_validate(vars(form) | {"questions": questions})


@router.get(
    "/accounts/<account_id>/forms", operation_id="listForms", tags=[TAG], summary="Instant forms of the account"
)
def list_forms(account_id: AccountId) -> FormList:
    authorize(caller_id(router), account_id, Action.FORMS_VIEW)
    return FormList(items=[_out(f) for f in store.list_forms(account_id)])


@router.post(
    "/accounts/<account_id>/forms",
    operation_id="createForm",
    tags=[TAG],
    summary="Create an instant form",
    status_code=201,
)
def create_form(account_id: AccountId, body: FormIn) -> tuple[FormOut, int]:
    authorize(caller_id(router), account_id, Action.FORMS_EDIT)
    now = clock.iso()
    form = Form(
        f"form-{ids.ulid().lower()}",
        body.name,
        tuple((q.question, q.type) for q in body.questions),
        now,
        now,
        1,
        body.policy_url,
        body.disclaimer,
    )
    store.create(account_id, form)
    catalog.record(account_id, [("form", form.id, form.name)])
    return _out(form), 201


@router.get(
    "/accounts/<account_id>/forms/<form_id>",
    operation_id="getForm",
    tags=[TAG],
    summary="View Instant Form: its questions",
)
def get_form(account_id: AccountId, form_id: FormId) -> FormOut:
    authorize(caller_id(router), account_id, Action.FORMS_VIEW)
    return _out(store.get_form(account_id, form_id))


@router.put(
    "/accounts/<account_id>/forms/<form_id>",
    operation_id="replaceForm",
    tags=[TAG],
    summary="Replace a form's name and questions",
)
def put_form(
    account_id: AccountId,
    form_id: FormId,
    body: FormIn,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> FormOut:
    authorize(caller_id(router), account_id, Action.FORMS_EDIT)
    given = if_match_version(if_match, "form")
    current = store.get_form(account_id, form_id)
    expected = current.version if given is None else given
    form = Form(
        form_id,
        body.name,
        tuple((q.question, q.type) for q in body.questions),
        current.created_at,
        clock.iso(),
        expected + 1,
        body.policy_url,
        body.disclaimer,
    )
    store.replace(account_id, form, expected)
    catalog.record(account_id, [("form", form.id, form.name)])
    return _out(form)
