"""A local JOS router for JD 厂直 (DPS): order search, single order, outbound, delivery, stock.

What it does like JD (platforms.md §3.5, JOS SDK classes): the router checks of `JosRouterSimulator`;
`searchAllOrders` lists the vendor's orders changed in [`modifiedBeginDate`, `modifiedEndDate`] (or created in
[`beginDate`, `endDate`]), newest first, paged for real (`pageSize` ≤ 100, `recordCount`), refusing a span over
a month; `searchsingleorder` returns the current order; `outbound` moves 7 新订单 to 10 等待发货 and `delivery`
moves 10 to 16 等待确认收货, each refusing a repeat or a skipped step; `modifyStockInfo` overwrites the figure,
`queryStockInfo` reads the figure buyers see. Consignee name, phones and address are Base64 ciphertext with
masked `desen_*` phones.

Scenario: `place_order(paid=False)` places a 货到付款 order (JD 自营 releases only paid or COD orders to the
vendor); `pay` settles it online before shipment; `request_refund` locks a paid order with a pre-shipment refund
(22, `refundSourceFlag` 1); `cancel` deletes it (29). Anomalies for the demo: `hold` (22 without a refund: a JD
hold), `serve_stale_once`, `set_undocumented_state` (a value the hub must refuse), `drift_stock` (base class).
"""

import copy
import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

from connectors.jd.jos_simulator import JosFault, JosHandler, JosRouterSimulator
from connectors.jd.simulator import encrypt, mask_mobile
from connectors.sdk.simulator import OrderSpec
from schemas.money import fen_to_yuan
from schemas.timeutil import from_shanghai_text, to_shanghai_text, utc_now

MAX_SPAN = timedelta(days=31)


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _failed(key: str, message: str, code: str = "E001") -> dict[str, Any]:
    if key == "deliverResult":
        return {key: {"status": 0, "message": message, "code": code}}
    if key in ("modifyStockResult", "queryStockResult"):
        return {key: {"success": False, "resultCode": code, "resultMessage": message}}
    return {key: {"status": 0, "message": message, "errorCode": code, "recordCount": 0}}


class JdDpsSimulator(JosRouterSimulator):
    channel: ClassVar[str] = "jd_dps"
    sku_id_base: ClassVar[int] = 100_088_000_000

    def __init__(
        self,
        *,
        app_key: str = "JDDPSSIMKEY",
        app_secret: str = "jd-dps-sim-secret",
        shop_tokens: Mapping[str, str] | None = None,
        now: Callable[[], datetime] = utc_now,
        timestamp_tolerance: timedelta | None = timedelta(minutes=10),
    ) -> None:
        super().__init__(
            app_key=app_key,
            app_secret=app_secret,
            shop_tokens=shop_tokens or {"VC20001": "jd-dps-sim-token"},
            now=now,
            timestamp_tolerance=timestamp_tolerance,
        )
        self._orders: dict[str, dict[str, Any]] = {}
        self._owner: dict[str, str] = {}
        self._history: dict[str, list[dict[str, Any]]] = {}
        self._stale_once: set[str] = set()
        self._shipments: list[dict[str, Any]] = []
        self._next_id = 310_000_000_000
        self._next_po = 88_000_000

    def api_handlers(self) -> Mapping[str, JosHandler]:
        return {
            "jingdong.dropship.dps.searchAllOrders": self._search_all,
            "jingdong.dropship.dps.searchsingleorder": self._search_single,
            "jingdong.dropship.dps.outbound": self._outbound,
            "jingdong.dropship.dps.delivery": self._delivery,
            "jingdong.dropship.dps.modifyStockInfo": self._modify_stock,
            "jingdong.dropship.dps.queryStockInfo": self._query_stock,
        }

    # --- APIs ----------------------------------------------------------------------------------------
    def _search_all(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        by_modified = "modifiedBeginDate" in params
        names = ("modifiedBeginDate", "modifiedEndDate") if by_modified else ("beginDate", "endDate")
        try:
            start, end = (from_shanghai_text(str(params[name])) for name in names)
            page, page_size = int(params.get("page") or 1), int(params.get("pageSize") or 20)
        except (KeyError, ValueError) as exc:
            raise JosFault("27", "参数错误", f"invalid or missing parameter: {exc}") from exc
        if end < start or end - start > MAX_SPAN:
            return _failed("searchallorders_result", "查询时间跨度不能超过1个月", "E010")
        if page < 1 or not 1 <= page_size <= 100:
            return _failed("searchallorders_result", "pageSize 1-100", "E011")

        def moment(order: Mapping[str, Any]) -> datetime:
            if by_modified:
                return datetime.fromtimestamp(order["updateDate"] / 1000, tz=start.tzinfo)
            return from_shanghai_text(order["orderCreateDate"])

        matching = [o for i, o in self._orders.items() if self._owner[i] == shop_id and start <= moment(o) <= end]
        matching.sort(key=lambda o: (o["updateDate"], o["customOrderId"]), reverse=True)
        shown = matching[(page - 1) * page_size : page * page_size]
        return {
            "searchallorders_result": {
                "status": 1,
                "message": "成功",
                "errorCode": "",
                "recordCount": len(matching),
                "queryAllOrdersForJosResult": copy.deepcopy(shown),
            }
        }

    def _owned(self, shop_id: str, params: Mapping[str, Any]) -> str | None:
        order_id = str(params.get("customOrderId") or "")
        return order_id if order_id in self._orders and self._owner[order_id] == shop_id else None

    def _search_single(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        order_id = self._owned(shop_id, params)
        if order_id is None:
            return _failed("searchSingleResult", "客单不存在", "E020")
        order = self._orders[order_id]
        if order_id in self._stale_once and len(self._history[order_id]) >= 2:
            self._stale_once.discard(order_id)
            order = self._history[order_id][-2]
        body = {"status": 1, "message": "成功", "errorCode": "", "recordCount": 1}
        return {"searchSingleResult": {**body, "resultSingleDto": copy.deepcopy(order)}}

    def _outbound(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        order_id = self._owned(shop_id, params)
        if order_id is None:
            return _failed("outBoundResult", "客单不存在", "E020")
        order = self._orders[order_id]
        if order["orderState"] != 7:
            return _failed("outBoundResult", "客单状态不是新订单，不能出库", "E030")
        order.update({"orderState": 10, "operatorState": 10, "memoByVendor": str(params.get("memoByVendor") or "")})
        self._touch(order_id)
        return {"outBoundResult": {"status": 1, "message": "成功", "errorCode": ""}}

    def _delivery(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        order_id = self._owned(shop_id, params)
        carrier, ship_no = str(params.get("carrierId") or ""), str(params.get("shipNo") or "")
        if not carrier or not ship_no:
            raise JosFault("27", "参数错误", "carrierId and shipNo are required")
        if order_id is None:
            return _failed("deliverResult", "客单不存在", "E020")
        order = self._orders[order_id]
        if order["orderState"] != 10:
            return _failed("deliverResult", "客单未出库或已发货", "E031")
        order.update({"orderState": 16, "operatorState": 16})
        self._touch(order_id)
        self._shipments.append({"order_id": order_id, "carrier_code": carrier, "tracking_no": ship_no})
        return {"deliverResult": {"status": 1, "message": "成功", "code": "0"}}

    def _listed_sku(self, shop_id: str, params: Mapping[str, Any]) -> str:
        sku = str(params.get("sku") or "")
        if self.listing_by_channel_sku(shop_id, sku) is None:
            raise JosFault("27", "sku不存在", f"sku {sku} is not supplied by this vendor")
        return sku

    def _modify_stock(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        sku = self._listed_sku(shop_id, params)
        quantity = params.get("stockNum")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            return _failed("modifyStockResult", "stockNum 必须为非负整数", "E040")
        self.record_stock_push(shop_id, sku, quantity)
        return {"modifyStockResult": {"success": True, "resultCode": "0", "resultMessage": "成功"}}

    def _query_stock(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        sku = self._listed_sku(shop_id, params)
        figure = str(self.shown_stock(shop_id, sku))
        return {"queryStockResult": {"success": True, "resultCode": "0", "resultMessage": figure}}

    # --- scenario ------------------------------------------------------------------------------------
    def place_order(self, spec: OrderSpec, *, paid: bool = True) -> str:
        if spec.shop_id not in self.shop_tokens:
            raise ValueError(f"unknown vendor {spec.shop_id}")
        with self.lock:
            self._next_id += 11
            self._next_po += 1
            order_id = str(self._next_id)
            created_at = min(spec.created_at, self.now()).replace(microsecond=0)
            details = []
            for line in spec.lines:
                listed = self.listing(spec.shop_id, line.sku)
                details.append(
                    {
                        "sku": listed.channel_sku_id,
                        "wareName": line.title or line.sku,
                        "upc": line.sku,
                        "wareNum": line.quantity,
                        "jdPrice": fen_to_yuan(line.unit_price_fen),
                        "discount": fen_to_yuan(line.unit_price_fen),
                        "cost": fen_to_yuan(line.unit_price_fen * 80 // 100),
                        "poId": self._next_po,
                        "roId": None,
                        "extInfo": "",
                    }
                )
            goods_paid = sum(
                line.paid_fen if line.paid_fen is not None else line.unit_price_fen * line.quantity
                for line in spec.lines
            )
            receiver = spec.receiver
            oaid = hashlib.sha256(f"{receiver.name}|{receiver.phone}|{receiver.detail}".encode()).hexdigest()[:32]
            order: dict[str, Any] = {
                "customOrderId": int(order_id),
                "pay": fen_to_yuan(goods_paid + spec.freight_fen),
                "operatorState": 5,
                "orderState": 7,
                "consigneeName": encrypt(self.app_secret, receiver.name),
                "postcode": "",
                "telephone": encrypt(self.app_secret, receiver.phone),
                "phone": encrypt(self.app_secret, receiver.phone),
                "desen_telephone": mask_mobile(receiver.phone),
                "desen_phone": mask_mobile(receiver.phone),
                "email": "",
                "address": encrypt(self.app_secret, receiver.detail),
                "orderRemark": spec.buyer_message,
                "orderCreateDate": to_shanghai_text(created_at),
                "createDate": to_shanghai_text(created_at),
                "isNotNotice": 0,
                "sendPay": "",
                "paymentCategory": "NON_COD" if paid else "COD",
                "paymentCategoryDispName": "在线支付" if paid else "货到付款",
                "refundSourceFlag": 0,
                "provinceName": receiver.province,
                "cityName": receiver.city,
                "countyName": receiver.district,
                "townName": "",
                "memoByVendor": "",
                "parentOrderId": 0,
                "reduceCount": fen_to_yuan(sum(s.unit_price_fen * s.quantity for s in spec.lines) - goods_paid),
                "totalCarriage": fen_to_yuan(spec.freight_fen),
                "orderDetailList": details,
                "vendorStoreId": 1,
                "vendorStoreName": "品牌华东仓",
                "updateDate": _millis(created_at),
                "oaid": oaid,
                "open_id_buyer": spec.buyer_id,
            }
            self._orders[order_id] = order
            self._owner[order_id] = spec.shop_id
            self._history[order_id] = [copy.deepcopy(order)]
            if paid:
                self._touch(order_id)  # JD 自营 released the paid order to the vendor now
        return order_id

    def pay(self, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id)
            if order["paymentCategory"] != "COD" or order["orderState"] != 7:
                raise ValueError(f"order {order_id} is not an unshipped COD order")
            order.update({"paymentCategory": "NON_COD", "paymentCategoryDispName": "在线支付"})
            self._touch(order_id)

    def cancel(self, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id)
            if order["orderState"] not in (7, 10, 22):
                raise ValueError(f"order {order_id} is in state {order['orderState']}: it cannot be cancelled")
            order["orderState"] = 29
            if order["paymentCategory"] == "NON_COD":
                order["refundSourceFlag"] = 1
            self._touch(order_id)

    def request_refund(self, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id)
            if order["paymentCategory"] != "NON_COD" or order["orderState"] not in (7, 10):
                raise ValueError(f"order {order_id}: only a paid, unshipped order can be refunded before shipment")
            order.update({"orderState": 22, "refundSourceFlag": 1})
            self._touch(order_id)

    def hold(self, order_id: str) -> None:
        """JD locks the order (22) without a refund: a hold the hub must respect."""
        with self.lock:
            self._order(order_id)["orderState"] = 22
            self._touch(order_id)

    def set_undocumented_state(self, order_id: str, state: int = 31) -> None:
        """Give the order a state JD does not document: the hub must refuse it, not guess."""
        with self.lock:
            self._order(order_id)["orderState"] = state
            self._touch(order_id)

    def serve_stale_once(self, order_id: str) -> None:
        with self.lock:
            self._order(order_id)
            self._stale_once.add(order_id)

    def shipments(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._shipments)

    def order(self, order_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self._order(order_id))

    def reset(self) -> None:
        with self.lock:
            for store in (self._orders, self._owner, self._history):
                store.clear()
            self._stale_once.clear()
            self._shipments.clear()
            self._method_faults.clear()
            self.faults.remaining = 0
        with self.requests.lock:
            self.requests.entries.clear()

    # --- internals -----------------------------------------------------------------------------------
    def _order(self, order_id: str) -> dict[str, Any]:
        try:
            return self._orders[order_id]
        except KeyError as exc:
            raise KeyError(f"no order {order_id}") from exc

    def _touch(self, order_id: str) -> None:
        """Move `updateDate` to now, on the whole second and strictly later than before."""
        order = self._orders[order_id]
        moment = _millis(self.now().replace(microsecond=0))
        order["updateDate"] = max(moment, order["updateDate"] + 1000)
        self._history[order_id].append(copy.deepcopy(order))
