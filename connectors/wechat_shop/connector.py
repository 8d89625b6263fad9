"""The WeChat 微信小店 / 视频号小店 connector: encrypted push in, `order/list/get` windows as the safety net.

Push (platforms.md §7.4): one URL for all events. The URL check is a GET with `signature`, `timestamp`, `nonce`,
`echostr`, answered with the echostr as plain text (`handshake`). Events are POSTs in safe mode:
`?signature&timestamp&nonce&openid&encrypt_type=aes&msg_signature` with a JSON body `{ToUserName, Encrypt}`;
`msg_signature` is checked over the raw `Encrypt`, then the message is decrypted and its appid trailer
checked. The reply to an accepted event is the plain text `success`.
Order events (`channels_ec_order_*`) carry `order_info.order_id`; `channels_ec_aftersale_update` carries the
order id in `finder_shop_aftersale_status_update` [INFERRED field name]; other events are acknowledged and
dropped. Either way the order is fetched with `order/get` (plus its after-sale cases).

Polling: `order/list/get` by `update_time_range`. The platform allows 7-day ranges; windows here are 30 minutes
so each one is short and the checkpoint fine-grained. The list has no total and pages only forwards with the
`next_key` cursor, so `page_backwards` is False; the cursor of each page is remembered per window, and after a
restart the runner's saved page number is reached again by following the cursors from page 1.
Why no order is lost paging forwards: `next_key` is a position cursor [INFERRED: an opaque key continuing after
the last id returned, not an offset], so an order that leaves the window while we page (it was modified, so
its update_time is now past the window's end) does not shift the orders behind it; that order itself is read
by the later window that contains its new update_time, and pushes deliver it sooner anyway.

Choices where the reference is silent (the safest side):
- Plain-text (compat) mode is refused: its `signature` covers no body, so any body could be replayed under it.
- Replay window: a push whose `timestamp` is more than 5 minutes from now is stale [INFERRED: WeChat documents
  no window; it retries within seconds, so 5 minutes loses nothing real].
- Shops: `shop_tokens` is keyed by the shop's original id (`gh_…`, the push's `ToUserName`); its value is the
  shop's appid (informational). The access token is the app's client-credential token (`app_key` = appid,
  `app_secret`); `Credentials.extra`: `token` (push Token) and `encoding_aes_key` (43 characters).
- Write-back: `delivery/send` of the shipment's lines (all lines when none are named). WeChat's code for
  "already shipped" is [NOT FOUND]: on any refusal the order is read back, and a shipped order is success.
- Stock: `product/stock/update` with `diff_type` 3 (设置, full overwrite). The doc prefers 1/2 because 3 can race
  with buyers' orders; but 1/2 are not retry-safe (a retried +N doubles) and the read-back detects drift.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

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
from connectors.sdk.errors import (
    ConnectorError,
    MalformedPayload,
    PlatformRejected,
    SignatureInvalid,
    SignatureMissing,
    TimestampStale,
)
from connectors.sdk.http import PlatformHttp
from connectors.wechat_shop import normalise as shop_normalise
from connectors.wechat_shop import signing
from connectors.wechat_shop.access_token import AccessTokenCache, WechatApi
from connectors.wechat_shop.client import WechatShopClient
from hubcore.errors import HubError
from hubcore.observability import logger
from schemas.order import Order, RawPayloadRef
from schemas.timeutil import utc_now

ORDER_EVENTS = frozenset(
    {
        "channels_ec_order_new",
        "channels_ec_order_pay",
        "channels_ec_order_wait_shipping",
        "channels_ec_order_deliver",
        "channels_ec_order_confirm",
        "channels_ec_order_cancel",
        "channels_ec_order_settle",
        "channels_ec_order_ext_info_update",
    }
)
AFTER_SALE_EVENT = "channels_ec_aftersale_update"
SHIPPED_STATUSES = frozenset({30, 100})
SUCCESS_BODY = "success"


class UnknownShop(ConnectorError):
    code = "UNKNOWN_SHOP"
    http_status = 404


@dataclass
class _WindowCursors:
    """The `next_key` of each page of one window, learnt while paging forwards."""

    window: tuple[datetime, datetime]
    keys: dict[int, str | None] = field(default_factory=lambda: {1: None})
    last_page: int | None = None  # known once a page said has_more = false


class WechatShopConnector(WebhookConnector, PollingConnector):
    channel: ClassVar[str] = "wechat_shop"
    max_window: ClassVar[timedelta] = timedelta(minutes=30)
    safety_lag: ClassVar[timedelta] = timedelta(minutes=1)
    window_overlap: ClassVar[timedelta] = timedelta(minutes=1)
    initial_lookback: ClassVar[timedelta] = timedelta(hours=1)
    page_backwards: ClassVar[bool] = False  # a forward-only cursor (see the module docstring)
    replay_window: ClassVar[timedelta] = timedelta(minutes=5)
    page_size: ClassVar[int] = 50

    def __init__(
        self,
        credentials: Credentials,
        api_base_url: str,
        *,
        http: PlatformHttp | None = None,
        page_size: int | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(credentials, api_base_url)
        self._http = http or PlatformHttp(self.api_base_url)
        tokens = AccessTokenCache(self._http, appid=credentials.app_key, secret=credentials.app_secret)
        self.client = WechatShopClient(WechatApi(self._http, tokens))
        self._page_size = page_size or self.page_size
        self._clock = clock
        self._cursors: dict[str, _WindowCursors] = {}

    # --- push ----------------------------------------------------------------------------------------
    def verify(self, request: WebhookRequest) -> None:
        query = request.query
        token = self._secret("token")
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        if request.method == "GET":
            given = query.get("signature", "")
            if not (given and timestamp and nonce):
                raise SignatureMissing("WeChat URL check without signature, timestamp or nonce")
            expected = signing.signature(token, timestamp, nonce)
        else:
            given = query.get("msg_signature", "")
            if not (given and timestamp and nonce):
                raise SignatureMissing("WeChat push without msg_signature, timestamp or nonce (safe mode required)")
            if query.get("encrypt_type") != "aes":
                raise SignatureMissing("WeChat push is not in safe mode (encrypt_type=aes)")
            expected = signing.signature(token, timestamp, nonce, _outer(request.body)["Encrypt"])
            plain_signature = query.get("signature")
            if plain_signature and not signing.signatures_match(
                plain_signature, signing.signature(token, timestamp, nonce)
            ):
                raise SignatureInvalid("WeChat push signature does not match")
        if not signing.signatures_match(given, expected):
            raise SignatureInvalid("WeChat push signature does not match")
        self._check_fresh(timestamp)

    def handshake(self, request: WebhookRequest) -> WebhookReply | None:
        if request.method != "GET":
            return None
        echostr = request.query.get("echostr")
        if not echostr:
            raise MalformedPayload("WeChat URL check without echostr")
        return WebhookReply(status=200, body=echostr, content_type="text/plain")

    def parse_notifications(self, request: WebhookRequest) -> Sequence[Notification]:
        outer = _outer(request.body)
        key = signing.aes_key(self._secret("encoding_aes_key"))
        message = signing.decrypt(outer["Encrypt"], key, self.credentials.app_key)
        try:
            event = json.loads(message)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedPayload("WeChat push message is not JSON") from exc
        if not isinstance(event, dict):
            raise MalformedPayload("WeChat push message is not an object")
        shop_id = str(event.get("ToUserName") or "")
        if shop_id != outer.get("ToUserName", shop_id):
            raise SignatureInvalid("WeChat push: the sealed ToUserName differs from the envelope's")
        if shop_id not in self.credentials.shop_tokens:
            raise UnknownShop(f"WeChat push for shop {shop_id!r}, which is not configured")
        name = str(event.get("Event") or "")
        order_id = _order_id_of(event, name)
        logger.info("wechat_shop push parsed", event=name, kept=order_id is not None)
        if order_id is None:
            return []
        message_id = f"{event.get('FromUserName', '')}:{event.get('CreateTime', '')}:{name}:{order_id}"
        return [Notification(message_id, shop_id, order_id, name, event)]

    def fetch_notified_order(self, notification: Notification) -> Mapping[str, Any]:
        return self.fetch_order(notification.shop_id, OrderSummary(channel_order_id=notification.channel_order_id))

    def success_reply(self) -> WebhookReply:
        return WebhookReply(status=200, body=SUCCESS_BODY, content_type="text/plain")

    def error_reply(self, error: HubError) -> WebhookReply:
        # WeChat retries anything but `success`; the body carries the hub's machine-readable error.
        body = {"error": {"code": error.code, "message": error.message}}
        return WebhookReply(status=error.http_status, body=json.dumps(body, ensure_ascii=False))

    # --- polling -------------------------------------------------------------------------------------
    def list_changed(self, shop_id: str, start: datetime, end: datetime, page: int) -> PollPage:
        self._require_shop(shop_id)
        cursors = self._cursors.get(shop_id)
        if cursors is None or cursors.window != (start, end):
            cursors = self._cursors[shop_id] = _WindowCursors(window=(start, end))
        while page not in cursors.keys:  # resumed mid-window: follow the cursors from the last known page
            known = max(n for n in cursors.keys if n < page)
            if cursors.last_page is not None and known >= cursors.last_page:
                return PollPage(page_no=page, page_size=self._page_size, summaries=(), has_next=False)
            self._read_page(cursors, start, end, known)
        return self._read_page(cursors, start, end, page)

    def count_pages(self, shop_id: str, start: datetime, end: datetime) -> int:
        """0 for an empty window, else 1: the cursor API reports no total, and walking forwards only needs to
        know whether there is a first page (the walk follows `has_more`)."""
        return 1 if self.list_changed(shop_id, start, end, 1).summaries else 0

    def _read_page(self, cursors: _WindowCursors, start: datetime, end: datetime, page: int) -> PollPage:
        ids, next_key, has_more = self.client.list_orders(
            start, end, page_size=self._page_size, next_key=cursors.keys[page]
        )
        if has_more and next_key:
            cursors.keys[page + 1] = next_key
        else:
            cursors.last_page = page
        summaries = tuple(OrderSummary(channel_order_id=order_id) for order_id in ids)
        return PollPage(page_no=page, page_size=self._page_size, summaries=summaries, has_next=has_more)

    def fetch_order(self, shop_id: str, summary: OrderSummary) -> Mapping[str, Any]:
        """`{"order": …, "aftersale_orders": […]}`: order/get plus each after-sale case it lists."""
        self._require_shop(shop_id)
        order = self.client.get_order(summary.channel_order_id)
        detail = order.get("aftersale_detail")
        listed = detail.get("aftersale_order_list") if isinstance(detail, Mapping) else None
        case_ids = [
            str(c["aftersale_order_id"]) for c in listed or [] if isinstance(c, Mapping) and c.get("aftersale_order_id")
        ]
        return {"order": order, "aftersale_orders": [self.client.get_aftersale(case_id) for case_id in case_ids]}

    # --- orders and outbound -------------------------------------------------------------------------
    def normalise(self, raw_order: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
        return shop_normalise.to_order(raw_order, shop_id=shop_id, raw_ref=raw_ref)

    def confirm_shipment(self, order: Order, shipment: Shipment) -> None:
        wanted = set(shipment.line_ids) if shipment.line_ids else {line.line_id for line in order.lines}
        products = [
            {"product_id": line.channel_product_id, "sku_id": line.channel_sku_id, "product_cnt": line.quantity}
            for line in order.lines
            if line.line_id in wanted
        ]
        if not products or any(not p["product_id"] or not p["sku_id"] for p in products):
            raise PlatformRejected(f"order {order.order_key}: shipment names no line with WeChat product ids")
        try:
            self.client.send_delivery(
                order.channel_order_id,
                delivery_id=shipment.carrier_code,
                waybill_id=shipment.tracking_no,
                products=products,
            )
        except PlatformRejected:
            current = self.client.get_order(order.channel_order_id)
            if current.get("status") not in SHIPPED_STATUSES:
                raise
            logger.info("wechat_shop order already shipped; write-back is done", order_key=order.order_key)
            return
        logger.info("wechat_shop shipment written back", order_key=order.order_key, lines=len(products))

    def push_stock(self, shop_id: str, item: StockItem, quantity: int) -> None:
        self._require_shop(shop_id)
        self.client.set_stock(_product_id(item), item.channel_sku_id, quantity)

    def read_stock(self, shop_id: str, item: StockItem) -> int:
        self._require_shop(shop_id)
        return self.client.get_stock(_product_id(item), item.channel_sku_id)

    # --- helpers -------------------------------------------------------------------------------------
    def _secret(self, name: str) -> str:
        value = self.credentials.extra.get(name)
        if not value:
            raise ConnectorError(f"wechat_shop credentials lack extra.{name}")
        return value

    def _check_fresh(self, timestamp: str) -> None:
        try:
            sent = datetime.fromtimestamp(int(timestamp), tz=UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise SignatureInvalid("WeChat push timestamp is not unix seconds") from exc
        if abs(self._clock() - sent) > self.replay_window:
            raise TimestampStale(f"WeChat push timestamp {timestamp} is outside the replay window")

    def _require_shop(self, shop_id: str) -> None:
        if shop_id not in self.credentials.shop_tokens:
            raise UnknownShop(f"shop {shop_id} is not configured for wechat_shop")


def _outer(body: bytes) -> dict[str, str]:
    try:
        outer = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedPayload("WeChat push body is not JSON") from exc
    if not isinstance(outer, dict) or not isinstance(outer.get("Encrypt"), str) or not outer["Encrypt"]:
        raise SignatureMissing("WeChat push body has no Encrypt (safe mode required)")
    return {k: v for k, v in outer.items() if isinstance(v, str)}


def _order_id_of(event: Mapping[str, Any], name: str) -> str | None:
    if name in ORDER_EVENTS:
        source = event.get("order_info")
    elif name == AFTER_SALE_EVENT:
        source = event.get("finder_shop_aftersale_status_update")
    else:
        return None
    order_id = source.get("order_id") if isinstance(source, Mapping) else None
    if isinstance(order_id, int) and not isinstance(order_id, bool):
        return str(order_id)
    if isinstance(order_id, str) and order_id.strip():
        return order_id.strip()
    raise MalformedPayload(f"WeChat {name} push has no order id")


def _product_id(item: StockItem) -> str:
    if not item.channel_product_id:
        raise PlatformRejected(f"WeChat 小店 needs the product id of sku {item.channel_sku_id} to update its stock")
    return item.channel_product_id
