"""Calls to the WeChat 小店 API (`/channels/ec/...`, platforms.md §7) over `WechatApi` (token, retries).

- `order/list/get`: `update_time_range{start_time,end_time}` in unix seconds, `page_size` ≤ 100, `next_key`
  cursor; answers `order_id_list`, `next_key`, `has_more`.
- `order/get`: `order_id`, `encode_sensitive_info: true` so the receiver comes masked (the full values need
  the separate, audited `order/sensitiveinfo/decode` call, which the hub never makes while ingesting).
- `aftersale/getaftersaleorder` [INFERRED path/fields, SRC-3P ERP code]: the order lists only after-sale ids, so
  each case's `status`, `type`, `product_info` and `update_time` are read here.
- `order/delivery/send`: `delivery_list[{delivery_id, waybill_id, deliver_type, product_infos[…]}]`.
- `product/stock/update` with `diff_type` 3 (设置) and `product/stock/get` [INFERRED read call, answering
  `data.total_stock_num`].
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from connectors.sdk.errors import PlatformRejected
from connectors.wechat_shop.access_token import WechatApi

MAX_PAGE_SIZE = 100
DIFF_ADD, DIFF_SUBTRACT, DIFF_SET = 1, 2, 3
DELIVER_TYPE_EXPRESS = 1  # 自寄快递


class WechatShopClient:
    def __init__(self, api: WechatApi) -> None:
        self.api = api

    def list_orders(
        self, start: datetime, end: datetime, *, page_size: int, next_key: str | None
    ) -> tuple[list[str], str | None, bool]:
        """One page of order ids updated in [start, end]: (ids, next_key, has_more)."""
        body: dict[str, Any] = {
            "update_time_range": {"start_time": int(start.timestamp()), "end_time": int(end.timestamp())},
            "page_size": min(page_size, MAX_PAGE_SIZE),
        }
        if next_key:
            body["next_key"] = next_key
        answer = self.api.call("/channels/ec/order/list/get", body)
        ids = answer.get("order_id_list") or []
        if not isinstance(ids, list):
            raise PlatformRejected("order/list/get answered order_id_list that is not a list")
        cursor = answer.get("next_key")
        return [str(i) for i in ids], str(cursor) if cursor else None, bool(answer.get("has_more"))

    def get_order(self, order_id: str) -> dict[str, Any]:
        answer = self.api.call("/channels/ec/order/get", {"order_id": order_id, "encode_sensitive_info": True})
        order = answer.get("order")
        if not isinstance(order, dict):
            raise PlatformRejected(f"order/get returned no order for {order_id}")
        return order

    def get_aftersale(self, aftersale_id: str) -> dict[str, Any]:
        answer = self.api.call("/channels/ec/aftersale/getaftersaleorder", {"after_sale_order_id": aftersale_id})
        case = answer.get("after_sale_order")
        if not isinstance(case, dict):
            raise PlatformRejected(f"getaftersaleorder returned nothing for {aftersale_id}")
        return case

    def send_delivery(
        self, order_id: str, *, delivery_id: str, waybill_id: str, products: Sequence[Mapping[str, Any]]
    ) -> None:
        delivery = {
            "delivery_id": delivery_id,
            "waybill_id": waybill_id,
            "deliver_type": DELIVER_TYPE_EXPRESS,
            "product_infos": [dict(p) for p in products],
        }
        self.api.call("/channels/ec/order/delivery/send", {"order_id": order_id, "delivery_list": [delivery]})

    def set_stock(self, product_id: str, sku_id: str, quantity: int) -> None:
        """Full overwrite (`diff_type` 3): the only retry-safe form (a retried +N would add twice)."""
        body = {"product_id": product_id, "sku_id": sku_id, "diff_type": DIFF_SET, "num": quantity}
        self.api.call("/channels/ec/product/stock/update", body)

    def get_stock(self, product_id: str, sku_id: str) -> int:
        answer = self.api.call("/channels/ec/product/stock/get", {"product_id": product_id, "sku_id": sku_id})
        data = answer.get("data")
        figure = data.get("total_stock_num") if isinstance(data, dict) else None
        if not isinstance(figure, int) or isinstance(figure, bool):
            raise PlatformRejected(f"product/stock/get returned no total_stock_num for sku {sku_id}")
        return figure
