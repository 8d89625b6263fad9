"""Publishing events to EventBridge: batches of 10, and a failure on any rejected entry."""

from collections.abc import Sequence

from hubcore.aws import client
from hubcore.errors import EventPublishError
from hubcore.settings import settings
from schemas.events import Event

MAX_ENTRIES_PER_CALL = 10


class EventBridgePublisher:
    def __init__(self, bus_name: str | None = None) -> None:
        self._bus_name = bus_name or settings().event_bus

    def publish(self, events: Sequence[Event]) -> None:
        for start in range(0, len(events), MAX_ENTRIES_PER_CALL):
            chunk = events[start : start + MAX_ENTRIES_PER_CALL]
            entries = [
                {
                    "Source": event.source(),
                    "DetailType": event.detail_type,
                    "Detail": event.detail_json(),
                    "EventBusName": self._bus_name,
                }
                for event in chunk
            ]
            response = client("events").put_events(Entries=entries)
            if response.get("FailedEntryCount", 0):
                failed = [e for e in response["Entries"] if e.get("ErrorCode")]
                raise EventPublishError(f"{len(failed)} of {len(entries)} events rejected: {failed[:3]}")
