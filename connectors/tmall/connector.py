"""The Tmall / Taobao connector: TOP increment windows, the TMC queue over HTTP, and offline-send write-back.

TMC is a WebSocket that a Lambda cannot hold, so its HTTP twin is used on the poll schedule:
`taobao.tmc.messages.consume` then `taobao.tmc.messages.confirm`. The queue belongs to the app (one group
for all sellers); each message names its seller in `user_id`, which is the hub's Tmall `shop_id`
[INFERRED: the shop is keyed by the seller's numeric user id]. TMC content carries ids and status only, so
the full trade is always fetched with `taobao.trade.fullinfo.get`.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx

from connectors.sdk.contracts import (
    Credentials,
    OrderSummary,
    PollingConnector,
    PollPage,
    QueuedMessage,
    Shipment,
    StockItem,
)
from connectors.sdk.errors import PlatformRejected
from connectors.tmall.client import ALREADY_SHIPPED_SUB_CODE, TopClient
from connectors.tmall.normalise import normalise_trade
from connectors.tmall.signing import SignMethod
from schemas.order import Order, RawPayloadRef
from schemas.timeutil import from_shanghai_text, utc_now

ORDER_TOPIC_PREFIXES = ("taobao_trade_", "taobao_refund_")
SHIPPED_STATUSES = frozenset({"WAIT_BUYER_CONFIRM_GOODS", "TRADE_BUYER_SIGNED", "TRADE_FINISHED"})
MAX_CONFIRM_IDS = 200


class TmallConnector(PollingConnector):
    channel: ClassVar[str] = "tmall"
    # TOP allows a span of one day per increment call but advises 30 minutes; its index lags writes briefly.
    max_window: ClassVar[timedelta] = timedelta(minutes=30)
    safety_lag: ClassVar[timedelta] = timedelta(minutes=1)
    window_overlap: ClassVar[timedelta] = timedelta(minutes=1)
    page_backwards: ClassVar[bool] = True  # TOP: page from the last page to the first to not miss orders
    supports_messages: ClassVar[bool] = True
    page_size: ClassVar[int] = 50  # TOP: 1–100, 40–50 advised
    tmc_group: ClassVar[str] = "default"
    tmc_quantity: ClassVar[int] = 100  # TOP: 10–200
    sign_method: ClassVar[SignMethod] = "hmac-sha256"
    http_max_attempts: ClassVar[int] = 4
    http_initial_backoff: ClassVar[float] = 0.2
    http_max_jitter: ClassVar[float] = 1.0

    def __init__(
        self,
        credentials: Credentials,
        api_base_url: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(credentials, api_base_url)
        self.client = TopClient(
            self.api_base_url,
            app_key=credentials.app_key,
            app_secret=credentials.app_secret,
            sign_method=self.sign_method,
            clock=clock,
            max_attempts=self.http_max_attempts,
            initial_backoff=self.http_initial_backoff,
            max_jitter=self.http_max_jitter,
            transport=transport,
        )

    # --- polling -------------------------------------------------------------------------------------
    def list_changed(self, shop_id: str, start: datetime, end: datetime, page: int) -> PollPage:
        total, trades = self.client.trades_sold_increment_get(
            session=self.credentials.token_for(shop_id),
            start_modified=start,
            end_modified=end,
            page_no=page,
            page_size=self.page_size,
        )
        summaries = tuple(
            OrderSummary(
                channel_order_id=str(trade.get("tid_str") or trade["tid"]),
                modified_at=_modified(trade),
                status=str(trade["status"]) if trade.get("status") else None,
            )
            for trade in trades
        )
        return PollPage(page_no=page, page_size=self.page_size, summaries=summaries, total_results=total)

    def fetch_order(self, shop_id: str, summary: OrderSummary) -> Mapping[str, Any]:
        return self.client.trade_fullinfo_get(session=self.credentials.token_for(shop_id), tid=summary.channel_order_id)

    def consume_messages(self, shop_id: str) -> Sequence[QueuedMessage]:
        """The app's TMC group, whatever shop is asking: each message names its own shop."""
        raw_messages = self.client.tmc_messages_consume(group_name=self.tmc_group, quantity=self.tmc_quantity)
        return [self._message(raw) for raw in raw_messages]

    def confirm_messages(self, message_ids: Sequence[str]) -> None:
        ids = list(message_ids)
        for start in range(0, len(ids), MAX_CONFIRM_IDS):
            self.client.tmc_messages_confirm(
                group_name=self.tmc_group, message_ids=ids[start : start + MAX_CONFIRM_IDS]
            )

    @staticmethod
    def _message(raw: Mapping[str, Any]) -> QueuedMessage:
        topic = str(raw.get("topic") or "")
        content: Any = raw.get("content")
        if isinstance(content, str):
            try:
                content = json.loads(content)
            except ValueError:
                content = {}
        payload: Mapping[str, Any] = content if isinstance(content, Mapping) else {}
        tid = payload.get("tid")
        about_order = topic.startswith(ORDER_TOPIC_PREFIXES) and tid not in (None, "")
        return QueuedMessage(
            message_id=str(raw.get("id")),
            shop_id=str(raw.get("user_id") or ""),
            topic=topic,
            channel_order_id=str(tid) if about_order else None,
            payload=payload,
        )

    # --- orders --------------------------------------------------------------------------------------
    def normalise(self, raw_order: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
        return normalise_trade(raw_order, shop_id=shop_id, raw_ref=raw_ref)

    def confirm_shipment(self, order: Order, shipment: Shipment) -> None:
        """`taobao.logistics.offline.send`; a repeat is success once the trade is shipped.

        TOP answers a repeat with sub-code B04, which also means "closed", so the trade is re-read: only a
        shipped status counts as success. COD trades cannot use offline send and are refused here.
        """
        if order.is_cod:
            raise PlatformRejected(f"trade {order.channel_order_id} is COD: offline send does not apply")
        session = self.credentials.token_for(order.shop_id)
        all_lines = {line.line_id for line in order.lines}
        partial = bool(shipment.line_ids) and set(shipment.line_ids) != all_lines
        try:
            self.client.logistics_offline_send(
                session=session,
                tid=order.channel_order_id,
                out_sid=shipment.tracking_no,
                company_code=shipment.carrier_code,
                sub_tids=sorted(shipment.line_ids) if partial else (),
            )
        except PlatformRejected as exc:
            if exc.platform_code != ALREADY_SHIPPED_SUB_CODE:
                raise
            trade = self.client.trade_fullinfo_get(
                session=session, tid=order.channel_order_id, fields="tid,status,orders"
            )
            if not _already_shipped(trade, set(shipment.line_ids) if partial else None):
                raise

    def push_stock(self, shop_id: str, item: StockItem, quantity: int) -> None:
        self.client.item_quantity_update(
            session=self.credentials.token_for(shop_id),
            num_iid=_num_iid(item),
            sku_id=item.channel_sku_id,
            quantity=quantity,
        )

    def read_stock(self, shop_id: str, item: StockItem) -> int:
        return self.client.item_sku_quantity(
            session=self.credentials.token_for(shop_id), num_iid=_num_iid(item), sku_id=item.channel_sku_id
        )


def _num_iid(item: StockItem) -> str:
    if not item.channel_product_id:
        raise PlatformRejected(f"TOP needs the item's num_iid to update sku {item.channel_sku_id}")
    return item.channel_product_id


def _modified(trade: Mapping[str, Any]) -> datetime | None:
    try:
        return from_shanghai_text(str(trade["modified"])) if trade.get("modified") else None
    except ValueError:
        return None  # informative only: the full trade is fetched and checked anyway


def _already_shipped(trade: Mapping[str, Any], line_ids: set[str] | None) -> bool:
    """Whether the trade (or, for a split shipment, each of the given sub-orders) is shipped already."""
    if line_ids is None:
        return str(trade.get("status")) in SHIPPED_STATUSES
    orders: Any = trade.get("orders")
    if isinstance(orders, Mapping):
        orders = orders.get("order")
    statuses = {
        str(sub.get("oid_str") or sub.get("oid")): str(sub.get("status"))
        for sub in (orders if isinstance(orders, list) else [])
        if isinstance(sub, Mapping)
    }
    return all(statuses.get(line_id) in SHIPPED_STATUSES for line_id in line_ids)
