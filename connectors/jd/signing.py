"""JOS request signing (JD 宙斯 / 京东开放平台), platforms.md §3.1.

Every parameter that is sent (`app_key`, `access_token`, `method`, `timestamp`, `v`, `360buy_param_json`; never
`sign` itself) is sorted by key in ASCII order and joined as `key + value`, skipping empty values. The sign is
`UPPER(MD5(secret + joined + secret))` over UTF-8. Business parameters travel as ONE JSON string
(`360buy_param_json`), so the exact text that is sent is the text that is signed: build it once.
"""

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

from schemas.timeutil import SHANGHAI

PARAM_JSON = "360buy_param_json"


def sign_string(params: Mapping[str, object]) -> str:
    """The text between the two secrets: sorted `key + value` pairs, skipping `sign` and empty values."""
    parts: list[str] = []
    for key in sorted(params):
        value = params[key]
        if key == "sign" or not key or value is None:
            continue
        text = str(value)
        if not text.strip():
            continue
        parts.append(f"{key}{text}")
    return "".join(parts)


def sign(params: Mapping[str, object], secret: str) -> str:
    return hashlib.md5(f"{secret}{sign_string(params)}{secret}".encode()).hexdigest().upper()


def verify(params: Mapping[str, object], secret: str) -> bool:
    """Check a request's `sign` (constant-time comparison)."""
    given = str(params.get("sign") or "")
    return bool(given) and hmac.compare_digest(sign(params, secret), given.upper())


def jos_timestamp(moment: datetime) -> str:
    """`yyyy-MM-dd HH:mm:ss.SSS+0800`, the form the official SDKs send."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the hub only handles timezone-aware times")
    local = moment.astimezone(SHANGHAI)
    return f"{local.strftime('%Y-%m-%d %H:%M:%S')}.{local.microsecond // 1000:03d}+0800"


def parse_jos_timestamp(value: str) -> datetime:
    """Accept the SDK form (`…ss.SSS+0800`) and the older plain `yyyy-MM-dd HH:mm:ss` (GMT+8)."""
    text = value.strip()
    if text.endswith("+0800"):
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f%z")
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
