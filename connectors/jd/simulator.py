"""A local JOS router for JD POP: `enSearch`, `enGet`, `shipment`, stock write and read.

What it does like JD (platforms.md §3): the router checks of `JosRouterSimulator`; `enSearch` filters the
token's shop by modified time (`dateType` 0, created time with 1) and by the comma-joined `order_state`, sorts
by modified time (descending with `sortType=1`), pages for real (`page_size` ≤ 50, `orderTotal`) and refuses a
span of more than a month; `enGet` returns the order restricted to `optional_fields`, consignee encrypted (Base64
ciphertext) with `desen_mobile` masked; `shipment` moves WAIT_SELLER_STOCK_OUT to WAIT_GOODS_RECEIVE_CONFIRM and
refuses a repeat; `updateSkuStock` overwrites the figure and `findSkuStock` reads the figure buyers see.

Scenario: `place_order(paid=False)` places a 货到付款 (COD) order — JD shows an online-payment order to the seller
only once it is paid, so COD is the one unpaid order a seller sees; `pay` settles it online before shipment.
`request_refund` locks a paid order (the buyer asked to cancel: LOCKED), `cancel` cancels it (TRADE_CANCELED).
Anomalies for the demo: `serve_stale_once` (a lagging replica), `pause` (POP_ORDER_PAUSE risk hold),
`set_undocumented_state` (a state JD does not document: the hub must refuse it, not guess), `touch` (a seller
remark moves `modified` only), `drift_stock` (base class).
"""

import base64
import copy
import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

from connectors.jd.jos_simulator import JosFault, JosHandler, JosRouterSimulator
from connectors.sdk.simulator import OrderSpec, ReceiverSpec
from schemas.money import fen_to_yuan
from schemas.timeutil import from_shanghai_text, to_shanghai_text, utc_now

MAX_SPAN = timedelta(days=31)
ONLINE = "4-在线支付"
COD = "1-货到付款"


def encrypt(secret: str, plaintext: str) -> str:
    """Opaque Base64 ciphertext standing in for JD TDE (the hub never decrypts it)."""
    digest = hmac.new(secret.encode(), plaintext.encode(), hashlib.sha256).digest()
    return base64.b64encode(b"\x01\x02" + digest).decode()


def mask_mobile(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


class JdSimulator(JosRouterSimulator):
    channel: ClassVar[str] = "jd"
    sku_id_base: ClassVar[int] = 100_012_000_000

    def __init__(
        self,
        *,
        app_key: str = "JDSIMAPPKEY",
        app_secret: str = "jd-sim-secret",
        shop_tokens: Mapping[str, str] | None = None,
        now: Callable[[], datetime] = utc_now,
        timestamp_tolerance: timedelta | None = timedelta(minutes=10),
    ) -> None:
        super().__init__(
            app_key=app_key,
            app_secret=app_secret,
            shop_tokens=shop_tokens or {"10086001": "jd-sim-token-1"},
            now=now,
            timestamp_tolerance=timestamp_tolerance,
        )
        self._orders: dict[str, dict[str, Any]] = {}
        self._owner: dict[str, str] = {}
        self._history: dict[str, list[dict[str, Any]]] = {}
        self._stale_once: set[str] = set()
        self._shipments: list[dict[str, Any]] = []
        self._next_id = 290_000_000_000

    def api_handlers(self) -> Mapping[str, JosHandler]:
        return {
            "jingdong.pop.order.enSearch": self._en_search,
            "jingdong.pop.order.enGet": self._en_get,
            "jingdong.pop.order.shipment": self._shipment,
            "jingdong.stock.write.updateSkuStock": self._update_stock,
            "jingdong.stock.read.findSkuStock": self._find_stock,
        }

    # --- APIs ----------------------------------------------------------------------------------------
    def _en_search(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        try:
            start = from_shanghai_text(str(params["start_date"]))
            end = from_shanghai_text(str(params["end_date"]))
            page = int(params.get("page") or 1)
            page_size = int(params.get("page_size") or 20)
            states = {s.strip() for s in str(params["order_state"]).split(",") if s.strip()}
            fields = [f.strip() for f in str(params["optional_fields"]).split(",") if f.strip()]
        except (KeyError, ValueError) as exc:
            raise JosFault("27", "参数错误", f"invalid or missing parameter: {exc}") from exc
        if end < start or end - start > MAX_SPAN:
            return _failed("searchorderinfo_result", "开始时间和结束时间不得相差超过1个月", "date span over one month")
        if page < 1 or not 1 <= page_size <= 50:
            return _failed("searchorderinfo_result", "page_size最大为50", "page >= 1, page_size 1-50")
        by = "orderStartTime" if str(params.get("dateType")) == "1" else "modified"
        matching = [
            order
            for order_id, order in self._orders.items()
            if self._owner[order_id] == shop_id
            and order["orderState"] in states
            and start <= from_shanghai_text(order[by]) <= end
        ]
        descending = str(params.get("sortType")) == "1"
        matching.sort(key=lambda o: (from_shanghai_text(o["modified"]), int(o["orderId"])), reverse=descending)
        shown = matching[(page - 1) * page_size : page * page_size]
        return {
            "searchorderinfo_result": {
                "apiResult": {"success": True, "englishErrCode": "", "chineseErrCode": "", "numberCode": ""},
                "orderTotal": len(matching),
                "orderInfoList": [_only(o, fields) for o in shown],
            }
        }

    def _en_get(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        order_id = str(params.get("order_id") or "")
        fields = [f.strip() for f in str(params.get("optional_fields") or "").split(",") if f.strip()]
        if order_id not in self._orders or self._owner[order_id] != shop_id:
            return _failed("orderDetailInfo", "订单不存在", "order not exist")
        order = self._orders[order_id]
        if order_id in self._stale_once and len(self._history[order_id]) >= 2:
            self._stale_once.discard(order_id)
            order = self._history[order_id][-2]
        return {"orderDetailInfo": {"apiResult": {"success": True}, "orderInfo": _only(order, fields)}}

    def _shipment(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        order_id = str(params.get("orderId") or "")
        carrier, waybill = str(params.get("logiCoprId") or ""), str(params.get("logiNo") or "")
        if not carrier or not waybill:
            raise JosFault("27", "参数错误", "logiCoprId and logiNo are required")
        if order_id not in self._orders or self._owner[order_id] != shop_id:
            return _failed("sopjosshipment_result", "订单不存在", "order not exist")
        order = self._orders[order_id]
        if order["orderState"] != "WAIT_SELLER_STOCK_OUT":
            return _failed("sopjosshipment_result", "订单状态不正确，不能出库", "order state does not allow shipment")
        order.update({"orderState": "WAIT_GOODS_RECEIVE_CONFIRM", "orderStateRemark": "等待确认收货"})
        order.update({"waybill": waybill, "logisticsId": carrier})
        self._touch(order_id)
        self._shipments.append({"order_id": order_id, "carrier_code": carrier, "tracking_no": waybill})
        return {"sopjosshipment_result": {"success": True, "englishErrCode": "", "chineseErrCode": ""}}

    def _listed_sku(self, shop_id: str, params: Mapping[str, Any]) -> str:
        sku_id = str(params.get("skuId") or "")
        if self.listing_by_channel_sku(shop_id, sku_id) is None:
            raise JosFault("27", "sku不存在", f"sku {sku_id} not found in this shop")
        return sku_id

    def _update_stock(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        sku_id = self._listed_sku(shop_id, params)
        quantity = params.get("stockNum")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise JosFault("27", "参数错误", "stockNum must be a non-negative integer")
        self.record_stock_push(shop_id, sku_id, quantity)
        return {"success": True}

    def _find_stock(self, shop_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        sku_id = self._listed_sku(shop_id, params)
        figure = self.shown_stock(shop_id, sku_id)
        return {"skuStocks": [{"skuId": int(sku_id), "stockNum": figure, "storeId": 0, "detailStock": ""}]}

    # --- scenario ------------------------------------------------------------------------------------
    def place_order(self, spec: OrderSpec, *, paid: bool = True) -> str:
        if spec.shop_id not in self.shop_tokens:
            raise ValueError(f"unknown shop {spec.shop_id}")
        with self.lock:
            self._next_id += 7
            order_id = str(self._next_id)
            created = to_shanghai_text(min(spec.created_at, self.now()).replace(microsecond=0))
            items = []
            for line in spec.lines:
                listed = self.listing(spec.shop_id, line.sku)
                items.append(
                    {
                        "skuId": listed.channel_sku_id,
                        "outerSkuId": line.sku,
                        "wareId": listed.channel_product_id,
                        "skuName": line.title or line.sku,
                        "jdPrice": fen_to_yuan(line.unit_price_fen),
                        "itemTotal": str(line.quantity),
                        "giftPoint": "0",
                        "productNo": "",
                    }
                )
            goods = sum(line.unit_price_fen * line.quantity for line in spec.lines)
            lines_paid = sum(
                line.paid_fen if line.paid_fen is not None else line.unit_price_fen * line.quantity
                for line in spec.lines
            )
            order: dict[str, Any] = {
                "orderId": order_id,
                "venderId": spec.shop_id,
                "orderType": "22",
                "payType": ONLINE if paid else COD,
                "orderTotalPrice": fen_to_yuan(goods),
                "orderSellerPrice": fen_to_yuan(lines_paid),
                "sellerDiscount": fen_to_yuan(goods - lines_paid),
                "orderPayment": fen_to_yuan(lines_paid + spec.freight_fen),
                "freightPrice": fen_to_yuan(spec.freight_fen),
                "balanceUsed": "0.00",
                "orderState": "WAIT_SELLER_STOCK_OUT",
                "orderStateRemark": "等待出库",
                "deliveryType": "任意时间",
                "invoiceInfo": "不需要开具发票",
                "orderRemark": spec.buyer_message,
                "venderRemark": "",
                "orderStartTime": created,
                "modified": created,
                "open_id_buyer": spec.buyer_id,
                "pin": "jd_" + hashlib.sha256(spec.buyer_id.encode()).hexdigest()[:10],
                "consigneeInfo": self._consignee(spec.receiver),
                "itemInfoList": items,
                "couponDetailList": [],
                "storeOrder": "",
                "orderSource": "移动端订单",
            }
            self._orders[order_id] = order
            self._owner[order_id] = spec.shop_id
            self._history[order_id] = [copy.deepcopy(order)]
        if paid:
            with self.lock:
                order["paymentConfirmTime"] = to_shanghai_text(self.now())
                self._touch(order_id)
        return order_id

    def _consignee(self, receiver: ReceiverSpec) -> dict[str, Any]:
        full_address = f"{receiver.province}{receiver.city}{receiver.district}{receiver.detail}"
        return {
            "fullname": encrypt(self.app_secret, receiver.name),
            "mobile": encrypt(self.app_secret, receiver.phone),
            "telephone": encrypt(self.app_secret, receiver.phone),
            "desen_mobile": mask_mobile(receiver.phone),
            "desen_telephone": mask_mobile(receiver.phone),
            "fullAddress": encrypt(self.app_secret, full_address),
            "province": receiver.province,
            "city": receiver.city,
            "county": receiver.district,
            "town": "",
        }

    def pay(self, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id)
            if order.get("paymentConfirmTime") or order["orderState"] != "WAIT_SELLER_STOCK_OUT":
                raise ValueError(f"order {order_id} is paid or not awaiting stock-out")
            order.update({"payType": ONLINE, "paymentConfirmTime": to_shanghai_text(self.now())})
            self._touch(order_id)

    def cancel(self, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id)
            if order["orderState"] not in ("WAIT_SELLER_STOCK_OUT", "LOCKED", "PAUSE", "POP_ORDER_PAUSE"):
                raise ValueError(f"order {order_id} is {order['orderState']}: it cannot be cancelled")
            order.update({"orderState": "TRADE_CANCELED", "orderStateRemark": "取消"})
            order["orderEndTime"] = to_shanghai_text(self.now())
            self._touch(order_id)

    def request_refund(self, order_id: str) -> None:
        """The buyer asks to cancel a paid, unshipped order: JD locks it until the refund is decided."""
        with self.lock:
            order = self._order(order_id)
            if not order.get("paymentConfirmTime") or order["orderState"] != "WAIT_SELLER_STOCK_OUT":
                raise ValueError(f"order {order_id}: only a paid order awaiting stock-out can be refunded here")
            order.update({"orderState": "LOCKED", "orderStateRemark": "已锁定"})
            self._touch(order_id)

    def pause(self, order_id: str) -> None:
        """JD holds the order (POP业务暂停, e.g. a risk review): it must not ship until released."""
        self._set_state(order_id, "POP_ORDER_PAUSE", "POP暂停")

    def release(self, order_id: str) -> None:
        self._set_state(order_id, "WAIT_SELLER_STOCK_OUT", "等待出库")

    def set_undocumented_state(self, order_id: str, state: str = "DELIVERY_RETURN") -> None:
        """Give the order a state JD's order docs do not list (配送退货 is seen in ERPs): the hub must refuse it."""
        self._set_state(order_id, state, "未知状态")

    def touch(self, order_id: str) -> None:
        """The seller edits the remark: `modified` moves, the state does not."""
        with self.lock:
            self._order(order_id)["venderRemark"] = "备注已更新"
            self._touch(order_id)

    def serve_stale_once(self, order_id: str) -> None:
        """The next enGet of this order returns its previous snapshot (a lagging replica)."""
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
        """Forget every order, shipment and fault (the clock, credentials and listings stay)."""
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
    def _set_state(self, order_id: str, state: str, remark: str) -> None:
        with self.lock:
            self._order(order_id).update({"orderState": state, "orderStateRemark": remark})
            self._touch(order_id)

    def _order(self, order_id: str) -> dict[str, Any]:
        try:
            return self._orders[order_id]
        except KeyError as exc:
            raise KeyError(f"no order {order_id}") from exc

    def _touch(self, order_id: str) -> None:
        """Move `modified` to now (strictly later than before: JD times have one-second resolution)."""
        order = self._orders[order_id]
        moment = self.now().replace(microsecond=0)
        previous = from_shanghai_text(order["modified"])
        if moment <= previous:
            moment = previous + timedelta(seconds=1)
        order["modified"] = to_shanghai_text(moment)
        self._history[order_id].append(copy.deepcopy(order))


def _failed(result_key: str, chinese: str, english: str) -> dict[str, Any]:
    api_result = {"success": False, "chineseErrCode": chinese, "englishErrCode": english, "numberCode": "10100000"}
    if result_key == "sopjosshipment_result":
        return {result_key: api_result}
    return {result_key: {"apiResult": api_result}}


def _only(order: Mapping[str, Any], fields: list[str]) -> dict[str, Any]:
    """The order restricted to the requested fields (all of them when none are named)."""
    wanted = set(fields)
    return {k: copy.deepcopy(v) for k, v in order.items() if not wanted or k in wanted}
