"""The capture queue (SQS, KMS-encrypted): the webhook puts each verified event on it, as received."""

from __future__ import annotations

from leadcenter import aws
from leadcenter.config import settings


def enqueue(raw_body: str, event_id: str, event_type: str) -> str:
    """Sends the raw event; the attributes name it for operators without opening the (personal) body."""
    response = aws.client("sqs", settings().home_region).send_message(
        QueueUrl=settings().capture_queue_url,
        MessageBody=raw_body,
        MessageAttributes={
            "event_id": {"DataType": "String", "StringValue": event_id},
            "event_type": {"DataType": "String", "StringValue": event_type},
        },
    )
    return str(response["MessageId"])
