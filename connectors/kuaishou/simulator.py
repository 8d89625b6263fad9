"""A local fake of the Kuaishou 快手小店 open API and its push service, for tests and the local hub.

It verifies request signatures as the platform does (MD5 or HMAC_SHA256 over the sorted system parameters
with the SignSecret, `timestamp` in ms within 10 minutes), answers `open.order.cursor.list` (update-time
windows ≤ 7 days within the last 90 days, pageSize ≤ 50, keyset cursors, `nomore` after the last page),
`open.order.detail`, `open.seller.order.goods.deliver` (whole order, idempotent for the same expressNo),
`open.item.sku.list.get` and the delta `open.item.sku.stock.update`, all in the `{result, error_msg, code}`
envelope. Pushes are one AES-CBC-sealed message per request, as Kuaishou sends them.

Simulated, not platform facts [INFERRED]: the error codes in `result` (24 AUTHORIZATION_REVOKED is from a
Kuaishou FAQ; the others are stand-ins), the 10-minute timestamp window, the express-code table handed to
the hub as `extra.express_codes`, the receiver ciphertext format, and multi-line orders: Kuaishou makes one
order per SKU, but the hub's platform-neutral specs may have several lines, which are served as a list in
`orderItemInfo` (a single line is the documented single object).

Credentials.extra it hands the hub: `sign_secret`, `msg_secret` (base64 AES-256 key), `express_codes`.
Demo anomalies: `push_request(forge=True)` (sealed with a wrong key), `push_request(sent_at=…)` /
`replayed_push` (an old message), `heartbeat_request`, `flag_risk` (paid but risk-held: PAID_FORBID_SHIPMENT),
`sign_for` (50 已签收, Kuaishou's own "delivered" status), `complete`, `reject_refund`, `dispute_refund`
(20 协商纠纷), `change_total_fee` (kwaishop_order_totalFeeChange), `serve_stale_once`.
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
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from connectors.kuaishou.client import NO_MORE, method_path
from connectors.kuaishou.push import encrypt
from connectors.kuaishou.signing import API_VERSION, SIGN_METHODS, sign, signatures_match
from connectors.sdk.contracts import WebhookRequest
from connectors.sdk.simulator import LineSpec, OrderSpec, PlatformSimulator, SimRequest, SimResponse

_TIMESTAMP_WINDOW_MS = 10 * 60 * 1000
_MAX_WINDOW_MS = 7 * 24 * 3600 * 1000
_MAX_LOOKBACK_MS = 90 * 24 * 3600 * 1000
_MAX_PAGE_SIZE = 50
_FIRST_OID = 2607602240240301
_OPEN_REFUND = frozenset({10, 20, 30, 40, 45, 50})
# The simulated carrier-code table (Kuaishou's real codes are not in the reference).
EXPRESS_CODES = {"SF": 4, "ZTO": 3, "YTO": 6, "STO": 2, "YD": 5, "JD": 9, "EMS": 1}


@dataclass
class _SimOrder:
    oid: int
    shop_id: str
    spec: OrderSpec
    item_ids: list[int]
    status: int
    create_ms: int
    update_ms: int
    address: dict[str, Any]
    pay_ms: int = 0
    send_ms: int = 0
    recv_ms: int = 0
    risk_code: int = 0
    total_fee: int | None = None  # a seller's price change; None = computed from the lines
    refund: dict[str, Any] | None = None
    logistics: list[dict[str, Any]] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    serve_stale: bool = False


class _Refusal(Exception):
    def __init__(self, result: int, code: str, message: str) -> None:
        super().__init__(message)
        self.result, self.code, self.message = result, code, message


class KuaishouSimulator(PlatformSimulator):
    channel: ClassVar[str] = "kuaishou"

    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        shop_tokens: Mapping[str, str],
        clock: Callable[[], float] = time.time,
        sign_secret: str | None = None,
        msg_secret: str | None = None,
    ) -> None:
        super().__init__(app_key=app_key, app_secret=app_secret, shop_tokens=shop_tokens)
        self.sign_secret = sign_secret or secrets.token_urlsafe(24)
        self.msg_secret = msg_secret or base64.b64encode(secrets.token_bytes(32)).decode("ascii")
        self.extra.update(
            sign_secret=self.sign_secret,
            msg_secret=self.msg_secret,
            express_codes=json.dumps(EXPRESS_CODES, separators=(",", ":")),
        )
        self._clock = clock
        self._orders: dict[int, _SimOrder] = {}
        self._oids = itertools.count(_FIRST_OID, 100)
        self._item_ids = itertools.count(2607602240240311, 100)
        self._event_ids = itertools.count(2375715766426)
        self._refund_ids = itertools.count(2607602240240400, 100)
        self._pending: list[dict[str, Any]] = []
        self._last_message: dict[str, dict[str, Any]] = {}
        self._shipments: list[dict[str, Any]] = []
        self._push_url: str | None = None
        self._cipher_key = secrets.token_bytes(16)

    # --- scenario ------------------------------------------------------------------------------------
    def place_order(self, spec: OrderSpec, *, paid: bool = True) -> str:
        if spec.shop_id not in self.shop_tokens:
            raise ValueError(f"shop {spec.shop_id} has no token on this simulator")
        created = _ms(spec.created_at)
        with self.lock:
            oid = next(self._oids)
            order = _SimOrder(
                oid=oid,
                shop_id=spec.shop_id,
                spec=spec,
                item_ids=[next(self._item_ids) for _ in spec.lines],
                status=10,
                create_ms=created,
                update_ms=created,
                address=self._seal_address(spec),
            )
            self._orders[oid] = order
            seller = _id_value(spec.shop_id)
            info = {"oid": oid, "sellerId": seller, "createTime": created, "buyerOpenId": spec.buyer_id}
            self._changed(order, "kwaishop_order_addOrder", info, at=created)
        if paid:
            self.pay(str(oid))
        return str(oid)

    def pay(self, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id)
            if order.status != 10:
                raise ValueError(f"order {order_id} is not awaiting payment")
            order.status = 30
            order.pay_ms = self._tick(order)
            self._status_changed(order, "kwaishop_order_paySuccess")

    def cancel(self, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id)
            if order.status not in (10, 30):
                raise ValueError(f"order {order_id} can no longer be cancelled (status {order.status})")
            was_paid = order.status == 30
            order.status = 80
            at = self._tick(order)
            if was_paid:  # the platform refunds a paid order it cancels
                order.refund = self._new_refund(order, status=60, at=at)
            self._status_changed(order, "kwaishop_order_orderFail")

    def request_refund(self, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id)
            if order.status != 30:
                raise ValueError(f"order {order_id} is not paid and unshipped (status {order.status})")
            order.refund = self._new_refund(order, status=10, at=self._tick(order))
            self._refund_changed(order, "kwaishop_aftersales_addRefund")

    def reject_refund(self, order_id: str) -> None:
        self._move_refund(order_id, 12)

    def dispute_refund(self, order_id: str) -> None:
        """The buyer escalates a refused refund: 20 协商纠纷，等待平台处理."""
        self._move_refund(order_id, 20)

    def approve_refund(self, order_id: str) -> None:
        """The seller agrees to refund an unshipped order: money goes back and the order fails (80)."""
        with self.lock:
            order = self._order(order_id)
            self._move_refund(order_id, 60)
            order.status = 80
            self._status_changed(order, "kwaishop_order_orderFail")

    def flag_risk(self, order_id: str, risk_code: int = 1) -> None:
        """Kuaishou's risk control holds a paid order: it may not be shipped while riskCode is set."""
        with self.lock:
            order = self._order(order_id)
            order.risk_code = risk_code
            self._tick(order)
            self._status_changed(order, "kwaishop_order_paySuccess")

    def sign_for(self, order_id: str) -> None:
        """The buyer signs for the parcel: 50 已签收."""
        self._advance(order_id, from_status=40, to_status=50, event="kwaishop_order_deliverySuccess")

    def complete(self, order_id: str) -> None:
        """The deal closes: 70 订单成功."""
        self._advance(order_id, from_status=50, to_status=70, event="kwaishop_order_orderSuccess")

    def change_total_fee(self, order_id: str, total_fee_fen: int) -> None:
        """The seller changes an unpaid order's price (kwaishop_order_totalFeeChange)."""
        with self.lock:
            order = self._order(order_id)
            if order.status != 10:
                raise ValueError("only an unpaid order's price can change")
            before = self._total_fee(order)
            order.total_fee = total_fee_fen
            self._tick(order)
            info = {
                "oid": order.oid,
                "sellerId": _id_value(order.shop_id),
                "totalFee": total_fee_fen,
                "beforeTotalFee": before,
                "expressFee": order.spec.freight_fen,
                "updateTime": order.update_ms,
            }
            self._changed(order, "kwaishop_order_totalFeeChange", info, at=order.update_ms)

    def serve_stale_once(self, order_id: str) -> None:
        """The next open.order.detail of this order answers the snapshot before the current one."""
        with self.lock:
            self._order(order_id).serve_stale = True

    def order_status(self, order_id: str) -> int:
        with self.lock:
            return self._order(order_id).status

    def shipments(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(s) for s in self._shipments]

    # --- push ----------------------------------------------------------------------------------------
    def sealed(self, message: Mapping[str, Any], *, forge: bool = False) -> bytes:
        """A message as Kuaishou puts it on the wire (forge: sealed with a key that is not the app's)."""
        key = base64.b64encode(hashlib.sha256(b"forged:" + self.msg_secret.encode()).digest()).decode()
        plaintext = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return encrypt(plaintext, key if forge else self.msg_secret)

    def push_request(
        self,
        order_id: str,
        *,
        forge: bool = False,
        omit_signature: bool = False,
        sent_at: datetime | None = None,
    ) -> WebhookRequest:
        """The order's latest message as Kuaishou would push it now. Kuaishou has no signature header:
        `omit_signature` sends an empty body (nothing sealed), `forge` seals with a wrong key, `sent_at` makes
        it a message created and last sent then (a replay)."""
        with self.lock:
            message = dict(self._last_message[order_id])
        if sent_at is not None:
            message["createTime"] = message["updateTime"] = _ms(sent_at)
        else:
            message["updateTime"] = max(int(message["updateTime"]), int(self._clock() * 1000))
        body = b"" if omit_signature else self.sealed(message, forge=forge)
        return WebhookRequest(headers=self.signed_push(body), query={}, body=body, received_at=datetime.now(UTC))

    def replayed_push(self, order_id: str, age: timedelta) -> WebhookRequest:
        return self.push_request(order_id, sent_at=datetime.now(UTC) - age)

    def heartbeat_request(self) -> WebhookRequest:
        """Kuaishou's test/heartbeat message: authentic, about no order."""
        now = int(self._clock() * 1000)
        message = {
            "eventId": f"test_{next(self._event_ids)}",
            "msgId": f"test_{now}",
            "bizId": 0,
            "userId": 0,
            "appKey": self.app_key,
            "event": "kwaishop_order_addOrder",
            "info": "{}",
            "status": 2,
            "createTime": now,
            "updateTime": now,
            "test": True,
        }
        body = self.sealed(message)
        return WebhookRequest(headers=self.signed_push(body), query={}, body=body, received_at=datetime.now(UTC))

    def signed_push(self, body: bytes, *, forge: bool = False) -> dict[str, str]:
        """Headers of a push: Kuaishou signs nothing; authenticity is in the sealed body."""
        return {"content-type": "text/plain;charset=UTF-8"}

    def set_push_target(self, url: str) -> None:
        self._push_url = url

    def pending_messages(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(m) for m in self._pending]

    def pending_delivery(self) -> bytes:
        """The body of the next push (one message per request)."""
        with self.lock:
            return self.sealed(self._pending[0])

    def deliver_pending(self, times: int = 1, forge: bool = False) -> list[int]:
        """POST each pending message to the push target `times` times; acknowledged ones leave the queue."""
        if self._push_url is None:
            raise RuntimeError("no push target: call set_push_target(url) first")
        with self.lock:
            batch = list(self._pending)
        statuses: list[int] = []
        with httpx.Client(timeout=30.0) as http:
            for message in batch:
                body = self.sealed(message, forge=forge)
                headers = self.signed_push(body)
                answers = [http.post(self._push_url, content=body, headers=headers) for _ in range(times)]
                statuses += [answer.status_code for answer in answers]
                if any(a.status_code == 200 and a.text == '{"result":1}' for a in answers):
                    with self.lock:
                        self._pending.remove(message)
        return statuses

    def discard_pending(self) -> None:
        with self.lock:
            self._pending.clear()

    # --- HTTP API ------------------------------------------------------------------------------------
    def handle(self, request: SimRequest) -> SimResponse:
        try:
            shop_id, method, params = self._authenticate(request)
            with self.lock:
                handler = {
                    "open.order.cursor.list": self._cursor_list,
                    "open.order.detail": self._detail,
                    "open.seller.order.goods.deliver": self._deliver,
                    "open.item.sku.list.get": self._sku_list,
                    "open.item.sku.stock.update": self._stock_update,
                }.get(method)
                if handler is None:
                    raise _Refusal(22, "METHOD_NOT_FOUND", f"method {method} is not simulated")
                data = handler(shop_id, params)
        except _Refusal as refusal:
            return SimResponse.of_json(
                {"result": refusal.result, "error_msg": refusal.message, "code": refusal.code, "requestId": _rid()}
            )
        return SimResponse.of_json({"result": 1, "msg": "success", "code": "0", "data": data, "requestId": _rid()})

    def _authenticate(self, request: SimRequest) -> tuple[str, str, dict[str, Any]]:
        fields = request.form() if request.method == "POST" else dict(request.query)
        method = fields.get("method", "")
        if not method or method_path(method) != request.path:
            raise _Refusal(22, "METHOD_MISMATCH", "method does not match the request path")
        if fields.get("appkey") != self.app_key:
            raise _Refusal(28, "APPKEY_INVALID", "appkey 不存在")
        if fields.get("version") != API_VERSION:
            raise _Refusal(9, "PARAM_INVALID", "version 必须为 1")
        timestamp = fields.get("timestamp", "")
        if not timestamp.isdigit() or abs(int(self._clock() * 1000) - int(timestamp)) > _TIMESTAMP_WINDOW_MS:
            raise _Refusal(9, "TIMESTAMP_INVALID", "timestamp 已过期")
        sign_method = fields.get("signMethod") or "MD5"
        if sign_method not in SIGN_METHODS:
            raise _Refusal(9, "SIGN_METHOD_INVALID", "signMethod 不支持")
        unsigned = {k: v for k, v in fields.items() if k != "sign"}
        expected = sign(unsigned, self.sign_secret, "MD5" if sign_method == "MD5" else "HMAC_SHA256")
        if not signatures_match(fields.get("sign", ""), expected):
            raise _Refusal(26, "SIGN_INVALID", "签名校验失败")
        shop_id = next((s for s, t in self.shop_tokens.items() if t == fields.get("access_token")), None)
        if shop_id is None:
            raise _Refusal(24, "AUTHORIZATION_REVOKED", "AUTHORIZATION_REVOKED")
        try:
            params = json.loads(fields.get("param") or "{}")
        except ValueError as exc:
            raise _Refusal(9, "PARAM_INVALID", "param 不是 JSON") from exc
        if not isinstance(params, dict):
            raise _Refusal(9, "PARAM_INVALID", "param 不是对象")
        return shop_id, method, params

    def _cursor_list(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        begin, end = _int_param(params, "beginTime"), _int_param(params, "endTime")
        page_size = _int_param(params, "pageSize")
        now = int(self._clock() * 1000)
        if not 0 < page_size <= _MAX_PAGE_SIZE:
            raise _Refusal(9, "PARAM_INVALID", f"pageSize 须在 1-{_MAX_PAGE_SIZE} 之间")
        if begin >= end or end - begin > _MAX_WINDOW_MS or begin < now - _MAX_LOOKBACK_MS:
            raise _Refusal(9, "PARAM_INVALID", "时间范围不合法：开始须早于结束，跨度不超过7天，且在90天内")
        by_update = params.get("queryType") == 2
        descending = params.get("sort") == 2

        def key(order: _SimOrder) -> tuple[int, int]:
            return (order.update_ms if by_update else order.create_ms, order.oid)

        found = sorted(
            (o for o in self._orders.values() if o.shop_id == shop_id and begin <= key(o)[0] <= end),
            key=key,
            reverse=descending,
        )
        cursor = str(params.get("cursor") or "")
        if cursor == NO_MORE:
            return {"cursor": NO_MORE, "pageSize": page_size, "beginTime": begin, "endTime": end, "orderList": []}
        if cursor:
            after = _decode_cursor(cursor)
            found = [o for o in found if (key(o) < after if descending else key(o) > after)]
        page, rest = found[:page_size], found[page_size:]
        following = _encode_cursor(key(page[-1])) if page and rest else NO_MORE
        orders = [self._view(o) for o in page]
        return {"cursor": following, "pageSize": page_size, "beginTime": begin, "endTime": end, "orderList": orders}

    def _owned(self, shop_id: str, oid: object) -> _SimOrder:
        order = self._orders.get(int(str(oid))) if str(oid).isdigit() else None
        if order is None or order.shop_id != shop_id:
            raise _Refusal(9, "ORDER_NOT_FOUND", f"订单不存在 {oid}")
        return order

    def _detail(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        order = self._owned(shop_id, params.get("oid"))
        if order.serve_stale and len(order.snapshots) > 1:
            order.serve_stale = False
            return copy.deepcopy(order.snapshots[-2])
        return self._view(order)

    def _deliver(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        missing = [k for k in ("orderId", "expressNo", "expressCode") if params.get(k) in (None, "")]
        if missing:
            raise _Refusal(9, "PARAM_MISSING", f"缺少参数 {', '.join(missing)}")
        if not isinstance(params["expressCode"], int) or params["expressCode"] not in EXPRESS_CODES.values():
            raise _Refusal(9, "EXPRESS_CODE_INVALID", "快递公司编码不存在")
        order = self._owned(shop_id, params["orderId"])
        express_no = str(params["expressNo"])
        if order.status in (40, 50, 70):
            if any(parcel["expressNo"] == express_no for parcel in order.logistics):
                return {}  # same expressNo again: answered as success (platform behaviour since 2024-11)
            raise _Refusal(9, "ORDER_ALREADY_DELIVERED", "订单已发货，请勿重复发货")
        if order.status != 30:
            raise _Refusal(9, "ORDER_STATUS_INVALID", f"订单当前状态不能发货 (status {order.status})")
        if order.risk_code:
            raise _Refusal(9, "ORDER_RISK", "订单风控审核中，暂不能发货")
        if order.refund is not None and order.refund["status"] in _OPEN_REFUND:
            raise _Refusal(9, "ORDER_REFUNDING", "订单有正在执行的退款，不能发货")
        order.status = 40
        order.send_ms = self._tick(order)
        order.logistics.append(
            {"expressNo": express_no, "expressCode": params["expressCode"], "logisticsId": next(self._event_ids)}
        )
        code = next(c for c, n in EXPRESS_CODES.items() if n == params["expressCode"])
        self._shipments.append({"order_id": str(order.oid), "carrier_code": code, "tracking_no": express_no})
        self._status_changed(order, "kwaishop_order_delivering")
        return {}

    def _sku_list(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        item_id = str(params.get("kwaiItemId") or "")
        with self.lock:
            listed = [item for (shop, _), item in self._listings.items() if shop == shop_id]
        skus = [
            {
                "kwaiSkuId": int(item.channel_sku_id),
                "kwaiItemId": int(item_id),
                "skuNick": item.merchant_sku,
                "skuStock": self.shown_stock(shop_id, item.channel_sku_id),
            }
            for item in listed
            if item.channel_product_id == item_id
        ]
        if not skus:
            raise _Refusal(9, "ITEM_NOT_FOUND", f"商品不存在 kwaiItemId={item_id}")
        return {"skuList": skus}

    def _stock_update(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        sku_id = str(params.get("skuId") or "")
        item = self.listing_by_channel_sku(shop_id, sku_id)
        if item is None or str(params.get("kwaiItemId") or "") != item.channel_product_id:
            raise _Refusal(9, "SKU_NOT_FOUND", f"商品或规格不存在 skuId={sku_id}")
        change, change_type = params.get("skuChangeStock"), params.get("changeType")
        if not isinstance(change, int) or isinstance(change, bool) or not 0 < change < 9_999_999:
            raise _Refusal(9, "PARAM_INVALID", "skuChangeStock 须为正整数")
        if change_type not in (1, 2):
            raise _Refusal(9, "PARAM_INVALID", "changeType 须为 1（增加）或 2（减少）")
        if change_type == 2 and change > self.shown_stock(shop_id, sku_id):
            raise _Refusal(9, "STOCK_NOT_ENOUGH", "减少的库存超过现有库存")
        self.record_stock_push(shop_id, sku_id, change if change_type == 1 else -change, incremental=True)
        return {}

    # --- order book ----------------------------------------------------------------------------------
    def _order(self, order_id: str) -> _SimOrder:
        try:
            return self._orders[int(order_id)]
        except (KeyError, ValueError) as exc:
            raise KeyError(f"no Kuaishou order {order_id} on the simulator") from exc

    def _tick(self, order: _SimOrder) -> int:
        # Every change moves updateTime forward by at least a millisecond.
        order.update_ms = max(int(self._clock() * 1000), order.update_ms + 1)
        return order.update_ms

    def _advance(self, order_id: str, *, from_status: int, to_status: int, event: str) -> None:
        with self.lock:
            order = self._order(order_id)
            if order.status != from_status:
                raise ValueError(f"order {order_id} is not in status {from_status}")
            order.status = to_status
            at = self._tick(order)
            if to_status == 50:
                order.recv_ms = at
            self._status_changed(order, event)

    def _new_refund(self, order: _SimOrder, *, status: int, at: int) -> dict[str, Any]:
        return {
            "refundId": next(self._refund_ids),
            "oid": order.oid,
            "status": status,
            "handlingWay": 10,  # 仅退款
            "refundFee": self._total_fee(order),
            "createTime": at,
            "updateTime": at,
        }

    def _move_refund(self, order_id: str, status: int) -> None:
        with self.lock:
            order = self._order(order_id)
            if order.refund is None:
                raise ValueError(f"order {order_id} has no refund case")
            order.refund["status"] = status
            order.refund["updateTime"] = self._tick(order)
            self._refund_changed(order, "kwaishop_aftersales_updateRefund")

    def _status_changed(self, order: _SimOrder, event: str) -> None:
        seller = _id_value(order.shop_id)
        info = {"oid": order.oid, "sellerId": seller, "status": order.status, "updateTime": order.update_ms}
        self._changed(order, event, info, at=order.update_ms)

    def _refund_changed(self, order: _SimOrder, event: str) -> None:
        refund = order.refund or {}
        info = {
            "orderId": order.oid,
            "refundId": refund.get("refundId"),
            "handlingWay": refund.get("handlingWay"),
            "specialRefundType": 0,
            "status": refund.get("status"),
            "eventType": 1,
            "updateTime": order.update_ms,
        }
        self._changed(order, event, info, at=order.update_ms, biz_id=int(refund.get("refundId") or 0))

    def _changed(
        self, order: _SimOrder, event: str, info: dict[str, Any], *, at: int, biz_id: int | None = None
    ) -> None:
        order.snapshots.append(self._view(order))
        event_no = next(self._event_ids)
        message = {
            "eventId": f"243_4027_{event_no}",
            "msgId": f"84_{event_no}",
            "bizId": biz_id if biz_id is not None else order.oid,
            "userId": _id_value(order.shop_id),
            "openId": hashlib.md5(f"{self.app_key}:{order.shop_id}".encode()).hexdigest(),  # noqa: S324
            "appKey": self.app_key,
            "event": event,
            "info": json.dumps(info, ensure_ascii=False, separators=(",", ":")),
            "status": 2,
            "createTime": at,
            "updateTime": at,
            "operator": str(_id_value(order.shop_id)),
        }
        self._pending.append(message)
        self._last_message[str(order.oid)] = message

    def _total_fee(self, order: _SimOrder) -> int:
        if order.total_fee is not None:
            return order.total_fee
        return sum(_line_paid(line) for line in order.spec.lines) + order.spec.freight_fen

    def _view(self, order: _SimOrder) -> dict[str, Any]:
        """The order as open.order.detail / cursor.list serve it."""
        spec = order.spec
        goods = sum(line.unit_price_fen * line.quantity for line in spec.lines)
        items = [self._item(order, item_id, line) for item_id, line in zip(order.item_ids, spec.lines, strict=True)]
        return {
            "orderBaseInfo": {
                "oid": order.oid,
                "status": order.status,
                "createTime": order.create_ms,
                "payTime": order.pay_ms,
                "sendTime": order.send_ms,
                "recvTime": order.recv_ms,
                "updateTime": order.update_ms,
                "totalFee": self._total_fee(order),
                "expressFee": spec.freight_fen,
                "discountFee": goods - sum(_line_paid(line) for line in spec.lines),
                "buyerOpenId": spec.buyer_id,
                "buyerNick": "快手用户" + spec.buyer_id[-4:],
                "sellerOpenId": hashlib.md5(order.shop_id.encode()).hexdigest(),  # noqa: S324
                "payType": 1 if order.pay_ms else 0,
                "payChannel": "微信" if order.pay_ms else "",
                "remark": spec.buyer_message,
                "preSale": 0,
                "riskCode": order.risk_code,
                "cpsType": 1,
                "validPromiseShipmentTimeStamp": order.create_ms + 48 * 3600 * 1000,
                "refundTime": 0,
            },
            "orderAddress": copy.deepcopy(order.address),
            "orderItemInfo": items[0] if len(items) == 1 else items,
            "orderLogisticsInfo": copy.deepcopy(order.logistics),
            "orderRefundList": [dict(order.refund)] if order.refund else [],
            "orderNote": {"sellerNote": []},
            "orderFlag": {"flag": []},
            "orderCpsInfo": {"distributorId": 0, "distributorName": ""},
            "orderDeliveryInfo": {"enableAppendPackage": order.status == 40, "maxPackageNum": 5},
        }

    def _item(self, order: _SimOrder, item_id: int, line: LineSpec) -> dict[str, Any]:
        listed = self.listing(order.shop_id, line.sku)
        return {
            "orderItemId": item_id,
            "itemId": int(listed.channel_product_id or 0),
            "skuId": int(listed.channel_sku_id),
            "relItemId": 0,
            "relSkuId": 0,
            "itemTitle": line.title or line.sku,
            "skuDesc": "默认规格",
            "skuNick": line.sku,
            "goodsCode": line.sku,
            "num": line.quantity,
            "price": line.unit_price_fen,
            "originalPrice": line.unit_price_fen,
            "discountFee": line.unit_price_fen * line.quantity - _line_paid(line),
            "warehouseCode": "",
            "itemType": 1,
        }

    def _seal_address(self, spec: OrderSpec) -> dict[str, Any]:
        receiver = spec.receiver
        return {
            "consignee": "",
            "mobile": "",
            "address": "",
            "encryptedConsignee": self._seal(receiver.name),
            "encryptedMobile": self._seal(receiver.phone),
            "encryptedAddress": self._seal(receiver.detail),
            "desensitiseConsignee": receiver.name[:1] + "**",
            "desensitiseMobile": receiver.phone[:3] + "****" + receiver.phone[-4:],
            "desensitiseAddress": receiver.province + receiver.city + receiver.district + "****",
            "province": receiver.province,
            "provinceCode": zlib.crc32(receiver.province.encode()) % 1_000_000,
            "city": receiver.city,
            "cityCode": zlib.crc32(receiver.city.encode()) % 1_000_000,
            "district": receiver.district,
            "districtCode": zlib.crc32(receiver.district.encode()) % 1_000_000,
        }

    def _seal(self, plaintext: str) -> str:
        nonce = secrets.token_bytes(12)
        blob = nonce + hmac.new(self._cipher_key, nonce + plaintext.encode(), hashlib.sha256).digest()
        return "##" + base64.b64encode(blob).decode() + "##"


def _ms(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def _line_paid(line: LineSpec) -> int:
    return line.paid_fen if line.paid_fen is not None else line.unit_price_fen * line.quantity


def _int_param(params: Mapping[str, Any], key: str) -> int:
    value = params.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Refusal(9, "PARAM_INVALID", f"{key} 须为整数")
    return value


def _encode_cursor(key: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{key[0]}:{key[1]}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        moment, oid = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        return int(moment), int(oid)
    except ValueError as exc:
        raise _Refusal(9, "CURSOR_INVALID", "cursor 不合法") from exc


def _id_value(shop_id: str) -> int | str:
    return int(shop_id) if shop_id.isdigit() else shop_id


def _rid() -> str:
    return secrets.token_hex(8)
