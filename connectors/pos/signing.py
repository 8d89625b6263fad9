"""The POS webhook signature (our own contract, docs/pos-webhook.md), used in both directions.

    signed text = timestamp + "\n" + nonce + "\n" + raw body bytes
    signature   = lower-case hex HMAC-SHA256(key = the store's own key, UTF-8, signed text)

Headers: `X-OmniHub-Store` (store id), `X-OmniHub-Timestamp` (unix seconds), `X-OmniHub-Nonce` (16–64 of
`[A-Za-z0-9_-]`, new for every request), `X-OmniHub-Signature`. A delivery is refused when a header is
missing (SignatureMissing), when the store has no key, the signature does not match or a header is malformed
(SignatureInvalid — an unknown store is not told apart from a bad signature), and when the timestamp is more
than five minutes from our clock either way (TimestampStale). Pure: the replay check is in `replay.py`.
"""

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.sdk.errors import SignatureInvalid, SignatureMissing, TimestampStale

STORE_HEADER = "x-omnihub-store"
TIMESTAMP_HEADER = "x-omnihub-timestamp"
NONCE_HEADER = "x-omnihub-nonce"
SIGNATURE_HEADER = "x-omnihub-signature"
REPLAY_WINDOW = timedelta(minutes=5)
STORE_KEY_PREFIX = "store_key:"

_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_STORE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class SignedHeaders:
    store_id: str
    timestamp: int
    nonce: str
    signature: str


def signature(key: str, timestamp: int | str, nonce: str, body: bytes) -> str:
    text = f"{timestamp}\n{nonce}\n".encode() + body
    return hmac.new(key.encode("utf-8"), text, hashlib.sha256).hexdigest()


def signed_headers(store_id: str, key: str, timestamp: int, nonce: str, body: bytes) -> dict[str, str]:
    """The four headers a sender puts on a request (canonical capitalisation)."""
    return {
        "X-OmniHub-Store": store_id,
        "X-OmniHub-Timestamp": str(timestamp),
        "X-OmniHub-Nonce": nonce,
        "X-OmniHub-Signature": signature(key, timestamp, nonce, body),
    }


def store_key(extra: Mapping[str, str], store_id: str) -> str | None:
    return extra.get(f"{STORE_KEY_PREFIX}{store_id}") or None


def read_headers(headers: Mapping[str, str]) -> SignedHeaders:
    """The signing headers (keys lower-cased). Raises SignatureMissing / SignatureInvalid when malformed."""
    values = [(headers.get(name) or "").strip() for name in (STORE_HEADER, TIMESTAMP_HEADER, NONCE_HEADER)]
    given = (headers.get(SIGNATURE_HEADER) or "").strip()
    if not all(values) or not given:
        raise SignatureMissing("POS request without the X-OmniHub-Store/-Timestamp/-Nonce/-Signature headers")
    store_id, timestamp, nonce = values
    if not _STORE.match(store_id) or not timestamp.isdigit() or not _NONCE.match(nonce):
        raise SignatureInvalid("POS signing headers are malformed")
    return SignedHeaders(store_id=store_id, timestamp=int(timestamp), nonce=nonce, signature=given.lower())


def verify(
    headers: Mapping[str, str],
    body: bytes,
    *,
    keys: Mapping[str, str],
    now: datetime,
    window: timedelta = REPLAY_WINDOW,
) -> SignedHeaders:
    """Check a request's signature over its raw bytes, then its age. `keys` is Credentials.extra."""
    signed = read_headers(headers)
    key = store_key(keys, signed.store_id)
    expected = signature(key, signed.timestamp, signed.nonce, body) if key else ""
    if not key or not hmac.compare_digest(expected.encode(), signed.signature.encode()):
        raise SignatureInvalid("POS request signature does not match")
    if abs(now.timestamp() - signed.timestamp) > window.total_seconds():
        raise TimestampStale(f"POS request timestamp is more than {int(window.total_seconds())} s from now")
    return signed
