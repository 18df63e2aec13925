"""The store's transactions: pynamodb's wire order of items, which every cancellation decoder relies on."""

from __future__ import annotations

from typing import Any

import pytest
from pynamodb.exceptions import TransactWriteError

from leadcenter import ids
from leadcenter.store._base import TRANSACTION_ORDER, cancellation_reasons, transact_write
from leadcenter.store.lead_items import children_pk, lead_pk, lead_sk, models

REGION = "ap-southeast-1"


class _Recorder:
    """Captures the TransactItems of each TransactWriteItems request at botocore, as DynamoDB receives them."""

    def __init__(self) -> None:
        self.sent: list[list[str]] = []

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        self.sent.append([next(iter(item)) for item in params["TransactItems"]])


@pytest.fixture
def recorder() -> Any:
    from leadcenter.store._base import connection

    client = connection(REGION).client
    recording = _Recorder()
    client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", recording)
    yield recording
    client.meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", recording)


def test_pynamodb_sends_condition_checks_then_deletes_then_puts_then_updates(recorder):
    # Given a lead item and items of each kind, added to one transaction in the reverse of the wire order
    m = models(REGION)
    account = f"tx-{ids.token(4)}"
    lead = f"{ids.ulid()}-x"
    m.event(pk=children_pk(account, lead), sk="T#old", type="t", actor="a", at="now", expires_at=1, g_exp="X").save()
    m.event(pk=children_pk(account, lead), sk="T#upd", type="t", actor="a", at="now", expires_at=1, g_exp="X").save()
    with transact_write(REGION) as tx:
        tx.update(m.event(pk=children_pk(account, lead), sk="T#upd"), actions=[m.event.actor.set("b")])
        tx.save(
            m.event(pk=children_pk(account, lead), sk="T#new", type="t", actor="a", at="now", expires_at=1, g_exp="X")
        )
        tx.delete(m.event(pk=children_pk(account, lead), sk="T#old"))
        tx.condition_check(m.lead, lead_pk(account), lead_sk(lead), condition=m.lead.pk.does_not_exist())

    # Then they went out in TRANSACTION_ORDER, which the cancellation decoders index by
    assert recorder.sent == [list(TRANSACTION_ORDER)]


def test_cancellation_reasons_come_back_per_item_in_wire_order():
    # Given a transaction whose only failing item is the put (a does-not-exist condition on an existing item)
    m = models(REGION)
    account = f"tx-{ids.token(4)}"
    lead = f"{ids.ulid()}-x"
    existing = m.event(pk=children_pk(account, lead), sk="T#1", type="t", actor="a", at="now", expires_at=1, g_exp="X")
    existing.save()
    other = m.event(pk=children_pk(account, lead), sk="T#2", type="t", actor="a", at="now", expires_at=1, g_exp="X")
    other.save()
    with pytest.raises(TransactWriteError) as raised, transact_write(REGION) as tx:
        tx.update(m.event(pk=children_pk(account, lead), sk="T#2"), actions=[m.event.actor.set("b")])
        tx.save(existing, condition=m.event.pk.does_not_exist())
        tx.delete(m.event(pk=children_pk(account, lead), sk="T#gone"))

    # Then the decoder names the put's failure at the put's place: delete, put, update
    assert cancellation_reasons(raised.value) == [None, "ConditionalCheckFailed", None]
    # And nothing of the transaction was written
    assert m.event.get(children_pk(account, lead), "T#2").actor == "a"


def test_every_threads_session_reads_botocore_models_through_one_loader():
    """pynamodb's session per thread and leadcenter.aws's client session share one loader: a model file is parsed
    once per process, not once per thread (the local runner's threads, a worker's first request)."""
    import threading

    from leadcenter import aws
    from leadcenter.store._base import _shared_session

    loaders = []
    thread = threading.Thread(target=lambda: loaders.append(_shared_session().get_component("data_loader")))
    thread.start()
    thread.join()
    loaders.append(_shared_session().get_component("data_loader"))
    assert loaders[0] is loaders[1] is aws.data_loader()
    assert _shared_session() is _shared_session() and loaders[0] is not None
    # and a model loaded in one session is there for the other without reading the file again
    model = _shared_session().get_service_model("dynamodb")
    assert aws.data_loader().load_service_model("dynamodb", "service-2") is aws.data_loader().load_service_model(
        "dynamodb", "service-2"
    )
    assert model.service_name == "dynamodb"
