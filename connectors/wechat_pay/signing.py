"""WeChat Pay APIv3 notification verification and resource decryption (platforms.md §8.1), pure functions.

- Headers `Wechatpay-Serial`, `Wechatpay-Signature` (base64), `Wechatpay-Timestamp` (unix s), `Wechatpay-Nonce`;
  `Wechatpay-Signature-Type`, when sent, must be `WECHATPAY2-SHA256-RSA2048`.
- Message = `timestamp\\nnonce\\nbody\\n` over the raw body bytes; SHA256withRSA (PKCS#1 v1.5) with the platform
  certificate's (or 微信支付公钥's) key; the serial must be the configured one.
- `|now − timestamp| ≥ 300 s` is stale (the official SDK's `FiveMinute`).
- `resource`: AEAD_AES_256_GCM with the APIv3 key, `nonce`, `associated_data`; ciphertext base64 with the tag
  appended. Any other `algorithm` is refused.
The §8.2 vectors (verbatim from the official Go SDK's tests) pass in tests/unit/connectors/test_wechat_pay_signing.py.
"""

import base64
import binascii
import hmac
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from connectors.sdk.errors import MalformedPayload, SignatureInvalid, SignatureMissing, TimestampStale

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
ALGORITHM = "AEAD_AES_256_GCM"
STALE_AFTER_SECONDS = 300
HEADERS = ("wechatpay-serial", "wechatpay-signature", "wechatpay-timestamp", "wechatpay-nonce")


def message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return timestamp.encode("utf-8") + b"\n" + nonce.encode("utf-8") + b"\n" + body + b"\n"


@lru_cache(maxsize=8)
def _public_key(pem: str) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    data = pem.strip().encode("ascii")
    if b"BEGIN CERTIFICATE" in data:
        return x509.load_pem_x509_certificate(data).public_key()
    return load_pem_public_key(data)


def verify_notification(
    headers: Mapping[str, str], body: bytes, *, public_key_pem: str, serial: str, now: datetime
) -> None:
    """Check a notification's headers (keys lower-cased) against the raw body. Raises Signature*/TimestampStale."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    given_serial, signature_b64, timestamp, nonce = (headers.get(name, "").strip() for name in HEADERS)
    if not (given_serial and signature_b64 and timestamp and nonce):
        raise SignatureMissing("WeChat Pay notification without Wechatpay-Serial/-Signature/-Timestamp/-Nonce")
    signature_type = headers.get("wechatpay-signature-type", SIGNATURE_TYPE).strip()
    if signature_type != SIGNATURE_TYPE:
        raise SignatureInvalid(f"unsupported Wechatpay-Signature-Type {signature_type!r}")
    if not hmac.compare_digest(given_serial.upper().encode(), serial.strip().upper().encode()):
        raise SignatureInvalid("Wechatpay-Serial is not the configured platform certificate / public key id")
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureInvalid("Wechatpay-Signature is not base64") from exc
    key = _public_key(public_key_pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureInvalid("the configured WeChat Pay key is not RSA")
    try:
        key.verify(signature, message(timestamp, nonce, body), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise SignatureInvalid("WeChat Pay notification signature does not match") from exc
    try:
        sent = int(timestamp)
    except ValueError as exc:
        raise SignatureInvalid("Wechatpay-Timestamp is not unix seconds") from exc
    if abs(now.timestamp() - sent) >= STALE_AFTER_SECONDS:
        raise TimestampStale(f"Wechatpay-Timestamp {timestamp} is 5 minutes or more away from now")


def decrypt_resource(apiv3_key: bytes, *, nonce: str, associated_data: str, ciphertext: str) -> bytes:
    """AES-GCM open of a notification resource. Raises MalformedPayload when it does not authenticate."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        sealed = base64.b64decode(ciphertext, validate=True)
        return AESGCM(apiv3_key).decrypt(nonce.encode("utf-8"), sealed, associated_data.encode("utf-8"))
    except (binascii.Error, ValueError, InvalidTag) as exc:
        raise MalformedPayload("WeChat Pay resource does not decrypt with the APIv3 key") from exc


def encrypt_resource(apiv3_key: bytes, *, nonce: str, associated_data: str, plaintext: bytes) -> str:
    """The simulator's side of `decrypt_resource`."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    sealed = AESGCM(apiv3_key).encrypt(nonce.encode("utf-8"), plaintext, associated_data.encode("utf-8"))
    return base64.b64encode(sealed).decode("ascii")


def open_resource(resource: Mapping[str, Any], apiv3_key: bytes) -> bytes:
    """Decrypt a notification's `resource` object after checking its algorithm."""
    if resource.get("algorithm") != ALGORITHM:
        raise MalformedPayload(f"WeChat Pay resource algorithm {resource.get('algorithm')!r} is not {ALGORITHM}")
    fields = {name: resource.get(name) for name in ("nonce", "associated_data", "ciphertext")}
    if not isinstance(fields["nonce"], str) or not isinstance(fields["ciphertext"], str):
        raise MalformedPayload("WeChat Pay resource lacks nonce or ciphertext")
    aad = fields["associated_data"] if isinstance(fields["associated_data"], str) else ""
    return decrypt_resource(apiv3_key, nonce=fields["nonce"], associated_data=aad, ciphertext=fields["ciphertext"])
