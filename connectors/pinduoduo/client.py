"""Signed calls to the Pinduoduo open API router over the SDK's retrying `PlatformHttp`.

Transport (platforms.md §9.1): form POST to `/api/router` with `type`, `client_id`, `access_token`,
`timestamp` (unix seconds), `data_type=JSON`, `version=V1`, the business parameters (objects and lists
JSON-encoded) and `sign`. Answer: `{"<name>_response": {...}}` or `{"error_response": {error_code, error_msg,
sub_code, sub_msg}}`; the one `*_response` key is taken whatever its exact name.

Money: PDD sends yuan as JSON doubles. Bodies are parsed with `parse_float=Decimal` — never a float — and the
Decimals are handed on as their exact decimal text ("19.99"), because the raw order is archived with
`json.dumps`, which cannot write a Decimal; normalise turns the text into fen with Decimal arithmetic.

[INFERRED] error classification (PDD's code table is not in our sources): a refusal whose code or message
speaks of a limit / frequency / busy system is transient → PlatformUnavailable; anything else is a business
rejection → PlatformRejected carrying `error_code` (and `sub_code`).
"""

import json
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx

from connectors.pinduoduo.signing import sign
from connectors.sdk.errors import PlatformRejected, PlatformUnavailable
from connectors.sdk.http import PlatformHttp

DEFAULT_PATH = "/api/router"
ALL = 5  # order_status / refund_status filter: 全部
_TRANSIENT_MARKERS = ("limit", "frequen", "busy", "频", "限流", "繁忙", "超时")


def decimal_json(content: bytes) -> Any:
    """Parse a PDD body: JSON doubles become exact decimal text, never floats (see the module docstring)."""
    return _exact(json.loads(content, parse_float=Decimal))


def _exact(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact(item) for item in value]
    return value


def param_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


class PinduoduoClient:
    def __init__(
        self,
        api_url: str,
        *,
        client_id: str,
        client_secret: str,
        clock: Callable[[], float] = time.time,
        max_attempts: int = 4,
        initial_backoff: float = 0.2,
        max_jitter: float = 1.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        parts = urlsplit(api_url)
        self._path = parts.path.rstrip("/") or DEFAULT_PATH
        self._http = PlatformHttp(
            f"{parts.scheme}://{parts.netloc}",
            max_attempts=max_attempts,
            initial_backoff=initial_backoff,
            max_jitter=max_jitter,
            transport=transport,
        )
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock

    def signed_params(self, api: str, params: Mapping[str, object], access_token: str | None) -> dict[str, str]:
        merged: dict[str, object] = {
            "type": api,
            "client_id": self._client_id,
            "timestamp": int(self._clock()),
            "data_type": "JSON",
            "version": "V1",
            **params,
        }
        if access_token is not None:
            merged["access_token"] = access_token
        texts = {key: param_text(value) for key, value in merged.items() if value is not None}
        texts["sign"] = sign(dict(texts), self._client_secret)
        return texts

    def call(self, api: str, params: Mapping[str, object], *, access_token: str) -> Mapping[str, Any]:
        response = self._http.request("POST", self._path, data=self.signed_params(api, params, access_token))
        if response.status_code != 200:
            raise PlatformRejected(f"{api}: HTTP {response.status_code}", platform_code=f"HTTP{response.status_code}")
        try:
            body = decimal_json(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PlatformUnavailable(f"{api}: the router answered something other than JSON") from exc
        if not isinstance(body, Mapping):
            raise PlatformUnavailable(f"{api}: unexpected response shape")
        error = body.get("error_response")
        if isinstance(error, Mapping):
            error_code = str(error.get("error_code", ""))
            sub_code = str(error.get("sub_code") or "")
            message = f"{error.get('error_msg', '')} {error.get('sub_msg', '')}".strip()
            detail = f"{api} refused: {error_code} {sub_code} {message}".strip()
            if any(marker in f"{sub_code} {message}".lower() for marker in _TRANSIENT_MARKERS):
                raise PlatformUnavailable(detail)
            raise PlatformRejected(detail, platform_code=sub_code or error_code)
        inner = [value for key, value in body.items() if key.endswith("_response") and isinstance(value, Mapping)]
        if len(inner) != 1:
            raise PlatformRejected(f"{api}: the answer has no single *_response object")
        return inner[0]

    # --- the calls the connector makes ---------------------------------------------------------------
    def increment_orders(
        self, *, access_token: str, start_seconds: int, end_seconds: int, page: int, page_size: int
    ) -> tuple[int, list[Mapping[str, Any]]]:
        """(total_count, orders of this page) of `pdd.order.number.list.increment.get` over every status."""
        inner = self.call(
            "pdd.order.number.list.increment.get",
            {
                "start_updated_at": start_seconds,
                "end_updated_at": end_seconds,
                "order_status": ALL,
                "refund_status": ALL,
                "is_lucky_flag": 0,
                "page": page,
                "page_size": page_size,
                "use_has_next": False,
            },
            access_token=access_token,
        )
        orders = inner.get("order_sn_list") or []
        if not isinstance(orders, list):
            raise PlatformRejected("pdd.order.number.list.increment.get: order_sn_list is not a list")
        total = inner.get("total_count")
        if not isinstance(total, int) or isinstance(total, bool):
            raise PlatformRejected("pdd.order.number.list.increment.get: no total_count")
        return total, [order for order in orders if isinstance(order, Mapping)]

    def order_information(self, *, access_token: str, order_sn: str) -> Mapping[str, Any]:
        inner = self.call("pdd.order.information.get", {"order_sn": order_sn}, access_token=access_token)
        info = inner.get("order_info")
        if not isinstance(info, Mapping) or str(info.get("order_sn")) != order_sn:
            raise PlatformRejected(f"pdd.order.information.get: no order {order_sn}")
        return info

    def logistics_online_send(
        self, *, access_token: str, order_sn: str, logistics_id: str, tracking_number: str
    ) -> None:
        inner = self.call(
            "pdd.logistics.online.send",
            {"order_sn": order_sn, "logistics_id": logistics_id, "tracking_number": tracking_number},
            access_token=access_token,
        )
        if not _succeeded(inner):
            raise PlatformRejected(f"pdd.logistics.online.send: not accepted for order {order_sn}")

    def goods_quantity_update(self, *, access_token: str, goods_id: str, sku_id: str, quantity: int) -> None:
        """Full overwrite (`update_type` 1 全量)."""
        inner = self.call(
            "pdd.goods.quantity.update",
            {"goods_id": goods_id, "sku_id": sku_id, "quantity": quantity, "update_type": 1},
            access_token=access_token,
        )
        if not _succeeded(inner):
            raise PlatformRejected(f"pdd.goods.quantity.update: not accepted for sku {sku_id}")

    def sku_quantity(self, *, access_token: str, goods_id: str, sku_id: str) -> int:
        """The stock PDD shows for one SKU: `pdd.goods.detail.get` → `sku_list[].quantity` [INFERRED read call]."""
        inner = self.call("pdd.goods.detail.get", {"goods_id": goods_id}, access_token=access_token)
        for sku in inner.get("sku_list") or []:
            if isinstance(sku, Mapping) and str(sku.get("sku_id")) == sku_id:
                quantity = sku.get("quantity")
                if isinstance(quantity, int | str) and not isinstance(quantity, bool) and str(quantity).isdigit():
                    return int(quantity)
                raise PlatformRejected(f"pdd.goods.detail.get: sku {sku_id} has no quantity")
        raise PlatformRejected(f"pdd.goods.detail.get: goods {goods_id} has no sku {sku_id}")

    def close(self) -> None:
        self._http.close()


def _succeeded(inner: Mapping[str, Any]) -> bool:
    flag = inner.get("is_success", inner.get("success"))
    return flag is True or flag == 1 or flag == "true"
