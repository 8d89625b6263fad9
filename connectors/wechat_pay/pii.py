"""Sealing the receiver the brand's order service sends in plaintext: AES-256-GCM under the hub's PII key.

A sealed value is `v1.` + base64url(nonce(12) ‖ ciphertext ‖ tag), with the field name as associated data so a
ciphertext cannot be moved to another field. Masked text is made here for people; `match_token` (phone) and
`merge_key` (whole receiver) are HMAC-SHA256 under a key derived from the PII key: stable for equal input,
not reversible. The region (province / city / district) stays in clear, as on every other channel.
`Credentials.extra["pii_key"]`: 32 bytes, base64.
"""

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any

from connectors.sdk.errors import ConnectorError

PREFIX = "v1."
_NONCE = 12


def pii_key(encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConnectorError("wechat_pay extra.pii_key is not base64") from exc
    if len(key) != 32:
        raise ConnectorError("wechat_pay extra.pii_key must be 32 bytes")
    return key


def seal(value: str, key: bytes, field: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(_NONCE)
    sealed = AESGCM(key).encrypt(nonce, value.encode("utf-8"), field.encode("ascii"))
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def open_sealed(token: str, key: bytes, field: str) -> str:
    """The plaintext of a sealed value (for the label printer, never for logs)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not token.startswith(PREFIX):
        raise ValueError("not a sealed value")
    raw = base64.urlsafe_b64decode(token[len(PREFIX) :].encode("ascii"))
    return AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], field.encode("ascii")).decode("utf-8")


def _token(key: bytes, purpose: str, text: str) -> str:
    derived = hmac.new(key, b"omnihub-wechat-pay-" + purpose.encode("ascii"), hashlib.sha256).digest()
    return hmac.new(derived, text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def mask_name(name: str) -> str:
    return name[:1] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "*" * len(phone)


def mask_detail(detail: str) -> str:
    return detail[:3] + "****"


def seal_receiver(receiver: Mapping[str, Any], key: bytes) -> dict[str, Any]:
    """The brand's plaintext receiver `{name, phone, province, city, district, detail}` as ciphertext + masks."""
    name, phone, detail = (str(receiver.get(k) or "").strip() for k in ("name", "phone", "detail"))
    region = {
        k: (str(receiver[k]).strip() or None) if receiver.get(k) else None for k in ("province", "city", "district")
    }
    whole = "|".join([name, phone, *(region[k] or "" for k in ("province", "city", "district")), detail])
    return {
        "name_cipher": seal(name, key, "name") if name else None,
        "name_masked": mask_name(name) if name else None,
        "phone_cipher": seal(phone, key, "phone") if phone else None,
        "phone_masked": mask_phone(phone) if phone else None,
        "address_cipher": seal(detail, key, "address") if detail else None,
        "address_masked": mask_detail(detail) if detail else None,
        **region,
        "match_token": _token(key, "phone", phone) if phone else None,
        "merge_key": _token(key, "receiver", whole) if name and phone and detail else None,
    }


def is_sealed(receiver: Mapping[str, Any]) -> bool:
    return not any(receiver.get(k) for k in ("name", "phone", "detail"))
