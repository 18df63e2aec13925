"""Privacy-policy PDFs of auto-capture applications: presigned S3 POST uploads into the exports bucket, under
`privacy-policies/<account>/<ulid>.pdf` (SSE-KMS by the bucket default; the bucket's 1-day expiry applies to
`exports/` only), and what the application check needs to know of an uploaded object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from leadcenter import aws
from leadcenter.config import settings

PREFIX = "privacy-policies"
MAX_BYTES = 5 * 1024 * 1024
CONTENT_TYPE = "application/pdf"
UPLOAD_SECONDS = 600


def _s3() -> Any:
    return aws.client("s3", settings().home_region)


def key_for(account_id: str, upload_id: str) -> str:
    return f"{PREFIX}/{account_id}/{upload_id}.pdf"


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]
    key: str


def presigned_post(key: str) -> PresignedPost:
    """A form POST that S3 accepts only for this key, a PDF content type and 1 byte to 5 MB (policy conditions)."""
    post = _s3().generate_presigned_post(
        Bucket=settings().exports_bucket,
        Key=key,
        Fields={"Content-Type": CONTENT_TYPE},
        Conditions=[
            {"Content-Type": CONTENT_TYPE},
            ["content-length-range", 1, MAX_BYTES],
        ],
        ExpiresIn=UPLOAD_SECONDS,
    )
    return PresignedPost(url=str(post["url"]), fields={k: str(v) for k, v in post["fields"].items()}, key=key)


@dataclass(frozen=True)
class Uploaded:
    size: int
    head: bytes  # the first bytes of the object


def inspect(key: str) -> Uploaded | None:
    """Size and first bytes of an uploaded object; None when there is none."""
    s3, bucket = _s3(), settings().exports_bucket
    try:
        size = int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
        head = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-7")["Body"].read() if size else b""
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return Uploaded(size, head)
