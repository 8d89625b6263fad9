"""The HTTP client every connector uses to call its platform.

Retries (tenacity) cover transient failures only: transport errors, 429 and 5xx, with jittered exponential
backoff capped well below a Lambda timeout. Anything else is returned to the connector, which decides
whether the body is a business rejection.
"""

from collections.abc import Mapping
from typing import Any

import httpx
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from connectors.sdk.errors import PlatformUnavailable

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class _Transient(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, _Transient | httpx.TransportError)


class PlatformHttp:
    def __init__(
        self,
        base_url: str,
        *,
        timeout_seconds: float = 5.0,
        max_attempts: int = 4,
        max_total_seconds: float = 20.0,
        initial_backoff: float = 0.2,
        transport: httpx.BaseTransport | None = None,
        max_jitter: float = 1.0,
    ) -> None:
        self._client = httpx.Client(base_url=base_url, timeout=timeout_seconds, transport=transport)
        self._retrying = Retrying(
            retry=retry_if_exception(_is_transient),
            stop=stop_after_attempt(max_attempts) | stop_after_delay(max_total_seconds),
            wait=wait_exponential_jitter(multiplier=initial_backoff, max=5.0, jitter=max_jitter),
            reraise=False,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        def attempt() -> httpx.Response:
            response = self._client.request(method, path, params=params, data=data, content=content, headers=headers)
            if response.status_code in RETRYABLE_STATUS:
                raise _Transient(response)
            return response

        try:
            return self._retrying(attempt)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            detail = f"HTTP {last.response.status_code}" if isinstance(last, _Transient) else repr(last)
            raise PlatformUnavailable(f"{method} {path} failed after retries: {detail}") from last

    def close(self) -> None:
        self._client.close()
