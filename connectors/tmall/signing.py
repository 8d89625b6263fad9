"""TOP request signing (Taobao Open Platform).

The parameters (system and business, never `sign` itself) are sorted by key in ASCII order and joined as
`key + value` for every pair whose value is not empty or blank. Then, by `sign_method`:

- `md5`: MD5(secret + joined + secret)
- `hmac`: HMAC-MD5(key=secret, data=joined) — no wrapping
- `hmac-sha256`: HMAC-SHA256(key=secret, data=joined) — no wrapping

The digest is written as uppercase hex. Strings are UTF-8 encoded.
"""

import hashlib
import hmac
from collections.abc import Mapping
from typing import Literal

SignMethod = Literal["md5", "hmac", "hmac-sha256"]
SIGN_METHODS: tuple[SignMethod, ...] = ("md5", "hmac", "hmac-sha256")


def sign_string(params: Mapping[str, object]) -> str:
    """The text that is signed: sorted `key + value` pairs, skipping `sign` and empty values."""
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


def sign(params: Mapping[str, object], secret: str, method: SignMethod) -> str:
    data = sign_string(params)
    if method == "md5":
        digest = hashlib.md5(f"{secret}{data}{secret}".encode()).hexdigest()
    elif method == "hmac":
        digest = hmac.new(secret.encode(), data.encode(), hashlib.md5).hexdigest()
    elif method == "hmac-sha256":
        digest = hmac.new(secret.encode(), data.encode(), hashlib.sha256).hexdigest()
    else:
        raise ValueError(f"unsupported TOP sign_method: {method!r}")
    return digest.upper()


def verify(params: Mapping[str, object], secret: str) -> bool:
    """Check a request's `sign` against its own `sign_method` (constant-time comparison)."""
    declared = str(params.get("sign_method") or "")
    method = next((m for m in SIGN_METHODS if m == declared), None)
    given = str(params.get("sign") or "")
    if method is None or not given:
        return False
    expected = sign(params, secret, method)
    return hmac.compare_digest(expected, given.upper())
