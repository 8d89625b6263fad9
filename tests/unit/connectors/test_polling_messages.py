"""The message poll runner: consume → fetch → ingest → confirm, and nothing confirmed before it is ingested."""

from datetime import timedelta

import pytest

from connectors.sdk.contracts import QueuedMessage
from connectors.sdk.ingest import Ingestor
from connectors.sdk.polling import MessagePollResult, run_message_poll
from hubcore.errors import EventPublishError
from schemas.events import Event
from tests.unit.connectors.test_polling_fakes import (
    T0,
    FakeArchive,
    FakeConnector,
    FakeOrderStore,
    FakePlatform,
    FakePublisher,
)


class RecordingPublisher(FakePublisher):
    def __init__(self, log: list[str], fail_for: set[str] | None = None) -> None:
        super().__init__()
        self.log = log
        self.fail_for = fail_for or set()

    def publish(self, events: list[Event]) -> None:
        for event in events:
            order_id = event.metadata.correlation_id.rsplit(":", 1)[-1]
            if order_id in self.fail_for:
                raise EventPublishError("bus refused the entry")
            self.log.append(f"published {order_id}")
        super().publish(events)


class RecordingConnector(FakeConnector):
    def __init__(self, platform: FakePlatform, log: list[str], shops: tuple[str, ...] = ("shop1",)) -> None:
        super().__init__(platform, shops)
        self.log = log

    def confirm_messages(self, message_ids: list[str]) -> None:  # type: ignore[override]
        self.log.append(f"confirmed {','.join(message_ids)}")
        super().confirm_messages(message_ids)


def message(message_id: str, order_id: str | None, shop_id: str = "shop1", topic: str = "trade_paid") -> QueuedMessage:
    return QueuedMessage(message_id=message_id, shop_id=shop_id, topic=topic, channel_order_id=order_id)


def run(connector: FakeConnector, publisher: FakePublisher, store: FakeOrderStore | None = None) -> MessagePollResult:
    return run_message_poll(
        connector,
        "shop1",
        ingestor=Ingestor(store or FakeOrderStore(), publisher),
        archive=FakeArchive(),
        now=T0,
    )


def test_messages_are_confirmed_only_after_their_orders_are_ingested() -> None:
    # Given two queued messages about two orders
    log: list[str] = []
    platform = FakePlatform()
    platform.add("o1", T0 - timedelta(minutes=3))
    platform.add("o2", T0 - timedelta(minutes=2))
    platform.queue = [message("m1", "o1"), message("m2", "o2")]
    publisher = RecordingPublisher(log)

    # When the message poll runs
    result = run(RecordingConnector(platform, log), publisher)

    # Then both orders were published before the confirmation that covers their messages
    assert log == ["published o1", "published o2", "confirmed m1,m2"]
    assert result.consumed == 2 and result.confirmed == 2 and result.failed == 0
    assert platform.queue == []


def test_a_message_whose_order_cannot_be_fetched_stays_unconfirmed_and_is_redelivered() -> None:
    # Given a message whose order fetch fails (platform down), after one that succeeds
    log: list[str] = []
    platform = FakePlatform()
    platform.add("o1", T0 - timedelta(minutes=3))
    platform.add("o2", T0 - timedelta(minutes=2))
    platform.queue = [message("m1", "o1"), message("m2", "o2")]
    platform.fail_fetch.add("o2")
    connector, store = RecordingConnector(platform, log), FakeOrderStore()

    # When the message poll runs
    result = run(connector, RecordingPublisher(log), store)

    # Then only the first message was confirmed; the second stays queued
    assert result.confirmed == 1 and result.failed == 1
    assert [m.message_id for m in platform.queue] == ["m2"]

    # When the platform recovers and the poll runs again
    platform.fail_fetch.clear()
    result = run(connector, RecordingPublisher(log), store)

    # Then the redelivered message is ingested and confirmed
    assert result.confirmed == 1 and platform.queue == []
    assert sorted(store.items) == ["demo:shop1:o1", "demo:shop1:o2"]


def test_messages_of_unknown_shops_or_not_about_orders_are_confirmed_without_ingest() -> None:
    # Given a message for a shop without credentials and one that is not about an order
    log: list[str] = []
    platform = FakePlatform()
    platform.queue = [message("m1", "o9", shop_id="other-shop"), message("m2", None, topic="item_changed")]
    publisher = RecordingPublisher(log)

    # When the message poll runs
    result = run(RecordingConnector(platform, log), publisher)

    # Then both are confirmed and skipped, and nothing is published
    assert result.skipped == 2 and result.confirmed == 2
    assert publisher.events == [] and platform.queue == []


def test_several_messages_about_one_order_fetch_it_once() -> None:
    # Given three messages about the same order (paid, memo, address changed)
    log: list[str] = []
    platform = FakePlatform()
    platform.add("o1", T0 - timedelta(minutes=3))
    platform.queue = [message("m1", "o1"), message("m2", "o1"), message("m3", "o1")]
    publisher = RecordingPublisher(log)

    # When the message poll runs
    result = run(RecordingConnector(platform, log), publisher)

    # Then the order was ingested once and all three confirmed
    assert len(result.results) == 1 and result.confirmed == 3
    assert log == ["published o1", "confirmed m1,m2,m3"]


def test_an_unexpected_failure_confirms_what_was_done_and_propagates() -> None:
    # Given a bus that refuses the second order's event
    log: list[str] = []
    platform = FakePlatform()
    platform.add("o1", T0 - timedelta(minutes=3))
    platform.add("o2", T0 - timedelta(minutes=2))
    platform.queue = [message("m1", "o1"), message("m2", "o2")]

    # When the message poll runs
    with pytest.raises(EventPublishError):
        run(RecordingConnector(platform, log), RecordingPublisher(log, fail_for={"o2"}))

    # Then the first message is confirmed, the second stays for redelivery
    assert log == ["published o1", "confirmed m1"]
    assert [m.message_id for m in platform.queue] == ["m2"]
