"""CRM change feed: this region's lead-table stream -> change notices (no personal data) on the home CRM queue.

Deployed in every stack (each storage region has its own lead table and stream). The event source filters on
lead items; `crm_changes.notice` checks again and drops writes that changed nothing. Notices go out in batches
of ten; when SQS refuses one, the record it came from is reported (ReportBatchItemFailures), so Lambda retries
from there and nothing is lost (notices already sent are sent again; fan-out is idempotent).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBStreamEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadcenter.config import settings
from leadcenter.domain import crm_changes
from leadcenter.observability import logger


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    notices: list[crm_changes.ChangeNotice] = []
    sequence_numbers: list[str] = []
    for record in DynamoDBStreamEvent(event).records:
        stream = record.dynamodb
        if stream is None or record.event_name is None:
            continue
        notice = crm_changes.notice(
            record.event_name.name,
            stream.old_image or None,
            stream.new_image or None,
            region=record.aws_region or settings().home_region,
            approximate_epoch=stream.approximate_creation_date_time,
        )
        if notice is not None:
            notices.append(notice)
            sequence_numbers.append(str(stream.sequence_number))
    failed = crm_changes.forward(notices)
    logger.info("lead changes forwarded", extra={"notices": len(notices), "unsent": len(failed)})
    if failed:
        return {"batchItemFailures": [{"itemIdentifier": sequence_numbers[min(failed)]}]}
    return {"batchItemFailures": []}
