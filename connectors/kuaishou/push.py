"""Kuaishou push messages (消息推送, platforms.md §5.3): decryption, authenticity and replay checks, parsing.

The body is base64 ciphertext: AES/CBC/PKCS5Padding, key = base64-decode(MsgSecret), IV = 16 zero bytes
[SRC KS-GO `AesDecryptCBC`; single community source]. Kuaishou puts **no signature** on a push, so the
only proof of origin is the key: "verified" here means the body decrypts with this app's MsgSecret, unpads
with strictly valid PKCS#7 padding, is a UTF-8 JSON object and names this app in `appKey`. Safest reading:
- empty or blank body → SignatureMissing (nothing to authenticate);
- anything that does not decrypt to such a message (bad base64, wrong block length, bad padding, not JSON,
  another app's `appKey`) → SignatureInvalid. KS-GO unpads leniently and never checks `appKey`; both are
  tightened here so a body sealed with another key can never pass;
- the message carries `createTime`/`updateTime` (ms); a message whose latest time is more than
  REPLAY_WINDOW before receipt (or more than CLOCK_SKEW after it) → TimestampStale. Kuaishou's retry
  schedule is [NOT FOUND]: a late retry refused here is not lost, because the same order is also polled.
"""

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.sdk.errors import MalformedPayload, SignatureInvalid, SignatureMissing, TimestampStale

REPLAY_WINDOW = timedelta(minutes=30)
CLOCK_SKEW = timedelta(minutes=5)
_ZERO_IV = bytes(16)
_BLOCK = 16

ORDER_EVENTS = frozenset(
    {
        "kwaishop_order_addOrder",
        "kwaishop_order_paySuccess",
        "kwaishop_order_delivering",
        "kwaishop_order_deliverySuccess",
        "kwaishop_order_orderSuccess",
        "kwaishop_order_orderFail",
        "kwaishop_order_totalFeeChange",
    }
)
REFUND_EVENTS = frozenset({"kwaishop_aftersales_addRefund", "kwaishop_aftersales_updateRefund"})


@dataclass(frozen=True)
class PushMessage:
    """One decrypted, authenticated push message."""

    event_id: str
    event: str
    seller_id: str
    order_id: str | None  # None: the message is not about an order (item events, heartbeats)
    is_test: bool
    info: Mapping[str, Any]


def _key(msg_secret: str) -> bytes:
    try:
        key = base64.b64decode(msg_secret, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("Kuaishou MsgSecret is not base64") from exc
    if len(key) not in (16, 24, 32):
        raise ValueError("Kuaishou MsgSecret does not decode to an AES key (16, 24 or 32 bytes)")
    return key


def encrypt(plaintext: bytes, msg_secret: str) -> bytes:
    """What Kuaishou does to a message before pushing it (the simulator and tests use this)."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    padder = padding.PKCS7(_BLOCK * 8).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(_key(msg_secret)), modes.CBC(_ZERO_IV)).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize())


def decrypt(body: bytes, msg_secret: str) -> bytes:
    """The plaintext of a push body. Raises SignatureMissing / SignatureInvalid."""
    # Imported here: only the webhook path needs AES, and the poller's cold start should not pay for it.
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    text = body.strip()
    if not text:
        raise SignatureMissing("Kuaishou push with an empty body: no encrypted message")
    try:
        sealed = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureInvalid("Kuaishou push body is not base64 ciphertext") from exc
    if not sealed or len(sealed) % _BLOCK:
        raise SignatureInvalid("Kuaishou push ciphertext is not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(_key(msg_secret)), modes.CBC(_ZERO_IV)).decryptor()
    padded = decryptor.update(sealed) + decryptor.finalize()
    unpadder = padding.PKCS7(_BLOCK * 8).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError as exc:
        raise SignatureInvalid("Kuaishou push does not decrypt with this app's MsgSecret") from exc


def open_message(body: bytes, *, msg_secret: str, app_key: str) -> dict[str, Any]:
    """Decrypt and authenticate a push body: a JSON object addressed to `app_key`. Raises Signature*."""
    plaintext = decrypt(body, msg_secret)
    try:
        message = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SignatureInvalid("Kuaishou push does not decrypt to a JSON message") from exc
    if not isinstance(message, dict):
        raise SignatureInvalid("Kuaishou push does not decrypt to a JSON object")
    if str(message.get("appKey") or "") != app_key:
        raise SignatureInvalid("Kuaishou push is addressed to another app")
    return message


def check_fresh(message: Mapping[str, Any], received_at: datetime) -> datetime:
    """The message's send time (its latest of createTime/updateTime); TimestampStale outside the window."""
    times = [_millis(message.get(key)) for key in ("createTime", "updateTime")]
    known = [moment for moment in times if moment is not None]
    if not known:
        raise TimestampStale("Kuaishou push carries no createTime/updateTime")
    sent_at = max(known)
    if sent_at < received_at - REPLAY_WINDOW or sent_at > received_at + CLOCK_SKEW:
        raise TimestampStale(f"Kuaishou push sent at {sent_at.isoformat()} is outside the replay window")
    return sent_at


def parse_message(message: Mapping[str, Any]) -> PushMessage:
    """The order a verified message is about. Raises MalformedPayload."""
    event_id = _text(message.get("eventId")) or _text(message.get("msgId"))
    event = _text(message.get("event"))
    if event_id is None or event is None:
        raise MalformedPayload("Kuaishou push message has no eventId or event")
    info = _info(message.get("info"))
    seller_id = _text(message.get("userId")) or _text(info.get("sellerId"))
    if seller_id is None:
        raise MalformedPayload(f"Kuaishou push {event_id} names no seller (userId / info.sellerId)")
    order_id: str | None = None
    if event in ORDER_EVENTS:
        order_id = _text(info.get("oid")) or _text(message.get("bizId"))
    elif event in REFUND_EVENTS:
        # bizId is the refund id here; the order is named in info.
        order_id = _text(info.get("oid")) or _text(info.get("orderId"))
    if (event in ORDER_EVENTS or event in REFUND_EVENTS) and order_id is None:
        raise MalformedPayload(f"Kuaishou push {event_id} ({event}) names no order")
    return PushMessage(
        event_id=event_id,
        event=event,
        seller_id=seller_id,
        order_id=order_id,
        is_test=bool(message.get("test")),
        info=info,
    )


def _info(raw: object) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise MalformedPayload("Kuaishou push info is not JSON") from exc
    if not isinstance(raw, dict):
        raise MalformedPayload("Kuaishou push info is not an object")
    return raw


def _millis(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        return None
    millis = int(text)
    return datetime.fromtimestamp(millis // 1000, tz=UTC) + timedelta(milliseconds=millis % 1000)


def _text(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
