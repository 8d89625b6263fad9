"""The TOP router every Taobao/Tmall simulator sits behind: one `/router/rest`, system parameters checked the
way TOP checks them before any API runs, answers wrapped in `<method>_response` or `error_response`.

A simulator supplies its APIs (`api_methods`: method → (handler, needs a session)); the Tmall and 供销 (fenxiao)
simulators share this so a signed call is refused for the same reasons on both.

[INFERRED] TOP's error codes used here: 21/22 method, 24/25 signature, 26/27 session, 28/29 app key,
30/31 timestamp, 32 version, 40/41 arguments, 15 with an `isv.*` sub-code for business errors.
"""

from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from connectors.sdk.simulator import PlatformSimulator, SimRequest, SimResponse
from connectors.tmall.client import response_key
from connectors.tmall.signing import SIGN_METHODS, verify
from schemas.timeutil import from_shanghai_text, utc_now

ROUTER_PATH = "/router/rest"

# An API of a simulator: (simulator, parameters, the session's shop or None) -> the body inside the response.
TopApi = Callable[[Any, Mapping[str, str], str | None], dict[str, Any]]


class TopFault(Exception):
    """A TOP error_response."""

    def __init__(self, code: int, msg: str, sub_code: str | None = None, sub_msg: str | None = None) -> None:
        super().__init__(msg)
        self.code, self.msg, self.sub_code, self.sub_msg = code, msg, sub_code, sub_msg

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "msg": self.msg, "request_id": "sim"}
        if self.sub_code:
            error.update({"sub_code": self.sub_code, "sub_msg": self.sub_msg or ""})
        return {"error_response": error}


@dataclass
class MethodFault:
    method: str
    status: int
    count: int
    after: int  # successful calls to let through first


def required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise TopFault(40, "Missing Required Arguments", f"missing-parameter:{name}", f"{name} is required")
    return value


class TopRouterSimulator(PlatformSimulator):
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

    @abstractmethod
    def api_methods(self) -> Mapping[str, tuple[TopApi, bool]]:
        """Every API this simulator answers: method -> (handler, whether it needs a session)."""

    @property
    def router_url(self) -> str:
        return f"{self.base_url}{ROUTER_PATH}"

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
            shop_id = self._check_system_params(params)
            with self.lock:
                handler, _ = self.api_methods()[method]
                body = handler(self, params, shop_id)
        except TopFault as fault:
            return SimResponse.of_json(fault.body())
        return SimResponse.of_json({response_key(method): body})

    def inject_method_faults(self, method: str, count: int, status: int = 503, *, after: int = 0) -> None:
        """Answer `count` calls of one API with HTTP `status`, after letting `after` calls through."""
        with self.lock:
            self._method_faults.append(MethodFault(method=method, status=status, count=count, after=after))

    def clear_faults(self) -> None:
        with self.lock:
            self._method_faults.clear()
            self.faults.remaining = 0

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

    def _check_system_params(self, params: Mapping[str, str]) -> str | None:
        """Validate what TOP validates before the API runs; return the session's shop (None without one)."""
        method = params.get("method")
        if not method:
            raise TopFault(21, "Missing Method")
        apis = self.api_methods()
        if method not in apis:
            raise TopFault(22, "Invalid Method")
        if not params.get("app_key"):
            raise TopFault(28, "Missing App Key")
        if params["app_key"] != self.app_key:
            raise TopFault(29, "Invalid App Key")
        if not params.get("sign"):
            raise TopFault(24, "Missing Signature")
        if params.get("sign_method") not in SIGN_METHODS:
            raise TopFault(25, "Invalid Signature", "isv.invalid-sign-method", "unsupported sign_method")
        if not params.get("timestamp"):
            raise TopFault(30, "Missing Timestamp")
        try:
            sent = from_shanghai_text(params["timestamp"])
        except ValueError as exc:
            raise TopFault(31, "Invalid Timestamp") from exc
        if self.timestamp_tolerance is not None and abs(self.now() - sent) > self.timestamp_tolerance:
            raise TopFault(31, "Invalid Timestamp", "isv.invalid-timestamp", "timestamp too far from server time")
        if params.get("v") != "2.0":
            raise TopFault(32, "Missing Version")
        if not verify(params, self.app_secret):
            raise TopFault(25, "Invalid Signature")
        session = params.get("session")
        if not session:
            if apis[method][1]:
                raise TopFault(26, "Missing Session")
            return None
        for shop_id, token in self.shop_tokens.items():
            if token == session:
                return shop_id
        raise TopFault(27, "Invalid Session", "invalid-sessionkey", "session not found")
