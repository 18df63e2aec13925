"""The label settings of an account (home table). Leads hold label ids; names live here only."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from leadcenter.config import settings
from leadcenter.errors import NotFound
from leadcenter.store._base import table_meta, transact_write, translate_write_errors
from leadcenter.store.accounts import AccountItem, account_pk


class LabelItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    label_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class Label:
    id: str
    name: str
    created_at: str


def _name_key(name: str) -> str:
    return f"LBN#{name.casefold()}"


def _stage_directory(tx: TransactWrite, account_id: str, change: dict[str, str | None]) -> None:
    """The account item's label directory (id -> name) with `change` applied (None removes), in the label write's
    transaction, conditioned on the directory version read: authorisation reads it, so list pages need no label
    read of their own. A directory missing (labels made before it) is built from the labels first."""
    meta = AccountItem.get(
        account_pk(account_id), "META", attributes_to_get=["pk", "label_names", "label_names_version"]
    )
    if meta.label_names is None:
        names = {label.id: label.name for label in list_labels(account_id)}
        condition = AccountItem.label_names_version.does_not_exist()
        version = 0
    else:
        names = dict(meta.label_names.as_dict())
        version = int(meta.label_names_version or 0)
        condition = AccountItem.label_names_version == version
    for label_id, name in change.items():
        if name is None:
            names.pop(label_id, None)
        else:
            names[label_id] = name
    tx.update(
        AccountItem(pk=account_pk(account_id), sk="META"),
        actions=[AccountItem.label_names.set(names), AccountItem.label_names_version.set(version + 1)],
        condition=AccountItem.pk.exists() & condition,
    )


def create(account_id: str, label: Label) -> None:
    """The label and a claim on its (case-insensitive) name, so two labels never share a name."""
    with (
        translate_write_errors(f"a label named '{label.name}' already exists, or labels changed meanwhile"),
        transact_write(settings().home_region) as tx,
    ):
        _stage_directory(tx, account_id, {label.id: label.name})
        tx.save(
            LabelItem(pk=account_pk(account_id), sk=_name_key(label.name), label_id=label.id),
            condition=LabelItem.pk.does_not_exist(),
        )
        tx.save(
            LabelItem(
                pk=account_pk(account_id),
                sk=f"LB#{label.id}",
                label_id=label.id,
                name=label.name,
                created_at=label.created_at,
            ),
            condition=LabelItem.pk.does_not_exist(),
        )


def list_labels(account_id: str) -> list[Label]:
    items = LabelItem.query(account_pk(account_id), LabelItem.sk.startswith("LB#"))
    return sorted((Label(i.label_id, i.name, i.created_at) for i in items), key=lambda lb: lb.name.casefold())


def get(account_id: str, label_id: str) -> Label:
    try:
        item = LabelItem.get(account_pk(account_id), f"LB#{label_id}")
    except DoesNotExist as exc:
        raise NotFound(f"label {label_id} not found") from exc
    return Label(item.label_id, item.name, item.created_at)


def rename(account_id: str, label: Label, new_name: str) -> None:
    with (
        translate_write_errors(f"a label named '{new_name}' already exists, or labels changed meanwhile"),
        transact_write(settings().home_region) as tx,
    ):
        _stage_directory(tx, account_id, {label.id: new_name})
        if label.name.casefold() != new_name.casefold():
            tx.save(
                LabelItem(pk=account_pk(account_id), sk=_name_key(new_name), label_id=label.id),
                condition=LabelItem.pk.does_not_exist(),
            )
            tx.delete(LabelItem(pk=account_pk(account_id), sk=_name_key(label.name)))
        tx.update(
            LabelItem(pk=account_pk(account_id), sk=f"LB#{label.id}"),
            actions=[LabelItem.name.set(new_name)],
            condition=LabelItem.pk.exists(),
        )


def delete(account_id: str, label: Label) -> None:
    with translate_write_errors("labels changed meanwhile; retry"), transact_write(settings().home_region) as tx:
        _stage_directory(tx, account_id, {label.id: None})
        tx.delete(LabelItem(pk=account_pk(account_id), sk=f"LB#{label.id}"))
        tx.delete(LabelItem(pk=account_pk(account_id), sk=_name_key(label.name)))
