"""The two services behind a mini-program order: the brand's own order service and WeChat's shipping API.

Brand order service (the brand's contract, "OmniHub mini-program order API v1"; authenticated with
`Authorization: Bearer <shop token>`, `shop_tokens` keyed by the mini-program appid):
- `GET  /miniapp/v1/orders/{out_trade_no}` → 200 `{out_trade_no, appid, openid, created_at, paid_at?, total_fen,
  freight_fen, discount_fen, coupon_ids[], buyer_message, seller_memo?, fulfilment{mode: SHIP|PICKUP, store_id},
  receiver{name, phone, province, city, district, detail} (plaintext), lines[{line_id, sku_code, sku_id,
  product_id, title, quantity, unit_price_fen, paid_fen, is_gift, parent_line_id?}]}` (times RFC 3339);
  404 `{"code": "ORDER_NOT_FOUND", "message": …}`.
- `POST /miniapp/v1/stock/{sku_id}` `{"quantity": n}` (set: a full overwrite) and `GET /miniapp/v1/stock/{sku_id}` →
  `{"sku_id", "quantity"}` — the figure the mini-program shows buyers.
WeChat (api.weixin.qq.com, the mini-program's access token, platforms.md §7.1 token rules) [INFERRED: the
发货信息管理 API is not in the reference]: `POST /wxa/sec/order/upload_shipping_info` and
`POST /wxa/sec/order/get_order` (`order.order_state` 1 待发货, 2 已发货, 3 确认收货, 4 交易完成, 5 已退款).
"""

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from connectors.sdk.errors import PlatformRejected, PlatformUnavailable
from connectors.sdk.http import PlatformHttp
from connectors.wechat_shop.access_token import WechatApi

ORDER_PATH = "/miniapp/v1/orders/{}"
STOCK_PATH = "/miniapp/v1/stock/{}"
SHIPPED_STATES = frozenset({2, 3, 4})


class BrandOrderService:
    def __init__(self, http: PlatformHttp) -> None:
        self.http = http

    def order(self, out_trade_no: str, token: str) -> dict[str, Any]:
        response = self.http.request("GET", ORDER_PATH.format(quote(out_trade_no, safe="")), headers=_auth(token))
        return _json("brand order service", response)

    def set_stock(self, sku_id: str, quantity: int, token: str) -> None:
        body = json.dumps({"quantity": quantity}).encode("utf-8")
        headers = {**_auth(token), "Content-Type": "application/json"}
        _json(
            "brand stock",
            self.http.request("POST", STOCK_PATH.format(quote(sku_id, safe="")), content=body, headers=headers),
        )

    def stock(self, sku_id: str, token: str) -> int:
        answer = _json(
            "brand stock", self.http.request("GET", STOCK_PATH.format(quote(sku_id, safe="")), headers=_auth(token))
        )
        quantity = answer.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise PlatformRejected(f"brand stock answered no quantity for sku {sku_id}")
        return quantity


class MiniProgramShipping:
    def __init__(self, api: WechatApi) -> None:
        self.api = api

    def upload(self, body: Mapping[str, Any]) -> None:
        self.api.call("/wxa/sec/order/upload_shipping_info", body)

    def order_state(self, mchid: str, out_trade_no: str) -> int | None:
        answer = self.api.call("/wxa/sec/order/get_order", {"merchant_id": mchid, "merchant_trade_no": out_trade_no})
        order = answer.get("order")
        state = order.get("order_state") if isinstance(order, Mapping) else None
        return state if isinstance(state, int) else None


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def _json(what: str, response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PlatformUnavailable(f"{what} answered HTTP {response.status_code} without JSON") from exc
    if response.status_code != 200 or not isinstance(body, dict):
        code = str(body.get("code")) if isinstance(body, dict) else f"HTTP{response.status_code}"
        raise PlatformRejected(f"{what} refused: HTTP {response.status_code} {code}", platform_code=code)
    return body
