"""A local fake of the Pinduoduo open API router, for tests, the kit and the local hub.

Like the platform (platforms.md §9): one endpoint (`/api/router`, form POST) checking `client_id`,
`data_type`, `version`, `timestamp` (unix seconds, within 10 minutes [INFERRED]), the md5 `sign` and the
`access_token`; money as yuan JSON doubles, times as `yyyy-MM-dd HH:mm:ss` Beijing text [INFERRED format];
`pdd.order.number.list.increment.get` (span ≤ 30 min, sorted by `updated_at` descending, `total_count` /
`has_next`), `pdd.order.information.get`, `pdd.logistics.online.send` (a repeat refused), and
`pdd.goods.quantity.update` (全量 / 增量) read back by `pdd.goods.detail.get`. Receiver fields are opaque
`~…~` ciphertext plus masks, and only while the order awaits shipment. Error codes are [INFERRED].

Demo anomalies: `pay(order_id, group_forming=True)` (paid, 拼团中: must not ship) then `form_group`,
`flag_risk` / `clear_risk` (risk_control_status 1: do not ship), `request_refund` / `refund` (refund_status
2 → 4 on an unshipped order: closed), `serve_stale_once`, and the base class's 429/5xx faults.
The message service (WebSocket) is not simulated: the connector polls.
"""

import base64
import copy
import hashlib
import hmac
import itertools
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from connectors.pinduoduo.client import DEFAULT_PATH
from connectors.pinduoduo.signing import sign
from connectors.sdk.simulator import OrderSpec, PlatformSimulator, SimRequest, SimResponse
from schemas.timeutil import from_shanghai_text, to_shanghai_text

_TIMESTAMP_WINDOW_SECONDS = 600
_MAX_SPAN = timedelta(minutes=30)
_CARRIER_IDS = {"SF": "44", "YTO": "85", "ZTO": "115", "STO": "1", "YUNDA": "121", "JD": "120"}  # [INFERRED]
_RECEIVER_FIELDS = ("receiver_name", "receiver_phone", "receiver_address", "address")


class _Refusal(Exception):
    def __init__(self, error_code: int, error_msg: str, sub_code: str = "", sub_msg: str = "") -> None:
        super().__init__(error_msg)
        self.body = {
            "error_response": {
                "error_code": error_code,
                "error_msg": error_msg,
                "sub_code": sub_code,
                "sub_msg": sub_msg,
                "request_id": secrets.token_hex(8),
            }
        }


@dataclass
class _SimOrder:
    shop_id: str
    info: dict[str, Any]
    ciphers: dict[str, str]
    history: list[dict[str, Any]]
    serve_stale: bool = False


def yuan(fen: int) -> float:
    """Fen as the JSON double PDD sends (exact: its repr is the 2-decimal yuan text)."""
    return float(Decimal(fen) / 100)


class PinduoduoSimulator(PlatformSimulator):
    channel: ClassVar[str] = "pinduoduo"

    def __init__(
        self,
        *,
        app_key: str = "pdd-sim-client",
        app_secret: str = "pdd-sim-secret",
        shop_tokens: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            app_key=app_key, app_secret=app_secret, shop_tokens=shop_tokens or {"7788990": "pdd-sim-token"}
        )
        self.extra = {f"logistics_id:{code}": number for code, number in _CARRIER_IDS.items()}
        self._clock = clock
        self._orders: dict[str, _SimOrder] = {}
        self._serials = itertools.count(452750051)
        self._shipments: list[dict[str, Any]] = []
        self._cipher_key = secrets.token_bytes(16)

    @property
    def router_url(self) -> str:
        return f"{self.base_url}{DEFAULT_PATH}"

    # --- HTTP API ------------------------------------------------------------------------------------
    def handle(self, request: SimRequest) -> SimResponse:
        if request.method != "POST" or request.path.rstrip("/") != DEFAULT_PATH:
            return SimResponse.of_json({"error": "not found"}, status=404)
        params = {**dict(request.query), **request.form()}
        try:
            shop_id = self._authenticate(params)
            handler = _HANDLERS.get(params["type"])
            if handler is None:
                raise _Refusal(10001, "接口不存在", "isv.api-not-exist", f"type {params['type']}")
            with self.lock:
                key, inner = handler(self, shop_id, params)
        except _Refusal as refusal:
            return SimResponse.of_json(refusal.body)
        return SimResponse.of_json({key: inner})

    def _authenticate(self, params: Mapping[str, str]) -> str:
        for key in ("type", "client_id", "timestamp", "sign", "access_token"):
            if not params.get(key):
                raise _Refusal(10000, "参数错误", "isv.missing-parameter", f"缺少参数 {key}")
        if params["client_id"] != self.app_key:
            raise _Refusal(10016, "client_id不存在", "isv.client-id-invalid")
        if params.get("data_type", "JSON") != "JSON" or params.get("version", "V1") != "V1":
            raise _Refusal(10000, "参数错误", "isv.parameter-invalid", "data_type/version")
        timestamp = params["timestamp"]
        if not timestamp.isdigit() or abs(self._clock() - int(timestamp)) > _TIMESTAMP_WINDOW_SECONDS:
            raise _Refusal(10000, "参数错误", "isv.timestamp-invalid", "timestamp 已过期")
        if not hmac.compare_digest(params["sign"].encode(), sign(dict(params), self.app_secret).encode()):
            raise _Refusal(10013, "签名错误", "isv.sign-invalid")
        shop_id = next((s for s, t in self.shop_tokens.items() if t == params["access_token"]), None)
        if shop_id is None:
            raise _Refusal(10019, "access_token已过期", "isv.access-token-expired")
        return shop_id

    def _increment(self, shop_id: str, params: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
        try:
            start, end = int(params["start_updated_at"]), int(params["end_updated_at"])
            page, page_size = int(params.get("page") or 1), int(params.get("page_size") or 100)
            order_filter, refund_filter = int(params.get("order_status") or 5), int(params.get("refund_status") or 5)
        except (KeyError, ValueError) as exc:
            raise _Refusal(10000, "参数错误", "isv.parameter-invalid", "时间或分页参数不合法") from exc
        if end < start or end - start > _MAX_SPAN.total_seconds():
            raise _Refusal(10000, "参数错误", "isv.parameter-invalid", "开始时间和结束时间间隔不能超过30分钟")
        if page < 1 or not 1 <= page_size <= 100:
            raise _Refusal(10000, "参数错误", "isv.parameter-invalid", "page ≥ 1，page_size 1-100")
        matching = [
            order.info
            for order in self._orders.values()
            if order.shop_id == shop_id
            and start <= _seconds(order.info["updated_at"]) <= end
            and order_filter in (5, order.info["order_status"])
            and refund_filter in (5, order.info["refund_status"])
        ]
        matching.sort(key=lambda info: (_seconds(info["updated_at"]), info["order_sn"]), reverse=True)
        shown = matching[(page - 1) * page_size : page * page_size]
        inner: dict[str, Any] = {"order_sn_list": copy.deepcopy(shown), "has_next": page * page_size < len(matching)}
        if params.get("use_has_next") != "true":
            inner["total_count"] = len(matching)
        return "order_sn_increment_get_response", inner

    def _information(self, shop_id: str, params: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
        order = self._owned(shop_id, params.get("order_sn"))
        info = order.info
        if order.serve_stale:
            order.serve_stale = False
            info = order.history[-2] if len(order.history) > 1 else info
        return "order_info_get_response", {"order_info": copy.deepcopy(info)}

    def _online_send(self, shop_id: str, params: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
        for key in ("order_sn", "logistics_id", "tracking_number"):
            if not params.get(key):
                raise _Refusal(10000, "参数错误", "isv.missing-parameter", f"缺少参数 {key}")
        order = self._owned(shop_id, params["order_sn"])
        info = order.info
        if info["order_status"] != 1:
            raise _Refusal(50000, "业务错误", "isv.business-error", "订单已发货，不能重复发货")
        if not info["pay_time"] or info["confirm_status"] != 1 or info["group_status"] != 1:
            raise _Refusal(50000, "业务错误", "isv.business-error", "订单未成团或未成交，不能发货")
        if info["refund_status"] != 1 or info["risk_control_status"] == 1:
            raise _Refusal(50000, "业务错误", "isv.business-error", "订单售后中或风控审核中，不能发货")
        if params["logistics_id"] not in _CARRIER_IDS.values():
            raise _Refusal(50000, "业务错误", "isv.business-error", "快递公司不存在")
        info.update(
            {
                "order_status": 2,
                "shipping_time": to_shanghai_text(self._tick(order)),
                "tracking_number": params["tracking_number"],
                "logistics_id": int(params["logistics_id"]),
            }
        )
        self._show_receiver(order)
        self._changed(order)
        carrier = next(code for code, number in _CARRIER_IDS.items() if number == params["logistics_id"])
        self._shipments.append(
            {"order_id": info["order_sn"], "carrier_code": carrier, "tracking_no": params["tracking_number"]}
        )
        return "logistics_online_send_response", {"is_success": True}

    def _quantity_update(self, shop_id: str, params: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
        sku_id = params.get("sku_id", "")
        item = self.listing_by_channel_sku(shop_id, sku_id)
        if item is None or item.channel_product_id != params.get("goods_id"):
            raise _Refusal(50000, "业务错误", "isv.business-error", f"商品或SKU不存在 sku_id={sku_id}")
        try:
            quantity, update_type = int(params["quantity"]), int(params.get("update_type") or 1)
        except (KeyError, ValueError) as exc:
            raise _Refusal(10000, "参数错误", "isv.parameter-invalid", "quantity 不合法") from exc
        if update_type not in (1, 2) or (update_type == 1 and quantity < 0):
            raise _Refusal(10000, "参数错误", "isv.parameter-invalid", "update_type 1 全量 / 2 增量")
        self.record_stock_push(shop_id, sku_id, quantity, incremental=update_type == 2)
        return "goods_quantity_update_response", {"is_success": True}

    def _goods_detail(self, shop_id: str, params: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
        goods_id = params.get("goods_id", "")
        with self.lock:
            items = [item for (shop, _), item in self._listings.items() if shop == shop_id]
        skus = [item for item in items if item.channel_product_id == goods_id]
        if not skus:
            raise _Refusal(50000, "业务错误", "isv.business-error", f"商品不存在 goods_id={goods_id}")
        sku_list = [
            {
                "sku_id": int(item.channel_sku_id),
                "quantity": self.shown_stock(shop_id, item.channel_sku_id),
                "out_sku_sn": item.merchant_sku,
                "is_onsale": 1,
            }
            for item in skus
        ]
        return "goods_detail_get_response", {"goods_id": int(goods_id), "sku_list": sku_list}

    # --- scenario ------------------------------------------------------------------------------------
    def place_order(self, spec: OrderSpec, *, paid: bool = True) -> str:
        if spec.shop_id not in self.shop_tokens:
            raise ValueError(f"shop {spec.shop_id} has no token on this simulator")
        with self.lock:
            order_sn = f"{spec.created_at.astimezone(UTC) + timedelta(hours=8):%y%m%d}-{next(self._serials)}"
            info, ciphers = self._new_info(order_sn, spec)
            order = _SimOrder(shop_id=spec.shop_id, info=info, ciphers=ciphers, history=[copy.deepcopy(info)])
            self._orders[order_sn] = order
        if paid:
            self.pay(order_sn)
        return order_sn

    def pay(self, order_id: str, *, group_forming: bool = False) -> None:
        """Pay; `group_forming` leaves it 拼团中 (group_status 0, must not ship) until `form_group`."""
        with self.lock:
            order = self._order(order_id)
            if order.info["pay_time"]:
                raise ValueError(f"order {order_id} is already paid")
            moment = to_shanghai_text(self._tick(order))
            order.info.update({"pay_time": moment, "group_status": 0 if group_forming else 1})
            if not group_forming:
                order.info.update({"confirm_status": 1, "confirm_time": moment})
            self._show_receiver(order)
            self._changed(order)

    def form_group(self, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id)
            moment = to_shanghai_text(self._tick(order))
            order.info.update({"group_status": 1, "confirm_status": 1, "confirm_time": moment})
            self._changed(order)

    def flag_risk(self, order_id: str) -> None:
        """Risk review (risk_control_status 1: do not ship); the receiver ciphertext is withheld meanwhile."""
        self._update(order_id, risk_control_status=1)

    def clear_risk(self, order_id: str) -> None:
        self._update(order_id, risk_control_status=0)

    def cancel(self, order_id: str) -> None:
        """Unpaid: cancelled (confirm_status 2). Paid, unshipped: refunded (refund_status 4 → closed)."""
        with self.lock:
            order = self._order(order_id)
            if not order.info["pay_time"]:
                self._update(order_id, confirm_status=2)
            elif order.info["order_status"] == 1:
                self._update(order_id, refund_status=4, after_sales_status=10)
            else:
                raise ValueError(f"order {order_id} is shipped: it cannot be cancelled")

    def request_refund(self, order_id: str) -> None:
        with self.lock:
            if self._order(order_id).info["order_status"] != 1 or not self._order(order_id).info["pay_time"]:
                raise ValueError(f"order {order_id} is not paid and unshipped")
            self._update(order_id, refund_status=2, after_sales_status=2)

    def refund(self, order_id: str) -> None:
        """The seller agrees: money back (refund_status 4)."""
        self._update(order_id, refund_status=4, after_sales_status=10)

    def serve_stale_once(self, order_id: str) -> None:
        with self.lock:
            self._order(order_id).serve_stale = True

    def shipments(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._shipments)

    def order_info(self, order_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self._order(order_id).info)

    # --- internals -----------------------------------------------------------------------------------
    def _order(self, order_id: str) -> _SimOrder:
        try:
            return self._orders[order_id]
        except KeyError as exc:
            raise KeyError(f"no Pinduoduo order {order_id} on the simulator") from exc

    def _owned(self, shop_id: str, order_sn: object) -> _SimOrder:
        order = self._orders.get(str(order_sn))
        if order is None or order.shop_id != shop_id:
            raise _Refusal(50000, "业务错误", "isv.business-error", "订单不存在")
        return order

    def _update(self, order_id: str, **fields: Any) -> None:
        with self.lock:
            order = self._order(order_id)
            order.info.update(fields)
            self._tick(order)
            self._show_receiver(order)
            self._changed(order)

    def _tick(self, order: _SimOrder) -> datetime:
        """Move updated_at to now, strictly later than before (one-second resolution)."""
        now = datetime.fromtimestamp(int(self._clock()), tz=UTC)
        previous = from_shanghai_text(order.info["updated_at"])
        moment = max(now, previous + timedelta(seconds=1))
        order.info["updated_at"] = to_shanghai_text(moment)
        return moment

    def _changed(self, order: _SimOrder) -> None:
        order.history.append(copy.deepcopy(order.info))

    def _show_receiver(self, order: _SimOrder) -> None:
        """Ciphertext only while 待发货 and not risk-flagged (§9.4), else empty strings."""
        info = order.info
        visible = info["order_status"] == 1 and info["risk_control_status"] != 1 and bool(info["pay_time"])
        for key in _RECEIVER_FIELDS:
            info[key] = order.ciphers[key] if visible else ""

    def _new_info(self, order_sn: str, spec: OrderSpec) -> tuple[dict[str, Any], dict[str, str]]:
        items: list[dict[str, Any]] = []
        gifts: list[dict[str, Any]] = []
        for line in spec.lines:
            paid = line.paid_fen if line.paid_fen is not None else line.unit_price_fen * line.quantity
            listed = self.listing(spec.shop_id, line.sku)
            entry = {
                "goods_id": int(listed.channel_product_id or 0),
                "sku_id": int(listed.channel_sku_id),
                "outer_goods_id": line.sku.split("-")[0],
                "outer_id": line.sku,
                "goods_name": line.title or line.sku,
                "goods_spec": "默认",
                "goods_count": line.quantity,
                "goods_price": yuan(line.unit_price_fen),
                "goods_img": "",
                "_paid": paid,
                "_unit": line.unit_price_fen,
            }
            (gifts if paid == 0 and line.unit_price_fen > 0 else items).append(entry)
        if not items:
            items, gifts = gifts, []
        goods = sum(entry["_unit"] * entry["goods_count"] for entry in items)
        paid_goods = sum(entry["_paid"] for entry in items)
        for entry in items + gifts:
            del entry["_paid"], entry["_unit"]
        receiver = spec.receiver
        ciphers = {
            "receiver_name": self._encrypt(receiver.name),
            "receiver_phone": self._encrypt(receiver.phone),
            "receiver_address": self._encrypt(receiver.detail),
            "address": self._encrypt(f"{receiver.province}{receiver.city}{receiver.district}{receiver.detail}"),
        }
        identity = f"{receiver.name}|{receiver.phone}|{receiver.detail}"
        created = to_shanghai_text(spec.created_at.replace(microsecond=0))
        info: dict[str, Any] = {
            "order_sn": order_sn,
            "order_status": 1,
            "refund_status": 1,
            "after_sales_status": 0,
            "confirm_status": 0,
            "group_status": 0,
            "risk_control_status": 0,
            "trade_type": 0,
            "created_time": created,
            "confirm_time": "",
            "pay_time": "",
            "shipping_time": "",
            "receive_time": "",
            "updated_at": created,
            "last_ship_time": to_shanghai_text(spec.created_at + timedelta(hours=48)),
            "goods_amount": yuan(goods),
            "discount_amount": yuan(goods - paid_goods),
            "seller_discount": yuan(goods - paid_goods),
            "platform_discount": 0.0,
            "capital_free_discount": 0.0,
            "order_change_amount": 0.0,
            "postage": yuan(spec.freight_fen),
            "pay_amount": yuan(paid_goods + spec.freight_fen),
            "home_delivery_type": 0,
            "delivery_install_value": 0.0,
            "home_install_value": 0.0,
            "receiver_name": "",
            "receiver_phone": "",
            "receiver_address": "",
            "address": "",
            "receiver_name_mask": receiver.name[:1] + "**",
            "receiver_phone_mask": receiver.phone[:3] + "****" + receiver.phone[-4:],
            "receiver_address_mask": receiver.detail[:2] + "****",
            "province": receiver.province,
            "city": receiver.city,
            "town": receiver.district,
            "open_address_id": hmac.new(self._cipher_key, identity.encode(), hashlib.sha256).hexdigest()[:32],
            "item_list": items,
            "gift_list": gifts,
            "tracking_number": "",
            "logistics_id": 0,
            "order_tag_list": [],
            "buyer_memo": spec.buyer_message,
            "remark": "",
            "remark_tag": 0,
            "invoice_status": 0,
            "pay_type": "WEIXIN",
            "pay_no": "",
        }
        return info, ciphers

    def _encrypt(self, plaintext: str) -> str:
        """Opaque `~…~` ciphertext (the key never leaves the simulator)."""
        nonce = secrets.token_bytes(12)
        blob = nonce + hmac.new(self._cipher_key, nonce + plaintext.encode(), hashlib.sha256).digest()
        return "~" + base64.b64encode(blob).decode() + "~1~"


def _seconds(text: str) -> int:
    return int(from_shanghai_text(text).timestamp())


_Handler = Callable[[PinduoduoSimulator, str, Mapping[str, str]], tuple[str, dict[str, Any]]]
_HANDLERS: dict[str, _Handler] = {
    "pdd.order.number.list.increment.get": PinduoduoSimulator._increment,
    "pdd.order.information.get": PinduoduoSimulator._information,
    "pdd.logistics.online.send": PinduoduoSimulator._online_send,
    "pdd.goods.quantity.update": PinduoduoSimulator._quantity_update,
    "pdd.goods.detail.get": PinduoduoSimulator._goods_detail,
}
