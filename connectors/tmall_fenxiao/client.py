"""The distribution APIs the connector calls, over the Tmall connector's `TopClient` (same router, signing,
error envelope and retry policy: transport errors, 429 and 5xx are retried by `PlatformHttp`).

供销 (platforms.md §2.1): `taobao.fenxiao.orders.get` (supplier role, `time_type=update_time_type`, ≤ 7 days,
`page_size` ≤ 50), `taobao.logistics.offline.send` with `tid = fenxiao_id`, `taobao.fenxiao.products.get` and
`taobao.fenxiao.product.quantity.update` (type 1 = full overwrite).
代发 (§2.2): `taobao.daifa.supplier.order.query` (by 分单时间, ≤ 30 days; `biz_order_id` for one Taobao order,
`scp_order_id` for one 代发单 with its address) and `taobao.daifa.supplier.order.consign`.

[INFERRED] response shapes not in our sources: TOP wraps lists as `{"<type>": [...]}` (the wrapper key is
taken as whatever single list the object holds, so `purchase_order` / `sub_purchase_order` /
`sub_order_detail` all work); the 代发 answer is `{"result": {"success", "model": {...}}}` or `{"model": ...}`;
`success: false` in either is a business rejection.
"""

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from connectors.sdk.errors import PlatformRejected, PlatformUnavailable
from connectors.tmall.client import TopClient

FENXIAO_ORDERS_GET = "taobao.fenxiao.orders.get"
DAIFA_ORDER_QUERY = "taobao.daifa.supplier.order.query"
DAIFA_ORDER_CONSIGN = "taobao.daifa.supplier.order.consign"
OFFLINE_SEND = "taobao.logistics.offline.send"
PRODUCTS_GET = "taobao.fenxiao.products.get"
PRODUCT_QUANTITY_UPDATE = "taobao.fenxiao.product.quantity.update"
TMC_CONSUME = "taobao.tmc.messages.consume"
TMC_CONFIRM = "taobao.tmc.messages.confirm"

SUPPLIER_ROLE = 2  # user_role_type: 2 = supplier (the brand), 1 = distributor
AGENT_TRADE_TYPE = 1  # trade_types: 1 = 代销 (drop-ship); 2 经销 is wholesale, not drop-ship
FULL_OVERWRITE = 1  # quantity.update type: 1 = 全量, 2 = 增量


def listed(container: object) -> list[Mapping[str, Any]]:
    """A TOP list: a bare list, or an object wrapping one list under its element type's name."""
    if isinstance(container, Mapping):
        container = next((value for value in container.values() if isinstance(value, list)), None)
    if not isinstance(container, list):
        return []
    return [item for item in container if isinstance(item, Mapping)]


def _daifa_model(method: str, inner: Mapping[str, Any]) -> Mapping[str, Any]:
    result = inner.get("result")
    holder: Mapping[str, Any] = result if isinstance(result, Mapping) else inner
    if holder.get("success") is False:
        code = str(holder.get("error_code") or holder.get("msg_code") or "")
        message = str(holder.get("error_msg") or holder.get("msg_info") or "")
        raise PlatformRejected(f"{method}: {code} {message}".strip(), platform_code=code or None)
    model = holder.get("model")
    return model if isinstance(model, Mapping) else {}


class FenxiaoClient:
    def __init__(self, top: TopClient) -> None:
        self.top = top

    # --- 供销 purchase orders -------------------------------------------------------------------------
    def fenxiao_orders_get(
        self,
        *,
        session: str,
        page_no: int,
        page_size: int,
        start_modified: datetime | None = None,
        end_modified: datetime | None = None,
        purchase_order_id: str | None = None,
    ) -> tuple[int, list[Mapping[str, Any]]]:
        """(total_results, purchase orders of this page), by update time, supplier view, 代销 only."""
        params: dict[str, object] = {
            "user_role_type": SUPPLIER_ROLE,
            "trade_types": AGENT_TRADE_TYPE,
            "page_no": page_no,
            "page_size": page_size,
        }
        if purchase_order_id is not None:
            params["purchase_order_id"] = purchase_order_id
        else:
            params.update(
                {"time_type": "update_time_type", "start_created": start_modified, "end_created": end_modified}
            )
        inner = self.top.call(FENXIAO_ORDERS_GET, params, session=session)
        return int(inner.get("total_results") or 0), listed(inner.get("purchase_orders"))

    def purchase_order(self, *, session: str, fenxiao_id: str) -> Mapping[str, Any]:
        _, orders = self.fenxiao_orders_get(session=session, page_no=1, page_size=1, purchase_order_id=fenxiao_id)
        found = [po for po in orders if str(po.get("fenxiao_id")) == fenxiao_id]
        if not found:
            raise PlatformRejected(f"{FENXIAO_ORDERS_GET}: no purchase order {fenxiao_id}", platform_code="not-found")
        return found[0]

    def logistics_offline_send(self, *, session: str, fenxiao_id: str, out_sid: str, company_code: str) -> None:
        """Ship a 代销 purchase order: the supplier's session and `tid = fenxiao_id` (platforms.md §2.1)."""
        params = {"tid": fenxiao_id, "out_sid": out_sid, "company_code": company_code}
        inner = self.top.call(OFFLINE_SEND, params, session=session)
        shipping = inner.get("shipping")
        if not isinstance(shipping, Mapping) or shipping.get("is_success") is not True:
            raise PlatformRejected(f"{OFFLINE_SEND}: not accepted for purchase order {fenxiao_id}")

    # --- 代发 ------------------------------------------------------------------------------------------
    def daifa_orders(
        self,
        *,
        session: str,
        supplier_id: str,
        page_index: int = 1,
        page_size: int = 20,
        start_distributed: datetime | None = None,
        end_distributed: datetime | None = None,
        biz_order_id: str | None = None,
        scp_order_id: str | None = None,
    ) -> list[Mapping[str, Any]]:
        params: dict[str, object] = {"supplier_id": supplier_id, "page_index": page_index, "page_size": page_size}
        if scp_order_id is not None:
            params["scp_order_id"] = scp_order_id
        elif biz_order_id is not None:
            params["biz_order_id"] = biz_order_id
        else:
            params.update({"start_created": start_distributed, "end_created": end_distributed})
        model = _daifa_model(DAIFA_ORDER_QUERY, self.top.call(DAIFA_ORDER_QUERY, params, session=session))
        return listed(model.get("scp_order_models"))

    def daifa_consign(
        self, *, session: str, supplier_id: str, scp_order_ids: Sequence[str], out_sid: str, company_code: str
    ) -> None:
        params = {
            "supplier_id": supplier_id,
            "scp_order_ids": list(scp_order_ids),
            "package_list": json.dumps([{"out_sid": out_sid, "company_code": company_code}], separators=(",", ":")),
        }
        _daifa_model(DAIFA_ORDER_CONSIGN, self.top.call(DAIFA_ORDER_CONSIGN, params, session=session))

    # --- 供销 product stock ---------------------------------------------------------------------------
    def product(self, *, session: str, product_id: str) -> Mapping[str, Any]:
        inner = self.top.call(PRODUCTS_GET, {"pids": product_id, "fields": "skus"}, session=session)
        found = [p for p in listed(inner.get("products")) if str(p.get("pid")) == product_id]
        if not found:
            raise PlatformRejected(f"{PRODUCTS_GET}: no product {product_id}", platform_code="not-found")
        return found[0]

    def product_quantity_update(self, *, session: str, product_id: str, quantity: int, properties: str | None) -> None:
        params: dict[str, object] = {"product_id": product_id, "quantity": quantity, "type": FULL_OVERWRITE}
        if properties:
            params["properties"] = properties
        inner = self.top.call(PRODUCT_QUANTITY_UPDATE, params, session=session)
        if inner.get("result") is False:
            raise PlatformRejected(f"{PRODUCT_QUANTITY_UPDATE}: not accepted for product {product_id}")

    # --- TMC over HTTP (代发 status changes) ----------------------------------------------------------
    def tmc_consume(self, *, group_name: str, quantity: int) -> list[Mapping[str, Any]]:
        inner = self.top.call(TMC_CONSUME, {"group_name": group_name, "quantity": quantity})
        return listed(inner.get("messages"))

    def tmc_confirm(self, *, group_name: str, message_ids: Sequence[str]) -> None:
        inner = self.top.call(TMC_CONFIRM, {"group_name": group_name, "s_message_ids": list(message_ids)})
        if inner.get("is_success") is False:
            raise PlatformUnavailable(f"{TMC_CONFIRM}: not confirmed")
