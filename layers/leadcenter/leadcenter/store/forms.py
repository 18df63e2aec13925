"""Instant forms of an account (home table): name and questions. Forms hold no personal data."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from leadcenter.config import settings
from leadcenter.errors import NotFound
from leadcenter.store import batch_io
from leadcenter.store._base import table_meta, translate_write_errors
from leadcenter.store.accounts import account_pk


class QuestionAttribute(MapAttribute[str, str]):
    question = UnicodeAttribute()
    type = UnicodeAttribute()


class FormItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    form_id = UnicodeAttribute()
    name = UnicodeAttribute()
    questions = ListAttribute(of=QuestionAttribute, default=list)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=1)
    privacy_policy_url = UnicodeAttribute(null=True)
    disclaimer = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class Form:
    id: str
    name: str
    questions: tuple[tuple[str, str], ...]
    created_at: str
    updated_at: str
    version: int
    privacy_policy_url: str | None = None  # an ad may use the form only once it has one
    disclaimer: str | None = None


def _form(item: FormItem) -> Form:
    return Form(
        item.form_id,
        item.name,
        tuple((q.question, q.type) for q in item.questions),
        item.created_at,
        item.updated_at,
        int(item.version),
        item.privacy_policy_url,
        item.disclaimer,
    )


def _item(account_id: str, form: Form) -> FormItem:
    return FormItem(
        pk=account_pk(account_id),
        sk=f"F#{form.id}",
        form_id=form.id,
        name=form.name,
        questions=[QuestionAttribute(question=q, type=t) for q, t in form.questions],
        created_at=form.created_at,
        updated_at=form.updated_at,
        version=form.version,
        privacy_policy_url=form.privacy_policy_url,
        disclaimer=form.disclaimer,
    )


def create(account_id: str, form: Form) -> None:
    with translate_write_errors(f"form {form.id} already exists"):
        _item(account_id, form).save(condition=FormItem.pk.does_not_exist())


def replace(account_id: str, form: Form, expected_version: int) -> None:
    with translate_write_errors("the form changed since you read it", current_version=expected_version):
        _item(account_id, form).save(condition=FormItem.version == expected_version)


def get_form(account_id: str, form_id: str) -> Form:
    """By key; in a worker's batch from its snapshot (store.batch_io), read once per batch."""
    item = batch_io.get(FormItem, account_pk(account_id), f"F#{form_id}")
    if item is None:
        raise NotFound(f"form {form_id} not found")
    return _form(item)


def form_key(account_id: str, form_id: str) -> batch_io.Key:
    return batch_io.key_of(FormItem, account_pk(account_id), f"F#{form_id}")


def list_forms(account_id: str) -> list[Form]:
    return [_form(item) for item in FormItem.query(account_pk(account_id), FormItem.sk.startswith("F#"))]
