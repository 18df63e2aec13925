"""Business metrics (CloudWatch EMF through Powertools Metrics): what the product did, counted where it happens.

Domain code calls these functions and never imports Powertools. Counts without dimensions join the shared metric
set that `@metrics.log_metrics` on each handler flushes at the end of the invocation. Counts by a dimension
(source; kind and state; outcome) are each their own EMF blob, written at once (`single_metric`): EMF gives every
metric of one blob the same dimensions, and one batch can hold leads of several sources.

Namespace and the `service` dimension come from POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME
(template.yaml Globals).
"""

from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from leadcenter.observability import metrics

CrmOutcome = Literal["delivered", "failed", "retried", "disabled", "deferred"]


def lead_captured(source: str) -> None:
    """A new lead, from a form, a message or by hand."""
    _count_by("LeadsCaptured", source=source)


def message_scanned(*, with_contacts: bool) -> None:
    """A direct message read for contacts (auto-capture on), and whether it held any."""
    metrics.add_metric(name="MessagesScanned", unit=MetricUnit.Count, value=1)
    if with_contacts:
        metrics.add_metric(name="MessagesWithContacts", unit=MetricUnit.Count, value=1)


def job_finished(kind: str, state: str) -> None:
    """A bulk change or export reached its final state (succeeded, partially_failed, failed)."""
    _count_by("JobsFinished", kind=kind, state=state)


def crm_delivery(outcome: CrmOutcome) -> None:
    """A CRM delivery attempt: delivered, retried later, failed for good, failed by disabling its endpoint, or
    deferred by its destination's gate (cap reached or breaker open)."""
    _count_by("CrmDeliveries", outcome=outcome)


def _count_by(name: str, **dimensions: str) -> None:
    if is_metrics_disabled():  # Metrics honours POWERTOOLS_METRICS_DISABLED; single_metric does not
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=1, default_dimensions=_service_dimension()) as metric:
        for key, value in dimensions.items():
            metric.add_dimension(name=key, value=value)


def _service_dimension() -> dict[str, str]:
    return {"service": str(metrics.service)} if metrics.service else {}
