"""Xiaohongshu 小红书 signing: API requests (app → ark) and push messages (ark → app).

Request signing (platforms.md §6.1):
    sign = md5_hex_lower(method + "?appId=" + appId + "&timestamp=" + ts + "&version=" + version + appSecret)
Only these three system parameters are signed (sorted by key); `accessToken` and the business parameters are
not. `timestamp` is unix seconds.

Push verification (platforms.md §6.2): the URL's query parameters plus the headers `app-key` and `timestamp`
(never the body) are sorted by key, joined as `k=v` with `&`, and
    sign = md5_hex_lower(url_path + "?" + joined + appSecret)
The official doc's printed intermediate string is garbled; its md5 `a7b7430de338783293443133ab9b9357` matches
only when the query parameter is included, which is the rule implemented here.
"""

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta

from connectors.sdk.errors import SignatureInvalid, SignatureMissing, TimestampStale
from schemas.timeutil import from_unix_millis, from_unix_seconds

API_VERSION = "2.0"  # OAuth2 apps
APP_KEY_HEADER = "app-key"
TIMESTAMP_HEADER = "timestamp"
SIGN_HEADER = "sign"


def request_sign(*, method: str, app_id: str, timestamp: str, version: str, app_secret: str) -> str:
    text = f"{method}?appId={app_id}&timestamp={timestamp}&version={version}{app_secret}"
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - the platform's algorithm, not our choice


def push_sign(*, path: str, params: Mapping[str, str], app_secret: str) -> str:
    """The `sign` header of a push to `path` whose query parameters + `app-key`/`timestamp` are `params`."""
    joined = "&".join(f"{key}={params[key]}" for key in sorted(params))
    return hashlib.md5(f"{path}?{joined}{app_secret}".encode()).hexdigest()  # noqa: S324


def push_moment(timestamp: str) -> datetime:
    """The push `timestamp` header as a time. The doc's example is unix seconds; a 13-digit value is read as
    milliseconds [INFERRED tolerance] rather than refused as a date 50 000 years away."""
    if not timestamp.isdigit():
        raise SignatureInvalid("Xiaohongshu push timestamp is not a unix time")
    return from_unix_millis(timestamp) if len(timestamp) >= 13 else from_unix_seconds(timestamp)


def verify_push(
    headers: Mapping[str, str],
    query: Mapping[str, str],
    *,
    path: str,
    app_key: str,
    app_secret: str,
    received_at: datetime,
    replay_window: timedelta,
) -> None:
    """Check a push's `app-key`, `timestamp` and `sign` headers (keys lower-cased), then its age.

    SignatureMissing: a header is absent or empty. SignatureInvalid: the app key or signature does not match.
    TimestampStale: signed correctly but sent more than `replay_window` before (or after) `received_at`.
    """
    given_key = (headers.get(APP_KEY_HEADER) or "").strip()
    timestamp = (headers.get(TIMESTAMP_HEADER) or "").strip()
    given_sign = (headers.get(SIGN_HEADER) or "").strip()
    if not given_key or not timestamp or not given_sign:
        raise SignatureMissing("Xiaohongshu push without app-key, timestamp or sign header")
    params = {**query, APP_KEY_HEADER: given_key, TIMESTAMP_HEADER: timestamp}
    expected = push_sign(path=path, params=params, app_secret=app_secret)
    key_ok = hmac.compare_digest(given_key.encode("utf-8"), app_key.encode("utf-8"))
    sign_ok = hmac.compare_digest(given_sign.lower().encode("utf-8"), expected.encode("ascii"))
    if not (key_ok and sign_ok):
        raise SignatureInvalid("Xiaohongshu push signature does not match")
    if abs(received_at - push_moment(timestamp)) > replay_window:
        raise TimestampStale(f"Xiaohongshu push timestamp {timestamp} is outside the replay window")
