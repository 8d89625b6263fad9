"""WeChat message-push signatures and safe-mode crypto (the WXBizMsgCrypt scheme), pure functions.

platforms.md §7.4 [INFERRED from the generic WeChat scheme, not re-verified for 小店]:
- URL check (GET):   signature     = sha1_hex(join(sorted([token, timestamp, nonce])))
- safe-mode push:    msg_signature = sha1_hex(join(sorted([token, timestamp, nonce, Encrypt])))
- Encrypt = base64(AES-256-CBC(key, iv=key[:16], PKCS#7-to-32(random(16) ‖ len(msg) as 4-byte big-endian ‖
  msg ‖ appid))), key = base64decode(EncodingAESKey + "=").
The unit tests check these functions against Tencent's published protocol vector (token `QDG6eK`), which uses
exactly this scheme.

`cryptography` is imported inside the AES functions: the GET handshake and refusals never load it.
"""

import base64
import binascii
import hashlib
import hmac
import os
import struct

from connectors.sdk.errors import MalformedPayload, SignatureInvalid

BLOCK_SIZE = 32  # WeChat pads to 32 bytes, not AES's 16
_RANDOM_PREFIX = 16
_LENGTH_FIELD = 4


def signature(token: str, timestamp: str, nonce: str, *more: str) -> str:
    """sha1 hex of the sorted, concatenated parts (the URL check signs three, a safe-mode push four)."""
    parts = sorted([token, timestamp, nonce, *more])
    return hashlib.sha1("".join(parts).encode("utf-8")).hexdigest()  # noqa: S324 - the platform's algorithm


def signatures_match(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.strip().lower().encode("utf-8"), expected.encode("ascii"))


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key of a 43-character EncodingAESKey."""
    try:
        key = base64.b64decode(encoding_aes_key.strip() + "=", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("EncodingAESKey is not 43 base64 characters") from exc
    if len(key) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes")
    return key


def _pad(data: bytes) -> bytes:
    amount = BLOCK_SIZE - len(data) % BLOCK_SIZE
    return data + bytes([amount]) * amount


def _unpad(data: bytes) -> bytes:
    if not data:
        raise MalformedPayload("WeChat push: empty decrypted message")
    amount = data[-1]
    if not 1 <= amount <= BLOCK_SIZE or data[-amount:] != bytes([amount]) * amount:
        raise MalformedPayload("WeChat push: bad padding in the decrypted message")
    return data[:-amount]


def encrypt(message: bytes, key: bytes, appid: str, *, random_prefix: bytes | None = None) -> str:
    """What WeChat puts in `Encrypt` (the simulator and tests use it)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    prefix = random_prefix if random_prefix is not None else os.urandom(_RANDOM_PREFIX)
    if len(prefix) != _RANDOM_PREFIX:
        raise ValueError("the random prefix is 16 bytes")
    plain = _pad(prefix + struct.pack(">I", len(message)) + message + appid.encode("utf-8"))
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")


def decrypt(encrypted: str, key: bytes, appid: str) -> bytes:
    """The message inside `Encrypt`. Raises MalformedPayload if it does not decrypt, SignatureInvalid if it
    was sealed for another app (the appid trailer differs)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    try:
        raw = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedPayload("WeChat push: Encrypt is not base64") from exc
    if not raw or len(raw) % 16:
        raise MalformedPayload("WeChat push: Encrypt is not whole AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = _unpad(decryptor.update(raw) + decryptor.finalize())
    if len(plain) < _RANDOM_PREFIX + _LENGTH_FIELD:
        raise MalformedPayload("WeChat push: decrypted message too short")
    (length,) = struct.unpack(">I", plain[_RANDOM_PREFIX : _RANDOM_PREFIX + _LENGTH_FIELD])
    start = _RANDOM_PREFIX + _LENGTH_FIELD
    if start + length > len(plain):
        raise MalformedPayload("WeChat push: message length exceeds the decrypted data")
    message, trailer = plain[start : start + length], plain[start + length :]
    if not hmac.compare_digest(trailer, appid.encode("utf-8")):
        raise SignatureInvalid("WeChat push was encrypted for another appid")
    return message
