"""A local TOP router for the distribution APIs, with the brand as supplier: signed calls in, TOP answers out.

What it does like TOP (platforms.md §1.1–1.2, §2):
- one endpoint, `/router/rest`, behind the same TOP router as the Tmall simulator (`connectors.tmall.top_router`:
  app key, timestamp, `v`, session and signature checked before any API runs, `error_response` answers);
- `taobao.fenxiao.orders.get`: the session's 代销 purchase orders by creation or update time (span ≤ 7 days),
  sorted by modified time descending, `page_size` ≤ 50, `total_results`; or one by `purchase_order_id`;
- `taobao.daifa.supplier.order.query`: 代发单s of a `supplier_id` by 分单时间 (span ≤ 30 days, no total), by
  Taobao order (`biz_order_id`) or one by `scp_order_id` (then with `address_do`);
- `taobao.logistics.offline.send` with `tid = fenxiao_id` (B04 once shipped or closed) and
  `taobao.daifa.supplier.order.consign` (`success: false` for a consigned or cancelled 代发单);
- `taobao.fenxiao.products.get` / `taobao.fenxiao.product.quantity.update` over the base class's listings
  (one product per `channel_product_id`, one SKU per listing, `properties` `1627207:<sku id>`);
- TMC over HTTP for the group in `extra["tmc_group"]`: 代发 status changes and 供销 order messages;
- faults: the base class's HTTP faults (429/5xx on any call).

Scenario helpers beyond the base: `place_daifa_order`, `cancel_daifa_assignment`, `forbid_consign`,
`split_accounted`, `consumer_refund` (the consumer's order refunded while the purchase order still waits).

[INFERRED] error codes and 代发 answers (not in our sources): TOP's system codes as in the Tmall simulator,
`isv.invalid-parameter:*` for bad arguments, 代发 business refusals as `{"result": {"success": false,
"error_code", "error_msg"}}`.
"""

import copy
import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

from connectors.sdk.simulator import OrderSpec
from connectors.tmall.client import ALREADY_SHIPPED_SUB_CODE
from connectors.tmall.top_router import TopApi, TopFault, TopRouterSimulator, required
from connectors.tmall_fenxiao.normalise import daifa_order_id
from schemas.money import fen_to_yuan, yuan_to_fen
from schemas.timeutil import from_shanghai_text, to_shanghai_text, utc_now

TMC_GROUP = "omnihub-fenxiao"
SENDABLE = "WAIT_SELLER_SEND_GOODS"
SHIPPED = "WAIT_BUYER_CONFIRM_GOODS"


def _mask_name(name: str) -> str:
    return name[0] + "*" * max(len(name) - 1, 1)


def _mask_phone(phone: str) -> str:
    return "*" * max(len(phone) - 4, 3) + phone[-4:]


def _time_param(params: Mapping[str, str], name: str) -> datetime:
    try:
        return from_shanghai_text(required(params, name))
    except ValueError as exc:
        raise TopFault(41, "Invalid Arguments", f"isv.invalid-parameter:{name}", "yyyy-MM-dd HH:mm:ss") from exc


def _int_param(params: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(params.get(name) or default)
    except ValueError as exc:
        raise TopFault(41, "Invalid Arguments", f"isv.invalid-parameter:{name}", "not a number") from exc


class FenxiaoSimulator(TopRouterSimulator):
    channel: ClassVar[str] = "tmall_fenxiao"

    def __init__(
        self,
        *,
        app_key: str = "23456789",
        app_secret: str = "fenxiao-sim-secret",
        shop_tokens: Mapping[str, str] | None = None,
        supplier_ids: Mapping[str, str] | None = None,
        now: Callable[[], datetime] = utc_now,
        timestamp_tolerance: timedelta | None = timedelta(minutes=10),
    ) -> None:
        super().__init__(
            app_key=app_key,
            app_secret=app_secret,
            shop_tokens=shop_tokens or {"2200000101": "sim-supplier-1"},
            now=now,
            timestamp_tolerance=timestamp_tolerance,
        )
        self.supplier_ids = dict(supplier_ids or {shop: f"77{shop[-6:]}" for shop in self.shop_tokens})
        self.extra = {f"daifa_supplier_id:{shop}": sid for shop, sid in self.supplier_ids.items()}
        self.extra["tmc_group"] = TMC_GROUP
        self._pos: dict[str, dict[str, Any]] = {}
        self._po_shop: dict[str, str] = {}
        self._scp: dict[str, dict[str, Any]] = {}  # scp_order_id -> 代发单 (with address_do)
        self._scp_shop: dict[str, str] = {}
        self._shipments: list[dict[str, Any]] = []
        self._queue: list[dict[str, Any]] = []
        self._next_id = 61_000_000_000
        self._next_tid = 3_800_000_000_000_000_000
        self._next_message_id = 2_000_000_000_001

    def api_methods(self) -> Mapping[str, tuple[TopApi, bool]]:
        return _HANDLERS

    # --- 供销 APIs ------------------------------------------------------------------------------------
    def _orders_get(self, params: Mapping[str, str], shop_id: str | None) -> dict[str, Any]:
        if params.get("user_role_type", "2") != "2":
            raise TopFault(15, "Remote service error", "isv.permission-denied", "the session is a supplier")
        page_no = _int_param(params, "page_no", 1)
        page_size = _int_param(params, "page_size", 50)
        if page_no < 1 or not 1 <= page_size <= 50:
            raise TopFault(41, "Invalid Arguments", "isv.invalid-parameter:page", "page_no >= 1, page_size 1-50")
        mine = [po for fid, po in self._pos.items() if self._po_shop[fid] == shop_id]
        if params.get("purchase_order_id"):
            matching = [po for po in mine if str(po["fenxiao_id"]) == params["purchase_order_id"]]
        else:
            start, end = _time_param(params, "start_created"), _time_param(params, "end_created")
            if end < start or end - start > timedelta(days=7):
                raise TopFault(
                    15, "Remote service error", "isv.invalid-parameter:time", "start and end at most 7 days apart"
                )
            field = "modified" if params.get("time_type") == "update_time_type" else "created"
            matching = [po for po in mine if start <= from_shanghai_text(po[field]) <= end]
        matching.sort(key=lambda po: (from_shanghai_text(po["modified"]), po["fenxiao_id"]), reverse=True)
        page = [copy.deepcopy(po) for po in matching[(page_no - 1) * page_size : page_no * page_size]]
        body: dict[str, Any] = {"total_results": len(matching)}
        if page:
            body["purchase_orders"] = {"purchase_order": page}
        return body

    def _offline_send(self, params: Mapping[str, str], shop_id: str | None) -> dict[str, Any]:
        tid, out_sid, company = (
            required(params, "tid"),
            required(params, "out_sid"),
            required(params, "company_code"),
        )
        po = self._pos.get(tid)
        if po is None or self._po_shop[tid] != shop_id:
            raise TopFault(15, "Remote service error", "isv.logistics-offline-service-error:B01", "订单不存在")
        if po["status"] != SENDABLE:
            raise TopFault(15, "Remote service error", ALREADY_SHIPPED_SUB_CODE, "订单状态不对，已经发货或者已关闭")
        po.update(
            {
                "status": SHIPPED,
                "consign_time": self._stamp(),
                "logistics_id": out_sid,
                "logistics_company_name": company,
            }
        )
        for sub in self._subs(po):
            sub["status"] = SHIPPED
        self._touch(po)
        self._publish("taobao_fenxiao_FxOrderShipped", shop_id or "", {"fenxiao_id": po["fenxiao_id"]})
        self._shipments.append({"order_id": tid, "carrier_code": company, "tracking_no": out_sid})
        return {"shipping": {"is_success": True}}

    # --- 代发 APIs ------------------------------------------------------------------------------------
    def _supplier(self, params: Mapping[str, str], shop_id: str | None) -> str:
        supplier_id = required(params, "supplier_id")
        if shop_id is None or self.supplier_ids.get(shop_id) != supplier_id:
            raise TopFault(
                15, "Remote service error", "isv.daifa-supplier-mismatch", "supplier_id is not the session's"
            )
        return supplier_id

    def _daifa_query(self, params: Mapping[str, str], shop_id: str | None) -> dict[str, Any]:
        supplier_id = self._supplier(params, shop_id)
        mine = [m for sid, m in self._scp.items() if self._scp_shop[sid] == shop_id]
        if params.get("scp_order_id"):
            found = [copy.deepcopy(m) for m in mine if m["scp_order_id"] == params["scp_order_id"]]
        else:
            found = [{k: copy.deepcopy(v) for k, v in m.items() if k != "address_do"} for m in mine]
            if params.get("biz_order_id"):
                wanted = params["biz_order_id"]
                found = [m for m in found if wanted in (m["parent_id"], m["biz_order_id"])]
            else:
                start, end = _time_param(params, "start_created"), _time_param(params, "end_created")
                if end < start or end - start > timedelta(days=30):
                    raise TopFault(15, "Remote service error", "isv.invalid-parameter:time", "at most 30 days apart")
                found = [m for m in found if start <= from_shanghai_text(m["distribute_time"]) <= end]
                found.sort(key=lambda m: (m["distribute_time"], m["scp_order_id"]), reverse=True)
        page_index, page_size = _int_param(params, "page_index", 1), _int_param(params, "page_size", 10)
        if page_index < 1 or not 1 <= page_size <= 100:
            raise TopFault(41, "Invalid Arguments", "isv.invalid-parameter:page", "page_index >= 1, size 1-100")
        page = found[(page_index - 1) * page_size : page_index * page_size]
        model = {"supplier_id": supplier_id, "scp_order_models": {"daifa_scp_order_model": page}}
        return {"result": {"success": True, "model": model}}

    def _daifa_consign(self, params: Mapping[str, str], shop_id: str | None) -> dict[str, Any]:
        self._supplier(params, shop_id)
        ids = [i.strip() for i in required(params, "scp_order_ids").split(",") if i.strip()]
        try:
            package = json.loads(required(params, "package_list"))[0]
            out_sid, company = str(package["out_sid"]), str(package["company_code"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise TopFault(41, "Invalid Arguments", "isv.invalid-parameter:package_list", "bad package") from exc
        models = [self._scp.get(i) for i in ids]
        if any(m is None or self._scp_shop[m["scp_order_id"]] != shop_id for m in models):
            return _daifa_refusal("DAIFA_ORDER_NOT_FOUND", "代发单不存在")
        parents = {m["parent_id"] for m in models if m}
        if len(parents) != 1:
            return _daifa_refusal("DAIFA_ORDER_NOT_SAME_PARENT", "代发单须属于同一淘宝主订单")
        if any(m and m["distribute_status"] != "DISTRIBUTE" for m in models):
            return _daifa_refusal("DAIFA_ORDER_STATUS_ERROR", "代发单已回传或已取消")
        (parent,) = parents
        stamp = self._stamp()
        for model in models:
            assert model is not None
            model.update({"distribute_status": "CONSIGN", "consign_time": stamp})
        siblings = [m for m in self._scp.values() if m["parent_id"] == parent and m["distribute_status"] != "CANCEL"]
        trade = SHIPPED if all(m["distribute_status"] == "CONSIGN" for m in siblings) else "SELLER_CONSIGNED_PART"
        for model in siblings:
            model["order_status"] = trade
        self._publish_daifa(parent, "CONSIGN")
        self._shipments.append(
            {"order_id": daifa_order_id(parent), "carrier_code": company, "tracking_no": out_sid, "scp_order_ids": ids}
        )
        return {"result": {"success": True, "model": {"scp_order_ids": ids}}}

    # --- stock ---------------------------------------------------------------------------------------
    def _products(self, shop_id: str | None) -> dict[str, dict[str, Any]]:
        products: dict[str, dict[str, Any]] = {}
        for (shop, sku), item in self._listings.items():
            if shop != shop_id or item.channel_product_id is None:
                continue
            product = products.setdefault(
                item.channel_product_id,
                {"pid": int(item.channel_product_id), "name": sku, "outer_id": sku.split("-")[0], "skus": []},
            )
            quantity = self.shown_stock(shop, item.channel_sku_id)
            product["skus"].append(
                {
                    "id": int(item.channel_sku_id),
                    "outer_id": sku,
                    "properties": f"1627207:{item.channel_sku_id}",
                    "quantity": quantity,
                }
            )
        for product in products.values():
            product["quantity"] = sum(s["quantity"] for s in product["skus"])
            product["skus"] = {"fenxiao_sku": product["skus"]}
        return products

    def _products_get(self, params: Mapping[str, str], shop_id: str | None) -> dict[str, Any]:
        pids = [p.strip() for p in params.get("pids", "").split(",") if p.strip()]
        if len(pids) > 30:
            raise TopFault(41, "Invalid Arguments", "isv.invalid-parameter:pids", "at most 30 product ids")
        products = self._products(shop_id)
        found = [products[p] for p in pids if p in products] if pids else list(products.values())
        if "skus" not in params.get("fields", ""):
            found = [{k: v for k, v in p.items() if k != "skus"} for p in found]
        body: dict[str, Any] = {"total_results": len(found)}
        if found:
            body["products"] = {"fenxiao_product": found}
        return body

    def _quantity_update(self, params: Mapping[str, str], shop_id: str | None) -> dict[str, Any]:
        product_id = required(params, "product_id")
        product = self._products(shop_id).get(product_id)
        if product is None:
            raise TopFault(15, "Remote service error", "isv.product-not-exist", f"product {product_id} not found")
        incremental = params.get("type", "1") == "2"
        quantities = [q.strip() for q in required(params, "quantity").split(",")]
        properties = [p.strip() for p in params.get("properties", "").split(",") if p.strip()]
        skus = {s["properties"]: str(s["id"]) for s in product["skus"]["fenxiao_sku"]}
        if not properties or len(properties) != len(quantities) or any(p not in skus for p in properties):
            raise TopFault(15, "Remote service error", "isv.invalid-parameter:properties", "sku properties mismatch")
        try:
            values = [int(q) for q in quantities]
        except ValueError as exc:
            raise TopFault(41, "Invalid Arguments", "isv.invalid-parameter:quantity", "integers") from exc
        if not incremental and any(v < 0 for v in values):
            raise TopFault(15, "Remote service error", "isv.invalid-parameter:quantity", "全量库存不能为负")
        for prop, value in zip(properties, values, strict=True):
            self.record_stock_push(shop_id or "", skus[prop], value, incremental=incremental)
        return {"result": True, "created": self._stamp()}

    # --- TMC -----------------------------------------------------------------------------------------
    def _tmc_consume(self, params: Mapping[str, str], shop_id: str | None) -> dict[str, Any]:
        if (params.get("group_name") or "default") != TMC_GROUP:
            raise TopFault(15, "Remote service error", "isv.group-not-exist", "no such group")
        quantity = _int_param(params, "quantity", 100)
        batch = [copy.deepcopy(m) for m in self._queue[:quantity]]
        return {"messages": {"tmc_message": batch}} if batch else {}

    def _tmc_confirm(self, params: Mapping[str, str], shop_id: str | None) -> dict[str, Any]:
        ids = {i.strip() for i in required(params, "s_message_ids").split(",") if i.strip()}
        self._queue = [m for m in self._queue if str(m["id"]) not in ids]
        return {"is_success": True}

    # --- scenario: 供销 -------------------------------------------------------------------------------
    def place_order(self, spec: OrderSpec, *, paid: bool = True) -> str:
        """A 代销 purchase order for a distributor's sale; returns its fenxiao_id (the hub's order id)."""
        if spec.shop_id not in self.shop_tokens:
            raise ValueError(f"unknown shop {spec.shop_id}")
        with self.lock:
            self._next_id += 10
            fenxiao_id = self._next_id
            self._next_tid += 100
            created = to_shanghai_text(min(spec.created_at, self.now()).replace(microsecond=0))
            subs: list[dict[str, Any]] = []
            for index, line in enumerate(spec.lines, start=1):
                listing = self.listing(spec.shop_id, line.sku)
                paid_fen = line.paid_fen if line.paid_fen is not None else line.unit_price_fen * line.quantity
                subs.append(
                    {
                        "fenxiao_id": fenxiao_id + index,
                        "tc_order_id": self._next_tid + index,
                        "item_id": int(listing.channel_product_id or 0),
                        "sku_id": int(listing.channel_sku_id),
                        "item_outer_id": line.sku.split("-")[0],
                        "sku_outer_id": line.sku,
                        "sku_properties": f"型号:{line.sku}",
                        "title": line.title or line.sku,
                        "num": line.quantity,
                        "price": fen_to_yuan(line.unit_price_fen),
                        "total_fee": fen_to_yuan(line.unit_price_fen * line.quantity),
                        "distributor_payment": fen_to_yuan(paid_fen),
                        "buyer_payment": fen_to_yuan(paid_fen),
                        "bill_fee": fen_to_yuan(paid_fen),
                        "tc_discount_fee": line.unit_price_fen * line.quantity - paid_fen,
                        "tc_adjust_fee": 0,
                        "refund_fee": "0.00",
                        "status": "WAIT_BUYER_PAY",
                        "order_200_status": SENDABLE,
                        "created": created,
                    }
                )
            lines_paid = sum(yuan_to_fen(s["distributor_payment"]) for s in subs)
            receiver = spec.receiver
            oaid = hashlib.sha256(f"{receiver.name}|{receiver.phone}|{receiver.detail}".encode()).hexdigest()[:40]
            po: dict[str, Any] = {
                "fenxiao_id": fenxiao_id,
                "tc_order_id": self._next_tid,
                "trade_type": "AGENT",
                "pay_type": "ALIPAY_SURETY",
                "status": "WAIT_BUYER_PAY",
                "supplier_username": f"brand-{spec.shop_id}",
                "distributor_username": "家电优选专营店",
                "buyer_taobao_id": hashlib.md5(spec.buyer_id.encode()).hexdigest(),  # noqa: S324 - an opaque id
                "created": created,
                "modified": created,
                "total_fee": fen_to_yuan(lines_paid),
                "post_fee": fen_to_yuan(spec.freight_fen),
                "distributor_payment": fen_to_yuan(lines_paid + spec.freight_fen),
                "buyer_payment": fen_to_yuan(lines_paid + spec.freight_fen),
                "memo": spec.buyer_message or None,
                "receiver": {
                    "name": _mask_name(receiver.name),
                    "mobile_phone": _mask_phone(receiver.phone),
                    "phone": "",
                    "address": f"{receiver.province}{receiver.city}{receiver.district}****",
                    "zip": "000000",
                    "state": receiver.province,
                    "city": receiver.city,
                    "district": receiver.district,
                    "oaid": oaid,
                },
                "sub_purchase_orders": {"sub_purchase_order": subs},
            }
            key = str(fenxiao_id)
            self._pos[key] = {k: v for k, v in po.items() if v is not None}
            self._po_shop[key] = spec.shop_id
            self._publish("taobao_fenxiao_FxOrderCreate", spec.shop_id, {"fenxiao_id": fenxiao_id})
        if paid:
            self.pay(key)
        return key

    def pay(self, order_id: str) -> None:
        with self.lock:
            po = self._po(order_id)
            if po["status"] != "WAIT_BUYER_PAY":
                raise ValueError(f"purchase order {order_id} is {po['status']}, not awaiting payment")
            po.update({"status": SENDABLE, "pay_time": self._stamp()})
            for sub in self._subs(po):
                sub["status"] = SENDABLE
            self._touch(po)
            self._publish("taobao_fenxiao_FxOrderPaid", self._po_shop[order_id], {"fenxiao_id": po["fenxiao_id"]})

    def cancel(self, order_id: str) -> None:
        """供销: closed (refunded when paid). 代发 (`DF…`): the distributor withdraws every assignment."""
        if order_id.startswith("DF"):
            self.cancel_daifa_assignment(order_id)
            return
        with self.lock:
            po = self._po(order_id)
            if po["status"] not in ("WAIT_BUYER_PAY", SENDABLE, "PAID_FORBID_CONSIGN", "TRADE_REFUNDING"):
                raise ValueError(f"purchase order {order_id} is {po['status']}: it cannot be cancelled")
            was_paid = "pay_time" in po
            po.update({"status": "TRADE_CLOSED", "end_time": self._stamp()})
            for sub in self._subs(po):
                sub["status"] = "TRADE_REFUNDED" if was_paid else "TRADE_CLOSED"
                if was_paid:
                    sub["refund_fee"] = sub["distributor_payment"]
            self._touch(po)
            self._publish("taobao_fenxiao_FxOrderClosed", self._po_shop[order_id], {"fenxiao_id": po["fenxiao_id"]})

    def request_refund(self, order_id: str) -> None:
        with self.lock:
            po = self._po(order_id)
            if po["status"] not in (SENDABLE, SHIPPED):
                raise ValueError(f"purchase order {order_id} is {po['status']}: nothing to refund")
            po["status"] = "TRADE_REFUNDING"
            for sub in self._subs(po):
                sub.update({"status": "TRADE_REFUNDING", "order_200_status": "TRADE_REFUNDING"})
            self._touch(po)

    def forbid_consign(self, order_id: str) -> None:
        """FMCG shipping control: paid, shipping forbidden (PAID_FORBID_CONSIGN), a status only 供销 has."""
        self._set_status(order_id, "PAID_FORBID_CONSIGN")

    def split_accounted(self, order_id: str) -> None:
        """A shipped 分账 purchase order: WAIT_BUYER_CONFIRM_GOODS_ACOUNTED."""
        self._set_status(order_id, "WAIT_BUYER_CONFIRM_GOODS_ACOUNTED")

    def consumer_refund(self, order_id: str, line_index: int = 0) -> None:
        """The consumer's own order behind one line is refunded while the purchase order still waits to ship."""
        with self.lock:
            po = self._po(order_id)
            self._subs(po)[line_index]["order_200_status"] = "TRADE_CLOSED"
            self._touch(po)

    def _set_status(self, order_id: str, status: str) -> None:
        with self.lock:
            po = self._po(order_id)
            po["status"] = status
            for sub in self._subs(po):
                sub["status"] = status
            self._touch(po)

    # --- scenario: 代发 -------------------------------------------------------------------------------
    def place_daifa_order(self, spec: OrderSpec, *, gift_sku: str | None = None) -> str:
        """A distributor's paid Taobao order split to the brand (one 代发单 per line, plus an optional gift);
        returns the hub's order id (`DF<Taobao order id>`)."""
        if spec.shop_id not in self.shop_tokens:
            raise ValueError(f"unknown shop {spec.shop_id}")
        with self.lock:
            self._next_tid += 100
            parent = str(self._next_tid)
            moment = to_shanghai_text(min(spec.created_at, self.now()).replace(microsecond=0))
            receiver = spec.receiver
            address = {
                "prov": receiver.province,
                "city": receiver.city,
                "area": receiver.district,
                "town": "",
                "oaid": hashlib.sha256(f"{receiver.name}|{receiver.phone}".encode()).hexdigest()[:40],
                "receiver_name": _mask_name(receiver.name),
                "receiver_mobile": _mask_phone(receiver.phone),
                "receiver_phone": "",
                "receiver_address": "****",
            }
            lines = [(line.sku, line.quantity, line.title, "0") for line in spec.lines]
            if gift_sku:
                lines.append((gift_sku, 1, "赠品", "1"))
            for index, (sku, quantity, title, product_type) in enumerate(lines, start=1):
                self._next_id += 1
                listing = self.listing(spec.shop_id, sku)
                scp_id = str(self._next_id)
                self._scp[scp_id] = {
                    "scp_order_id": scp_id,
                    "biz_order_id": str(self._next_tid + index),
                    "parent_id": parent,
                    "main": False,
                    "detail": True,
                    "distributor_id": 880001,
                    "supplier_id": int(self.supplier_ids[spec.shop_id]),
                    "remark": spec.buyer_message,
                    "product_id": listing.channel_product_id,
                    "product_name": title or sku,
                    "product_count": quantity,
                    "product_sku_id": listing.channel_sku_id,
                    "product_type": product_type,
                    "order_status": SENDABLE,
                    "distribute_status": "DISTRIBUTE",
                    "auction_id": str(600_000_000_000 + index),
                    "auction_name": title or sku,
                    "quality": quantity,
                    "pay_time": moment,
                    "distribute_time": moment,
                    "refund_status": "NO_REFUND",
                    "sku_id": 5_100_000_000_000 + index,
                    "out_sku_id": sku,
                    "address_do": address,
                }
                self._scp_shop[scp_id] = spec.shop_id
            self._publish_daifa(parent, "DISTRIBUTE")
            return daifa_order_id(parent)

    def cancel_daifa_assignment(self, order_id: str, *, scp_order_id: str | None = None) -> None:
        """The distributor withdraws the assignment (all 代发单s, or one), and TMC says so."""
        parent = order_id.removeprefix("DF")
        with self.lock:
            models = [m for m in self._scp.values() if m["parent_id"] == parent]
            if not models:
                raise KeyError(f"no 代发 order {order_id}")
            for model in models:
                if scp_order_id in (None, model["scp_order_id"]) and model["distribute_status"] == "DISTRIBUTE":
                    model["distribute_status"] = "CANCEL"
            self._publish_daifa(parent, "CANCEL")

    def daifa_refund(self, order_id: str, refund_status: str = "WAIT_SELLER_AGREE") -> None:
        parent = order_id.removeprefix("DF")
        with self.lock:
            for model in self._scp.values():
                if model["parent_id"] == parent:
                    model["refund_status"] = refund_status
                    if refund_status == "SUCCESS":
                        model["order_status"] = "TRADE_CLOSED"
            self._publish_daifa(parent, "DISTRIBUTE")

    # --- read-outs -----------------------------------------------------------------------------------
    def shipments(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._shipments)

    def purchase_order(self, order_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self._po(order_id))

    def daifa_models(self, order_id: str) -> list[dict[str, Any]]:
        parent = order_id.removeprefix("DF")
        with self.lock:
            return [copy.deepcopy(m) for m in self._scp.values() if m["parent_id"] == parent]

    def pending_messages(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._queue)

    # --- internals -----------------------------------------------------------------------------------
    def _po(self, order_id: str) -> dict[str, Any]:
        try:
            return self._pos[order_id]
        except KeyError as exc:
            raise KeyError(f"no purchase order {order_id}") from exc

    @staticmethod
    def _subs(po: Mapping[str, Any]) -> list[dict[str, Any]]:
        subs: list[dict[str, Any]] = po["sub_purchase_orders"]["sub_purchase_order"]
        return subs

    def _stamp(self) -> str:
        return to_shanghai_text(self.now().replace(microsecond=0))

    def _touch(self, po: dict[str, Any]) -> None:
        """Move `modified` to now, strictly later than before (TOP times have one-second resolution)."""
        moment = self.now().replace(microsecond=0)
        previous = from_shanghai_text(po["modified"])
        po["modified"] = to_shanghai_text(max(moment, previous + timedelta(seconds=1)))

    def _publish(self, topic: str, shop_id: str, content: Mapping[str, Any]) -> None:
        self._queue.append(
            {
                "id": self._next_message_id,
                "topic": topic,
                "pub_time": self._stamp(),
                "user_id": int(shop_id) if shop_id.isdigit() else shop_id,
                "content": json.dumps(dict(content), ensure_ascii=False),
            }
        )
        self._next_message_id += 1

    def _publish_daifa(self, parent: str, status: str) -> None:
        models = [m for m in self._scp.values() if m["parent_id"] == parent]
        first = models[0]
        content = {
            "biz_order_id": parent,
            "order_status": status,
            "scp_order_id": first["scp_order_id"],
            "sub_biz_order_id": first["biz_order_id"],
            "supplier_id": first["supplier_id"],
        }
        self._publish("taobao_daifa_SupplierOrderStatusChange", self._scp_shop[first["scp_order_id"]], content)


def _daifa_refusal(code: str, message: str) -> dict[str, Any]:
    return {"result": {"success": False, "error_code": code, "error_msg": message}}


# method -> (handler, needs a session)
_HANDLERS: dict[str, tuple[TopApi, bool]] = {
    "taobao.fenxiao.orders.get": (FenxiaoSimulator._orders_get, True),
    "taobao.logistics.offline.send": (FenxiaoSimulator._offline_send, True),
    "taobao.daifa.supplier.order.query": (FenxiaoSimulator._daifa_query, True),
    "taobao.daifa.supplier.order.consign": (FenxiaoSimulator._daifa_consign, True),
    "taobao.fenxiao.products.get": (FenxiaoSimulator._products_get, True),
    "taobao.fenxiao.product.quantity.update": (FenxiaoSimulator._quantity_update, True),
    "taobao.tmc.messages.consume": (FenxiaoSimulator._tmc_consume, False),
    "taobao.tmc.messages.confirm": (FenxiaoSimulator._tmc_confirm, False),
}
