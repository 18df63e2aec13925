"""Webhook intake: a verified platform event goes onto the capture queue as received.

Kept apart from domain.capture (detection, lead writes) so the webhook function imports only what it needs
and acknowledges fast; the worker does the rest.
"""

from __future__ import annotations

from leadcenter.observability import logger
from leadcenter.platform_events import PlatformEvent
from leadcenter.store import capture_queue


def accept(raw_body: str, event: PlatformEvent) -> None:
    """Queues a verified event exactly as received. A repeat is queued again, also one still being
    processed: the worker runs each event_id once, so acknowledging costs no lookup here."""
    capture_queue.enqueue(raw_body, event.event_id, event.type)
    logger.info("platform event queued", extra={"event_id": event.event_id, "event_type": event.type})
