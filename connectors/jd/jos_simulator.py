"""The JOS router half of a JD simulator (shared by `jd` and `jd_dps`): signed calls in, JOS envelopes out.

Like JOS (platforms.md §3.1): one endpoint `/routerjson`, parameters from the query string and the form body;
the router checks `method`, `app_key`, `access_token` (→ the shop), `timestamp` (GMT+8, within
`timestamp_tolerance` of its clock), `v=2.0` and the MD5 `sign` before any API runs, and answers
`{<method>_responce: {code: "0", …}}` or `{error_response: {code, zh_desc, en_desc}}`.

[INFERRED] JOS router error codes used here (JOS's table is not in our sources): 19 invalid access_token,
20 missing access_token, 21 invalid/missing app_key, 22 invalid method, 23 missing/stale timestamp,
24 bad version, 25 invalid sign, 26 missing sign, 27 bad 360buy_param_json.
"""

import json
from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from connectors.jd.client import response_key
from connectors.jd.signing import PARAM_JSON, parse_jos_timestamp, verify
from connectors.sdk.simulator import PlatformSimulator, SimRequest, SimResponse
from schemas.timeutil import utc_now

ROUTER_PATH = "/routerjson"


class JosFault(Exception):
    """An `error_response` of the router or of an API."""

    def __init__(self, code: str, zh_desc: str, en_desc: str) -> None:
        super().__init__(en_desc)
        self.code, self.zh_desc, self.en_desc = code, zh_desc, en_desc

    def body(self) -> dict[str, Any]:
        return {"error_response": {"code": self.code, "zh_desc": self.zh_desc, "en_desc": self.en_desc}}


@dataclass
class MethodFault:
    method: str
    status: int
    count: int
    after: int  # successful calls to let through first


JosHandler = Callable[[str, Mapping[str, Any]], dict[str, Any]]


class JosRouterSimulator(PlatformSimulator):
    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        shop_tokens: Mapping[str, str],
        now: Callable[[], datetime] = utc_now,
        timestamp_tolerance: timedelta | None = timedelta(minutes=10),
    ) -> None:
        super().__init__(app_key=app_key, app_secret=app_secret, shop_tokens=shop_tokens)
        self.now = now
        self.timestamp_tolerance = timestamp_tolerance
        self._method_faults: list[MethodFault] = []

    @property
    def router_url(self) -> str:
        return f"{self.base_url}{ROUTER_PATH}"

    @abstractmethod
    def api_handlers(self) -> Mapping[str, JosHandler]:
        """method → handler(shop_id, business params) returning the body inside `<method>_responce`."""

    def handle(self, request: SimRequest) -> SimResponse:
        if request.path.rstrip("/") != ROUTER_PATH:
            return SimResponse.of_json({"error": "not found"}, status=404)
        params = {**dict(request.query), **request.form()} if request.body else dict(request.query)
        method = params.get("method", "")
        with self.lock:
            status = self._method_fault(method)
        if status is not None:
            return SimResponse.of_json({"error": "injected fault", "status": status}, status=status)
        try:
            shop_id, business = self._check(params)
            with self.lock:
                inner = self.api_handlers()[method](shop_id, business)
        except JosFault as fault:
            return SimResponse.of_json(fault.body())
        return SimResponse.of_json({response_key(method): {"code": "0", **inner}})

    def _check(self, params: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
        method = params.get("method")
        if not method or method not in self.api_handlers():
            raise JosFault("22", "无效的方法", "invalid method")
        if params.get("app_key") != self.app_key:
            raise JosFault("21", "无效的app_key", "invalid app_key")
        if not params.get("sign"):
            raise JosFault("26", "缺少签名", "missing sign")
        try:
            sent = parse_jos_timestamp(params.get("timestamp") or "")
        except ValueError as exc:
            raise JosFault("23", "时间戳错误", "invalid timestamp") from exc
        if self.timestamp_tolerance is not None and abs(self.now() - sent) > self.timestamp_tolerance:
            raise JosFault("23", "时间戳错误", "timestamp too far from server time")
        if params.get("v") != "2.0":
            raise JosFault("24", "版本号错误", "invalid version")
        if not verify(params, self.app_secret):
            raise JosFault("25", "签名无效", "invalid sign")
        token = params.get("access_token")
        if not token:
            raise JosFault("20", "缺少access_token", "missing access_token")
        shop_id = next((shop for shop, known in self.shop_tokens.items() if known == token), None)
        if shop_id is None:
            raise JosFault("19", "无效的access_token", "invalid access_token")
        try:
            business = json.loads(params.get(PARAM_JSON) or "{}")
        except ValueError as exc:
            raise JosFault("27", "参数格式错误", "360buy_param_json is not JSON") from exc
        if not isinstance(business, dict):
            raise JosFault("27", "参数格式错误", "360buy_param_json is not an object")
        return shop_id, business

    # --- faults --------------------------------------------------------------------------------------
    def _method_fault(self, method: str) -> int | None:
        for fault in self._method_faults:
            if fault.method != method or fault.count <= 0:
                continue
            if fault.after > 0:
                fault.after -= 1
                return None
            fault.count -= 1
            return fault.status
        return None

    def inject_method_faults(self, method: str, count: int, status: int = 503, *, after: int = 0) -> None:
        """Answer `count` calls of one API with HTTP `status`, after letting `after` calls through."""
        with self.lock:
            self._method_faults.append(MethodFault(method=method, status=status, count=count, after=after))

    def clear_faults(self) -> None:
        with self.lock:
            self._method_faults.clear()
            self.faults.remaining = 0

    def calls(self, method: str) -> int:
        """How many requests named this API (including refused ones)."""
        with self.requests.lock:
            entries = list(self.requests.entries)
        return sum(
            {**dict(entry.query), **(entry.form() if entry.body else {})}.get("method") == method for entry in entries
        )
