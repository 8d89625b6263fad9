"""A local fake of the Xiaohongshu ark open API and its push service, for tests, the kit and the local hub.

Like the platform (platforms.md §6): one endpoint (`/ark/open_api/v3/common_controller`, POST JSON) checking
`appId`, `version`, `timestamp` (unix seconds, within 10 minutes [INFERRED]), the md5 `sign` and the
`accessToken`; `order.getOrderList` pages for real (timeType 1 ≤ 24 h, 2 ≤ 30 min, sorted by the chosen time
descending, `total`/`maxPageNo`), `order.getOrderDetail` (receiver region and `openAddressId` only, never the
plaintext), `order.orderDeliver` (whole or split, a repeat refused), `inventory.syncSkuStock` /
`inventory.getSkuStock`; pushes are signed arrays `[{msgTag, sellerId, data}]`.
Error codes are [INFERRED]: the reference gives only the envelope `{success, error_code, error_msg, data}`.

Demo anomalies: `push_request(forge=True | omit_signature=True | sent_at=old)`, `test_probe_request()` (the
console's unsigned `{"test":true}`), `pay(order_id, risk_review=True)` (status 2, paid but held by risk
control), `hold_in_customs` / `release_from_customs` (status 3 清关中, a status only Xiaohongshu has),
`request_exchange` (status 10 换货申请中), `serve_stale_once`, and the base class's 429/5xx faults.
"""

import copy
import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from connectors.sdk.contracts import WebhookRequest
from connectors.sdk.simulator import OrderSpec, PlatformSimulator, SimRequest, SimResponse
from connectors.xiaohongshu.client import DEFAULT_PATH
from connectors.xiaohongshu.signing import API_VERSION, push_sign, request_sign

PUSH_PATH = "/webhooks/xiaohongshu"
_TIMESTAMP_WINDOW_SECONDS = 600
_MAX_SPAN_MS = {1: 24 * 3600 * 1000, 2: 30 * 60 * 1000}
_TIME_KEY = {1: "createdTime", 2: "updateTime"}
_SHIPPABLE = frozenset({4, 5})
_SHIPPED = frozenset({6, 7, 10})
_LIST_FIELDS = (
    "orderId",
    "orderType",
    "orderStatus",
    "orderAfterSalesStatus",
    "cancelStatus",
    "createdTime",
    "paidTime",
    "updateTime",
    "deliveryTime",
    "cancelTime",
    "finishTime",
    "promiseLastDeliveryTime",
    "customerRemark",
    "sellerRemark",
    "sellerRemarkFlag",
)


class _Refusal(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class _SimOrder:
    shop_id: str
    detail: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    shipped_skus: set[str] = field(default_factory=set)
    serve_stale: bool = False


class XiaohongshuSimulator(PlatformSimulator):
    channel: ClassVar[str] = "xiaohongshu"

    def __init__(
        self,
        *,
        app_key: str = "xhs-sim-app",
        app_secret: str = "xhs-sim-secret",
        shop_tokens: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            app_key=app_key,
            app_secret=app_secret,
            shop_tokens=shop_tokens or {"60a1b2c3d4e5f60718293a4b": "xhs-sim-token"},
        )
        self._clock = clock
        self._orders: dict[str, _SimOrder] = {}
        self._order_numbers = itertools.count(768291112062421401)
        self._shipments: list[dict[str, Any]] = []
        self._pending: list[dict[str, str]] = []
        self._last_message: dict[str, dict[str, str]] = {}
        self._push_url: str | None = None
        self._address_key = secrets.token_bytes(16)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{DEFAULT_PATH}"

    # --- HTTP API ------------------------------------------------------------------------------------
    def handle(self, request: SimRequest) -> SimResponse:
        if request.method != "POST" or request.path.rstrip("/") != DEFAULT_PATH:
            return SimResponse.of_json({"error": "not found"}, status=404)
        try:
            body = request.json()
            if not isinstance(body, dict):
                raise _Refusal(40003, "请求体必须是 JSON 对象")
            shop_id = self._authenticate(body)
            handler = _HANDLERS.get(str(body["method"]))
            if handler is None:
                raise _Refusal(40004, f"method {body['method']} 不存在")
            with self.lock:
                data = handler(self, shop_id, body)
        except _Refusal as refusal:
            return SimResponse.of_json(
                {"success": False, "error_code": refusal.code, "error_msg": refusal.message, "data": None}
            )
        except ValueError:
            return SimResponse.of_json({"success": False, "error_code": 40003, "error_msg": "请求体不是 JSON"})
        return SimResponse.of_json({"success": True, "error_code": 0, "error_msg": "", "data": data})

    def _authenticate(self, body: Mapping[str, Any]) -> str:
        for key in ("appId", "timestamp", "version", "method", "sign", "accessToken"):
            if not body.get(key):
                raise _Refusal(40003, f"缺少系统参数 {key}")
        if body["appId"] != self.app_key:
            raise _Refusal(40001, "appId 不存在")
        if body["version"] != API_VERSION:
            raise _Refusal(40003, "version 不支持")
        timestamp = str(body["timestamp"])
        if not timestamp.isdigit() or abs(self._clock() - int(timestamp)) > _TIMESTAMP_WINDOW_SECONDS:
            raise _Refusal(40003, "timestamp 已过期")
        expected = request_sign(
            method=str(body["method"]),
            app_id=self.app_key,
            timestamp=timestamp,
            version=API_VERSION,
            app_secret=self.app_secret,
        )
        if not hmac.compare_digest(str(body["sign"]).encode(), expected.encode()):
            raise _Refusal(40001, "签名校验失败")
        shop_id = next((s for s, t in self.shop_tokens.items() if t == body["accessToken"]), None)
        if shop_id is None:
            raise _Refusal(40002, "accessToken 无效或已过期")
        return shop_id

    def _order_list(self, shop_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        try:
            start_ms, end_ms = int(body["startTime"]) * 1000, int(body["endTime"]) * 1000
            time_type = int(body.get("timeType") or 1)
            page_no, page_size = int(body.get("pageNo") or 1), int(body.get("pageSize") or 50)
        except (KeyError, TypeError, ValueError) as exc:
            raise _Refusal(40003, "startTime/endTime/timeType/pageNo/pageSize 不合法") from exc
        if time_type not in _MAX_SPAN_MS:
            raise _Refusal(40003, "timeType 只支持 1 或 2")
        if end_ms < start_ms or end_ms - start_ms > _MAX_SPAN_MS[time_type]:
            raise _Refusal(40003, "查询时间范围超出限制（创建时间≤24小时，更新时间≤30分钟）")
        if page_no < 1 or not 1 <= page_size <= 100:
            raise _Refusal(40003, "pageNo ≥ 1，pageSize 1-100")
        key = _TIME_KEY[time_type]
        matching = [
            order.detail
            for order in self._orders.values()
            if order.shop_id == shop_id and start_ms <= order.detail[key] < end_ms + 1000
        ]
        matching.sort(key=lambda d: (d[key], d["orderId"]), reverse=True)
        page = matching[(page_no - 1) * page_size : page_no * page_size]
        return {
            "total": len(matching),
            "pageNo": page_no,
            "pageSize": page_size,
            "maxPageNo": -(-len(matching) // page_size),
            "orderList": [{k: d.get(k) for k in _LIST_FIELDS} for d in page],
        }

    def _order_detail(self, shop_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        order = self._owned(shop_id, body.get("orderId"))
        detail = order.detail
        if order.serve_stale:
            order.serve_stale = False
            detail = order.history[-2] if len(order.history) > 1 else detail
        return copy.deepcopy(detail)

    def _order_deliver(self, shop_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        for key in ("orderId", "expressNo", "expressCompanyCode"):
            if not body.get(key):
                raise _Refusal(40003, f"缺少参数 {key}")
        order = self._owned(shop_id, body["orderId"])
        detail = order.detail
        status = detail["orderStatus"]
        if status in _SHIPPED:
            raise _Refusal(50002, "订单已发货，不能重复发货")
        if status not in _SHIPPABLE:
            raise _Refusal(50003, f"订单状态 {status} 不能发货")
        if detail["orderAfterSalesStatus"] in (2, 6) or detail["cancelStatus"] == 1:
            raise _Refusal(50004, "订单售后/取消处理中，不能发货")
        all_skus = {line["skuId"] for line in detail["skuList"]}
        wanted = set(body.get("skuIdList") or []) if body.get("unpack") else all_skus - order.shipped_skus
        if not wanted or not wanted <= all_skus:
            raise _Refusal(50005, "拆包商品不属于该订单")
        if wanted & order.shipped_skus:
            raise _Refusal(50002, "订单已发货，不能重复发货")
        order.shipped_skus |= wanted
        now = self._tick(order)
        detail["orderStatus"] = 6 if order.shipped_skus == all_skus else 5
        detail["deliveryTime"] = now
        detail["expressTrackingNo"] = str(body["expressNo"])
        detail["expressCompanyCode"] = str(body["expressCompanyCode"])
        self._shipments.append(
            {
                "order_id": detail["orderId"],
                "carrier_code": str(body["expressCompanyCode"]),
                "tracking_no": str(body["expressNo"]),
                "sku_ids": sorted(wanted),
            }
        )
        self._changed(order, "msg_fulfillment_status_change")
        return {}

    def _listed_sku(self, shop_id: str, body: Mapping[str, Any]) -> str:
        sku_id = str(body.get("skuId") or "")
        if self.listing_by_channel_sku(shop_id, sku_id) is None:
            raise _Refusal(50101, f"规格不存在 skuId={sku_id}")
        return sku_id

    def _sync_stock(self, shop_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        sku_id = self._listed_sku(shop_id, body)
        quantity = body.get("qty")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise _Refusal(40003, "qty 必须为非负整数")
        self.record_stock_push(shop_id, sku_id, quantity)
        return {}

    def _get_stock(self, shop_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        sku_id = self._listed_sku(shop_id, body)
        shown = self.shown_stock(shop_id, sku_id)
        stock = {
            "available": shown,
            "standalone": 0,
            "reserved": 0,
            "total": shown,
            "occupiedQuantity": 0,
            "productChannelQuantity": 0,
            "productChannelOccupiedQuantity": 0,
            "activityChannelQuantity": 0,
            "activityChannelOccupiedQuantity": 0,
        }
        return {
            "skuId": sku_id,
            "apiVersion": "V1",
            "skuStock": stock,
            "skuStockInfoWithWhcode": [{"skuId": sku_id, "whcode": "CPartner", "skuStock": dict(stock)}],
        }

    # --- scenario ------------------------------------------------------------------------------------
    def place_order(self, spec: OrderSpec, *, paid: bool = True) -> str:
        if spec.shop_id not in self.shop_tokens:
            raise ValueError(f"shop {spec.shop_id} has no token on this simulator")
        with self.lock:
            order_id = f"P{next(self._order_numbers)}"
            created = int(spec.created_at.timestamp() * 1000)
            order = _SimOrder(shop_id=spec.shop_id, detail=self._new_detail(order_id, spec, created))
            self._orders[order_id] = order
            order.history.append(copy.deepcopy(order.detail))
            self._message(order, "msg_fulfillment_status_change")
        if paid:
            self.pay(order_id)
        return order_id

    def pay(self, order_id: str, *, risk_review: bool = False) -> None:
        """Pay; `risk_review` leaves the order in status 2 (paid, held by risk control) until `clear_risk`."""
        with self.lock:
            order = self._order(order_id)
            if order.detail["orderStatus"] != 1:
                raise ValueError(f"order {order_id} is not awaiting payment")
            order.detail["paidTime"] = self._tick(order)
            order.detail["orderStatus"] = 2 if risk_review else 4
            self._changed(order, "msg_fulfillment_status_change")

    def clear_risk(self, order_id: str) -> None:
        self._move(order_id, from_statuses=(2,), to_status=4)

    def hold_in_customs(self, order_id: str) -> None:
        """Cross-border customs clearance (清关中, status 3): paid, not shippable yet."""
        self._move(order_id, from_statuses=(2, 4), to_status=3)

    def release_from_customs(self, order_id: str) -> None:
        self._move(order_id, from_statuses=(3,), to_status=4)

    def request_exchange(self, order_id: str) -> None:
        """The buyer asks to exchange a delivered item (换货申请中, status 10)."""
        with self.lock:
            order = self._order(order_id)
            if order.detail["orderStatus"] not in (6, 7):
                raise ValueError(f"order {order_id} has not been delivered")
            order.detail["orderStatus"] = 10
            self._set_after_sale(order, 2)
            self._tick(order)
            self._changed(order, "msg_after_sale_create")

    def cancel(self, order_id: str) -> None:
        """Unpaid: cancelled (9). Paid, unshipped: refunded and closed (8, after-sale 3 售后完成)."""
        with self.lock:
            order = self._order(order_id)
            status = order.detail["orderStatus"]
            if status == 1:
                order.detail["orderStatus"] = 9
            elif status in (2, 3, 4):
                order.detail["orderStatus"] = 8
                self._set_after_sale(order, 3)
                order.detail["cancelStatus"] = 0
            else:
                raise ValueError(f"order {order_id} can no longer be cancelled (status {status})")
            order.detail["cancelTime"] = self._tick(order)
            self._changed(order, "msg_fulfillment_status_change")

    def request_refund(self, order_id: str) -> None:
        """The buyer asks for a refund before shipment (returnType 5 未发货仅退款)."""
        with self.lock:
            order = self._order(order_id)
            if order.detail["orderStatus"] not in (2, 3, 4):
                raise ValueError(f"order {order_id} is not paid and unshipped")
            self._set_after_sale(order, 2)
            self._tick(order)
            self._changed(order, "msg_after_sale_create")

    def serve_stale_once(self, order_id: str) -> None:
        """The next getOrderDetail of this order answers its previous snapshot (a lagging replica)."""
        with self.lock:
            self._order(order_id).serve_stale = True

    def shipments(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._shipments)

    def order_detail(self, order_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self._order(order_id).detail)

    # --- push ----------------------------------------------------------------------------------------
    def signed_headers(
        self,
        *,
        path: str = PUSH_PATH,
        query: Mapping[str, str] | None = None,
        sent_at: datetime | None = None,
        forge: bool = False,
    ) -> dict[str, str]:
        """The headers Xiaohongshu puts on a push to `path` (forge: signed with a wrong secret)."""
        timestamp = str(int((sent_at or datetime.now(UTC)).timestamp()))
        params = {**(query or {}), "app-key": self.app_key, "timestamp": timestamp}
        secret = self.app_secret + "-forged" if forge else self.app_secret
        sign = push_sign(path=path, params=params, app_secret=secret)
        return {"content-type": "application/json", "app-key": self.app_key, "timestamp": timestamp, "sign": sign}

    def push_request(
        self,
        order_id: str,
        *,
        forge: bool = False,
        omit_signature: bool = False,
        sent_at: datetime | None = None,
    ) -> WebhookRequest:
        """The latest message about the order as the platform pushes it; `sent_at` is the signed timestamp."""
        with self.lock:
            message = self._last_message[order_id]
        body = json.dumps([message], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = self.signed_headers(sent_at=sent_at, forge=forge)
        if omit_signature:
            headers.pop("sign")
        return WebhookRequest(headers=headers, query={}, body=body, received_at=datetime.now(UTC), path=PUSH_PATH)

    def test_probe_request(self) -> WebhookRequest:
        """The console's URL check: an unsigned POST of `{"test":true}` that must get HTTP 200."""
        return WebhookRequest(
            headers={"content-type": "application/json"},
            query={},
            body=b'{"test":true}',
            received_at=datetime.now(UTC),
            path=PUSH_PATH,
        )

    def set_push_target(self, url: str) -> None:
        self._push_url = url

    def pending_messages(self) -> list[dict[str, str]]:
        with self.lock:
            return [dict(m) for m in self._pending]

    def deliver_pending(self, *, forge: bool = False) -> int | None:
        """POST every pending message in one array to the push target; they stay pending unless it answers 200."""
        if self._push_url is None:
            raise RuntimeError("no push target: call set_push_target(url) first")
        with self.lock:
            batch = list(self._pending)
        if not batch:
            return None
        body = json.dumps(batch, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        parts = urlsplit(self._push_url)
        headers = self.signed_headers(path=parts.path or "/", forge=forge)
        with httpx.Client(timeout=30.0) as http:
            status = http.post(self._push_url, content=body, headers=headers).status_code
        if status == 200:
            with self.lock:
                self._pending = [m for m in self._pending if m not in batch]
        return status

    def replay_last_message(self, order_id: str) -> None:
        """Queue the last message about an order again, as the platform's retry does."""
        with self.lock:
            self._pending.append(dict(self._last_message[order_id]))

    # --- internals -----------------------------------------------------------------------------------
    def _order(self, order_id: str) -> _SimOrder:
        try:
            return self._orders[order_id]
        except KeyError as exc:
            raise KeyError(f"no Xiaohongshu order {order_id} on the simulator") from exc

    def _owned(self, shop_id: str, order_id: object) -> _SimOrder:
        order = self._orders.get(str(order_id))
        if order is None or order.shop_id != shop_id:
            raise _Refusal(50001, "订单不存在")
        return order

    def _move(self, order_id: str, *, from_statuses: tuple[int, ...], to_status: int) -> None:
        with self.lock:
            order = self._order(order_id)
            if order.detail["orderStatus"] not in from_statuses:
                raise ValueError(f"order {order_id} is in status {order.detail['orderStatus']}")
            order.detail["orderStatus"] = to_status
            self._tick(order)
            self._changed(order, "msg_fulfillment_status_change")

    def _set_after_sale(self, order: _SimOrder, code: int) -> None:
        order.detail["orderAfterSalesStatus"] = code
        for line in order.detail["skuList"]:
            line["skuAfterSaleStatus"] = code

    def _tick(self, order: _SimOrder) -> int:
        """Move updateTime to now, strictly later than before (ms resolution)."""
        now = max(int(self._clock() * 1000), order.detail["updateTime"] + 1)
        order.detail["updateTime"] = now
        return now

    def _changed(self, order: _SimOrder, tag: str) -> None:
        order.history.append(copy.deepcopy(order.detail))
        self._message(order, tag)

    def _message(self, order: _SimOrder, tag: str) -> None:
        detail = order.detail
        data = {
            "orderId": detail["orderId"],
            "packageId": detail["orderId"],
            "orderStatus": detail["orderStatus"],
            "updateTime": detail["updateTime"],
        }
        message = {"msgTag": tag, "sellerId": order.shop_id, "data": json.dumps(data, separators=(",", ":"))}
        self._pending.append(message)
        self._last_message[detail["orderId"]] = message

    def _new_detail(self, order_id: str, spec: OrderSpec, created_ms: int) -> dict[str, Any]:
        merged: dict[str, dict[str, Any]] = {}
        for line in spec.lines:
            paid = line.paid_fen if line.paid_fen is not None else line.unit_price_fen * line.quantity
            listed = self.listing(spec.shop_id, line.sku)
            entry = merged.setdefault(
                line.sku,
                {
                    "skuId": listed.channel_sku_id,
                    "skuName": line.title or line.sku,
                    "erpcode": line.sku,
                    "skuSpec": "默认",
                    "skuQuantity": 0,
                    "totalPaidAmount": 0,
                    "totalMerchantDiscount": 0,
                    "totalRedDiscount": 0,
                    "totalTaxAmount": 0,
                    "skuTag": 0,
                    "skuAfterSaleStatus": 1,
                    "itemId": listed.channel_product_id,
                    "itemName": line.title or line.sku,
                    "unit": line.unit_price_fen,
                },
            )
            entry["skuQuantity"] += line.quantity
            entry["totalPaidAmount"] += paid
            entry["totalMerchantDiscount"] += line.unit_price_fen * line.quantity - paid
        sku_list = []
        for sku, entry in merged.items():
            unit = entry.pop("unit")
            quantity, paid = entry["skuQuantity"], entry["totalPaidAmount"]
            entry["skuTag"] = 1 if paid == 0 and unit > 0 else 0
            entry["skuDetailList"] = [
                {
                    "skuId": entry["skuId"],
                    "erpCode": sku,
                    "barcode": "",
                    "quantity": quantity,
                    "skuName": entry["skuName"],
                    "pricePerSku": unit,
                    "rawPricePerSku": unit,
                    "paidAmountPerSku": paid // quantity,
                    "taxPerSku": 0,
                }
            ]
            sku_list.append(entry)
        goods_paid = sum(entry["totalPaidAmount"] for entry in sku_list)
        receiver = spec.receiver
        identity = f"{receiver.name}|{receiver.phone}|{receiver.province}{receiver.city}{receiver.detail}"
        open_address_id = hmac.new(self._address_key, identity.encode(), hashlib.sha256).hexdigest()[:32]
        return {
            "orderId": order_id,
            "orderType": 1,
            "orderStatus": 1,
            "orderAfterSalesStatus": 1,
            "cancelStatus": 0,
            "createdTime": created_ms,
            "paidTime": 0,
            "updateTime": created_ms,
            "deliveryTime": 0,
            "cancelTime": 0,
            "finishTime": 0,
            "promiseLastDeliveryTime": created_ms + 48 * 3600 * 1000,
            "planInfoId": "601a0000fb49",
            "planInfoName": "包邮-默认模板",
            "receiverCountryName": "中国",
            "receiverProvinceName": receiver.province,
            "receiverCityName": receiver.city,
            "receiverDistrictName": receiver.district,
            "customerRemark": spec.buyer_message,
            "sellerRemark": "",
            "sellerRemarkFlag": 0,
            "skuList": sku_list,
            "totalPayAmount": goods_paid + spec.freight_fen,
            "totalShippingFree": spec.freight_fen,
            "totalMerchantDiscount": sum(entry["totalMerchantDiscount"] for entry in sku_list),
            "totalRedDiscount": 0,
            "totalDepositAmount": 0,
            "totalChangePriceAmount": 0,
            "merchantActualReceiveAmount": goods_paid + spec.freight_fen,
            "unpack": False,
            "expressTrackingNo": "",
            "expressCompanyCode": "",
            "openAddressId": open_address_id,
            "userId": spec.buyer_id,
            "orderTagList": [],
            "logistics": "red_auto",
        }


_Handler = Callable[[XiaohongshuSimulator, str, Mapping[str, Any]], dict[str, Any]]
_HANDLERS: dict[str, _Handler] = {
    "order.getOrderList": XiaohongshuSimulator._order_list,
    "order.getOrderDetail": XiaohongshuSimulator._order_detail,
    "order.orderDeliver": XiaohongshuSimulator._order_deliver,
    "inventory.syncSkuStock": XiaohongshuSimulator._sync_stock,
    "inventory.getSkuStock": XiaohongshuSimulator._get_stock,
}
