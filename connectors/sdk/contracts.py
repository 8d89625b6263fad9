"""The contracts a connector implements.

A connector is a platform dialect: how to verify and parse what the platform sends, how to call its API,
how to turn its order into the canonical `Order`, and how to write a shipment back. It holds no AWS code;
the SDK's webhook and polling runners wire it to the hub's adapters.
"""

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict

from connectors.sdk.errors import PlatformRejected
from hubcore.errors import HubError
from schemas.order import Order, RawPayloadRef


@dataclass(frozen=True)
class Credentials:
    """An app's keys on one platform, and the seller access token per shop."""

    app_key: str
    app_secret: str
    shop_tokens: Mapping[str, str] = field(default_factory=dict)
    # Anything else a platform needs (e.g. WeChat Pay's platform certificate and its serial, a message
    # decryption key, per-store keys): string values from the same secret's `extra` object.
    extra: Mapping[str, str] = field(default_factory=dict)

    def token_for(self, shop_id: str) -> str:
        try:
            return self.shop_tokens[shop_id]
        except KeyError as exc:
            raise PlatformRejected(f"no access token configured for shop {shop_id}") from exc


@dataclass(frozen=True)
class WebhookRequest:
    headers: Mapping[str, str]  # keys lower-cased
    query: Mapping[str, str]
    body: bytes
    received_at: datetime
    path: str = "/"
    method: str = "POST"


@dataclass(frozen=True)
class WebhookReply:
    status: int
    body: str
    content_type: str = "application/json"


@dataclass(frozen=True)
class Notification:
    """One verified platform message that concerns an order."""

    message_id: str
    shop_id: str
    channel_order_id: str
    topic: str
    payload: Mapping[str, Any]


class Shipment(BaseModel):
    model_config = ConfigDict(frozen=True)

    carrier_code: str
    tracking_no: str
    shipped_at: AwareDatetime
    line_ids: list[str] = []


@dataclass(frozen=True)
class StockItem:
    """One sellable SKU in a channel shop: the brand's SKU code and the platform's ids for it."""

    merchant_sku: str
    channel_sku_id: str
    channel_product_id: str | None = None


class Connector(ABC):
    """Everything a channel supplies, whichever way its orders arrive."""

    channel: ClassVar[str]

    def __init__(self, credentials: Credentials, api_base_url: str) -> None:
        self.credentials = credentials
        self.api_base_url = api_base_url.rstrip("/")

    @abstractmethod
    def normalise(self, raw_order: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
        """Turn the platform's full order into the canonical order. Raises OrderInvalid."""

    @abstractmethod
    def confirm_shipment(self, order: Order, shipment: Shipment) -> None:
        """Write the shipment back to the platform. Idempotent: an already-shipped order is success."""

    @abstractmethod
    def push_stock(self, shop_id: str, item: StockItem, quantity: int) -> None:
        """Set the sellable quantity the platform shows for `item` (a full overwrite, so a retry is harmless)."""

    @abstractmethod
    def read_stock(self, shop_id: str, item: StockItem) -> int:
        """The sellable quantity the platform shows now: read back after a push to detect drift."""


class WebhookConnector(Connector):
    @abstractmethod
    def verify(self, request: WebhookRequest) -> None:
        """Check the signature over the raw bytes before anything else. Raises Signature*/TimestampStale."""

    @abstractmethod
    def parse_notifications(self, request: WebhookRequest) -> Sequence[Notification]:
        """Parse a verified body into order notifications (others are dropped). Raises MalformedPayload."""

    @abstractmethod
    def fetch_notified_order(self, notification: Notification) -> Mapping[str, Any]:
        """The full order a notification is about: fetched from the API, or the notification's own payload
        when the platform pushes the whole order."""

    def handshake(self, request: WebhookRequest) -> WebhookReply | None:
        """Answer a platform's URL-verification call (e.g. WeChat's GET with `echostr`), or None if this
        request is not one. Called after `verify`; nothing is recorded for a handshake."""
        return None

    @abstractmethod
    def success_reply(self) -> WebhookReply:
        """The exact body the platform expects when a delivery was accepted."""

    def error_reply(self, error: HubError) -> WebhookReply:
        """What the caller receives when a delivery is refused or could not be accepted (so it retries).

        The status and machine-readable code come from the error; override to add the platform's own
        failure fields to the body.
        """
        body = {"error": {"code": error.code, "message": error.message}}
        return WebhookReply(status=error.http_status, body=json.dumps(body, ensure_ascii=False))


# --- polling ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderSummary:
    """One entry of a platform's "orders changed in a window" list: enough to fetch the full order."""

    channel_order_id: str
    modified_at: datetime | None = None  # unknown when the summary comes from a queued message
    status: str | None = None


@dataclass(frozen=True)
class PollPage:
    """One page of changed orders, with what the platform says about the window's size."""

    page_no: int
    page_size: int
    summaries: tuple[OrderSummary, ...]
    total_results: int | None = None  # orders in the whole window, when the platform reports it
    has_next: bool | None = None

    @property
    def page_count(self) -> int:
        if self.total_results is not None:
            return -(-self.total_results // self.page_size) if self.total_results > 0 else 0
        if self.has_next:
            raise ValueError("the platform reported has_next without a total: the page count is unknown")
        return self.page_no if self.summaries else self.page_no - 1


@dataclass(frozen=True)
class QueuedMessage:
    """One message taken from a platform's message queue (delivered until it is confirmed)."""

    message_id: str
    shop_id: str  # the shop the message belongs to (an app-wide queue holds messages of every shop)
    topic: str
    channel_order_id: str | None  # None: the message is not about an order; it is confirmed and dropped
    payload: Mapping[str, Any] = field(default_factory=dict)


class PollingConnector(Connector):
    """A channel whose orders are pulled: changed-order lists by modified time, plus an optional queue.

    The runner (`connectors.sdk.polling`) owns the windows, the paging order, the checkpoints and the
    ingestion; a connector only answers the platform-specific questions below.
    """

    max_window: ClassVar[timedelta] = timedelta(minutes=30)  # the longest window one list call may span
    safety_lag: ClassVar[timedelta] = timedelta(minutes=1)  # windows end this long before now
    window_overlap: ClassVar[timedelta] = timedelta(minutes=1)  # each window re-reads this much of the last
    initial_lookback: ClassVar[timedelta] = timedelta(hours=1)  # where a shop's first poll starts
    page_backwards: ClassVar[bool] = True  # walk pages from the last to the first
    supports_messages: ClassVar[bool] = False

    @abstractmethod
    def list_changed(self, shop_id: str, start: datetime, end: datetime, page: int) -> PollPage:
        """One page (1-based) of the orders modified in [start, end]."""

    def count_pages(self, shop_id: str, start: datetime, end: datetime) -> int:
        """How many pages the window [start, end] has now (0 when nothing changed)."""
        return self.list_changed(shop_id, start, end, 1).page_count

    @abstractmethod
    def fetch_order(self, shop_id: str, summary: OrderSummary) -> Mapping[str, Any]:
        """The platform's full order for a summary (what `normalise` accepts)."""

    def consume_messages(self, shop_id: str) -> Sequence[QueuedMessage]:
        """Take the next batch of unconfirmed messages (empty when the channel has no queue)."""
        return ()

    def confirm_messages(self, message_ids: Sequence[str]) -> None:
        """Tell the queue these messages are handled; unconfirmed ones are delivered again."""
        return None
