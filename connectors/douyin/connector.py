"""The Douyin 抖店 webhook connector: verify and parse pushes, fetch with orderDetail, write back with logisticsAdd.

Push body (platforms.md §4.3): a JSON array of `{tag, msg_id, data}` with `data` a JSON string. Order tags
100–113 carry the shop order id as `p_id`; after-sale tags 200–209 carry it as `p_id` too (with `s_id` the
sku order), so both lead to one orderDetail of the shop order. Other tags (product changes, the URL-check push
with tag "0" [NOT FOUND: verified format]) are acknowledged and dropped.

The SDK verifies, then parses, then archives: a forged or malformed delivery is refused with nothing written.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import httpx

from connectors.douyin import normalise as douyin_normalise
from connectors.douyin.client import DouyinClient
from connectors.douyin.signing import verify_push
from connectors.sdk.contracts import (
    Credentials,
    Notification,
    Shipment,
    StockItem,
    WebhookConnector,
    WebhookReply,
    WebhookRequest,
)
from connectors.sdk.errors import ConnectorError, MalformedPayload, PlatformRejected
from connectors.sdk.http import PlatformHttp
from hubcore.errors import HubError
from hubcore.observability import logger
from schemas.order import Order, RawPayloadRef

ORDER_TAGS = frozenset({"100", "101", "102", "103", "105", "106", "109", "110", "113"})
AFTER_SALE_TAGS = frozenset(str(tag) for tag in range(200, 210))
KEPT_TAGS = ORDER_TAGS | AFTER_SALE_TAGS

SUCCESS_BODY = '{"code":0,"msg":"success"}'


class PartialShipmentUnsupported(ConnectorError):
    code = "PARTIAL_SHIPMENT_UNSUPPORTED"
    http_status = 409


class DouyinConnector(WebhookConnector):
    channel: ClassVar[str] = "douyin"
    # Retry policy of platform calls; tests lower these to keep backoff short.
    http_max_attempts: ClassVar[int] = 4
    http_initial_backoff: ClassVar[float] = 0.2

    def __init__(
        self,
        credentials: Credentials,
        api_base_url: str,
        *,
        http: PlatformHttp | None = None,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int | None = None,
        initial_backoff: float | None = None,
    ) -> None:
        super().__init__(credentials, api_base_url)
        self._http = http or PlatformHttp(
            self.api_base_url,
            max_attempts=max_attempts or self.http_max_attempts,
            initial_backoff=initial_backoff if initial_backoff is not None else self.http_initial_backoff,
            transport=transport,
        )
        self.client = DouyinClient(app_key=credentials.app_key, app_secret=credentials.app_secret, http=self._http)

    # --- inbound -------------------------------------------------------------------------------------
    def verify(self, request: WebhookRequest) -> None:
        verify_push(
            request.headers,
            request.body,
            app_key=self.credentials.app_key,
            app_secret=self.credentials.app_secret,
        )

    def parse_notifications(self, request: WebhookRequest) -> Sequence[Notification]:
        notifications = parse_delivery(request.body)
        logger.info(
            "douyin push parsed",
            kept=len(notifications),
            tags=sorted({n.topic for n in notifications}),
        )
        return notifications

    def fetch_notified_order(self, notification: Notification) -> Mapping[str, Any]:
        token = self.credentials.token_for(notification.shop_id)
        logger.debug("douyin orderDetail", shop_id=notification.shop_id, order_id=notification.channel_order_id)
        return self.client.order_detail(notification.channel_order_id, token)

    def normalise(self, raw_order: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
        return douyin_normalise.to_order(raw_order, shop_id=shop_id, raw_ref=raw_ref)

    def success_reply(self) -> WebhookReply:
        return WebhookReply(status=200, body=SUCCESS_BODY)

    def error_reply(self, error: HubError) -> WebhookReply:
        # Douyin's own failure fields, plus the hub's machine-readable error; the HTTP status stays the error's.
        body = {"code": 1, "msg": "fail", "error": {"code": error.code, "message": error.message}}
        return WebhookReply(status=error.http_status, body=json.dumps(body, ensure_ascii=False))

    # --- outbound ------------------------------------------------------------------------------------
    def confirm_shipment(self, order: Order, shipment: Shipment) -> None:
        """logisticsAdd for the whole order; `carrier_code` must be a Douyin company code.

        logisticsAdd ships every line of the order, so a shipment naming only some lines is refused rather than
        marking unshipped lines as shipped on the platform (multi-pack APIs are not wired).
        """
        line_ids = {line.line_id for line in order.lines}
        if shipment.line_ids and not line_ids.issubset(shipment.line_ids):
            raise PartialShipmentUnsupported(f"order {order.order_key}: partial shipment write-back is not supported")
        token = self.credentials.token_for(order.shop_id)
        shipped_now = self.client.logistics_add(
            order.channel_order_id, shipment.carrier_code, shipment.tracking_no, token
        )
        logger.info("douyin shipment written back", order_key=order.order_key, already_shipped=not shipped_now)

    def push_stock(self, shop_id: str, item: StockItem, quantity: int) -> None:
        self.client.sync_stock(_product_id(item), item.channel_sku_id, quantity, self.credentials.token_for(shop_id))

    def read_stock(self, shop_id: str, item: StockItem) -> int:
        return self.client.sku_stock(_product_id(item), item.channel_sku_id, self.credentials.token_for(shop_id))


def _product_id(item: StockItem) -> str:
    if not item.channel_product_id:
        raise PlatformRejected(f"Douyin needs the product id of sku {item.channel_sku_id} to update its stock")
    return item.channel_product_id


def parse_delivery(body: bytes) -> list[Notification]:
    """The order notifications of one push body, one per shop order. Raises MalformedPayload."""
    try:
        items = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedPayload("Douyin push body is not JSON") from exc
    if not isinstance(items, list):
        raise MalformedPayload("Douyin push body is not a JSON array")
    notifications: dict[tuple[str, str], Notification] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise MalformedPayload(f"Douyin push message {index} is not an object")
        tag = _scalar_text(item.get("tag"))
        msg_id = _scalar_text(item.get("msg_id"))
        if tag is None or msg_id is None:
            raise MalformedPayload(f"Douyin push message {index} has no tag or msg_id")
        if tag not in KEPT_TAGS:
            continue
        data = _message_data(item.get("data"), index)
        order_id = _scalar_text(data.get("p_id"))
        shop_id = _scalar_text(data.get("shop_id"))
        if order_id is None or shop_id is None:
            raise MalformedPayload(f"Douyin push message {index} (tag {tag}) has no p_id or shop_id")
        # Several messages about one order need one fetch: the platform returns its current state anyway.
        notifications.setdefault(
            (shop_id, order_id),
            Notification(message_id=msg_id, shop_id=shop_id, channel_order_id=order_id, topic=tag, payload=data),
        )
    return list(notifications.values())


def _message_data(raw: object, index: int) -> dict[str, Any]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise MalformedPayload(f"Douyin push message {index} data is not JSON") from exc
    if not isinstance(raw, dict):
        raise MalformedPayload(f"Douyin push message {index} data is not an object")
    return raw


def _scalar_text(value: object) -> str | None:
    """An id or tag as text: Douyin sends some as JSON numbers, some as strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip() and ":" not in value:
        return value.strip()
    return None
