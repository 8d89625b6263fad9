"""JD 厂直 / 一件代发 (DPS) calls over the shared JOS client (`connectors.jd.client.JosClient`).

Result objects (JD .NET SDK response classes, platforms.md §3.5): `searchallorders_result` and
`searchSingleResult` `{status, message, errorCode, recordCount, …}`, `outBoundResult {status, message,
errorCode}`, `deliverResult {status, message, code}`, `modifyStockResult` / `queryStockResult` `{success,
resultCode, resultMessage}`.

[INFERRED] facts, the safest found:
- a DPS result failed when it has a non-empty `errorCode` (or `code` other than "0"/"200"), or `success` false;
- `searchAllOrders` takes `modifiedBeginDate` / `modifiedEndDate` (newer official SDKs) to list orders by their
  last change, and `pageSize` up to 100;
- `queryStockInfo` carries the figure in `stockNum` when present, otherwise as the text of `resultMessage`.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.jd.client import JosClient, is_transient
from connectors.sdk.errors import PlatformRejected, PlatformUnavailable
from schemas.timeutil import to_shanghai_text

SEARCH_ALL = "jingdong.dropship.dps.searchAllOrders"
SEARCH_SINGLE = "jingdong.dropship.dps.searchsingleorder"
OUTBOUND = "jingdong.dropship.dps.outbound"
DELIVERY = "jingdong.dropship.dps.delivery"
MODIFY_STOCK = "jingdong.dropship.dps.modifyStockInfo"
QUERY_STOCK = "jingdong.dropship.dps.queryStockInfo"


def check_result(method: str, result: Mapping[str, Any]) -> None:
    error_code = str(result.get("errorCode") or "").strip()
    code = str(result.get("code") or "").strip()
    failed = bool(error_code) or code not in ("", "0", "200") or result.get("success") is False
    if not failed:
        return
    message = result.get("message") or result.get("resultMessage") or ""
    detail = f"{method}: {error_code or code or result.get('resultCode', '')} {message}".strip()
    if is_transient(message):
        raise PlatformUnavailable(detail)
    raise PlatformRejected(detail, platform_code=error_code or code or str(result.get("resultCode") or ""))


def _result(method: str, inner: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    result = inner.get(key)
    if not isinstance(result, Mapping):
        raise PlatformRejected(f"{method}: response has no {key}")
    check_result(method, result)
    return result


class DpsClient(JosClient):
    def search_all_orders(
        self, *, access_token: str, start: datetime, end: datetime, page: int, page_size: int
    ) -> tuple[int, list[Mapping[str, Any]]]:
        """(recordCount, orders of this page) changed in [start, end]."""
        inner = self.call(
            SEARCH_ALL,
            {
                "modifiedBeginDate": to_shanghai_text(start),
                "modifiedEndDate": to_shanghai_text(end),
                "page": page,
                "pageSize": page_size,
            },
            access_token=access_token,
        )
        result = _result(SEARCH_ALL, inner, "searchallorders_result")
        orders = result.get("queryAllOrdersForJosResult")
        listed = [o for o in orders if isinstance(o, Mapping)] if isinstance(orders, list) else []
        return int(result.get("recordCount") or 0), listed

    def search_single_order(self, *, access_token: str, custom_order_id: str) -> Mapping[str, Any]:
        inner = self.call(SEARCH_SINGLE, {"customOrderId": int(custom_order_id)}, access_token=access_token)
        order = _result(SEARCH_SINGLE, inner, "searchSingleResult").get("resultSingleDto")
        if not isinstance(order, Mapping):
            raise PlatformRejected(f"{SEARCH_SINGLE}: no order {custom_order_id}")
        return order

    def outbound(self, *, access_token: str, custom_order_id: str, memo: str = "") -> None:
        """出库: the vendor has picked the goods (required before `delivery`)."""
        inner = self.call(
            OUTBOUND,
            {"customOrderId": int(custom_order_id), "memoByVendor": memo, "isJdexpress": 0},
            access_token=access_token,
        )
        _result(OUTBOUND, inner, "outBoundResult")

    def delivery(
        self, *, access_token: str, custom_order_id: str, carrier_id: str, carrier_name: str, ship_no: str
    ) -> None:
        """发货回传: the carrier and tracking number."""
        inner = self.call(
            DELIVERY,
            {
                "customOrderId": int(custom_order_id),
                "carrierId": carrier_id,
                "carrierBusinessName": carrier_name,
                "shipNo": ship_no,
            },
            access_token=access_token,
        )
        _result(DELIVERY, inner, "deliverResult")

    def modify_stock(self, *, access_token: str, sku: str, quantity: int) -> None:
        """The full figure for a JD 自营 SKU (not a delta), so a retry is harmless."""
        inner = self.call(MODIFY_STOCK, {"sku": int(sku), "stockNum": quantity}, access_token=access_token)
        _result(MODIFY_STOCK, inner, "modifyStockResult")

    def query_stock(self, *, access_token: str, sku: str) -> int:
        inner = self.call(QUERY_STOCK, {"sku": int(sku)}, access_token=access_token)
        result = _result(QUERY_STOCK, inner, "queryStockResult")
        figure = result.get("stockNum", result.get("resultMessage"))
        try:
            return int(str(figure).strip())
        except ValueError as exc:
            raise PlatformRejected(f"{QUERY_STOCK}: no stock figure for sku {sku}") from exc
