"""The WeChat Pay APIv3 connector for the brand's mini-program orders (platforms.md §8).

In: WeChat Pay POSTs a notification (`TRANSACTION.SUCCESS`, `REFUND.SUCCESS` / `REFUND.ABNORMAL` /
`REFUND.CLOSED` [INFERRED names]) signed SHA256withRSA over `timestamp\\nnonce\\nbody\\n`; the serial must be the
configured platform certificate's (or 微信支付公钥's id), the timestamp within 5 minutes, and `resource` decrypts
with the APIv3 key (AES-256-GCM). The transaction has the payment facts only — `out_trade_no`,
`transaction_id`, `amount`, `payer.openid`, `trade_state` — so `fetch_notified_order` adds the brand's order
(lines, receiver, freight, notes) from the mini-program's own order service (the brand's contract, see
`client`), sealing the plaintext receiver at once so neither the archive nor the Order holds plaintext.
Replies: 204 with no body on success; a refusal is 4XX/5XX with `{"code":"FAIL","message":…}` plus the hub's
machine-readable `error` (WeChat Pay retries 15 s … 1 h on anything else than 2XX).

Out: shipments go to WeChat's mini-program 发货信息管理 `upload_shipping_info` [INFERRED: not in the reference]
rather than to the brand's backend, because WeChat holds the buyer's funds until shipping info is uploaded and
the hub is where the tracking number is known; a repeat is success once `get_order` reports 已发货 or later.
Stock goes to the brand's order service (full overwrite, read back).

`Credentials`: `app_key`/`app_secret` = the mini-program's appid/appsecret (its access token for the shipping
API); `shop_tokens` = {mini-program appid: brand order-service bearer token}; `extra`: `platform_public_key`
(platform certificate or public-key PEM), `platform_serial`, `apiv3_key` (32 characters), `pii_key` (32 bytes,
base64), `mchid`, `order_service_url` (the brand's order service base URL).
Other inferred choices: notifications other than TRANSACTION.* / REFUND.* are acknowledged and dropped;
a refund notification carries no appid, so its shop is the one configured shop (or the first whose order
service knows the out_trade_no); a notification for another mchid or an unconfigured appid is refused (422).
"""

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from connectors.sdk.contracts import (
    Credentials,
    Notification,
    Shipment,
    StockItem,
    WebhookConnector,
    WebhookReply,
    WebhookRequest,
)
from connectors.sdk.errors import ConnectorError, MalformedPayload, OrderInvalid, PlatformRejected
from connectors.sdk.http import PlatformHttp
from connectors.wechat_pay import normalise as pay_normalise
from connectors.wechat_pay import pii, signing
from connectors.wechat_pay.client import SHIPPED_STATES, BrandOrderService, MiniProgramShipping
from connectors.wechat_shop.access_token import AccessTokenCache, WechatApi
from hubcore.errors import HubError
from hubcore.observability import logger
from schemas.order import FulfilmentMode, Order, RawPayloadRef
from schemas.timeutil import SHANGHAI, utc_now

KEPT_EVENT_PREFIXES = ("TRANSACTION.", "REFUND.")
EXTRA_KEYS = ("platform_public_key", "platform_serial", "apiv3_key", "pii_key", "mchid", "order_service_url")
LOGISTICS_EXPRESS, LOGISTICS_PICKUP = 1, 4
UNIFIED_DELIVERY, SPLIT_DELIVERY = 1, 2


class NotOurs(ConnectorError):
    """Authentic, but for a merchant or mini-program this hub is not configured for."""

    code = "NOT_CONFIGURED_FOR_PAYEE"
    http_status = 422


class WechatPayConnector(WebhookConnector):
    channel: ClassVar[str] = "wechat_pay"

    def __init__(
        self,
        credentials: Credentials,
        api_base_url: str,
        *,
        http: PlatformHttp | None = None,
        brand_http: PlatformHttp | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(credentials, api_base_url)
        missing = [key for key in EXTRA_KEYS if not credentials.extra.get(key)]
        if missing:
            raise ConnectorError(f"wechat_pay credentials lack extra.{', extra.'.join(missing)}")
        extra = credentials.extra
        self._apiv3_key = extra["apiv3_key"].encode("utf-8")
        self._pii_key = pii.pii_key(extra["pii_key"])
        self._mchid = extra["mchid"]
        self._clock = clock
        wechat_http = http or PlatformHttp(self.api_base_url)
        tokens = AccessTokenCache(wechat_http, appid=credentials.app_key, secret=credentials.app_secret)
        self.shipping = MiniProgramShipping(WechatApi(wechat_http, tokens))
        self.orders = BrandOrderService(brand_http or PlatformHttp(extra["order_service_url"].rstrip("/")))

    # --- inbound -------------------------------------------------------------------------------------
    def verify(self, request: WebhookRequest) -> None:
        signing.verify_notification(
            request.headers,
            request.body,
            public_key_pem=self.credentials.extra["platform_public_key"],
            serial=self.credentials.extra["platform_serial"],
            now=self._clock(),
        )

    def parse_notifications(self, request: WebhookRequest) -> Sequence[Notification]:
        try:
            envelope = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedPayload("WeChat Pay notification is not JSON") from exc
        if not isinstance(envelope, dict) or not isinstance(envelope.get("resource"), dict):
            raise MalformedPayload("WeChat Pay notification has no resource object")
        event_type = str(envelope.get("event_type") or "")
        if not event_type.startswith(KEPT_EVENT_PREFIXES):
            logger.info("wechat_pay notification dropped", event_type=event_type)
            return []
        try:
            resource = json.loads(signing.open_resource(envelope["resource"], self._apiv3_key))
        except ValueError as exc:
            raise MalformedPayload("WeChat Pay resource is not JSON") from exc
        if not isinstance(resource, dict):
            raise MalformedPayload("WeChat Pay resource is not an object")
        order_id = resource.get("out_trade_no")
        if not isinstance(order_id, str) or not order_id:
            raise MalformedPayload(f"WeChat Pay {event_type} resource has no out_trade_no")
        if resource.get("mchid") != self._mchid:
            raise NotOurs(f"WeChat Pay {event_type} is for another merchant")
        shop_id = self._shop_of(resource, order_id)
        kind = "refund" if event_type.startswith("REFUND.") else "transaction"
        payload = {"notification": _header(envelope), kind: resource}
        logger.info("wechat_pay notification parsed", event_type=event_type, kind=kind)
        return [Notification(str(envelope.get("id") or ""), shop_id, order_id, event_type, payload)]

    def fetch_notified_order(self, notification: Notification) -> Mapping[str, Any]:
        order = self.orders.order(notification.channel_order_id, self.credentials.token_for(notification.shop_id))
        receiver = order.get("receiver")
        if isinstance(receiver, Mapping) and not pii.is_sealed(receiver):
            order = {**order, "receiver": pii.seal_receiver(receiver, self._pii_key)}
        return {**notification.payload, "order": order}

    def success_reply(self) -> WebhookReply:
        return WebhookReply(status=204, body="", content_type="text/plain")

    def error_reply(self, error: HubError) -> WebhookReply:
        body = {"code": "FAIL", "message": error.message, "error": {"code": error.code, "message": error.message}}
        status = error.http_status if error.http_status >= 400 else 500
        return WebhookReply(status=status, body=json.dumps(body, ensure_ascii=False))

    def normalise(self, raw_order: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
        return pay_normalise.to_order(raw_order, shop_id=shop_id, raw_ref=raw_ref, pii_key=self._pii_key)

    # --- outbound ------------------------------------------------------------------------------------
    def confirm_shipment(self, order: Order, shipment: Shipment) -> None:
        all_lines = {line.line_id for line in order.lines}
        partial = bool(shipment.line_ids) and set(shipment.line_ids) != all_lines
        shipped = [line for line in order.lines if not partial or line.line_id in shipment.line_ids]
        item_desc = "、".join(f"{line.title or line.merchant_sku}×{line.quantity}" for line in shipped)[:120]
        pickup = order.fulfilment_mode is FulfilmentMode.PICKUP
        entry: dict[str, Any] = {"item_desc": item_desc}
        if not pickup:
            entry |= {"tracking_no": shipment.tracking_no, "express_company": shipment.carrier_code}
            if order.receiver.phone_masked:  # required for SF Express: the masked form is what WeChat asks for
                entry["contact"] = {"receiver_contact": order.receiver.phone_masked}
        body: dict[str, Any] = {
            "order_key": {"order_number_type": 1, "mchid": self._mchid, "out_trade_no": order.channel_order_id},
            "logistics_type": LOGISTICS_PICKUP if pickup else LOGISTICS_EXPRESS,
            "delivery_mode": SPLIT_DELIVERY if partial else UNIFIED_DELIVERY,
            "shipping_list": [entry],
            "upload_time": shipment.shipped_at.astimezone(SHANGHAI).isoformat(timespec="seconds"),
            "payer": {"openid": order.buyer_id},
        }
        if partial:
            body["is_all_delivered"] = False
        try:
            self.shipping.upload(body)
        except PlatformRejected:
            if self.shipping.order_state(self._mchid, order.channel_order_id) not in SHIPPED_STATES:
                raise
            logger.info("wechat_pay shipping info already uploaded", order_key=order.order_key)
            return
        logger.info("wechat_pay shipping info uploaded", order_key=order.order_key, partial=partial)

    def push_stock(self, shop_id: str, item: StockItem, quantity: int) -> None:
        self.orders.set_stock(item.channel_sku_id, quantity, self.credentials.token_for(shop_id))

    def read_stock(self, shop_id: str, item: StockItem) -> int:
        return self.orders.stock(item.channel_sku_id, self.credentials.token_for(shop_id))

    # --- helpers -------------------------------------------------------------------------------------
    def _shop_of(self, resource: Mapping[str, Any], order_id: str) -> str:
        appid = resource.get("appid")
        shops = sorted(self.credentials.shop_tokens)
        if isinstance(appid, str) and appid:
            if appid not in self.credentials.shop_tokens:
                raise NotOurs(f"WeChat Pay notification for mini-program {appid}, which is not configured")
            return appid
        if len(shops) == 1:
            return shops[0]
        for shop in shops:  # a refund names no appid: ask each mini-program's order service
            try:
                self.orders.order(order_id, self.credentials.token_for(shop))
            except PlatformRejected:
                continue
            return shop
        raise OrderInvalid(f"no configured mini-program knows order {order_id}")


def _header(envelope: Mapping[str, Any]) -> dict[str, Any]:
    return {key: envelope.get(key) for key in ("id", "create_time", "event_type", "summary")}
