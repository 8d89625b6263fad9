"""WeChat message-push crypto against Tencent's published WXBizMsgCrypt protocol vector (same scheme as 小店)."""

import base64

import pytest

from connectors.sdk.errors import MalformedPayload, SignatureInvalid
from connectors.wechat_shop import signing

# Tencent's official sample (developer.work.weixin.qq.com/document/path/90968, the WXBizMsgCrypt samples).
TOKEN = "QDG6eK"
ENCODING_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
APPID = "wx5823bf96d3bd56c7"
TIMESTAMP, NONCE = "1409659813", "1372623149"
MSG_SIGNATURE = "477715d11cdb4164915debcba66cb864d751f3e6"
ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3"
    "TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gs"
    "ijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUa"
    "x5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIG"
    "HBZZIs2pDBS8R07+qN+E7Q=="
)


def test_msg_signature_matches_the_official_vector() -> None:
    assert signing.signature(TOKEN, TIMESTAMP, NONCE, ENCRYPT) == MSG_SIGNATURE


def test_the_official_message_decrypts_and_names_its_appid() -> None:
    message = signing.decrypt(ENCRYPT, signing.aes_key(ENCODING_AES_KEY), APPID)
    assert b"<Content><![CDATA[hello]]></Content>" in message
    assert message.startswith(b"<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]>")


def test_a_message_sealed_for_another_appid_is_refused() -> None:
    with pytest.raises(SignatureInvalid):
        signing.decrypt(ENCRYPT, signing.aes_key(ENCODING_AES_KEY), "wx0000000000000000")


def test_encrypt_is_the_inverse_and_pads_to_32_bytes() -> None:
    key = signing.aes_key(ENCODING_AES_KEY)
    sealed = signing.encrypt(b'{"Event":"channels_ec_order_pay"}', key, APPID, random_prefix=b"0123456789abcdef")
    # 16 + 4 + 33 + 18 = 71 bytes → padded to 96
    assert len(base64.b64decode(sealed)) == 96
    assert signing.decrypt(sealed, key, APPID) == b'{"Event":"channels_ec_order_pay"}'


def test_a_damaged_ciphertext_is_malformed_not_trusted() -> None:
    key = signing.aes_key(ENCODING_AES_KEY)
    broken = base64.b64encode(base64.b64decode(ENCRYPT)[:-16]).decode()
    with pytest.raises((MalformedPayload, SignatureInvalid)):
        signing.decrypt(broken, key, APPID)
    with pytest.raises(MalformedPayload):
        signing.decrypt("not base64!", key, APPID)


@pytest.mark.parametrize("bad", ["short", ENCODING_AES_KEY + "AAAA"])
def test_encoding_aes_key_must_be_43_characters(bad: str) -> None:
    with pytest.raises(ValueError):
        signing.aes_key(bad)


def test_url_check_signature_sorts_its_three_parts() -> None:
    # sorted("QDG6eK", "1409659813", "1372623149") = 1372623149, 1409659813, QDG6eK
    import hashlib

    assert signing.signature(TOKEN, TIMESTAMP, NONCE) == hashlib.sha1(b"13726231491409659813QDG6eK").hexdigest()
