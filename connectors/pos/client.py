"""Calls from the hub to the brand's store system (docs/pos-webhook.md, "Write-back API").

Every request is signed exactly like a webhook, with the target store's own key (`X-OmniHub-*` headers over
`timestamp \\n nonce \\n body`), carries the store's API token as a bearer token when one is configured, and an
`Idempotency-Key`. Each write POSTs a target state (not a change), so a retry is harmless by construction.
Transport errors, 429 and 5xx are retried by `PlatformHttp`; any other non-2xx answer is a rejection carrying
the POS's machine-readable `error.code`.
"""

import json
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from connectors.pos.signing import signed_headers, store_key
from connectors.sdk.errors import PlatformRejected, PlatformUnavailable
from connectors.sdk.http import PlatformHttp


class PosClient:
    def __init__(
        self,
        http: PlatformHttp,
        *,
        keys: Mapping[str, str],
        tokens: Mapping[str, str],
        clock: Callable[[], datetime],
    ) -> None:
        self._http = http
        self._keys = keys
        self._tokens = tokens
        self._clock = clock

    def _call(
        self, method: str, path: str, store_id: str, payload: Mapping[str, Any] | None, idempotency_key: str
    ) -> Mapping[str, Any]:
        key = store_key(self._keys, store_id)
        if key is None:
            raise PlatformRejected(f"no key configured for store {store_id}", platform_code="STORE_KEY_MISSING")
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = signed_headers(store_id, key, int(self._clock().timestamp()), secrets.token_urlsafe(18), body)
        headers["Idempotency-Key"] = idempotency_key
        if payload is not None:
            headers["Content-Type"] = "application/json"
        token = self._tokens.get(store_id)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self._http.request(method, path, content=body or None, headers=headers)
        try:
            answer = response.json() if response.content else {}
        except ValueError as exc:
            raise PlatformUnavailable(f"{method} {path}: the POS answered with something other than JSON") from exc
        if not 200 <= response.status_code < 300:
            error = answer.get("error") if isinstance(answer, Mapping) else None
            code = str(error.get("code")) if isinstance(error, Mapping) and error.get("code") else None
            raise PlatformRejected(
                f"{method} {path}: HTTP {response.status_code} {code or ''}".strip(), platform_code=code
            )
        if not isinstance(answer, Mapping):
            raise PlatformUnavailable(f"{method} {path}: unexpected answer shape")
        return answer

    @staticmethod
    def _order_path(store_id: str, order_id: str, leaf: str) -> str:
        return f"/v1/stores/{quote(store_id, safe='')}/orders/{quote(order_id, safe='')}/{leaf}"

    def put_fulfilment(
        self, store_id: str, order_id: str, *, state: str, carrier_code: str, tracking_no: str, at: datetime
    ) -> Mapping[str, Any]:
        payload = {"state": state, "carrier_code": carrier_code, "tracking_no": tracking_no, "at": at.isoformat()}
        path = self._order_path(store_id, order_id, "fulfilment")
        return self._call("POST", path, store_id, payload, f"{store_id}:{order_id}:{state}:{tracking_no}")

    def put_collection(self, store_id: str, order_id: str, *, collected_at: datetime) -> Mapping[str, Any]:
        path = self._order_path(store_id, order_id, "collection")
        return self._call(
            "POST", path, store_id, {"collected_at": collected_at.isoformat()}, f"{store_id}:{order_id}:collected"
        )

    def put_stock(self, store_id: str, item_id: str, quantity: int) -> Mapping[str, Any]:
        path = f"/v1/stores/{quote(store_id, safe='')}/stock/{quote(item_id, safe='')}"
        return self._call("POST", path, store_id, {"quantity": quantity}, f"{store_id}:{item_id}:{quantity}")

    def get_stock(self, store_id: str, item_id: str) -> int:
        path = f"/v1/stores/{quote(store_id, safe='')}/stock/{quote(item_id, safe='')}"
        answer = self._call("GET", path, store_id, None, f"{store_id}:{item_id}:read:{secrets.token_hex(4)}")
        quantity = answer.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise PlatformRejected(f"GET {path}: no integer quantity in the answer")
        return quantity
