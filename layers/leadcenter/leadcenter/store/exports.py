"""An export's checkpoint (home table) and its files (exports bucket): what lets an export run in steps.

Items (home table, the account's partition, next to the job's own items in `store.jobs`):
  checkpoint  sk JOB#<job>#X    where the export stands: the pass, the list cursor, the question set, the
                                multipart upload and its parts; `seq` counts checkpoints, `owner` and
                                `lease_until` say which step works on it now

A step claims the checkpoint (a lease), and every checkpoint it writes is conditional on holding the lease and on
`seq` being the one it read, so two deliveries of one step never both advance it. Pass 1's checkpoints carry the
chunk items of the page just read in the same transaction (a page's chunks exist exactly when its checkpoint does).

Files (exports bucket, home region, the bucket's SSE-KMS):
  exports/<account>/<job>/<attempt>.csv                   the export
  exports/<account>/<job>/<attempt>/spool/<stream>/<page>.jsonl   pass 1's rows, an object per page of leads
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from leadcenter import aws, clock
from leadcenter.config import settings
from leadcenter.errors import Conflict
from leadcenter.store._base import table_meta, transact_write, translate_write_errors
from leadcenter.store.accounts import account_pk
from leadcenter.store.jobs import WORK_ITEM_DAYS, _chunk_suffix, _part, _part_sk


class CheckpointItem(Model):
    Meta = table_meta(settings().app_table, settings().home_region)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    attempt = UnicodeAttribute()
    seq = NumberAttribute(default=0)
    owner = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    body = UnicodeAttribute()  # JSON: the Checkpoint's fields below
    expires_at = NumberAttribute()


@dataclass
class Checkpoint:
    """Where an export stands. Pass 1 (`scan`) reads `streams` (the (ad account, storage region) pairs, fixed by
    the first step) one after the other, stream `stream` page by page from `cursor`: `spooled` spool objects per
    stream (`pages` in all), `rows` leads, `chunks` chunk items, `first_seen` each question's first lead (its order
    key and the question's position among that lead's answers). Pass 2 (`write`) merges the streams' spooled rows
    in the file's order, each stream from `positions` ([spool page, line]): `parts` ([number, ETag]) of
    `upload_id` hold `written` rows, `bytes` bytes, under a header of `questions`. `complete`: every part is
    uploaded; what is left is completing the upload and the job."""

    account_id: str
    job_id: str
    attempt: str
    seq: int = 0
    phase: str = "scan"
    streams: list[list[str]] | None = None
    stream: int = 0
    cursor: str | None = None
    spooled: list[int] = field(default_factory=list)
    pages: int = 0
    rows: int = 0
    chunks: int = 0
    first_seen: dict[str, list[Any]] = field(default_factory=dict)
    questions: list[str] = field(default_factory=list)
    upload_id: str | None = None
    parts: list[list[Any]] = field(default_factory=list)
    positions: list[list[int]] = field(default_factory=list)
    written: int = 0
    bytes: int = 0

    def body(self) -> str:
        doc = asdict(self)
        for name in _KEY_FIELDS:
            doc.pop(name)
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


_KEY_FIELDS = ("account_id", "job_id", "attempt", "seq")
_BODY_FIELDS = {f.name for f in fields(Checkpoint)} - set(_KEY_FIELDS)


def _sk(job_id: str) -> str:
    return f"JOB#{job_id}#X"


def _key(account_id: str, job_id: str) -> CheckpointItem:
    return CheckpointItem(pk=account_pk(account_id), sk=_sk(job_id))


def _checkpoint(account_id: str, job_id: str, item: CheckpointItem) -> Checkpoint:
    # Fields of an older release's checkpoint that this one has no use for are dropped.
    body = {name: value for name, value in json.loads(item.body).items() if name in _BODY_FIELDS}
    return Checkpoint(account_id, job_id, item.attempt, seq=int(item.seq or 0), **body)


def begin(account_id: str, job_id: str, attempt: str) -> bool:
    """The export's first checkpoint (pass 1, nothing read); False when an earlier delivery began it."""
    start = Checkpoint(account_id, job_id, attempt)
    item = CheckpointItem(
        pk=account_pk(account_id),
        sk=_sk(job_id),
        attempt=attempt,
        seq=0,
        body=start.body(),
        expires_at=int(clock.epoch()) + WORK_ITEM_DAYS * 86400,
    )
    try:
        with translate_write_errors("the export has begun"):
            item.save(condition=CheckpointItem.pk.does_not_exist())
    except Conflict:
        return False
    return True


def load(account_id: str, job_id: str) -> Checkpoint | None:
    try:
        return _checkpoint(
            account_id, job_id, CheckpointItem.get(account_pk(account_id), _sk(job_id), consistent_read=True)
        )
    except DoesNotExist:
        return None


def claim(account_id: str, job_id: str, owner: str, now: float, until: float) -> Checkpoint | None:
    """The lease on the export, and the checkpoint as it is: None while another step holds an unexpired lease."""
    item = _key(account_id, job_id)
    condition = CheckpointItem.pk.exists() & (
        CheckpointItem.owner.does_not_exist() | (CheckpointItem.lease_until < now)
    )
    try:
        with translate_write_errors("another step holds the export"):
            item.update(
                actions=[CheckpointItem.owner.set(owner), CheckpointItem.lease_until.set(until)], condition=condition
            )
    except Conflict:
        return None
    return _checkpoint(account_id, job_id, item)


def save(checkpoint: Checkpoint, owner: str, chunks: Sequence[list[Any]] = ()) -> bool:
    """Writes `checkpoint` (its `seq` the one read) and, in the same transaction, the chunk items numbered from
    `chunks` before this page; False when the lease was lost or another step moved on."""
    item = _key(checkpoint.account_id, checkpoint.job_id)
    condition = (CheckpointItem.seq == checkpoint.seq) & (CheckpointItem.owner == owner)
    actions: list[Action] = [CheckpointItem.body.set(checkpoint.body()), CheckpointItem.seq.add(1)]
    first = checkpoint.chunks - len(chunks) + 1
    try:
        with translate_write_errors("the export moved on"), transact_write(settings().home_region) as tx:
            tx.update(item, actions=actions, condition=condition)
            for offset, entries in enumerate(chunks):
                sk = _part_sk(checkpoint.job_id, "C", _chunk_suffix(checkpoint.attempt, first + offset))
                tx.save(_part(checkpoint.account_id, sk, entries))
    except Conflict:
        return False
    checkpoint.seq += 1
    return True


def release(account_id: str, job_id: str, owner: str) -> None:
    """Gives the lease up (the next step may start at once); nothing when it was not ours any more."""
    try:
        with translate_write_errors("the lease is not ours"):
            _key(account_id, job_id).update(
                actions=[CheckpointItem.owner.remove(), CheckpointItem.lease_until.remove()],
                condition=CheckpointItem.owner == owner,
            )
    except Conflict:
        pass


# ---------------------------------------------------------------------------------------------- files


def file_key(account_id: str, job_id: str, attempt: str) -> str:
    return f"exports/{account_id}/{job_id}/{attempt}.csv"


def spool_key(account_id: str, job_id: str, attempt: str, stream: int, page: int) -> str:
    return f"exports/{account_id}/{job_id}/{attempt}/spool/{stream:03d}/{page:06d}.jsonl"


def _s3() -> Any:
    return aws.client("s3", settings().home_region)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def put_spool(key: str, data: bytes) -> None:
    _s3().put_object(Bucket=settings().exports_bucket, Key=key, Body=data, ContentType="application/x-ndjson")


def read_spool(key: str) -> list[bytes]:
    body = _s3().get_object(Bucket=settings().exports_bucket, Key=key)["Body"].read()
    return [line for line in body.split(b"\n") if line]


def delete_files(keys: Sequence[str]) -> None:
    """Deletes objects, a thousand per request; missing ones are no error."""
    for start in range(0, len(keys), 1000):
        objects = [{"Key": key} for key in keys[start : start + 1000]]
        _s3().delete_objects(Bucket=settings().exports_bucket, Delete={"Objects": objects, "Quiet": True})


def start_upload(key: str, filename: str) -> str:
    """A multipart upload of the CSV. The bucket's default encryption (SSE-KMS with the app's key) applies; an
    explicit `aws:kms` here would switch to the AWS-managed key instead."""
    response = _s3().create_multipart_upload(
        Bucket=settings().exports_bucket,
        Key=key,
        ContentType="text/csv; charset=utf-8",
        ContentDisposition=f'attachment; filename="{filename}"',
    )
    return str(response["UploadId"])


def upload_part(key: str, upload_id: str, number: int, data: bytes) -> str:
    """Uploads part `number` (a repeat replaces it); its ETag."""
    response = _s3().upload_part(
        Bucket=settings().exports_bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
    )
    return str(response["ETag"])


def complete_upload(key: str, upload_id: str, parts: Sequence[list[Any]]) -> None:
    """Completes the upload; done already (a step that stopped after completing it) is no error."""
    try:
        _s3().complete_multipart_upload(
            Bucket=settings().exports_bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": int(number), "ETag": etag} for number, etag in parts]},
        )
    except ClientError as exc:
        if _code(exc) != "NoSuchUpload":
            raise
        _s3().head_object(Bucket=settings().exports_bucket, Key=key)  # raises unless it was completed


def abort_upload(key: str, upload_id: str) -> None:
    """Aborts the upload, its parts deleted; gone already is no error."""
    try:
        _s3().abort_multipart_upload(Bucket=settings().exports_bucket, Key=key, UploadId=upload_id)
    except ClientError as exc:
        if _code(exc) != "NoSuchUpload":
            raise
