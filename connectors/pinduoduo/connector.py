"""The Pinduoduo 拼多多 connector: polling only.

PDD's push is its message service, a WebSocket (`wss://message-api.pinduoduo.com`, platforms.md §9.2) that a
Lambda cannot hold open, so this connector polls: `pdd.order.number.list.increment.get` over every order and
refund status, windows of at most 30 minutes by `updated_at`, walked from the last page to the first (PDD's
advice: orders updated while paging move to page 1), then `pdd.order.information.get` for each order.
Window bounds are sent as unix seconds, both floored, so a window never exceeds 30 minutes; the next window's
overlap re-reads the cut second.

Outbound (§9.5): `pdd.logistics.online.send` (`logistics_id` is PDD's numeric carrier id: a numeric
`carrier_code` is used as is, otherwise `Credentials.extra["logistics_id:<carrier_code>"]`; a refused repeat
is success when the order already shows 已发货/已签收 — PDD's "already shipped" error code is [NOT FOUND]);
`pdd.goods.quantity.update` with `update_type` 1 (全量, a full overwrite) and the figure read back with
`pdd.goods.detail.get` → `sku_list[].quantity` [INFERRED: the reference names no read call].
Inferred facts are listed in normalise.py and statuses.py (time format, companion status fields, ciphertext
shape, no buyer id).
"""

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx

from connectors.pinduoduo import normalise as pdd_normalise
from connectors.pinduoduo.client import PinduoduoClient
from connectors.pinduoduo.statuses import SHIPPED_CODES, code
from connectors.sdk.contracts import (
    Credentials,
    OrderSummary,
    PollingConnector,
    PollPage,
    Shipment,
    StockItem,
)
from connectors.sdk.errors import PlatformRejected
from hubcore.observability import logger
from schemas.order import Order, RawPayloadRef

LOGISTICS_EXTRA_PREFIX = "logistics_id:"


class PartialShipmentUnsupported(PlatformRejected):
    code = "PARTIAL_SHIPMENT_UNSUPPORTED"
    http_status = 409


class PinduoduoConnector(PollingConnector):
    channel: ClassVar[str] = "pinduoduo"
    max_window: ClassVar[timedelta] = timedelta(minutes=30)  # increment.get: span ≤ 30 min
    safety_lag: ClassVar[timedelta] = timedelta(minutes=1)
    window_overlap: ClassVar[timedelta] = timedelta(minutes=1)
    page_backwards: ClassVar[bool] = True
    supports_messages: ClassVar[bool] = False  # the message service is a WebSocket
    page_size: ClassVar[int] = 50  # ≤ 100
    http_max_attempts: ClassVar[int] = 4
    http_initial_backoff: ClassVar[float] = 0.2
    http_max_jitter: ClassVar[float] = 1.0

    def __init__(
        self,
        credentials: Credentials,
        api_base_url: str,
        *,
        clock: Callable[[], float] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(credentials, api_base_url)
        options: dict[str, Any] = {"clock": clock} if clock is not None else {}
        self.client = PinduoduoClient(
            self.api_base_url,
            client_id=credentials.app_key,
            client_secret=credentials.app_secret,
            max_attempts=self.http_max_attempts,
            initial_backoff=self.http_initial_backoff,
            max_jitter=self.http_max_jitter,
            transport=transport,
            **options,
        )

    # --- polling -------------------------------------------------------------------------------------
    def list_changed(self, shop_id: str, start: datetime, end: datetime, page: int) -> PollPage:
        total, orders = self.client.increment_orders(
            access_token=self.credentials.token_for(shop_id),
            start_seconds=int(start.timestamp()),
            end_seconds=int(end.timestamp()),
            page=page,
            page_size=self.page_size,
        )
        summaries = tuple(
            OrderSummary(channel_order_id=str(order["order_sn"]), status=str(order.get("order_status")))
            for order in orders
            if order.get("order_sn")
        )
        return PollPage(page_no=page, page_size=self.page_size, summaries=summaries, total_results=total)

    def fetch_order(self, shop_id: str, summary: OrderSummary) -> Mapping[str, Any]:
        return self.client.order_information(
            access_token=self.credentials.token_for(shop_id), order_sn=summary.channel_order_id
        )

    # --- orders and outbound -------------------------------------------------------------------------
    def normalise(self, raw_order: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
        return pdd_normalise.to_order(raw_order, shop_id=shop_id, raw_ref=raw_ref)

    def confirm_shipment(self, order: Order, shipment: Shipment) -> None:
        """Ship the whole order (online.send has no split); a shipment naming only some lines is refused."""
        line_ids = {line.line_id for line in order.lines}
        if shipment.line_ids and not line_ids <= set(shipment.line_ids):
            raise PartialShipmentUnsupported(f"order {order.order_key}: PDD online send ships whole orders only")
        token = self.credentials.token_for(order.shop_id)
        try:
            self.client.logistics_online_send(
                access_token=token,
                order_sn=order.channel_order_id,
                logistics_id=self.logistics_id(shipment.carrier_code),
                tracking_number=shipment.tracking_no,
            )
        except PlatformRejected:
            info = self.client.order_information(access_token=token, order_sn=order.channel_order_id)
            if code(info.get("order_status"), "order_status") not in SHIPPED_CODES:
                raise
            logger.info("pinduoduo order already shipped; write-back is a repeat", order_key=order.order_key)
            return
        logger.info("pinduoduo shipment written back", order_key=order.order_key)

    def logistics_id(self, carrier_code: str) -> str:
        if carrier_code.isdigit():
            return carrier_code
        mapped = self.credentials.extra.get(f"{LOGISTICS_EXTRA_PREFIX}{carrier_code}")
        if not mapped:
            raise PlatformRejected(f"no PDD logistics_id configured for carrier {carrier_code}")
        return mapped

    def push_stock(self, shop_id: str, item: StockItem, quantity: int) -> None:
        self.client.goods_quantity_update(
            access_token=self.credentials.token_for(shop_id),
            goods_id=_goods_id(item),
            sku_id=item.channel_sku_id,
            quantity=quantity,
        )

    def read_stock(self, shop_id: str, item: StockItem) -> int:
        return self.client.sku_quantity(
            access_token=self.credentials.token_for(shop_id), goods_id=_goods_id(item), sku_id=item.channel_sku_id
        )


def _goods_id(item: StockItem) -> str:
    if not item.channel_product_id:
        raise PlatformRejected(f"PDD needs the goods id of sku {item.channel_sku_id} to update its stock")
    return item.channel_product_id
