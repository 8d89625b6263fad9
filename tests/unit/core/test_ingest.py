"""Exactly-once effect of ingestion, with in-memory fakes of the orders table and the bus."""

from datetime import UTC, datetime, timedelta

import pytest

from connectors.sdk.ingest import Ingestor, IngestOutcome
from hubcore.adapters.orders_table import RecordResult, StoredOrder
from schemas.events import Event, OrderReceived, OrderUpdated
from schemas.order import Order, OrderStatus
from tests.unit.core.factories import make_order


class FakeStore:
    def __init__(self) -> None:
        self.items: dict[str, StoredOrder] = {}

    def record_platform_order(self, order: Order) -> RecordResult:
        current = self.items.get(order.order_key)
        if current is None or current.version < order.version:
            published = current.published_version if current else 0
            self.items[order.order_key] = StoredOrder(order, order.version, published, "RECEIVED", {})
            return RecordResult(applied=True, previous=current)
        return RecordResult(applied=False, previous=current)

    def mark_published(self, order_key: str, version: int) -> None:
        current = self.items[order_key]
        self.items[order_key] = StoredOrder(
            current.order, current.version, max(version, current.published_version), "RECEIVED", {}
        )


class FakeBus:
    def __init__(self, fail_times: int = 0) -> None:
        self.events: list[Event] = []
        self.fail_times = fail_times

    def publish(self, events: list[Event]) -> None:
        if self.fail_times:
            self.fail_times -= 1
            raise ConnectionError("bus unavailable")
        self.events.extend(events)


T0 = datetime(2024, 1, 1, 4, 0, tzinfo=UTC)


def test_a_delivery_repeated_three_times_yields_one_order_and_one_event() -> None:
    store, bus = FakeStore(), FakeBus()
    ingestor = Ingestor(store, bus)
    outcomes = [ingestor.ingest(make_order(updated_at=T0)).outcome for _ in range(3)]
    assert outcomes == [IngestOutcome.CREATED, IngestOutcome.DUPLICATE, IngestOutcome.DUPLICATE]
    assert len(store.items) == 1
    assert [type(e.data) for e in bus.events] == [OrderReceived]


def test_an_older_update_after_a_newer_one_changes_nothing() -> None:
    store, bus = FakeStore(), FakeBus()
    ingestor = Ingestor(store, bus)
    ingestor.ingest(make_order(updated_at=T0))
    newer = make_order(status=OrderStatus.CANCELLED, channel_status="4", updated_at=T0 + timedelta(minutes=5))
    ingestor.ingest(newer)
    stale = make_order(updated_at=T0 + timedelta(minutes=1))
    assert ingestor.ingest(stale).outcome == IngestOutcome.STALE
    assert store.items[newer.order_key].order.status == OrderStatus.CANCELLED
    updated = bus.events[1].data
    assert isinstance(updated, OrderUpdated) and updated.previous_status == OrderStatus.PAID
    assert len(bus.events) == 2


def test_an_event_lost_after_the_write_is_published_by_the_next_delivery() -> None:
    # Given the bus fails right after the order was recorded
    store, bus = FakeStore(), FakeBus(fail_times=1)
    ingestor = Ingestor(store, bus)
    order = make_order(updated_at=T0)
    with pytest.raises(ConnectionError):
        ingestor.ingest(order)
    # When the platform retries the same delivery
    result = ingestor.ingest(order)
    # Then the event goes out once, and a further retry is a plain duplicate
    assert result.outcome == IngestOutcome.REPUBLISHED
    assert len(bus.events) == 1
    assert ingestor.ingest(order).outcome == IngestOutcome.DUPLICATE
