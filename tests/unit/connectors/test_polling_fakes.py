"""In-memory fakes of the polling ports and a tiny platform (support for the polling tests; no tests here)."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from connectors.sdk.contracts import (
    Credentials,
    OrderSummary,
    PollingConnector,
    PollPage,
    QueuedMessage,
    Shipment,
    StockItem,
)
from connectors.sdk.errors import PlatformUnavailable
from hubcore.adapters.checkpoints import CheckpointConflict, WindowCheckpoint
from hubcore.adapters.orders_table import RecordResult, StoredOrder
from schemas.events import Event
from schemas.order import Order, OrderLine, OrderStatus, RawPayloadRef, Receiver, make_version

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


class FakeCheckpoints:
    def __init__(self) -> None:
        self.items: dict[str, WindowCheckpoint] = {}
        self.saves: list[WindowCheckpoint] = []
        self.before_save: Callable[[str, WindowCheckpoint], None] | None = None

    def load(self, key: str) -> WindowCheckpoint | None:
        return self.items.get(key)

    def save(self, key: str, checkpoint: WindowCheckpoint) -> WindowCheckpoint:
        if self.before_save is not None:
            self.before_save(key, checkpoint)
        stored = self.items.get(key)
        if (stored.revision if stored else 0) != checkpoint.revision:
            raise CheckpointConflict(f"{key} moved")
        saved = replace(checkpoint, revision=checkpoint.revision + 1)
        self.items[key] = saved
        self.saves.append(saved)
        return saved


class FakeOrderStore:
    """The version-conditioned semantics of OrdersTable, in a dict."""

    def __init__(self) -> None:
        self.items: dict[str, StoredOrder] = {}

    def record_platform_order(self, order: Order) -> RecordResult:
        previous = self.items.get(order.order_key)
        if previous is not None and previous.version >= order.version:
            return RecordResult(applied=False, previous=previous)
        published = previous.published_version if previous else 0
        self.items[order.order_key] = StoredOrder(order, order.version, published, "RECEIVED", {})
        return RecordResult(applied=True, previous=previous)

    def mark_published(self, order_key: str, version: int) -> None:
        stored = self.items[order_key]
        if stored.published_version < version:
            self.items[order_key] = replace(stored, published_version=version)


class FakePublisher:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, events: list[Event]) -> None:
        self.events.extend(events)

    def types_for(self, order_id: str) -> list[str]:
        return [e.detail_type for e in self.events if e.metadata.correlation_id.endswith(f":{order_id}")]


class FakeArchive:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, channel: str, body: bytes, received_at: datetime, *, kind: str = "webhook") -> RawPayloadRef:
        import hashlib

        digest = hashlib.sha256(body).hexdigest()
        key = f"{channel}/{kind}/{received_at:%Y/%m/%d}/{digest}.json"
        self.objects[key] = body
        return RawPayloadRef(bucket="fake", key=key, sha256=digest)


@dataclass
class PlatformOrder:
    order_id: str
    modified: datetime
    status: str = "PAID"
    valid: bool = True


@dataclass
class FakePlatform:
    """Orders by modified time; list sorted by modified desc like TOP; hooks to misbehave."""

    orders: dict[str, PlatformOrder] = field(default_factory=dict)
    page_size: int = 3
    list_calls: list[tuple[datetime, datetime, int]] = field(default_factory=list)
    on_list: Callable[[int, int], None] | None = None  # (page_no, call index) → may mutate or raise
    fail_fetch: set[str] = field(default_factory=set)
    queue: list[QueuedMessage] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)

    def add(self, order_id: str, modified: datetime, status: str = "PAID", valid: bool = True) -> None:
        self.orders[order_id] = PlatformOrder(order_id, modified, status, valid)

    def in_window(self, start: datetime, end: datetime) -> list[PlatformOrder]:
        found = [o for o in self.orders.values() if start <= o.modified <= end]
        return sorted(found, key=lambda o: (o.modified, o.order_id), reverse=True)


class FakeConnector(PollingConnector):
    channel: ClassVar[str] = "demo"
    max_window: ClassVar[timedelta] = timedelta(minutes=30)
    safety_lag: ClassVar[timedelta] = timedelta(minutes=1)
    window_overlap: ClassVar[timedelta] = timedelta(minutes=1)
    initial_lookback: ClassVar[timedelta] = timedelta(hours=2)
    supports_messages: ClassVar[bool] = True

    def __init__(self, platform: FakePlatform, shops: Sequence[str] = ("shop1",)) -> None:
        super().__init__(Credentials("key", "secret", {s: f"token-{s}" for s in shops}), "https://demo.invalid")
        self.platform = platform

    def list_changed(self, shop_id: str, start: datetime, end: datetime, page: int) -> PollPage:
        assert start.tzinfo is not None and end.tzinfo is not None
        self.platform.list_calls.append((start, end, page))
        if self.platform.on_list is not None:
            self.platform.on_list(page, len(self.platform.list_calls))
        found = self.platform.in_window(start, end)
        size = self.platform.page_size
        chunk = found[(page - 1) * size : page * size]
        summaries = tuple(OrderSummary(o.order_id, o.modified, o.status) for o in chunk)
        return PollPage(page_no=page, page_size=size, summaries=summaries, total_results=len(found))

    def fetch_order(self, shop_id: str, summary: OrderSummary) -> Mapping[str, Any]:
        if summary.channel_order_id in self.platform.fail_fetch:
            raise PlatformUnavailable("fetch failed")
        order = self.platform.orders[summary.channel_order_id]
        return {
            "id": order.order_id,
            "modified": order.modified.isoformat(),
            "status": order.status,
            "valid": order.valid,
        }

    def consume_messages(self, shop_id: str) -> Sequence[QueuedMessage]:
        return list(self.platform.queue)

    def confirm_messages(self, message_ids: Sequence[str]) -> None:
        self.platform.confirmed.extend(message_ids)
        self.platform.queue = [m for m in self.platform.queue if m.message_id not in set(message_ids)]

    def normalise(self, raw_order: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
        modified = datetime.fromisoformat(raw_order["modified"])
        status = OrderStatus(raw_order["status"])
        return Order(
            channel=self.channel,
            shop_id=shop_id,
            channel_order_id=raw_order["id"],
            channel_status=raw_order["status"],
            status=status,
            version=make_version(modified, status),
            buyer_id="buyer" if raw_order["valid"] else "",  # an invalid order fails model validation
            receiver=Receiver(province="浙江省"),
            lines=[OrderLine(line_id="1", merchant_sku="SKU-1", quantity=1, unit_price=100, paid_amount=100)],
            goods_amount=100,
            paid_amount=100,
            created_at=modified,
            updated_at=modified,
            raw_ref=raw_ref,
        )

    def confirm_shipment(self, order: Order, shipment: Shipment) -> None:
        raise NotImplementedError("the polling tests never ship")

    def push_stock(self, shop_id: str, item: StockItem, quantity: int) -> None:
        raise NotImplementedError("the polling tests never push stock")

    def read_stock(self, shop_id: str, item: StockItem) -> int:
        raise NotImplementedError("the polling tests never read stock")
