"""Signed calls to the Xiaohongshu ark open API over the SDK's retrying `PlatformHttp`.

Transport (platforms.md §6.1): one endpoint, POST JSON; the body holds the system parameters `appId`,
`timestamp` (unix seconds), `version` (2.0), `method`, `sign`, `accessToken` and the business parameters at
the same level. Answer: `{success, error_code, error_msg, data}`.

[INFERRED] error classification (the platform's code table is not in our sources): a refusal whose message
speaks of a rate limit / busy system (限流, 频繁, 繁忙, 超时) is transient → PlatformUnavailable; any other
`success: false` is a business rejection → PlatformRejected carrying `error_code`.
"""

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from connectors.sdk.errors import PlatformRejected, PlatformUnavailable
from connectors.sdk.http import PlatformHttp
from connectors.xiaohongshu.signing import API_VERSION, request_sign

DEFAULT_PATH = "/ark/open_api/v3/common_controller"
UPDATE_TIME = 2  # getOrderList timeType: 2 = 更新时间 (window ≤ 30 min)
_TRANSIENT_MARKERS = ("限流", "频繁", "繁忙", "超时", "rate limit", "busy")


def split_endpoint(api_url: str) -> tuple[str, str]:
    """(scheme://host, path) of the gateway; a bare host (a local simulator) gets the production path."""
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}", (parts.path.rstrip("/") or DEFAULT_PATH)


@dataclass(frozen=True)
class OrderListPage:
    total: int
    max_page_no: int
    orders: tuple[Mapping[str, Any], ...]


class XiaohongshuClient:
    def __init__(
        self,
        api_url: str,
        *,
        app_id: str,
        app_secret: str,
        clock: Callable[[], float] = time.time,
        max_attempts: int = 4,
        initial_backoff: float = 0.2,
        max_jitter: float = 1.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        base, self._path = split_endpoint(api_url)
        self._http = PlatformHttp(
            base,
            max_attempts=max_attempts,
            initial_backoff=initial_backoff,
            max_jitter=max_jitter,
            transport=transport,
        )
        self._app_id = app_id
        self._app_secret = app_secret
        self._clock = clock

    def signed_body(self, method: str, params: Mapping[str, Any], access_token: str) -> dict[str, Any]:
        timestamp = str(int(self._clock()))
        sign = request_sign(
            method=method, app_id=self._app_id, timestamp=timestamp, version=API_VERSION, app_secret=self._app_secret
        )
        return {
            **params,
            "appId": self._app_id,
            "timestamp": timestamp,
            "version": API_VERSION,
            "method": method,
            "sign": sign,
            "accessToken": access_token,
        }

    def call(self, method: str, params: Mapping[str, Any], *, access_token: str) -> Mapping[str, Any]:
        """Call one API and return its `data` object. Raises PlatformRejected or PlatformUnavailable."""
        body = json.dumps(self.signed_body(method, params, access_token), ensure_ascii=False, separators=(",", ":"))
        response = self._http.request(
            "POST",
            self._path,
            content=body.encode("utf-8"),
            headers={"Content-Type": "application/json;charset=utf-8"},
        )
        return _data(method, response)

    # --- the calls the connector makes ---------------------------------------------------------------
    def order_list(
        self, *, access_token: str, start_seconds: int, end_seconds: int, page_no: int, page_size: int
    ) -> OrderListPage:
        data = self.call(
            "order.getOrderList",
            {
                "startTime": start_seconds,
                "endTime": end_seconds,
                "timeType": UPDATE_TIME,
                "pageNo": page_no,
                "pageSize": page_size,
            },
            access_token=access_token,
        )
        orders = data.get("orderList") or []
        if not isinstance(orders, list):
            raise PlatformRejected("order.getOrderList: orderList is not a list")
        return OrderListPage(
            total=_int(data.get("total"), "order.getOrderList total"),
            max_page_no=_int(data.get("maxPageNo"), "order.getOrderList maxPageNo"),
            orders=tuple(order for order in orders if isinstance(order, Mapping)),
        )

    def order_detail(self, *, access_token: str, order_id: str) -> Mapping[str, Any]:
        data = self.call("order.getOrderDetail", {"orderId": order_id}, access_token=access_token)
        if str(data.get("orderId") or "") != order_id:
            raise PlatformRejected(f"order.getOrderDetail answered no order {order_id}")
        return data

    def order_deliver(
        self,
        *,
        access_token: str,
        order_id: str,
        express_no: str,
        express_company_code: str,
        delivering_time_ms: int,
        sku_ids: Sequence[str] = (),
    ) -> None:
        """`order.orderDeliver`; `sku_ids` ships only those SKUs (拆包: `unpack` + `skuIdList`)."""
        params: dict[str, Any] = {
            "orderId": order_id,
            "expressNo": express_no,
            "expressCompanyCode": express_company_code,
            "deliveringTime": delivering_time_ms,
        }
        if sku_ids:
            params.update({"unpack": True, "skuIdList": list(sku_ids)})
        self.call("order.orderDeliver", params, access_token=access_token)

    def sync_sku_stock(self, *, access_token: str, sku_id: str, quantity: int) -> None:
        """`inventory.syncSkuStock`: `qty` is the SKU's total stock; the platform works out the difference."""
        self.call("inventory.syncSkuStock", {"skuId": sku_id, "qty": quantity}, access_token=access_token)

    def sku_stock_total(self, *, access_token: str, sku_id: str) -> int:
        """`inventory.getSkuStock` → `skuStock.total`, the figure `syncSkuStock` sets."""
        data = self.call("inventory.getSkuStock", {"skuId": sku_id}, access_token=access_token)
        stock = data.get("skuStock")
        if not isinstance(stock, Mapping):
            raise PlatformRejected(f"inventory.getSkuStock returned no skuStock for sku {sku_id}")
        return _int(stock.get("total"), "inventory.getSkuStock skuStock.total")

    def close(self) -> None:
        self._http.close()


def _int(value: object, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise PlatformRejected(f"{what} is not an integer")


def _data(method: str, response: httpx.Response) -> Mapping[str, Any]:
    if response.status_code != 200:
        raise PlatformRejected(f"{method}: HTTP {response.status_code}", platform_code=f"HTTP{response.status_code}")
    try:
        envelope = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        # A gateway page instead of JSON is an outage, not a business answer: let the caller retry later.
        raise PlatformUnavailable(f"{method}: the gateway answered something other than JSON") from exc
    if not isinstance(envelope, Mapping):
        raise PlatformUnavailable(f"{method}: the answer is not an envelope object")
    if envelope.get("success") is not True:
        code = str(envelope.get("error_code", ""))
        message = str(envelope.get("error_msg") or "")
        detail = f"{method} refused: {code} {message}".strip()
        if any(marker in message.lower() for marker in _TRANSIENT_MARKERS):
            raise PlatformUnavailable(detail)
        raise PlatformRejected(detail, platform_code=code)
    data = envelope.get("data")
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise PlatformRejected(f"{method}: data is not an object")
    return data
