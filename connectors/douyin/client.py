"""Signed calls to the Douyin 抖店 open API over the SDK's retrying `PlatformHttp`.

Transport (platforms.md §4.1): POST `/{method with . → /}` with the JSON `param_json` as body and the system
parameters (`app_key`, `method`, `access_token`, `timestamp` in unix seconds, `v`=2, `sign`, `sign_method`) in
the query string. Envelope: `code` 10000 = success, else `msg`/`sub_code`/`sub_msg`; older `err_no`/`message`
(0 = success) is read too.

Stock: `sku.syncStock` (§4.7) is called as a full overwrite; the figure is read back with `sku.detail`
[INFERRED: the reference names no stock-read call; `sku.detail` returning `stock_num` is the safest guess].

logisticsAdd idempotency [INFERRED]: Douyin's exact code for "already shipped" is [NOT FOUND]; a refusal whose
`msg`/`sub_msg` says 已发货 / 重复发货 is taken as success, anything else is a rejection.
"""

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from connectors.douyin.signing import API_VERSION, SignMethod, param_json, sign_request
from connectors.sdk.errors import PlatformRejected, PlatformUnavailable
from connectors.sdk.http import PlatformHttp

SUCCESS_CODE = 10000
_ALREADY_SHIPPED_MARKERS = ("已发货", "重复发货")


class DouyinApiError(PlatformRejected):
    """A business refusal from Douyin (`code` other than 10000)."""

    def __init__(self, message: str, *, platform_code: str, sub_code: str = "", sub_msg: str = "") -> None:
        super().__init__(message, platform_code=platform_code)
        self.sub_code = sub_code
        self.sub_msg = sub_msg

    @property
    def already_shipped(self) -> bool:
        text = f"{self.message} {self.sub_msg}"
        return any(marker in text for marker in _ALREADY_SHIPPED_MARKERS)


def method_path(method: str) -> str:
    """`order.orderDetail` → `/order/orderDetail`."""
    return "/" + method.replace(".", "/")


class DouyinClient:
    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        http: PlatformHttp,
        sign_method: SignMethod = "hmac-sha256",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app_key = app_key
        self._app_secret = app_secret
        self._http = http
        self._sign_method = sign_method
        self._clock = clock

    def call(self, method: str, params: Mapping[str, Any], *, access_token: str) -> dict[str, Any]:
        """Call one API method and return its `data` object. Raises DouyinApiError or PlatformUnavailable."""
        body = param_json(params)
        timestamp = str(int(self._clock()))
        query = {
            "app_key": self._app_key,
            "method": method,
            "access_token": access_token,
            "timestamp": timestamp,
            "v": API_VERSION,
            "sign_method": self._sign_method,
            "sign": sign_request(
                app_key=self._app_key,
                app_secret=self._app_secret,
                method=method,
                param_json=body,
                timestamp=timestamp,
                sign_method=self._sign_method,
            ),
        }
        response = self._http.request(
            "POST",
            method_path(method),
            params=query,
            content=body.encode("utf-8"),
            headers={"Content-Type": "application/json;charset=UTF-8", "Accept": "application/json"},
        )
        return _data(method, response)

    def order_detail(self, shop_order_id: str, access_token: str) -> dict[str, Any]:
        """`order.orderDetail`: the `shop_order_detail` object of one shop order."""
        data = self.call("order.orderDetail", {"shop_order_id": shop_order_id}, access_token=access_token)
        detail = data.get("shop_order_detail")
        if not isinstance(detail, dict):
            raise PlatformRejected(f"order.orderDetail returned no shop_order_detail for {shop_order_id}")
        return detail

    def logistics_add(self, order_id: str, company_code: str, logistics_code: str, access_token: str) -> bool:
        """`order.logisticsAdd`. True when this call shipped the order, False when it was already shipped."""
        params = {"order_id": order_id, "company_code": company_code, "logistics_code": logistics_code}
        try:
            self.call("order.logisticsAdd", params, access_token=access_token)
        except DouyinApiError as error:
            if error.already_shipped:
                return False
            raise
        return True

    def sync_stock(self, product_id: str, sku_id: str, quantity: int, access_token: str) -> None:
        """`sku.syncStock` as a full overwrite (`incremental` false, so no idempotent_id is needed)."""
        params = {"product_id": product_id, "sku_id": sku_id, "stock_num": quantity, "incremental": False}
        self.call("sku.syncStock", params, access_token=access_token)

    def sku_stock(self, product_id: str, sku_id: str, access_token: str) -> int:
        """The sellable stock Douyin shows for one SKU (`sku.detail`; [INFERRED] name of the read call)."""
        data = self.call("sku.detail", {"product_id": product_id, "sku_id": sku_id}, access_token=access_token)
        try:
            return int(data["stock_num"])
        except (KeyError, TypeError, ValueError) as exc:
            raise PlatformRejected(f"sku.detail returned no stock_num for sku {sku_id}") from exc

    def close(self) -> None:
        self._http.close()


def _data(method: str, response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        status = response.status_code
        raise DouyinApiError(f"{method} answered HTTP {status}", platform_code=f"HTTP{status}")
    try:
        envelope = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        # A gateway page instead of JSON is an outage, not a business answer: let the caller retry later.
        raise PlatformUnavailable(f"{method} answered a body that is not JSON") from exc
    if not isinstance(envelope, dict):
        raise PlatformUnavailable(f"{method} answered JSON that is not an envelope object")
    if "code" in envelope:
        ok = envelope["code"] == SUCCESS_CODE
        code, msg = envelope["code"], envelope.get("msg", "")
    else:
        ok = envelope.get("err_no") == 0
        code, msg = envelope.get("err_no"), envelope.get("message", "")
    if not ok:
        sub_code, sub_msg = str(envelope.get("sub_code") or ""), str(envelope.get("sub_msg") or "")
        raise DouyinApiError(
            f"{method} refused: code {code} {msg} {sub_code} {sub_msg}".strip(),
            platform_code=str(code),
            sub_code=sub_code,
            sub_msg=sub_msg,
        )
    data = envelope.get("data")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PlatformRejected(f"{method} answered data that is not an object")
    return data
