"""What the conformance checks share: loading a profile, placing orders, fetching them the connector's way,
an in-memory hub (the version-conditioned store semantics of the orders table) and a log capture."""

import io
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.registry import import_dotted, manifest_for
from connectors.sdk.conformance import ConformanceProfile
from connectors.sdk.contracts import Connector, OrderSummary, PollingConnector, WebhookConnector
from connectors.sdk.ingest import Ingestor
from connectors.sdk.simulator import LineSpec, OrderSpec, PlatformSimulator, ReceiverSpec
from hubcore.observability import PiiMaskingFormatter, logger
from schemas.order import Order
from tests.unit.connectors.test_polling_fakes import FakeArchive, FakeCheckpoints, FakeOrderStore, FakePublisher

# Plaintext the kit gives the simulator; none of it may ever reach a log line.
RECEIVER = ReceiverSpec("欧阳一鸣", "13987654321", "浙江省", "杭州市", "西湖区", "文三路398号东方通信大厦7楼")
PLAINTEXT_PII = (RECEIVER.name, RECEIVER.phone, RECEIVER.detail)


def load_profile(channel: str) -> ConformanceProfile:
    manifest_for(channel)
    profile = import_dotted(f"connectors.{channel}.conformance:PROFILE")
    assert isinstance(profile, ConformanceProfile), f"connectors.{channel}.conformance.PROFILE is not a profile"
    return profile


def order_spec(shop_id: str, created_at: datetime, *, n: int = 0) -> OrderSpec:
    return OrderSpec(
        shop_id=shop_id,
        buyer_id=f"kit-buyer-{n:04d}",
        lines=(
            LineSpec(sku="KIT-DW-X9", quantity=1, unit_price_fen=319900, paid_fen=299900, title="洗碗机 X9"),
            LineSpec(sku="KIT-TAB-30", quantity=2, unit_price_fen=4950, paid_fen=0, title="洗涤块"),
        ),
        receiver=RECEIVER,
        created_at=created_at,
        freight_fen=0,
    )


def fetch_raw(connector: Connector, sim: PlatformSimulator, shop_id: str, order_id: str) -> Mapping[str, Any]:
    """The platform's full order, fetched the way the connector fetches it in production."""
    if isinstance(connector, PollingConnector):
        return connector.fetch_order(shop_id, OrderSummary(channel_order_id=order_id))
    assert isinstance(connector, WebhookConnector)
    notifications = connector.parse_notifications(sim.push_request(order_id))
    mine = [n for n in notifications if n.channel_order_id == order_id]
    assert mine, f"a push about {order_id} yielded no notification for it"
    return connector.fetch_notified_order(mine[-1])


def normalised(connector: Connector, sim: PlatformSimulator, shop_id: str, order_id: str) -> Order:
    return connector.normalise(fetch_raw(connector, sim, shop_id, order_id), shop_id=shop_id, raw_ref=None)


class MemoryHub:
    """The hub's ingestion with in-memory adapters that keep the orders table's version semantics."""

    def __init__(self) -> None:
        self.store = FakeOrderStore()
        self.publisher = FakePublisher()
        self.archive = FakeArchive()
        self.checkpoints = FakeCheckpoints()
        self.ingestor = Ingestor(self.store, self.publisher)

    def order_ids(self) -> set[str]:
        return {stored.order.channel_order_id for stored in self.store.items.values()}


def platform_now() -> datetime:
    """Now, on the whole second (platform times have one-second resolution)."""
    return datetime.now(UTC).replace(microsecond=0)


def ago(minutes: float) -> datetime:
    return platform_now() - timedelta(minutes=minutes)


@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Everything the hub's logger and any other logger write, formatted as in production, at DEBUG."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(PiiMaskingFormatter())
    targets = [logging.getLogger(logger.name), logging.getLogger()]
    levels = [target.level for target in targets]
    for target in targets:
        target.addHandler(handler)
        target.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        for target, level in zip(targets, levels, strict=True):
            target.removeHandler(handler)
            target.setLevel(level)
