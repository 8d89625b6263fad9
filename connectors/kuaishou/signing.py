"""Kuaishou 快手小店 request signing (platforms.md §5.2). Pure functions.

    input = the system parameters {access_token, appkey, method, param, signMethod, timestamp, version}
            without `sign` and without None values ("" is kept: its key still contributes `key=`),
            sorted by key, joined `k=v` with `&`, then `&signSecret=<SignSecret>` appended
    MD5         : md5_hex_lower(input)
    HMAC_SHA256 : base64(HMAC-SHA256(key=SignSecret, input))

The key is the app's **SignSecret**, not its AppSecret (Kuaishou issues three secrets per app; §5.1).
`param` is the business JSON exactly as sent: the hub serialises it once and signs that same string.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, Literal

API_VERSION = "1"
SignMethod = Literal["MD5", "HMAC_SHA256"]
SIGN_METHODS: tuple[SignMethod, ...] = ("MD5", "HMAC_SHA256")


def param_json(params: Mapping[str, Any] | None) -> str:
    """The business parameters as the `param` string: compact, keys sorted, UTF-8 text (no \\u escapes)."""
    if not params:
        return "{}"
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sign_input(params: Mapping[str, str | None], sign_secret: str) -> str:
    """The exact text Kuaishou signs: every non-None parameter but `sign`, sorted, then the SignSecret."""
    kept = sorted((key, value) for key, value in params.items() if value is not None and key != "sign")
    return "&".join(f"{key}={value}" for key, value in kept) + f"&signSecret={sign_secret}"


def sign(params: Mapping[str, str | None], sign_secret: str, sign_method: SignMethod) -> str:
    """Signature of one API call's system parameters (which must include `signMethod` itself)."""
    text = sign_input(params, sign_secret).encode("utf-8")
    if sign_method == "MD5":
        return hashlib.md5(text).hexdigest()  # noqa: S324 - the platform's algorithm, not our choice
    if sign_method == "HMAC_SHA256":
        digest = hmac.new(sign_secret.encode("utf-8"), text, hashlib.sha256).digest()
        return base64.b64encode(digest).decode("ascii")
    raise ValueError(f"unsupported signMethod {sign_method!r}")


def signatures_match(given: str, expected: str) -> bool:
    """Constant-time comparison; MD5 hex is compared case-insensitively, base64 exactly."""
    if len(expected) == 32:
        given = given.lower()
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
