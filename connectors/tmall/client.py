"""TOP API calls the connector makes, over the SDK's `PlatformHttp` (retries on transport errors, 429, 5xx).

Every call is a form POST to the router with the system parameters (`method`, `app_key`, `session`,
`timestamp` in GMT+8, `format=json`, `v=2.0`, `sign_method`, `sign`) and the business parameters, signed
with hmac-sha256 by default. TOP answers HTTP 200 with either `{<method>_response: {...}}` or
`{error_response: {code, msg, sub_code, sub_msg}}`.

[INFERRED] error classification (TOP's table is not in our sources): code 7 (app call limited), 10
(service unavailable), any `isp.*` sub-code (platform side) and `accesscontrol.*` or `isv.*` sub-codes that
name a limit, frequency, busy or time-out are transient → PlatformUnavailable, so the caller retries later;
everything else is a business rejection → PlatformRejected carrying the sub-code.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from connectors.sdk.errors import PlatformRejected, PlatformUnavailable
from connectors.sdk.http import PlatformHttp
from connectors.tmall.signing import SignMethod, sign
from schemas.timeutil import to_shanghai_text, utc_now

DEFAULT_ROUTER_PATH = "/router/rest"

INCREMENT_FIELDS = "tid,tid_str,status,modified"
# Asking for the five receiver/created fields is what makes TOP return `oaid` (platforms.md §1.5).
FULLINFO_FIELDS = ",".join(
    (
        "tid,tid_str,status,type,step_trade_status,step_paid_fee,created,pay_time,modified,consign_time,end_time",
        "payment,total_fee,post_fee,discount_fee,adjust_fee,received_payment",
        "buyer_open_uid,buyer_message,seller_memo,seller_flag,invoice_name,invoice_kind,invoice_type",
        "receiver_name,receiver_state,receiver_city,receiver_district,receiver_town,receiver_address",
        "receiver_zip,receiver_mobile,receiver_phone,oaid,shipping_type,orders",
    )
)

ALREADY_SHIPPED_SUB_CODE = "isv.logistics-offline-service-error:B04"  # "already shipped or closed"
_TRANSIENT_CODES = frozenset({"7", "10"})
_TRANSIENT_MARKERS = ("limit", "frequency", "busy", "unavailable", "timeout")


def response_key(method: str) -> str:
    """`taobao.trades.sold.increment.get` → `trades_sold_increment_get_response`."""
    return method.removeprefix("taobao.").replace(".", "_") + "_response"


def is_transient(code: str, sub_code: str | None) -> bool:
    if code in _TRANSIENT_CODES:
        return True
    sub = (sub_code or "").lower()
    if sub.startswith("isp."):
        return True
    return sub.startswith(("isv.", "accesscontrol.")) and any(marker in sub for marker in _TRANSIENT_MARKERS)


def _param_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return to_shanghai_text(value)
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


class TopClient:
    def __init__(
        self,
        api_url: str,
        *,
        app_key: str,
        app_secret: str,
        sign_method: SignMethod = "hmac-sha256",
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
        self._sign_method = sign_method
        self._clock = clock

    def signed_params(self, method: str, params: Mapping[str, object], session: str | None) -> dict[str, str]:
        """System + business parameters with `sign`; None values are left out."""
        merged: dict[str, object] = {
            "method": method,
            "app_key": self._app_key,
            "timestamp": to_shanghai_text(self._clock()),
            "format": "json",
            "v": "2.0",
            "sign_method": self._sign_method,
            **params,
        }
        if session is not None:
            merged["session"] = session
        texts = {k: _param_text(v) for k, v in merged.items() if v is not None}
        texts["sign"] = sign(texts, self._app_secret, self._sign_method)
        return texts

    def call(self, method: str, params: Mapping[str, object], *, session: str | None = None) -> Mapping[str, Any]:
        """Call one API and return the body inside `<method>_response`."""
        response = self._http.request("POST", self._path, data=self.signed_params(method, params, session))
        if response.status_code >= 400:
            raise PlatformRejected(f"{method}: HTTP {response.status_code}", platform_code=str(response.status_code))
        try:
            body = response.json()
        except ValueError as exc:
            raise PlatformUnavailable(f"{method}: the router answered with something other than JSON") from exc
        if not isinstance(body, Mapping):
            raise PlatformUnavailable(f"{method}: unexpected response shape")
        error = body.get("error_response")
        if isinstance(error, Mapping):
            code = str(error.get("code", ""))
            sub_code = str(error["sub_code"]) if error.get("sub_code") else None
            detail = f"{method}: TOP error {code} {error.get('msg', '')} {sub_code or ''} {error.get('sub_msg', '')}"
            if is_transient(code, sub_code):
                raise PlatformUnavailable(detail.strip())
            raise PlatformRejected(detail.strip(), platform_code=sub_code or code)
        inner = body.get(response_key(method))
        if not isinstance(inner, Mapping):
            raise PlatformRejected(f"{method}: response has no {response_key(method)}")
        return inner

    # --- the calls the connector makes ---------------------------------------------------------------
    def trades_sold_increment_get(
        self,
        *,
        session: str,
        start_modified: datetime,
        end_modified: datetime,
        page_no: int,
        page_size: int,
        fields: str = INCREMENT_FIELDS,
    ) -> tuple[int, list[Mapping[str, Any]]]:
        """(total_results, trades of this page). `use_has_next=false` so the total gives the page count."""
        inner = self.call(
            "taobao.trades.sold.increment.get",
            {
                "fields": fields,
                "start_modified": start_modified,
                "end_modified": end_modified,
                "page_no": page_no,
                "page_size": page_size,
                "use_has_next": False,
            },
            session=session,
        )
        return int(inner.get("total_results") or 0), _listed(inner.get("trades"), "trade")

    def trade_fullinfo_get(self, *, session: str, tid: str, fields: str = FULLINFO_FIELDS) -> Mapping[str, Any]:
        inner = self.call(
            "taobao.trade.fullinfo.get", {"fields": fields, "tid": tid, "include_oaid": True}, session=session
        )
        trade = inner.get("trade")
        if not isinstance(trade, Mapping):
            raise PlatformRejected(f"taobao.trade.fullinfo.get: no trade {tid}")
        return trade

    def tmc_messages_consume(self, *, group_name: str, quantity: int) -> list[Mapping[str, Any]]:
        inner = self.call("taobao.tmc.messages.consume", {"group_name": group_name, "quantity": quantity})
        return _listed(inner.get("messages"), "tmc_message")

    def tmc_messages_confirm(self, *, group_name: str, message_ids: Sequence[str]) -> None:
        inner = self.call("taobao.tmc.messages.confirm", {"group_name": group_name, "s_message_ids": list(message_ids)})
        if inner.get("is_success") is False:
            raise PlatformUnavailable("taobao.tmc.messages.confirm: not confirmed")

    def logistics_offline_send(
        self,
        *,
        session: str,
        tid: str,
        out_sid: str,
        company_code: str,
        sub_tids: Sequence[str] = (),
    ) -> None:
        """Ship with the seller's own carrier. Raises PlatformRejected (B04 = already shipped or closed)."""
        params: dict[str, object] = {"tid": tid, "out_sid": out_sid, "company_code": company_code}
        if sub_tids:
            params.update({"is_split": 1, "sub_tid": list(sub_tids)})
        inner = self.call("taobao.logistics.offline.send", params, session=session)
        shipping = inner.get("shipping")
        if not isinstance(shipping, Mapping) or shipping.get("is_success") is not True:
            raise PlatformRejected(f"taobao.logistics.offline.send: not accepted for trade {tid}")

    def item_quantity_update(self, *, session: str, num_iid: str, sku_id: str, quantity: int) -> None:
        """`taobao.item.quantity.update` with type 1 (全量): a full overwrite, so a retry cannot double-count."""
        params = {"num_iid": num_iid, "sku_id": sku_id, "quantity": quantity, "type": 1}
        self.call("taobao.item.quantity.update", params, session=session)

    def item_sku_quantity(self, *, session: str, num_iid: str, sku_id: str) -> int:
        """The SKU's sellable quantity (`taobao.item.sku.get` [INFERRED read-back call])."""
        inner = self.call(
            "taobao.item.sku.get",
            {"fields": "sku_id,num_iid,quantity", "num_iid": num_iid, "sku_id": sku_id},
            session=session,
        )
        sku = inner.get("sku")
        if not isinstance(sku, Mapping) or "quantity" not in sku:
            raise PlatformRejected(f"taobao.item.sku.get: no quantity for sku {sku_id}")
        return int(sku["quantity"])


def _listed(container: object, item_key: str) -> list[Mapping[str, Any]]:
    """TOP wraps lists as `{"trade": [...]}`; `simplify=true` answers a bare list; absent means empty."""
    if isinstance(container, Mapping):
        container = container.get(item_key)
    if not isinstance(container, list):
        return []
    return [item for item in container if isinstance(item, Mapping)]
