"""JOS API calls over the SDK's `PlatformHttp` (retries on transport errors, 429 and 5xx).

`JosClient` is the JOS router dialect shared by every JD connector (`jd`, `jd_dps`): a form POST to
`/routerjson` with the system parameters, the business parameters as one JSON string `360buy_param_json`, and
the MD5 sign (platforms.md §3.1). JOS answers HTTP 200 with either `{<method_with_underscores>_responce: {code,
…result…}}` (JD's spelling, seen in SDK response samples) or `{error_response: {code, zh_desc, en_desc}}`.
Numbers in answers are kept as their JSON text (`parse_float=str`): money is then exact, and the raw order
stays JSON-serialisable for the archive.

`JdPopClient` adds the POP (第三方商家) calls the `jd` connector makes.

[INFERRED] error classification (JOS's table is not in our sources): an `error_response` or a result whose
description names a limit, frequency, busy, timeout or system error (限流, 频繁, 繁忙, 超时, 系统) is transient →
PlatformUnavailable; anything else is a business rejection → PlatformRejected carrying the code.
"""

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from connectors.jd.signing import PARAM_JSON, jos_timestamp, sign
from connectors.sdk.errors import PlatformRejected, PlatformUnavailable
from connectors.sdk.http import PlatformHttp
from schemas.timeutil import to_shanghai_text, utc_now

DEFAULT_ROUTER_PATH = "/routerjson"
_TRANSIENT_MARKERS = (
    "limit",
    "frequen",
    "busy",
    "timeout",
    "time out",
    "unavailable",
    "限流",
    "频繁",
    "繁忙",
    "超时",
    "系统",
)

# Every order state `enSearch` accepts (platforms.md §3.2), comma-joined: the window must see every change.
ALL_ORDER_STATES = (
    "WAIT_SELLER_STOCK_OUT,WAIT_GOODS_RECEIVE_CONFIRM,WAIT_SELLER_DELIVERY,PAUSE,FINISHED_L,TRADE_CANCELED,"
    "LOCKED,POP_ORDER_PAUSE"
)
SUMMARY_FIELDS = "orderId,orderState,modified"
ORDER_FIELDS = ",".join(
    (
        "orderId,venderId,orderType,payType,orderTotalPrice,orderSellerPrice,orderPayment,freightPrice",
        "sellerDiscount,balanceUsed,orderState,orderStateRemark,deliveryType,invoiceInfo,invoiceEasyInfo",
        "orderRemark,venderRemark,orderStartTime,orderEndTime,paymentConfirmTime,modified,consigneeInfo",
        "itemInfoList,couponDetailList,pin,open_id,open_id_buyer,waybill,logisticsId,parentOrderId",
        "directParentOrderId,orderSource,storeOrder,storeId,idSopShipmenttype",
    )
)


def response_key(method: str) -> str:
    """`jingdong.pop.order.enSearch` → `jingdong_pop_order_enSearch_responce`."""
    return method.replace(".", "_") + "_responce"


def is_transient(*descriptions: object) -> bool:
    text = " ".join(str(d) for d in descriptions if d).lower()
    return any(marker in text for marker in _TRANSIENT_MARKERS)


class JosClient:
    def __init__(
        self,
        api_url: str,
        *,
        app_key: str,
        app_secret: str,
        clock: Callable[[], datetime] = utc_now,
        max_attempts: int = 4,
        initial_backoff: float = 0.2,
        max_jitter: float = 1.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        parts = urlsplit(api_url)
        self._path = parts.path or DEFAULT_ROUTER_PATH
        self._http = PlatformHttp(
            f"{parts.scheme}://{parts.netloc}",
            max_attempts=max_attempts,
            initial_backoff=initial_backoff,
            max_jitter=max_jitter,
            transport=transport,
        )
        self._app_key = app_key
        self._app_secret = app_secret
        self._clock = clock

    def signed_params(self, method: str, business: Mapping[str, object], access_token: str) -> dict[str, str]:
        """System parameters, the business JSON (None values left out) and `sign`."""
        params = {
            "method": method,
            "app_key": self._app_key,
            "access_token": access_token,
            "timestamp": jos_timestamp(self._clock()),
            "v": "2.0",
            PARAM_JSON: json.dumps(
                {k: v for k, v in business.items() if v is not None}, ensure_ascii=False, separators=(",", ":")
            ),
        }
        params["sign"] = sign(params, self._app_secret)
        return params

    def call(self, method: str, business: Mapping[str, object], *, access_token: str) -> Mapping[str, Any]:
        """Call one API; return the object inside `<method>_responce`."""
        response = self._http.request("POST", self._path, data=self.signed_params(method, business, access_token))
        if response.status_code >= 400:
            raise PlatformRejected(f"{method}: HTTP {response.status_code}", platform_code=str(response.status_code))
        try:
            body = json.loads(response.text, parse_float=str)
        except ValueError as exc:
            raise PlatformUnavailable(f"{method}: the router answered with something other than JSON") from exc
        if not isinstance(body, Mapping):
            raise PlatformUnavailable(f"{method}: unexpected response shape")
        error = body.get("error_response")
        if isinstance(error, Mapping):
            code = str(error.get("code", ""))
            detail = f"{method}: JOS error {code} {error.get('en_desc', '')} {error.get('zh_desc', '')}".strip()
            if is_transient(error.get("en_desc"), error.get("zh_desc")):
                raise PlatformUnavailable(detail)
            raise PlatformRejected(detail, platform_code=code)
        inner = body.get(response_key(method))
        if not isinstance(inner, Mapping):
            raise PlatformRejected(f"{method}: response has no {response_key(method)}")
        if str(inner.get("code", "0")) != "0":
            raise PlatformRejected(f"{method}: JOS code {inner.get('code')}", platform_code=str(inner.get("code")))
        return inner

    def close(self) -> None:
        self._http.close()


def check_api_result(method: str, result: Mapping[str, Any]) -> None:
    """POP results carry `apiResult` / `success` with `englishErrCode`, `chineseErrCode`, `numberCode`."""
    api_result = result.get("apiResult", result)
    if not isinstance(api_result, Mapping) or api_result.get("success", True) is not False:
        return
    english, chinese = api_result.get("englishErrCode"), api_result.get("chineseErrCode")
    detail = f"{method}: {api_result.get('numberCode', '')} {english or ''} {chinese or ''}".strip()
    if is_transient(english, chinese):
        raise PlatformUnavailable(detail)
    raise PlatformRejected(detail, platform_code=str(api_result.get("numberCode") or english or ""))


def _result(method: str, inner: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    result = inner.get(key)
    if not isinstance(result, Mapping):
        raise PlatformRejected(f"{method}: response has no {key}")
    check_api_result(method, result)
    return result


class JdPopClient(JosClient):
    """The POP calls: order search/get, shipment, stock write and read."""

    def order_en_search(
        self, *, access_token: str, start: datetime, end: datetime, page: int, page_size: int, fields: str
    ) -> tuple[int, list[Mapping[str, Any]]]:
        """(orderTotal, orders of this page) modified in [start, end], newest first."""
        method = "jingdong.pop.order.enSearch"
        inner = self.call(
            method,
            {
                "start_date": to_shanghai_text(start),
                "end_date": to_shanghai_text(end),
                "order_state": ALL_ORDER_STATES,
                "optional_fields": fields,
                "page": str(page),
                "page_size": str(page_size),
                "sortType": 1,  # [INFERRED] 1 = descending
                "dateType": 0,  # [INFERRED] 0 = by modified time
            },
            access_token=access_token,
        )
        result = _result(method, inner, "searchorderinfo_result")
        orders = result.get("orderInfoList")
        listed = [o for o in orders if isinstance(o, Mapping)] if isinstance(orders, list) else []
        return int(result.get("orderTotal") or 0), listed

    def order_en_get(self, *, access_token: str, order_id: str, fields: str = ORDER_FIELDS) -> Mapping[str, Any]:
        method = "jingdong.pop.order.enGet"
        inner = self.call(method, {"order_id": order_id, "optional_fields": fields}, access_token=access_token)
        order = _result(method, inner, "orderDetailInfo").get("orderInfo")
        if not isinstance(order, Mapping):
            raise PlatformRejected(f"{method}: no order {order_id}")
        return order

    def order_shipment(self, *, access_token: str, order_id: str, logistics_id: str, waybill: str) -> None:
        """`jingdong.pop.order.shipment` (SOP 出库 with the seller's own carrier)."""
        method = "jingdong.pop.order.shipment"
        inner = self.call(
            method, {"orderId": order_id, "logiCoprId": logistics_id, "logiNo": waybill}, access_token=access_token
        )
        _result(method, inner, "sopjosshipment_result")

    def update_sku_stock(self, *, access_token: str, sku_id: str, quantity: int) -> None:
        """`jingdong.stock.write.updateSkuStock`: the full figure (not a delta), so a retry is harmless."""
        method = "jingdong.stock.write.updateSkuStock"
        inner = self.call(method, {"skuId": int(sku_id), "stockNum": quantity}, access_token=access_token)
        if inner.get("success") is not True:
            raise PlatformRejected(f"{method}: sku {sku_id} not updated")

    def find_sku_stock(self, *, access_token: str, sku_id: str) -> int:
        """`jingdong.stock.read.findSkuStock` → `skuStocks[]` of `{skuId, stockNum, storeId, detailStock}`.

        [INFERRED] with several stores (区域库存) the sellable figure is their sum.
        """
        method = "jingdong.stock.read.findSkuStock"
        inner = self.call(method, {"skuId": int(sku_id)}, access_token=access_token)
        stocks = inner.get("skuStocks")
        rows = [s for s in stocks if isinstance(s, Mapping)] if isinstance(stocks, list) else []
        mine = [s for s in rows if str(s.get("skuId")) == str(sku_id)]
        if not mine:
            raise PlatformRejected(f"{method}: no stock row for sku {sku_id}")
        return sum(int(s.get("stockNum") or 0) for s in mine)
