"""Exactly-once effect for platform orders delivered at least once.

The orders table's version condition is the ground truth: a write applies only when the order is new or
newer. The event goes on the bus after the write, and `published_version` is set after the event; if the
process dies between the two, the next delivery of the same version finds it recorded but unpublished and
publishes it then. Consumers dedupe by order key and version (the workflow's execution name).
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from hubcore.adapters.orders_table import RecordResult
from schemas.events import Event, EventData, OrderReceived, OrderUpdated, make_event
from schemas.order import Order


class IngestOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DUPLICATE = "duplicate"  # same version already recorded and published
    STALE = "stale"  # older than what is stored: ignored
    REPUBLISHED = "republished"  # recorded earlier but its event had not gone out


@dataclass(frozen=True)
class IngestResult:
    order_key: str
    version: int
    outcome: IngestOutcome


class OrderStore(Protocol):
    def record_platform_order(self, order: Order) -> RecordResult: ...

    def mark_published(self, order_key: str, version: int) -> None: ...


class EventPublisher(Protocol):
    def publish(self, events: list[Event]) -> None: ...


class Ingestor:
    def __init__(self, store: OrderStore, publisher: EventPublisher) -> None:
        self._store = store
        self._publisher = publisher

    def ingest(self, order: Order) -> IngestResult:
        result = self._store.record_platform_order(order)
        previous = result.previous
        if result.applied:
            outcome = IngestOutcome.CREATED if previous is None else IngestOutcome.UPDATED
        elif previous is not None and previous.version == order.version and previous.published_version < order.version:
            outcome = IngestOutcome.REPUBLISHED
        elif previous is not None and previous.version == order.version:
            return IngestResult(order.order_key, order.version, IngestOutcome.DUPLICATE)
        else:
            return IngestResult(order.order_key, order.version, IngestOutcome.STALE)

        self._publisher.publish([self._event_for(order, previous.order if previous and result.applied else None)])
        self._store.mark_published(order.order_key, order.version)
        return IngestResult(order.order_key, order.version, outcome)

    @staticmethod
    def _event_for(order: Order, previous: Order | None) -> Event:
        data: EventData
        if previous is None:
            data = OrderReceived(order=order)
        else:
            data = OrderUpdated(order=order, previous_status=previous.status, previous_version=previous.version)
        return make_event(data, correlation_id=order.order_key, channel=order.channel)
