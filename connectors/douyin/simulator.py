"""A local fake of the Douyin 抖店 open API and its push service, for tests and the local hub.

It verifies request signatures exactly as the connector signs them (hmac-sha256 or md5, `sign_method`),
answers `order.orderDetail` and `order.logisticsAdd` with Douyin-shaped envelopes, keeps receiver data only as
opaque ciphertext (`$index$…$`, `~index~…~`, `#index#…#`) plus masked forms, and pushes signed message arrays
to the hub. Error codes for refusals (40004 sign, 30001 token, 50002 business) and the 10-minute timestamp
window are [INFERRED]: the reference lists only 10000 = success.
"""

import base64
import copy
import hashlib
import hmac
import itertools
import json
import secrets
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from connectors.douyin.client import SUCCESS_CODE, method_path
from connectors.douyin.signing import API_VERSION, push_signature, sign_request
from connectors.sdk.contracts import WebhookRequest
from connectors.sdk.simulator import OrderSpec, PlatformSimulator, SimRequest, SimResponse
from schemas.timeutil import from_shanghai_text

_TIMESTAMP_WINDOW_SECONDS = 600
_FIRST_ORDER_ID = 4900000000000000001
_FIRST_MSG_ID = 7000000000000000001


@dataclass
class _SimOrder:
    order_id: str
    shop_id: str
    spec: OrderSpec
    line_ids: list[str]
    status: int
    create_time: int
    update_time: int
    receiver: dict[str, Any]
    pay_time: int = 0
    ship_time: int = 0
    cancel_reason: str = ""
    after_sale_status: int = 0
    after_sale_type: int = 0
    refund_status: int = 0
    logistics: list[dict[str, Any]] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    serve_stale: bool = False


class _Refusal(Exception):
    def __init__(self, code: int, msg: str, sub_code: str, sub_msg: str) -> None:
        super().__init__(sub_msg)
        self.code, self.msg, self.sub_code, self.sub_msg = code, msg, sub_code, sub_msg


class DouyinSimulator(PlatformSimulator):
    channel: ClassVar[str] = "douyin"

    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        shop_tokens: Mapping[str, str],
        clock: Callable[[], float] = time.time,
        first_order_id: int = _FIRST_ORDER_ID,
    ) -> None:
        super().__init__(app_key=app_key, app_secret=app_secret, shop_tokens=shop_tokens)
        self._clock = clock
        self._orders: dict[str, _SimOrder] = {}
        self._order_ids = itertools.count(first_order_id, 100)
        self._msg_ids = itertools.count(_FIRST_MSG_ID)
        self._pending: list[dict[str, str]] = []
        self._shipments: list[dict[str, Any]] = []
        self._push_url: str | None = None
        self._last_message: dict[str, dict[str, str]] = {}
        self._cipher_key = secrets.token_bytes(16)  # per simulator: ciphertexts are opaque to everyone else

    # --- scenario ------------------------------------------------------------------------------------
    def place_order(self, spec: OrderSpec, *, paid: bool = True) -> str:
        if spec.shop_id not in self.shop_tokens:
            raise ValueError(f"shop {spec.shop_id} has no token on this simulator")
        with self.lock:
            order_id = str(next(self._order_ids))
            # One sku order of a Douyin shop order carries the shop order's own id.
            line_ids = [order_id] + [str(int(order_id) + n) for n in range(1, len(spec.lines))]
            created = int(spec.created_at.timestamp())
            order = _SimOrder(
                order_id=order_id,
                shop_id=spec.shop_id,
                spec=spec,
                line_ids=line_ids,
                status=1,
                create_time=created,
                update_time=created,
                receiver=self._encrypt_receiver(spec),
            )
            self._orders[order_id] = order
            self._changed(order, "100", create_time=created)
            if paid:
                self.pay(order_id)
            return order_id

    def pay(self, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id)
            if order.status != 1:
                raise ValueError(f"order {order_id} is not awaiting payment")
            order.status = 2
            order.pay_time = self._tick(order)
            self._changed(order, "101", pay_time=order.pay_time, pay_amount=self._pay_amount(order), pay_type=1)

    def cancel(self, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id)
            if order.status not in (1, 105, 2):
                raise ValueError(f"order {order_id} can no longer be cancelled (status {order.status})")
            was_paid = order.status != 1
            order.status = 4
            order.cancel_reason = "买家取消订单"
            if was_paid:
                order.after_sale_status, order.after_sale_type, order.refund_status = 12, 2, 3
            cancel_time = self._tick(order)
            self._changed(order, "106", cancel_reason=order.cancel_reason, cancel_time=cancel_time)

    def request_refund(self, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id)
            if order.status not in (105, 2):
                raise ValueError(f"order {order_id} is not paid and unshipped (status {order.status})")
            order.after_sale_status, order.after_sale_type, order.refund_status = 6, 2, 1
            apply_time = self._tick(order)
            self._changed(
                order,
                "200",
                aftersale_id=str(int(order.order_id) + 7_000_000_000),
                aftersale_status=6,
                aftersale_type=2,
                s_id=int(order.line_ids[0]),
                refund_amount=self._pay_amount(order),
                refund_post_amount=order.spec.freight_fen,
                reason_code=1,
                apply_time=apply_time,
            )

    def serve_stale_once(self, order_id: str) -> None:
        """The next orderDetail of this order answers the snapshot before the current one."""
        with self.lock:
            self._order(order_id).serve_stale = True

    def shipments(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(s) for s in self._shipments]

    def order_status(self, order_id: str) -> int:
        with self.lock:
            return self._order(order_id).status

    # --- push ----------------------------------------------------------------------------------------
    def set_push_target(self, url: str) -> None:
        self._push_url = url

    def pending_messages(self) -> list[dict[str, str]]:
        with self.lock:
            return [dict(m) for m in self._pending]

    def signed_push(self, body: bytes, *, forge: bool = False) -> dict[str, str]:
        """Headers Douyin puts on a push of `body` (forge=True: signed with a wrong secret)."""
        secret = self.app_secret + "-forged" if forge else self.app_secret
        return {
            "Content-Type": "application/json",
            "app-id": self.app_key,
            "event-sign": push_signature(app_key=self.app_key, app_secret=secret, body=body),
        }

    def push_request(
        self,
        order_id: str,
        *,
        forge: bool = False,
        omit_signature: bool = False,
        sent_at: datetime | None = None,
    ) -> WebhookRequest:
        """The order's latest message as Douyin would push it. Douyin signs no timestamp: `sent_at` only sets
        when the hub received it."""
        with self.lock:
            message = self._last_message[order_id]
        body = json.dumps([message], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {k.lower(): v for k, v in self.signed_push(body, forge=forge).items()}
        if omit_signature:
            headers.pop("event-sign")
        return WebhookRequest(headers=headers, query={}, body=body, received_at=sent_at or datetime.now(UTC))

    def pending_delivery(self) -> bytes:
        """The body of the next push: every pending message in one array, as Douyin batches them."""
        with self.lock:
            return json.dumps(self._pending, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def deliver_pending(self, times: int = 1, forge: bool = False) -> list[int]:
        """POST the pending messages to the push target `times` times; they stay pending until acknowledged."""
        with self.lock:
            batch = list(self._pending)
        if not batch:
            return []
        body = json.dumps(batch, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        statuses = self._post(body, times=times, forge=forge)
        if any(status == 200 for status in statuses):
            with self.lock:
                self._pending = [m for m in self._pending if m not in batch]
        return statuses

    def replay_last_message(self, order_id: str) -> None:
        """Queue the last message about an order again (same msg_id), as Douyin's push retry does."""
        with self.lock:
            message = self._last_message.get(order_id)
            if message is None:
                raise ValueError(f"no message was ever queued for order {order_id}")
            self._pending.append(dict(message))

    def discard_pending(self) -> None:
        with self.lock:
            self._pending.clear()

    def _post(self, body: bytes, *, times: int, forge: bool) -> list[int]:
        if self._push_url is None:
            raise RuntimeError("no push target: call set_push_target(url) first")
        statuses: list[int] = []
        with httpx.Client(timeout=30.0) as http:
            for _ in range(times):
                response = http.post(self._push_url, content=body, headers=self.signed_push(body, forge=forge))
                statuses.append(response.status_code)
        return statuses

    # --- HTTP API ------------------------------------------------------------------------------------
    def handle(self, request: SimRequest) -> SimResponse:
        try:
            shop_id, method, params = self._authenticate(request)
            with self.lock:
                if method == "order.orderDetail":
                    data = self._order_detail(shop_id, params)
                elif method == "order.logisticsAdd":
                    data = self._logistics_add(shop_id, params)
                elif method == "sku.syncStock":
                    data = self._sync_stock(shop_id, params)
                elif method == "sku.detail":
                    data = self._sku_detail(shop_id, params)
                else:
                    raise _Refusal(40002, "参数错误", "isv.method-not-exist", f"method {method} is not simulated")
        except _Refusal as refusal:
            return SimResponse.of_json(self._envelope(refusal.code, refusal.msg, refusal.sub_code, refusal.sub_msg))
        return SimResponse.of_json({**self._envelope(SUCCESS_CODE, "success", "", ""), "data": data})

    def _authenticate(self, request: SimRequest) -> tuple[str, str, dict[str, Any]]:
        query = request.query
        method = query.get("method", "")
        if request.method != "POST" or not method or method_path(method) != request.path:
            raise _Refusal(40002, "参数错误", "isv.method-mismatch", "method does not match the request path")
        if query.get("app_key") != self.app_key:
            raise _Refusal(30001, "授权错误", "isv.app-key-invalid", "app_key 不存在")
        if query.get("v") != API_VERSION:
            raise _Refusal(40002, "参数错误", "isv.parameter-invalid", "v 必须为 2")
        timestamp = query.get("timestamp", "")
        if not self._fresh(timestamp):
            raise _Refusal(40002, "参数错误", "isv.timestamp-invalid", "timestamp 已过期")
        param_json = request.body.decode("utf-8") or "{}"
        sign_method = query.get("sign_method") or "md5"
        if sign_method not in ("md5", "hmac-sha256"):
            raise _Refusal(40002, "参数错误", "isv.sign-method-invalid", "sign_method 不支持")
        expected = sign_request(
            app_key=self.app_key,
            app_secret=self.app_secret,
            method=method,
            param_json=param_json,
            timestamp=timestamp,
            v=API_VERSION,
            sign_method="md5" if sign_method == "md5" else "hmac-sha256",
        )
        if not hmac.compare_digest(query.get("sign", "").encode("utf-8"), expected.encode("ascii")):
            raise _Refusal(40004, "签名错误", "isv.sign-check-failure", "签名校验失败")
        shop_id = next((s for s, t in self.shop_tokens.items() if t == query.get("access_token")), None)
        if shop_id is None:
            raise _Refusal(30001, "授权错误", "isv.access-token-no-existed", "access_token 不存在或已过期")
        try:
            params = json.loads(param_json)
        except ValueError as exc:
            raise _Refusal(40002, "参数错误", "isv.parameter-invalid", "param_json 不是 JSON") from exc
        if not isinstance(params, dict):
            raise _Refusal(40002, "参数错误", "isv.parameter-invalid", "param_json 不是对象")
        return shop_id, method, params

    def _fresh(self, timestamp: str) -> bool:
        try:
            moment = float(timestamp) if timestamp.isdigit() else from_shanghai_text(timestamp).timestamp()
        except ValueError:
            return False
        return abs(self._clock() - moment) <= _TIMESTAMP_WINDOW_SECONDS

    def _owned_order(self, shop_id: str, order_id: object) -> _SimOrder:
        order = self._orders.get(str(order_id))
        if order is None or order.shop_id != shop_id:
            raise _Refusal(50002, "业务处理失败", "isv.business-failed:9001", "订单不存在")
        return order

    def _order_detail(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        order = self._owned_order(shop_id, params.get("shop_order_id"))
        snapshot = order.snapshots[-1]
        if order.serve_stale:
            order.serve_stale = False
            snapshot = order.snapshots[-2] if len(order.snapshots) > 1 else snapshot
        return {"shop_order_detail": copy.deepcopy(snapshot)}

    def _logistics_add(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        missing = [k for k in ("order_id", "company_code", "logistics_code") if not params.get(k)]
        if missing:
            raise _Refusal(40001, "缺少必选参数", "isv.missing-parameter", f"缺少参数 {', '.join(missing)}")
        order = self._owned_order(shop_id, params["order_id"])
        if order.status in (3, 5, 101):
            raise _Refusal(50002, "业务处理失败", "isv.business-failed:9002", "订单已发货，请勿重复发货")
        if order.status == 4:
            raise _Refusal(50002, "业务处理失败", "isv.business-failed:9003", "订单已取消，不能发货")
        if order.status != 2:
            raise _Refusal(50002, "业务处理失败", "isv.business-failed:9004", "订单当前状态不能发货")
        if order.after_sale_status in (6, 7, 11):
            raise _Refusal(50002, "业务处理失败", "isv.business-failed:9005", "订单有进行中的售后，不能发货")
        order.status = 3
        order.ship_time = self._tick(order)
        company, tracking = str(params["company_code"]), str(params["logistics_code"])
        order.logistics = [{"tracking_no": tracking, "company": company, "ship_time": order.ship_time}]
        self._shipments.append({"order_id": order.order_id, "carrier_code": company, "tracking_no": tracking})
        self._changed(
            order,
            "102",
            logistics_msg={"express_company_id": company, "logistics_code": tracking},
            update_time=order.ship_time,
        )
        return {}

    def _listed_sku(self, shop_id: str, params: Mapping[str, Any]) -> str:
        sku_id = str(params.get("sku_id") or "")
        item = self.listing_by_channel_sku(shop_id, sku_id)
        if item is None or str(params.get("product_id") or "") != item.channel_product_id:
            raise _Refusal(50002, "业务处理失败", "isv.business-failed:9101", f"商品或规格不存在 sku_id={sku_id}")
        return sku_id

    def _sync_stock(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        sku_id = self._listed_sku(shop_id, params)
        quantity = params.get("stock_num")
        if not isinstance(quantity, int) or quantity < 0:
            raise _Refusal(40002, "参数错误", "isv.parameter-invalid", "stock_num 必须为非负整数")
        incremental = bool(params.get("incremental"))
        if incremental and not params.get("idempotent_id"):
            raise _Refusal(40001, "缺少必选参数", "isv.missing-parameter", "增量更新需要 idempotent_id")
        self.record_stock_push(shop_id, sku_id, quantity, incremental=incremental)
        return {}

    def _sku_detail(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        sku_id = self._listed_sku(shop_id, params)
        stock = self.shown_stock(shop_id, sku_id)
        return {"sku_id": int(sku_id), "product_id": int(params["product_id"]), "stock_num": stock}

    def _envelope(self, code: int, msg: str, sub_code: str, sub_msg: str) -> dict[str, Any]:
        log_id = f"{datetime.now():%Y%m%d%H%M%S}{secrets.token_hex(8).upper()}"
        return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg, "log_id": log_id}

    # --- order book ----------------------------------------------------------------------------------
    def _order(self, order_id: str) -> _SimOrder:
        try:
            return self._orders[order_id]
        except KeyError as exc:
            raise KeyError(f"no Douyin order {order_id} on the simulator") from exc

    def _tick(self, order: _SimOrder) -> int:
        # Every change moves update_time forward by at least a second, as the platform's modified time does.
        order.update_time = max(int(self._clock()), order.update_time + 1)
        return order.update_time

    def _changed(self, order: _SimOrder, tag: str, **data: Any) -> None:
        order.snapshots.append(self._detail(order))
        message = {
            "p_id": int(order.order_id),
            "s_ids": [int(line_id) for line_id in order.line_ids],
            "shop_id": _shop_id_value(order.shop_id),
            "order_status": order.status,
            "order_type": 0,
            "biz": 2,
            **data,
        }
        queued = {
            "tag": tag,
            "msg_id": str(next(self._msg_ids)),
            "data": json.dumps(message, ensure_ascii=False, separators=(",", ":")),
        }
        self._pending.append(queued)
        self._last_message[order.order_id] = queued

    def _pay_amount(self, order: _SimOrder) -> int:
        return sum(_line_paid(line) for line in order.spec.lines) + order.spec.freight_fen

    def _detail(self, order: _SimOrder) -> dict[str, Any]:
        spec = order.spec
        goods = sum(line.unit_price_fen * line.quantity for line in spec.lines)
        paid_goods = sum(_line_paid(line) for line in spec.lines)
        promotion = goods - paid_goods
        status_desc = {1: "待支付", 105: "已支付", 2: "备货中", 101: "部分发货", 3: "已发货", 4: "已取消", 5: "已完成"}
        after_sale = {
            "after_sale_status": order.after_sale_status,
            "after_sale_type": order.after_sale_type,
            "refund_status": order.refund_status,
        }
        sku_orders = []
        for index, (line_id, line) in enumerate(zip(order.line_ids, spec.lines, strict=True)):
            listed = self.listing(order.shop_id, line.sku)
            sku_orders.append(
                {
                    "order_id": line_id,
                    "parent_order_id": order.order_id,
                    "order_level": 3,
                    "order_status": order.status,
                    "order_status_desc": status_desc[order.status],
                    "product_id": int(listed.channel_product_id or 0),
                    "product_id_str": listed.channel_product_id,
                    "sku_id": int(listed.channel_sku_id),
                    "product_name": line.title or line.sku,
                    "code": line.sku,
                    "out_sku_id": "",
                    "out_product_id": "",
                    "item_num": line.quantity,
                    "origin_amount": line.unit_price_fen,
                    "sum_amount": line.unit_price_fen * line.quantity,
                    "pay_amount": _line_paid(line),
                    "post_amount": spec.freight_fen if index == 0 else 0,
                    "pre_sale_type": 0,
                    "trade_type": 0,
                    "given_product_type": "FREE" if _line_paid(line) == 0 and line.unit_price_fen > 0 else "MASTER",
                    "after_sale_info": dict(after_sale),
                    "inventory_list": [],
                    "need_serial_number": False,
                    "create_time": order.create_time,
                    "pay_time": order.pay_time,
                    "update_time": order.update_time,
                }
            )
        return {
            "order_id": order.order_id,
            "order_level": 2,
            "shop_id": _shop_id_value(order.shop_id),
            "shop_name": f"Sim shop {order.shop_id}",
            "open_id": "",
            "doudian_open_id": spec.buyer_id,
            "order_status": order.status,
            "order_status_desc": status_desc[order.status],
            "main_status": order.status,
            "main_status_desc": status_desc[order.status],
            "order_type": 0,
            "order_type_desc": "普通实物订单",
            "b_type": 2,
            "b_type_desc": "抖音",
            "biz": 2,
            "biz_desc": "小店",
            "pay_type": 1,
            "create_time": order.create_time,
            "pay_time": order.pay_time,
            "update_time": order.update_time,
            "ship_time": order.ship_time,
            "finish_time": 0,
            "exp_ship_time": order.create_time + 48 * 3600,
            "cancel_reason": order.cancel_reason,
            "order_amount": goods + spec.freight_fen,
            "pay_amount": paid_goods + spec.freight_fen,
            "post_amount": spec.freight_fen,
            "promotion_amount": promotion,
            "promotion_shop_amount": promotion,
            "promotion_platform_amount": 0,
            "promotion_talent_amount": 0,
            "promotion_pay_amount": 0,
            "modify_amount": 0,
            "tax_amount": 0,
            "buyer_words": spec.buyer_message,
            "seller_words": "",
            "seller_remark_stars": 0,
            "post_receiver": "",
            "post_tel": "",
            **order.receiver,
            "logistics_info": copy.deepcopy(order.logistics),
            "order_phase_list": [],
            "sku_order_list": sku_orders,
        }

    def _encrypt_receiver(self, spec: OrderSpec) -> dict[str, Any]:
        receiver = spec.receiver
        region = {
            "province": _region(receiver.province),
            "city": _region(receiver.city),
            "town": _region(receiver.district),
            "street": {"name": "", "id": ""},
        }
        return {
            "encrypt_post_receiver": self._encrypt(receiver.name, "~"),
            "encrypt_post_tel": self._encrypt(receiver.phone, "$"),
            "mask_post_receiver": receiver.name[:1] + "*" * max(len(receiver.name) - 1, 1),
            "mask_post_tel": _mask_phone(receiver.phone),
            "post_addr": {**region, "detail": "", "encrypt_detail": self._encrypt(receiver.detail, "#")},
            "mask_post_addr": {**copy.deepcopy(region), "detail": receiver.detail[:2] + "******"},
        }

    def _encrypt(self, plaintext: str, separator: str) -> str:
        """Opaque ciphertext: a search index stable per plaintext, then a randomised blob."""
        index = hmac.new(self._cipher_key, b"index:" + plaintext.encode(), hashlib.sha256).digest()[:12]
        nonce = secrets.token_bytes(12)
        blob = nonce + hmac.new(self._cipher_key, nonce + plaintext.encode(), hashlib.sha256).digest()
        parts = (base64.b64encode(index).decode(), base64.b64encode(blob).decode(), "1")
        return separator + separator.join(parts) + separator


def _line_paid(line: Any) -> int:
    paid: int = line.paid_fen if line.paid_fen is not None else line.unit_price_fen * line.quantity
    return paid


def _mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "*" * len(phone)


def _region(name: str) -> dict[str, str]:
    return {"name": name, "id": str(zlib.crc32(name.encode()) % 1_000_000)}


def _shop_id_value(shop_id: str) -> int | str:
    return int(shop_id) if shop_id.isdigit() else shop_id
