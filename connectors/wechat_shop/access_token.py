"""The WeChat app access_token (client-credential), fetched once and cached until shortly before it expires.

`POST /cgi-bin/stable_token` (platforms.md §7.1 names it beside `cgi-bin/token`) is used because several Lambda
instances fetch tokens at once: a `cgi-bin/token` call invalidates the token other instances still hold, a
stable token stays the same for every caller while it is valid. A token the API calls "invalid or expired"
(errcode 40001 / 40014 / 42001) is dropped and fetched again once by the caller (`WechatApi.call`).
Shared by the WeChat 小店 and WeChat Pay (mini-program shipping) connectors.
"""

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from connectors.sdk.errors import PlatformRejected, PlatformUnavailable
from connectors.sdk.http import PlatformHttp

TOKEN_PATH = "/cgi-bin/stable_token"
TOKEN_INVALID_CODES = frozenset({40001, 40014, 42001})
SYSTEM_BUSY = -1
REFRESH_MARGIN_SECONDS = 300.0


class WechatApiError(PlatformRejected):
    """A business refusal (`errcode` other than 0)."""

    def __init__(self, message: str, *, errcode: int) -> None:
        super().__init__(message, platform_code=str(errcode))
        self.errcode = errcode


def envelope(what: str, response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a WeChat API answer; raises WechatApiError on `errcode` ≠ 0."""
    if response.status_code != 200:
        raise WechatApiError(f"{what} answered HTTP {response.status_code}", errcode=response.status_code)
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PlatformUnavailable(f"{what} answered a body that is not JSON") from exc
    if not isinstance(body, dict):
        raise PlatformUnavailable(f"{what} answered JSON that is not an object")
    errcode = body.get("errcode", 0)
    if errcode == SYSTEM_BUSY:  # 系统繁忙: transient by the platform's own word
        raise PlatformUnavailable(f"{what}: WeChat system busy ({body.get('errmsg', '')})")
    if errcode not in (0, None):
        code = errcode if isinstance(errcode, int) else -2
        raise WechatApiError(f"{what} refused: errcode {errcode} {body.get('errmsg', '')}".strip(), errcode=code)
    return body


class AccessTokenCache:
    def __init__(
        self,
        http: PlatformHttp,
        *,
        appid: str,
        secret: str,
        clock: Callable[[], float] = time.monotonic,
        refresh_margin: float = REFRESH_MARGIN_SECONDS,
    ) -> None:
        self._http = http
        self._appid = appid
        self._secret = secret
        self._clock = clock
        self._margin = refresh_margin
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def get(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - self._margin:
                self._token, lifetime = self._fetch()
                self._expires_at = self._clock() + lifetime
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget `token` (the API refused it); a newer token fetched meanwhile is kept."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self) -> tuple[str, float]:
        body: Mapping[str, Any] = {
            "grant_type": "client_credential",
            "appid": self._appid,
            "secret": self._secret,
            "force_refresh": False,
        }
        response = self._http.request(
            "POST",
            TOKEN_PATH,
            content=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json"},
        )
        answer = envelope("stable_token", response)
        token, lifetime = answer.get("access_token"), answer.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(lifetime, int) or lifetime <= 0:
            raise PlatformRejected("stable_token answered without access_token / expires_in")
        return token, float(lifetime)


class WechatApi:
    """JSON POSTs to `api.weixin.qq.com` with `?access_token=`, refreshing a refused token once."""

    def __init__(self, http: PlatformHttp, tokens: AccessTokenCache) -> None:
        self.http = http
        self.tokens = tokens

    def call(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        for attempt in (1, 2):
            token = self.tokens.get()
            response = self.http.request(
                "POST",
                path,
                params={"access_token": token},
                content=content,
                headers={"Content-Type": "application/json;charset=UTF-8"},
            )
            try:
                return envelope(path, response)
            except WechatApiError as error:
                if error.errcode not in TOKEN_INVALID_CODES or attempt == 2:
                    raise
                self.tokens.invalidate(token)
        raise AssertionError("unreachable")  # pragma: no cover
