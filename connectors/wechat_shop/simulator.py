"""A local fake of the WeChat 小店 API and its encrypted message push, for tests, the kit and the local hub.

Like the platform (platforms.md §7): `cgi-bin/stable_token` issues the app's access token (the same token while
valid; `expire_access_tokens` makes every call answer 42001 until a new one is fetched), every `/channels/ec`
call checks `?access_token=` (40001 / 42001), answers `{errcode, errmsg, …}`, `order/list/get` filters by an
inclusive `update_time_range` of at most 7 days and pages with a position cursor `next_key` (ordered by
update time, then id), `order/get` masks the receiver when `encode_sensitive_info` is true, `delivery/send`
ships some or all products (status 21 / 30), and `product/stock/update` honours `diff_type` 1/2/3.
Pushes are sealed in safe mode exactly as `signing` describes. [INFERRED] error codes: 40013 appid, 40125
secret, 40097 invalid args (also for an over-long range, an unknown order and a refused delivery).

Demo anomalies: `push_request(forge=…, omit_signature=…, sent_at=…)`, `foreign_app_push` (sealed for another
appid), `plaintext_push` (compat mode, no Encrypt), `url_verification_request`, `place_gift_order` /
`accept_gift` (status 12 礼物待收下), `oversell_cancel` (status 190), `approve_refund`, `expire_access_tokens`.
"""

import base64
import copy
import itertools
import json
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from connectors.sdk.contracts import StockItem, WebhookRequest
from connectors.sdk.simulator import LineSpec, OrderSpec, PlatformSimulator, SimRequest, SimResponse
from connectors.wechat_shop import signing
from connectors.wechat_shop.access_token import TOKEN_PATH

_MAX_RANGE_SECONDS = 7 * 24 * 3600
_TOKEN_LIFETIME = 7200
_FIRST_ORDER_ID = 3705115058471208928
_FIRST_CASE_ID = 2000000075529920
DEFAULT_SHOP = "gh_3f1a2b4c5d6e"


class _Refusal(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errmsg)
        self.errcode, self.errmsg = errcode, errmsg


@dataclass
class _SimOrder:
    order_id: str
    shop_id: str
    spec: OrderSpec
    status: int
    create_time: int
    update_time: int
    products: list[dict[str, Any]]
    pay_time: int = 0
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    shipped_skus: set[str] = field(default_factory=set)
    case_ids: list[str] = field(default_factory=list)
    last_event: dict[str, Any] = field(default_factory=dict)


def new_encoding_aes_key() -> str:
    return base64.b64encode(os.urandom(32)).decode("ascii")[:43]


class WechatShopSimulator(PlatformSimulator):
    channel: ClassVar[str] = "wechat_shop"

    def __init__(
        self,
        *,
        app_key: str = "wx5c8f3a9b1d2e4f60",
        app_secret: str = "wechat-shop-sim-secret",
        shop_tokens: Mapping[str, str] | None = None,
        push_token: str = "omnihubPushToken",
        encoding_aes_key: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(app_key=app_key, app_secret=app_secret, shop_tokens=shop_tokens or {DEFAULT_SHOP: app_key})
        self.push_token = push_token
        self.encoding_aes_key = encoding_aes_key or new_encoding_aes_key()
        self.extra = {"token": push_token, "encoding_aes_key": self.encoding_aes_key}
        self._key = signing.aes_key(self.encoding_aes_key)
        self._clock = clock
        self._orders: dict[str, _SimOrder] = {}
        self._cases: dict[str, dict[str, Any]] = {}
        self._order_ids = itertools.count(_FIRST_ORDER_ID, 97)
        self._case_ids = itertools.count(_FIRST_CASE_ID)
        self._tokens: dict[str, float] = {}  # access token -> expiry (simulator clock)
        self._shipments: list[dict[str, Any]] = []

    # --- scenario ------------------------------------------------------------------------------------
    def place_order(self, spec: OrderSpec, *, paid: bool = True) -> str:
        if spec.shop_id not in self.shop_tokens:
            raise ValueError(f"shop {spec.shop_id} is not on this simulator")
        with self.lock:
            created = int(spec.created_at.timestamp())
            order = _SimOrder(
                order_id=str(next(self._order_ids)),
                shop_id=spec.shop_id,
                spec=spec,
                status=10,
                create_time=created,
                update_time=created,
                products=[self._product(spec.shop_id, line) for line in spec.lines],
            )
            self._orders[order.order_id] = order
            self._event(order, "channels_ec_order_new", {"order_id": order.order_id})
        if paid:
            self.pay(order.order_id)
        return order.order_id

    def place_gift_order(self, spec: OrderSpec) -> str:
        """A paid gift order (送礼): status 12 礼物待收下 until the receiver accepts it (`accept_gift`)."""
        order_id = self.place_order(spec)
        with self.lock:
            order = self._order(order_id)
            order.status = 12
            self._tick(order)
            self._event(order, "channels_ec_order_ext_info_update", {"order_id": order_id})
        return order_id

    def accept_gift(self, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id)
            if order.status != 12:
                raise ValueError(f"order {order_id} is not a pending gift")
            order.status = 20
            self._tick(order)
            self._event(order, "channels_ec_order_wait_shipping", {"order_id": order_id})

    def pay(self, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id)
            if order.status != 10:
                raise ValueError(f"order {order_id} is not awaiting payment")
            order.status = 20
            order.pay_time = self._tick(order)
            self._event(order, "channels_ec_order_pay", {"order_id": order_id, "pay_time": str(order.pay_time)})

    def cancel(self, order_id: str) -> None:
        """Unpaid: 250 (buyer cancelled). Paid and unshipped: every product refunded, then 200."""
        with self.lock:
            order = self._order(order_id)
            if order.status == 10:
                order.status = 250
                self._tick(order)
                self._event(order, "channels_ec_order_cancel", {"order_id": order_id, "cancel_type": 1})
                return
            if order.status not in (12, 13, 20):
                raise ValueError(f"order {order_id} can no longer be cancelled (status {order.status})")
            self._open_cases(order, "MERCHANT_REFUND_SUCCESS")
            order.status = 200
            self._tick(order)
            self._event(order, "channels_ec_order_cancel", {"order_id": order_id, "cancel_type": 2})

    def request_refund(self, order_id: str) -> None:
        """The buyer asks for a refund of every product before shipment: cases in MERCHANT_PROCESSING."""
        with self.lock:
            order = self._order(order_id)
            if order.status != 20:
                raise ValueError(f"order {order_id} is not paid and unshipped (status {order.status})")
            self._open_cases(order, "MERCHANT_PROCESSING")

    def approve_refund(self, order_id: str) -> None:
        """The merchant agrees: the open cases are refunded and the order ends in 200."""
        with self.lock:
            order = self._order(order_id)
            moment = self._tick(order)
            for case_id in order.case_ids:
                self._cases[case_id].update(status="MERCHANT_REFUND_SUCCESS", update_time=moment)
            order.status = 200
            self._event(order, "channels_ec_aftersale_update", self._case_update(order, order.case_ids[-1]))

    def oversell_cancel(self, order_id: str) -> None:
        """商品超卖商家取消: a status only 小店 has — the paid order ends in 190."""
        with self.lock:
            order = self._order(order_id)
            if order.status != 20:
                raise ValueError(f"order {order_id} is not paid and unshipped")
            order.status = 190
            self._tick(order)
            self._event(order, "channels_ec_order_cancel", {"order_id": order_id, "cancel_type": 3})

    def expire_access_tokens(self) -> None:
        with self.lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    def shipments(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(s) for s in self._shipments]

    def order_status(self, order_id: str) -> int:
        with self.lock:
            return self._order(order_id).status

    # --- push ----------------------------------------------------------------------------------------
    def push_request(
        self,
        order_id: str,
        *,
        forge: bool = False,
        omit_signature: bool = False,
        sent_at: datetime | None = None,
    ) -> WebhookRequest:
        with self.lock:
            order = self._order(order_id)
            event, shop = dict(order.last_event), order.shop_id
        message = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return self._sealed(shop, message, self.app_key, forge=forge, omit=omit_signature, sent_at=sent_at)

    def foreign_app_push(self, order_id: str) -> WebhookRequest:
        """Correctly signed, but sealed for another appid (a leaked key used by another app)."""
        with self.lock:
            order = self._order(order_id)
            event, shop = dict(order.last_event), order.shop_id
        return self._sealed(shop, json.dumps(event).encode("utf-8"), "wx0000000000000bad")

    def plaintext_push(self, order_id: str) -> WebhookRequest:
        """Compat (plain) mode: the event in clear, only the body-less `signature` — the hub refuses it."""
        with self.lock:
            event = dict(self._order(order_id).last_event)
        timestamp, nonce = str(int(self._clock())), str(secrets.randbelow(10**9))
        query = {"signature": signing.signature(self.push_token, timestamp, nonce), "timestamp": timestamp}
        query |= {"nonce": nonce, "openid": str(event.get("FromUserName", ""))}
        body = json.dumps(event, ensure_ascii=False).encode("utf-8")
        return WebhookRequest({"content-type": "application/json"}, query, body, datetime.now(UTC), _PUSH_PATH)

    def url_verification_request(self, echostr: str = "8419326207645893547", *, forge: bool = False) -> WebhookRequest:
        timestamp, nonce = str(int(self._clock())), str(secrets.randbelow(10**9))
        token = self.push_token + ("-forged" if forge else "")
        query = {"signature": signing.signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        return WebhookRequest({}, {**query, "echostr": echostr}, b"", datetime.now(UTC), _PUSH_PATH, "GET")

    def post_push(self, url: str, request: WebhookRequest) -> httpx.Response:
        """Send a push request (from `push_request` & co.) to the hub, as WeChat's servers would."""
        with httpx.Client(timeout=30.0) as http:
            return http.request(request.method, url, params=dict(request.query), content=request.body or None)

    def _sealed(
        self,
        shop: str,
        message: bytes,
        appid: str,
        *,
        forge: bool = False,
        omit: bool = False,
        sent_at: datetime | None = None,
    ) -> WebhookRequest:
        encrypted = signing.encrypt(message, self._key, appid)
        body = json.dumps({"ToUserName": shop, "Encrypt": encrypted}, separators=(",", ":")).encode("utf-8")
        moment = sent_at or datetime.now(UTC)
        timestamp, nonce = str(int(moment.timestamp())), str(secrets.randbelow(10**9))
        token = self.push_token + ("-forged" if forge else "")
        query = {"timestamp": timestamp, "nonce": nonce, "openid": "o" + secrets.token_hex(12), "encrypt_type": "aes"}
        if not omit:
            query["signature"] = signing.signature(token, timestamp, nonce)
            query["msg_signature"] = signing.signature(token, timestamp, nonce, encrypted)
        return WebhookRequest({"content-type": "application/json"}, query, body, datetime.now(UTC), _PUSH_PATH)

    # --- HTTP API ------------------------------------------------------------------------------------
    def handle(self, request: SimRequest) -> SimResponse:
        try:
            body = request.json() if request.body else {}
            if not isinstance(body, dict):
                raise _Refusal(47001, "data format error")
            with self.lock:
                if request.path == TOKEN_PATH:
                    return SimResponse.of_json(self._stable_token(body))
                self._check_token(request.query.get("access_token", ""))
                route = _ROUTES.get(request.path)
                if route is None:
                    raise _Refusal(40097, f"invalid args: unknown api {request.path}")
                answer = route(self, body)
        except _Refusal as refusal:
            return SimResponse.of_json({"errcode": refusal.errcode, "errmsg": f"{refusal.errmsg} rid: sim"})
        except ValueError:
            return SimResponse.of_json({"errcode": 47001, "errmsg": "data format error rid: sim"})
        return SimResponse.of_json({"errcode": 0, "errmsg": "ok", **answer})

    def _stable_token(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if body.get("grant_type") != "client_credential":
            raise _Refusal(40002, "invalid grant_type")
        if body.get("appid") != self.app_key:
            raise _Refusal(40013, "invalid appid")
        if body.get("secret") != self.app_secret:
            raise _Refusal(40125, "invalid appsecret")
        now = self._clock()
        live = [(token, expiry) for token, expiry in self._tokens.items() if expiry > now]
        if live and not body.get("force_refresh"):
            token, expiry = live[0]
            return {"access_token": token, "expires_in": int(expiry - now)}
        token = secrets.token_urlsafe(48)
        self._tokens[token] = now + _TOKEN_LIFETIME
        return {"access_token": token, "expires_in": _TOKEN_LIFETIME}

    def _check_token(self, token: str) -> None:
        expiry = self._tokens.get(token)
        if expiry is None:
            raise _Refusal(40001, "invalid credential, access_token is invalid or not latest")
        if expiry <= self._clock():
            raise _Refusal(42001, "access_token expired")

    def _list_orders(self, body: Mapping[str, Any]) -> dict[str, Any]:
        window = body.get("update_time_range")
        if not isinstance(window, Mapping):
            raise _Refusal(40097, "invalid args: update_time_range required")
        start, end = int(window.get("start_time", 0)), int(window.get("end_time", 0))
        if not 0 < start <= end or end - start > _MAX_RANGE_SECONDS:
            raise _Refusal(40097, "invalid args: time range must be within 7 days")
        size = int(body.get("page_size") or 10)
        if not 1 <= size <= 100:
            raise _Refusal(40097, "invalid args: page_size must be 1-100")
        after = _cursor_position(str(body.get("next_key") or ""))
        matching = sorted((o.update_time, o.order_id) for o in self._orders.values() if start <= o.update_time <= end)
        remaining = [key for key in matching if after is None or key > after]
        page, more = remaining[:size], len(remaining) > size
        next_key = _cursor(page[-1]) if page else str(body.get("next_key") or "")
        return {"order_id_list": [order_id for _, order_id in page], "next_key": next_key, "has_more": more}

    def _get_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        order = self._known(body.get("order_id"))
        return {"order": self._order_json(order, masked=bool(body.get("encode_sensitive_info")))}

    def _get_case(self, body: Mapping[str, Any]) -> dict[str, Any]:
        case = self._cases.get(str(body.get("after_sale_order_id")))
        if case is None:
            raise _Refusal(40097, "invalid args: after_sale_order_id not found")
        return {"after_sale_order": copy.deepcopy(case)}

    def _send_delivery(self, body: Mapping[str, Any]) -> dict[str, Any]:
        order = self._known(body.get("order_id"))
        deliveries = body.get("delivery_list")
        if not isinstance(deliveries, list) or not deliveries:
            raise _Refusal(40097, "invalid args: delivery_list required")
        if order.status not in (20, 21):
            raise _Refusal(40097, f"invalid args: order status {order.status} cannot be delivered")
        by_sku = {p["sku_id"]: p for p in order.products}
        for delivery in deliveries:
            if not delivery.get("delivery_id") or not delivery.get("waybill_id"):
                raise _Refusal(40097, "invalid args: delivery_id and waybill_id required")
            for product in delivery.get("product_infos") or []:
                listed = by_sku.get(str(product.get("sku_id")))
                if listed is None or listed["product_id"] != str(product.get("product_id")):
                    raise _Refusal(40097, f"invalid args: product {product.get('sku_id')} not in order")
                if listed["sku_id"] in order.shipped_skus:
                    raise _Refusal(40097, f"invalid args: product {listed['sku_id']} already delivered")
        moment = self._tick(order)
        for delivery in deliveries:
            skus = [str(p["sku_id"]) for p in delivery.get("product_infos") or []]
            order.shipped_skus.update(skus)
            order.deliveries.append({**delivery, "delivery_time": moment})
            self._shipments.append(
                {
                    "order_id": order.order_id,
                    "carrier_code": delivery["delivery_id"],
                    "tracking_no": delivery["waybill_id"],
                }
            )
        order.status = 30 if order.shipped_skus >= set(by_sku) else 21
        self._event(
            order, "channels_ec_order_deliver", {"order_id": order.order_id, "finish_delivery": int(order.status == 30)}
        )
        return {}

    def _listed(self, body: Mapping[str, Any]) -> tuple[str, StockItem]:
        sku_id = str(body.get("sku_id") or "")
        for shop in self.shop_tokens:
            item = self.listing_by_channel_sku(shop, sku_id)
            if item is not None and item.channel_product_id == str(body.get("product_id") or ""):
                return shop, item
        raise _Refusal(40097, f"invalid args: product/sku {sku_id} not found")

    def _update_stock(self, body: Mapping[str, Any]) -> dict[str, Any]:
        shop, item = self._listed(body)
        diff_type, num = body.get("diff_type"), body.get("num")
        if diff_type not in (1, 2, 3) or not isinstance(num, int) or num < 0:
            raise _Refusal(40097, "invalid args: diff_type 1/2/3 and a non-negative num required")
        delta = -num if diff_type == 2 else num
        self.record_stock_push(shop, item.channel_sku_id, delta, incremental=diff_type != 3)
        return {}

    def _get_stock(self, body: Mapping[str, Any]) -> dict[str, Any]:
        shop, item = self._listed(body)
        shown = self.shown_stock(shop, item.channel_sku_id)
        data = {
            "normal_stock_num": shown,
            "limited_discount_stock_num": 0,
            "warehouse_stocks": [],
            "total_stock_num": shown,
        }
        return {"data": data}

    # --- order book ----------------------------------------------------------------------------------
    def _order(self, order_id: str) -> _SimOrder:
        try:
            return self._orders[order_id]
        except KeyError as exc:
            raise KeyError(f"no WeChat 小店 order {order_id} on the simulator") from exc

    def _known(self, order_id: object) -> _SimOrder:
        order = self._orders.get(str(order_id))
        if order is None:
            raise _Refusal(40097, "invalid args: order not exist")
        return order

    def _tick(self, order: _SimOrder) -> int:
        order.update_time = max(int(self._clock()), order.update_time + 1)
        return order.update_time

    def _event(self, order: _SimOrder, name: str, info: dict[str, Any]) -> None:
        key = "finder_shop_aftersale_status_update" if name == "channels_ec_aftersale_update" else "order_info"
        order.last_event = {
            "ToUserName": order.shop_id,
            "FromUserName": order.spec.buyer_id,
            "CreateTime": order.update_time,
            "MsgType": "event",
            "Event": name,
            key: info,
        }

    def _open_cases(self, order: _SimOrder, status: str) -> None:
        moment = self._tick(order)
        for product in order.products:
            case_id = str(next(self._case_ids))
            self._cases[case_id] = {
                "after_sale_order_id": case_id,
                "status": status,
                "openid": order.spec.buyer_id,
                "order_id": order.order_id,
                "product_info": {
                    "product_id": product["product_id"],
                    "sku_id": product["sku_id"],
                    "count": product["sku_cnt"],
                },
                "refund_info": {"amount": product["real_price"]},
                "type": "REFUND",
                "create_time": moment,
                "update_time": moment,
            }
            order.case_ids.append(case_id)
        self._event(order, "channels_ec_aftersale_update", self._case_update(order, order.case_ids[-1]))

    def _case_update(self, order: _SimOrder, case_id: str) -> dict[str, Any]:
        return {"status": self._cases[case_id]["status"], "after_sale_order_id": case_id, "order_id": order.order_id}

    def _product(self, shop_id: str, line: LineSpec) -> dict[str, Any]:
        item = self.listing(shop_id, line.sku)
        paid = line.paid_fen if line.paid_fen is not None else line.unit_price_fen * line.quantity
        return {
            "product_id": item.channel_product_id,
            "sku_id": item.channel_sku_id,
            "thumb_img": "https://mmecimage.cn/p/sim.jpg",
            "sku_cnt": line.quantity,
            "sale_price": line.unit_price_fen,
            "market_price": line.unit_price_fen,
            "real_price": paid,
            "title": line.title or line.sku,
            "sku_attrs": [],
            "on_aftersale_sku_cnt": 0,
            "finish_aftersale_sku_cnt": 0,
            "out_product_id": line.sku.rsplit("-", 1)[0],
            "out_sku_id": line.sku,
            "sku_code": line.sku,
        }

    def _order_json(self, order: _SimOrder, *, masked: bool) -> dict[str, Any]:
        spec, receiver = order.spec, order.spec.receiver
        goods = sum(p["sale_price"] * p["sku_cnt"] for p in order.products)
        paid_goods = sum(p["real_price"] for p in order.products)
        address = {
            "user_name": receiver.name[:1] + "**" if masked else receiver.name,
            "postal_code": "310000",
            "province_name": receiver.province,
            "city_name": receiver.city,
            "county_name": receiver.district,
            "detail_info": receiver.detail[:3] + "****" if masked else receiver.detail,
            "national_code": "330106",
            "tel_number": receiver.phone[:3] + "****" + receiver.phone[-4:] if masked else receiver.phone,
        }
        open_cases = [c for c in order.case_ids if self._cases[c]["status"] not in _CLOSED_CASES]
        return {
            "order_id": order.order_id,
            "status": order.status,
            "create_time": order.create_time,
            "update_time": order.update_time,
            "openid": spec.buyer_id,
            "unionid": "",
            "order_detail": {
                "product_infos": copy.deepcopy(order.products),
                "price_info": {
                    "product_price": goods,
                    "order_price": paid_goods + spec.freight_fen,
                    "freight": spec.freight_fen,
                    "discounted_price": goods - paid_goods,
                    "deduction_price": 0,
                    "change_down_price": 0,
                    "is_discounted": goods != paid_goods,
                },
                "pay_info": {
                    "prepay_id": f"up_wx{order.order_id}",
                    "prepay_time": order.create_time,
                    "pay_time": order.pay_time or None,
                    "transaction_id": f"4200{order.order_id}" if order.pay_time else "",
                    "payment_method": 1,
                },
                "delivery_info": {
                    "address_info": address,
                    "delivery_product_info": copy.deepcopy(order.deliveries),
                    "ship_done_time": order.deliveries[-1]["delivery_time"] if order.status == 30 else 0,
                    "deliver_method": 0,
                },
                "coupon_info": {"user_coupon_id": ""},
                "ext_info": {"customer_notes": spec.buyer_message, "merchant_notes": ""},
            },
            "aftersale_detail": {
                "on_aftersale_order_cnt": len(open_cases),
                "aftersale_order_list": [{"aftersale_order_id": case_id} for case_id in order.case_ids],
            },
        }


_PUSH_PATH = "/webhooks/wechat_shop"
_CLOSED_CASES = frozenset({"MERCHANT_REFUND_SUCCESS", "MERCHANT_RETURN_SUCCESS", "USER_CANCELD", "MERCHANT_FAIL"})
_ROUTES: dict[str, Callable[[WechatShopSimulator, Mapping[str, Any]], dict[str, Any]]] = {
    "/channels/ec/order/list/get": WechatShopSimulator._list_orders,
    "/channels/ec/order/get": WechatShopSimulator._get_order,
    "/channels/ec/aftersale/getaftersaleorder": WechatShopSimulator._get_case,
    "/channels/ec/order/delivery/send": WechatShopSimulator._send_delivery,
    "/channels/ec/product/stock/update": WechatShopSimulator._update_stock,
    "/channels/ec/product/stock/get": WechatShopSimulator._get_stock,
}


def _cursor(position: tuple[int, str]) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}:{position[1]}".encode()).decode("ascii")


def _cursor_position(next_key: str) -> tuple[int, str] | None:
    if not next_key:
        return None
    try:
        moment, order_id = base64.urlsafe_b64decode(next_key.encode("ascii")).decode().split(":", 1)
        return int(moment), order_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Refusal(40097, "invalid args: next_key") from exc
