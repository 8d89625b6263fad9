"""Receiver personal data from our own stores: encrypted here, so the canonical order holds no plaintext.

The POS sends the receiver in clear over the signed channel (it is our own system). The connector keeps
- ciphertext: AES-256-GCM with a fresh 96-bit nonce, the order key as associated data (a ciphertext cannot be
  moved to another order), written `v1.<base64url(nonce + ciphertext + tag)>`;
- masked text for people (first character of a name, last four digits of a phone, region + `****`);
- keyed, non-reversible tokens (HMAC-SHA256 with the same key, truncated) for matching a phone and for the
  merge key, because fresh-nonce ciphertexts of one receiver are never equal.
The key is `Credentials.extra["pii_key"]`: 32 bytes, base64. `cryptography` is imported on first use only.
"""

import base64
import binascii
import hashlib
import hmac
import os
from typing import TYPE_CHECKING

from connectors.sdk.errors import ConnectorError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PII_KEY_NAME = "pii_key"
CIPHER_PREFIX = "v1."
_NONCE_BYTES = 12


class PiiKeyInvalid(ConnectorError):
    """The connector's PII key is missing or malformed: a configuration fault, nothing is recorded."""

    code = "PII_KEY_INVALID"
    http_status = 500


def decode_key(encoded: str | None) -> bytes:
    if not encoded:
        raise PiiKeyInvalid(f"Credentials.extra['{PII_KEY_NAME}'] is not configured")
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PiiKeyInvalid(f"Credentials.extra['{PII_KEY_NAME}'] is not base64") from exc
    if len(key) != 32:
        raise PiiKeyInvalid(f"Credentials.extra['{PII_KEY_NAME}'] must be 32 bytes (AES-256)")
    return key


class PiiSealer:
    def __init__(self, key: bytes) -> None:
        self._key = key
        self._aead: AESGCM | None = None

    def _cipher(self) -> "AESGCM":
        if self._aead is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415 - cold start

            self._aead = AESGCM(self._key)
        return self._aead

    def seal(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._cipher().encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        return CIPHER_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, ciphertext: str, *, context: str) -> str:
        """For the decrypt-for-a-purpose path (labels); raises ValueError on a foreign or altered ciphertext."""
        if not ciphertext.startswith(CIPHER_PREFIX):
            raise ValueError("not a POS receiver ciphertext")
        raw = base64.urlsafe_b64decode(ciphertext[len(CIPHER_PREFIX) :])
        from cryptography.exceptions import InvalidTag  # noqa: PLC0415

        try:
            plain = self._cipher().decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode("utf-8"))
        except InvalidTag as exc:
            raise ValueError("ciphertext does not open with this key and context") from exc
        return plain.decode("utf-8")

    def token(self, *parts: str) -> str:
        """A keyed, non-reversible token of the given values (equal inputs → equal tokens)."""
        message = "\x1f".join(parts).encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]


def mask_name(value: str) -> str:
    return value[0] + "*" * max(len(value) - 1, 1)


def mask_phone(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    return "*" * max(len(digits) - 4, 3) + digits[-4:] if len(digits) > 4 else "****"
