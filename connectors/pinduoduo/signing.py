"""Pinduoduo 拼多多 signing (platforms.md §9.1, §9.2).

API request: every parameter except `sign` (system and business, objects/lists already JSON-encoded), sorted by
key (the SDK's TreeMap), concatenated as key+value, wrapped in the client secret:
    sign = UPPER(md5_hex(client_secret + k1 v1 k2 v2 … + client_secret))
`None` parameters are dropped; empty strings are kept and signed (the official SDK's behaviour).

Message-service WebSocket URL (not used: a Lambda cannot hold the socket; kept so the vector stays tested):
    sign = base64(lower_hex(md5(client_id + timestamp_ms + client_secret)))
"""

import base64
import hashlib
from collections.abc import Mapping


def sign_text(params: Mapping[str, str | None], client_secret: str) -> str:
    body = "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign" and params[key] is not None)
    return f"{client_secret}{body}{client_secret}"


def sign(params: Mapping[str, str | None], client_secret: str) -> str:
    digest = hashlib.md5(sign_text(params, client_secret).encode("utf-8")).hexdigest()  # noqa: S324 - platform's
    return digest.upper()


def websocket_sign(client_id: str, timestamp_ms: str, client_secret: str) -> str:
    hex_digest = hashlib.md5(f"{client_id}{timestamp_ms}{client_secret}".encode()).hexdigest()  # noqa: S324
    return base64.b64encode(hex_digest.encode("ascii")).decode("ascii")
