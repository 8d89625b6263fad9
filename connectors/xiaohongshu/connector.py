"""The Xiaohongshu 小红书 connector: signed pushes (应用消息推送) plus `order.getOrderList` windows as the net.

Inbound (platforms.md §6.2, §6.3):
- Push: a JSON array of `{msgTag, sellerId, data}` (`data` a JSON string carrying `orderId`, `updateTime`
  ms). Order (`msg_fulfillment_*`) and after-sale (`msg_after_sale_*`) messages lead to one
  `order.getOrderDetail` per order; item messages are acknowledged and dropped. `sellerId` ("商家店铺Id") is
  the hub's shop id, the key of the shop's access token.
- Signature: headers `app-key`, `timestamp`, `sign` over the signed URL path + sorted query and header
  parameters (see signing.py). The signed path is the path the platform was configured to call:
  `Credentials.extra["push_path"]` when set (e.g. an API Gateway stage prefix the Lambda never sees),
  else the request's path.
- Replay window [INFERRED]: the push carries a timestamp, so a delivery older (or newer) than 15 minutes is
  refused as stale. The doc's only retry comes 5 minutes after a failure, so a genuine retry stays inside;
  the unit (seconds in the doc's example) is read as milliseconds when it has 13 digits.
- URL check: the console POSTs `{"test":true}` and wants HTTP 200; whether it is signed is [NOT FOUND]. That
  exact body alone is accepted without a signature and answered with the success reply; it writes nothing.
- Reply: exactly `{"success":true,"error_code":0,"error_msg":""}`; a refusal keeps the error's HTTP status and
  adds the platform's failure fields (`success:false`), so the platform retries once.
- Poll: `order.getOrderList` with timeType=2 (update time), windows ≤ 30 minutes, walked from the last page
  to the first as the doc advises; times sent as unix seconds (start and end floored, so a window never
  exceeds 30 minutes; the next window's overlap re-reads the cut second).

Outbound (§6.5): `order.orderDeliver` (split shipments via `unpack` + `skuIdList`; a refused repeat is success
when getOrderDetail shows the order shipped — the "already shipped" error code is [NOT FOUND]);
`inventory.syncSkuStock` (qty = total stock, a full overwrite) read back with `inventory.getSkuStock`
(`skuStock.total`). Carrier codes are Xiaohongshu's own (`shunfeng`, `selfdelivery`, …).
"""

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx

from connectors.sdk.contracts import (
    Credentials,
    Notification,
    OrderSummary,
    PollingConnector,
    PollPage,
    Shipment,
    StockItem,
    WebhookConnector,
    WebhookReply,
    WebhookRequest,
)
from connectors.sdk.errors import MalformedPayload, PlatformRejected
from connectors.xiaohongshu import normalise as xhs_normalise
from connectors.xiaohongshu.client import XiaohongshuClient
from connectors.xiaohongshu.signing import verify_push
from connectors.xiaohongshu.statuses import SHIPPED_CODES, status_code
from hubcore.errors import HubError
from hubcore.observability import logger
from schemas.order import Order, RawPayloadRef
from schemas.timeutil import from_unix_millis

SUCCESS_BODY = '{"success":true,"error_code":0,"error_msg":""}'
ORDER_TAG_PREFIXES = ("msg_fulfillment_", "msg_after_sale_")
TEST_PROBE = {"test": True}
PUSH_PATH_EXTRA = "push_path"
REPLAY_WINDOW = timedelta(minutes=15)


class XiaohongshuConnector(WebhookConnector, PollingConnector):
    channel: ClassVar[str] = "xiaohongshu"
    max_window: ClassVar[timedelta] = timedelta(minutes=30)  # timeType=2: end − start ≤ 30 min
    safety_lag: ClassVar[timedelta] = timedelta(minutes=1)
    window_overlap: ClassVar[timedelta] = timedelta(minutes=1)
    page_backwards: ClassVar[bool] = True  # the doc: page from the last page to the first
    page_size: ClassVar[int] = 50  # default 50, max 100
    replay_window: ClassVar[timedelta] = REPLAY_WINDOW
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
        self.client = XiaohongshuClient(
            self.api_base_url,
            app_id=credentials.app_key,
            app_secret=credentials.app_secret,
            max_attempts=self.http_max_attempts,
            initial_backoff=self.http_initial_backoff,
            max_jitter=self.http_max_jitter,
            transport=transport,
            **options,
        )

    # --- push ----------------------------------------------------------------------------------------
    def verify(self, request: WebhookRequest) -> None:
        if _is_test_probe(request.body) and not request.headers.get("sign"):
            return  # the console's URL check: answered by `handshake`, records nothing
        verify_push(
            request.headers,
            request.query,
            path=self.credentials.extra.get(PUSH_PATH_EXTRA) or request.path,
            app_key=self.credentials.app_key,
            app_secret=self.credentials.app_secret,
            received_at=request.received_at,
            replay_window=self.replay_window,
        )

    def handshake(self, request: WebhookRequest) -> WebhookReply | None:
        return self.success_reply() if _is_test_probe(request.body) else None

    def parse_notifications(self, request: WebhookRequest) -> Sequence[Notification]:
        notifications = parse_delivery(request.body)
        logger.info("xiaohongshu push parsed", kept=len(notifications), tags=sorted({n.topic for n in notifications}))
        return notifications

    def fetch_notified_order(self, notification: Notification) -> Mapping[str, Any]:
        return self.client.order_detail(
            access_token=self.credentials.token_for(notification.shop_id), order_id=notification.channel_order_id
        )

    def success_reply(self) -> WebhookReply:
        return WebhookReply(status=200, body=SUCCESS_BODY)

    def error_reply(self, error: HubError) -> WebhookReply:
        body = {
            "success": False,
            "error_code": error.http_status,
            "error_msg": error.code,
            "error": {"code": error.code, "message": error.message},
        }
        return WebhookReply(status=error.http_status, body=json.dumps(body, ensure_ascii=False))

    # --- polling -------------------------------------------------------------------------------------
    def list_changed(self, shop_id: str, start: datetime, end: datetime, page: int) -> PollPage:
        listed = self.client.order_list(
            access_token=self.credentials.token_for(shop_id),
            start_seconds=int(start.timestamp()),
            end_seconds=int(end.timestamp()),
            page_no=page,
            page_size=self.page_size,
        )
        summaries = tuple(_summary(order) for order in listed.orders if order.get("orderId"))
        return PollPage(page_no=page, page_size=self.page_size, summaries=summaries, total_results=listed.total)

    def fetch_order(self, shop_id: str, summary: OrderSummary) -> Mapping[str, Any]:
        return self.client.order_detail(
            access_token=self.credentials.token_for(shop_id), order_id=summary.channel_order_id
        )

    # --- orders and outbound -------------------------------------------------------------------------
    def normalise(self, raw_order: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
        return xhs_normalise.to_order(raw_order, shop_id=shop_id, raw_ref=raw_ref)

    def confirm_shipment(self, order: Order, shipment: Shipment) -> None:
        """`order.orderDeliver` for the whole order, or only the shipment's SKUs (拆包) when it names some.

        Line ids are SKU ids (or `sku/child` for combo parts: the combo's SKU is what ships)."""
        token = self.credentials.token_for(order.shop_id)
        all_skus = {line.line_id.partition("/")[0] for line in order.lines}
        wanted = {line_id.partition("/")[0] for line_id in shipment.line_ids}
        sku_ids = sorted(wanted) if wanted and wanted != all_skus else []
        try:
            self.client.order_deliver(
                access_token=token,
                order_id=order.channel_order_id,
                express_no=shipment.tracking_no,
                express_company_code=shipment.carrier_code,
                delivering_time_ms=int(shipment.shipped_at.timestamp() * 1000),
                sku_ids=sku_ids,
            )
        except PlatformRejected:
            detail = self.client.order_detail(access_token=token, order_id=order.channel_order_id)
            if status_code(detail.get("orderStatus"), "orderStatus") not in SHIPPED_CODES:
                raise
            logger.info("xiaohongshu order already shipped; write-back is a repeat", order_key=order.order_key)
            return
        logger.info("xiaohongshu shipment written back", order_key=order.order_key, split=bool(sku_ids))

    def push_stock(self, shop_id: str, item: StockItem, quantity: int) -> None:
        self.client.sync_sku_stock(
            access_token=self.credentials.token_for(shop_id), sku_id=item.channel_sku_id, quantity=quantity
        )

    def read_stock(self, shop_id: str, item: StockItem) -> int:
        return self.client.sku_stock_total(access_token=self.credentials.token_for(shop_id), sku_id=item.channel_sku_id)


def _summary(order: Mapping[str, Any]) -> OrderSummary:
    updated = order.get("updateTime")
    modified = from_unix_millis(updated) if isinstance(updated, int) and not isinstance(updated, bool) else None
    status = order.get("orderStatus")
    return OrderSummary(
        channel_order_id=str(order["orderId"]), modified_at=modified, status=None if status is None else str(status)
    )


def _is_test_probe(body: bytes) -> bool:
    try:
        return bool(json.loads(body) == TEST_PROBE)
    except (ValueError, UnicodeDecodeError):
        return False


def parse_delivery(body: bytes) -> list[Notification]:
    """The order notifications of one push body, one per (shop, order). Raises MalformedPayload."""
    try:
        items = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedPayload("Xiaohongshu push body is not JSON") from exc
    if not isinstance(items, list):
        raise MalformedPayload("Xiaohongshu push body is not a JSON array")
    notifications: dict[tuple[str, str], Notification] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise MalformedPayload(f"Xiaohongshu push message {index} is not an object")
        tag, seller = item.get("msgTag"), item.get("sellerId")
        if not isinstance(tag, str) or not tag or not isinstance(seller, str | int) or isinstance(seller, bool):
            raise MalformedPayload(f"Xiaohongshu push message {index} has no msgTag or sellerId")
        if not tag.startswith(ORDER_TAG_PREFIXES):
            continue
        data = _message_data(item.get("data"), index)
        order_id = data.get("orderId")
        shop_id = str(seller).strip()
        if not isinstance(order_id, str) or not order_id.strip() or ":" in order_id or not shop_id or ":" in shop_id:
            raise MalformedPayload(f"Xiaohongshu push message {index} ({tag}) has no usable orderId or sellerId")
        message_id = f"{tag}:{order_id}:{data.get('updateTime', '')}"
        # Several messages about one order need one fetch: the API returns its current state anyway.
        notifications.setdefault(
            (shop_id, order_id),
            Notification(message_id=message_id, shop_id=shop_id, channel_order_id=order_id, topic=tag, payload=data),
        )
    return list(notifications.values())


def _message_data(raw: object, index: int) -> dict[str, Any]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise MalformedPayload(f"Xiaohongshu push message {index} data is not JSON") from exc
    if not isinstance(raw, dict):
        raise MalformedPayload(f"Xiaohongshu push message {index} data is not an object")
    return raw
