"""Signed calls to the Kuaishou 快手小店 open API over the SDK's retrying `PlatformHttp`.

Transport (platforms.md §5.1): `/{method with . → /}` on openapi.kwaixiaodian.com, system parameters
`appkey, method, access_token, version=1, timestamp (ms), signMethod, param (business JSON), sign`. Reads
(`open.order.cursor.list`, `open.order.detail`, `open.item.sku.list.get`) go as GET query strings, writes
(`open.seller.order.goods.deliver`, `open.item.sku.stock.update`) as POST forms, as the SDKs declare them.
Envelope: `result` 1 = success, else `error_msg` / `code` / `sub_code` / `sub_msg`.

[INFERRED] error classification (Kuaishou's code table is not in the reference): HTTP 429/5xx are retried by
`PlatformHttp`; a refusal whose message names a limit, busy system or time-out (限流 / 频繁 / 繁忙 / 超时 /
"limit" / "busy" / "timeout") is transient → PlatformUnavailable; every other refusal → PlatformRejected.

[INFERRED] parameter names where §12 says they were not found (taken from third-party SDK mirrors):
- goods.deliver: `orderId`, `expressNo`, `expressCode` (Kuaishou's integer carrier code);
- sku.stock.update: `kwaiItemId`, `skuId`, `skuChangeStock` (> 0), `changeType` 1 = add / 2 = subtract —
  the update is a **delta** (§5.5);
- sku.list.get (the stock read): `kwaiItemId` → `data.skuList[]` with `kwaiSkuId` and `skuStock`.
"""

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from connectors.kuaishou.signing import API_VERSION, SignMethod, param_json, sign
from connectors.sdk.errors import PlatformRejected, PlatformUnavailable
from connectors.sdk.http import PlatformHttp

SUCCESS_RESULT = 1
NO_MORE = "nomore"  # the cursor Kuaishou returns after the last page [SRC-3P; §5.4 INFERRED]
_TRANSIENT_MARKERS = ("限流", "频繁", "繁忙", "超时", "limit", "busy", "timeout")
_WRITE_METHODS = frozenset({"open.seller.order.goods.deliver", "open.item.sku.stock.update"})


class KuaishouApiError(PlatformRejected):
    """A business refusal (`result` other than 1)."""

    def __init__(self, message: str, *, platform_code: str, sub_code: str = "") -> None:
        super().__init__(message, platform_code=platform_code)
        self.sub_code = sub_code


def method_path(method: str) -> str:
    """`open.order.cursor.list` → `/open/order/cursor/list`."""
    return "/" + method.replace(".", "/")


class KuaishouClient:
    def __init__(
        self,
        *,
        app_key: str,
        sign_secret: str,
        http: PlatformHttp,
        write_http: PlatformHttp | None = None,
        sign_method: SignMethod = "HMAC_SHA256",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app_key = app_key
        self._sign_secret = sign_secret
        self._http = http
        # Non-idempotent writes (a stock delta) go through a client that never repeats a request itself.
        self._write_http = write_http or http
        self._sign_method = sign_method
        self._clock = clock

    def signed_params(self, method: str, params: Mapping[str, Any], access_token: str) -> dict[str, str]:
        system: dict[str, str] = {
            "appkey": self._app_key,
            "method": method,
            "access_token": access_token,
            "version": API_VERSION,
            "timestamp": str(int(self._clock() * 1000)),
            "signMethod": self._sign_method,
            "param": param_json(params),
        }
        system["sign"] = sign(system, self._sign_secret, self._sign_method)
        return system

    def call(self, method: str, params: Mapping[str, Any], *, access_token: str, retry: bool = True) -> Any:
        """Call one API method and return its `data`. Raises KuaishouApiError or PlatformUnavailable."""
        signed = self.signed_params(method, params, access_token)
        http = self._http if retry else self._write_http
        if method in _WRITE_METHODS:
            response = http.request("POST", method_path(method), data=signed)
        else:
            response = http.request("GET", method_path(method), params=signed)
        return _data(method, response)

    # --- orders --------------------------------------------------------------------------------------
    def order_cursor_list(
        self, *, access_token: str, begin_ms: int, end_ms: int, cursor: str, page_size: int
    ) -> tuple[list[dict[str, Any]], str]:
        """One page of orders updated in [begin, end] (queryType 2 = update time; orderViewStatus 1 = all
        [INFERRED]); returns the orders and the next cursor (`nomore` after the last page)."""
        params = {
            "orderViewStatus": 1,
            "pageSize": page_size,
            "queryType": 2,
            "sort": 1,
            "cpsType": 0,
            "beginTime": begin_ms,
            "endTime": end_ms,
            "cursor": cursor,
        }
        data = _object(self.call("open.order.cursor.list", params, access_token=access_token), "open.order.cursor.list")
        orders = data.get("orderList") or []
        if not isinstance(orders, list) or not all(isinstance(o, dict) for o in orders):
            raise PlatformRejected("open.order.cursor.list returned an orderList that is not a list of orders")
        return orders, str(data.get("cursor") or NO_MORE)

    def order_detail(self, oid: str, access_token: str) -> dict[str, Any]:
        answer = self.call("open.order.detail", {"oid": int(oid)}, access_token=access_token)
        data = _object(answer, "open.order.detail")
        if not isinstance(data.get("orderBaseInfo"), dict):
            raise PlatformRejected(f"open.order.detail returned no orderBaseInfo for {oid}")
        return data

    def goods_deliver(self, *, order_id: str, express_no: str, express_code: int, access_token: str) -> None:
        params = {"orderId": int(order_id), "expressNo": express_no, "expressCode": express_code}
        self.call("open.seller.order.goods.deliver", params, access_token=access_token)

    # --- stock ---------------------------------------------------------------------------------------
    def sku_stock(self, *, item_id: str, sku_id: str, access_token: str) -> int:
        data = _object(
            self.call("open.item.sku.list.get", {"kwaiItemId": int(item_id)}, access_token=access_token),
            "open.item.sku.list.get",
        )
        skus = data.get("skuList")
        for sku in skus if isinstance(skus, list) else []:
            if isinstance(sku, dict) and str(sku.get("kwaiSkuId")) == sku_id:
                stock = sku.get("skuStock")
                if isinstance(stock, int) and not isinstance(stock, bool) and stock >= 0:
                    return stock
                raise PlatformRejected(f"open.item.sku.list.get gave no skuStock for sku {sku_id}")
        raise PlatformRejected(f"open.item.sku.list.get does not list sku {sku_id} of item {item_id}")

    def sku_stock_change(self, *, item_id: str, sku_id: str, delta: int, access_token: str) -> None:
        """Add (delta > 0) or subtract (delta < 0) stock. Sent once: a repeat would apply the delta twice."""
        if delta == 0:
            raise ValueError("Kuaishou refuses a zero stock change; skip the call instead")
        params = {
            "kwaiItemId": int(item_id),
            "skuId": int(sku_id),
            "skuChangeStock": abs(delta),
            "changeType": 1 if delta > 0 else 2,
        }
        self.call("open.item.sku.stock.update", params, access_token=access_token, retry=False)

    def close(self) -> None:
        self._http.close()
        if self._write_http is not self._http:
            self._write_http.close()


def _object(data: Any, method: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PlatformRejected(f"{method} answered data that is not an object")
    return data


def _data(method: str, response: httpx.Response) -> Any:
    if response.status_code != 200:
        status = response.status_code
        raise KuaishouApiError(f"{method} answered HTTP {status}", platform_code=f"HTTP{status}")
    try:
        envelope = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        # A gateway page instead of JSON is an outage, not a business answer: let the caller retry later.
        raise PlatformUnavailable(f"{method} answered a body that is not JSON") from exc
    if not isinstance(envelope, dict):
        raise PlatformUnavailable(f"{method} answered JSON that is not an envelope object")
    if envelope.get("result") == SUCCESS_RESULT:
        return envelope.get("data")
    code = str(envelope.get("code") or envelope.get("result"))
    sub_code = str(envelope.get("sub_code") or "")
    text = " ".join(str(envelope.get(k) or "") for k in ("error_msg", "msg", "sub_msg")).strip()
    message = f"{method} refused: result {envelope.get('result')} {code} {sub_code} {text}".strip()
    if any(marker in text.lower() for marker in _TRANSIENT_MARKERS):
        raise PlatformUnavailable(message)
    raise KuaishouApiError(message, platform_code=code, sub_code=sub_code)
