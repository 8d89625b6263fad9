"""WeChat Pay APIv3 verification and decryption against the verbatim vectors of platforms.md §8.2."""

import base64
import json
from datetime import UTC, datetime

import pytest

from connectors.sdk.contracts import Credentials, WebhookRequest
from connectors.sdk.errors import MalformedPayload, SignatureInvalid, SignatureMissing, TimestampStale
from connectors.wechat_pay import signing
from connectors.wechat_pay.connector import WechatPayConnector

# §8.2, AES-GCM unit test (16-byte key: AES-128 in this fixture).
AES_KEY, AES_AAD, AES_NONCE = b"testAPIv3Key0000", "Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8", "wCq51qZv4Yfg"
AES_CIPHERTEXT = "FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC"

# §8.2, full notification (clock fixed at 1624523846).
APIV3_KEY = b"testMchAPIv3Key0"
SERIAL = "D7CE59D1F522D701"
TIMESTAMP = "1624523846"
NONCE = "EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz"
SIGNATURE = (
    "tJHIiIS9eB2hAYstmAmbbD3ZE5LiIm/Ug5tuL4fC0YOFRWIHV39UFIZXC0e9Wl6lBu6sKvkqDkzpqzBsVHyXFlbYZTOQrVdG4b6LfTnK4mikv9++"
    "ixJMd3vTf2yCqvBkh98zs3Ds5zsYQakzbcwhmw4fMJs4nPLws28H0UW9FjDR//rxELLwXvV1VEA1IBLX70xptjL8hrfUjEE8kkry6yNJTHZRU8CA"
    "c7qHli2Ng1V1qb9ARbK8A3ThmFmPQvRGrapI/jS2laKKgYUmfdEdkNO6B2Cke5e8VTxY406ArAmQ90GAihDwIcb16TQMnzCMBoutnwZKNiKRACrF"
    "mtxw2Q=="
)
BODY = (
    '{"id":"3119dfba-e649-5eec-ab1e-3412bc4d2e17","create_time":"2021-06-24T16:37:26+08:00","resource_type":'
    '"encrypt-resource","event_type":"PAYSCORE.USER_OPEN_SERVICE","summary":"签约成功","resource":{"original_type":'
    '"payscore","algorithm":"AEAD_AES_256_GCM","ciphertext":"YDS3lKPaC4Y52Gf3uhft5qUBlIa8b428AWTtTauHQfQrRw+X1WpiuHID'
    "y0vo1Vd6VEq67aVyqPdDYMkRVSDaZL3iZttevRMOoPKMifozg6XPWjIZumks/GpT48lI4NizyeaqLBokNebthah3o1H76qSlO9NkDjp9bzmKLEYY"
    'H9TEklFUpsvPqOTOcgSLgh21YJXYR7dEBXFgRLiNIKRgO5JdXh1hccRUAlyVWxE54PXpnQ==","associated_data":"payscore","nonce":'
    '"Kj7QIyUiYx1q"}}'
).encode()
EXPECTED_PLAINTEXT = (
    '{"mchid":"1234567890","appid":"054aa7d7a2a54ab5898df65bd96f001c","create_time":"2020-06-30T12:12:00+08:00",'
    '"out_contract_code":"21640bdbd08e473e828f3206a2741c6e"}'
)
CERTIFICATE = """-----BEGIN CERTIFICATE-----
MIIDVzCCAj+gAwIBAgIJANfOWdH1ItcBMA0GCSqGSIb3DQEBCwUAMEIxCzAJBgNV
BAYTAlhYMRUwEwYDVQQHDAxEZWZhdWx0IENpdHkxHDAaBgNVBAoME0RlZmF1bHQg
Q29tcGFueSBMdGQwHhcNMjEwNDI3MDg1NTIzWhcNMzEwNDI1MDg1NTIzWjBCMQsw
CQYDVQQGEwJYWDEVMBMGA1UEBwwMRGVmYXVsdCBDaXR5MRwwGgYDVQQKDBNEZWZh
dWx0IENvbXBhbnkgTHRkMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA
2VCTd91fnUn73Xy9DLvt/V62TVxRTEEstVdeRaZ3B3leO0pldE806mXO4RwdHXag
HQ4vGeZN0yqm++rDsGK+U3AH7kejyD2pXshNP9Cq5YwbptiLGtjcquw4HNxJQUOm
DeJf2vg6byms9RUipiq4SzbJKqJFlUpbuIPDpSpWz10PYmyCNeDGUUK65E5h2B83
4uxl1zNLYQCrkdBzb8oUxwYeP5a2DNxmjL5lsJML7DGr5znsevnoqGRwTm9fxCGf
y8wus7hwKz6clt3Whmmda7UAdb1c08hEQFVRbF14AR73xbnd8N0obCWJPCbzMCtk
aSef4FdEEgEXJiw0VAJT8wIDAQABo1AwTjAdBgNVHQ4EFgQUT1c7nd/SUO76HSoZ
umNUJv1R5PwwHwYDVR0jBBgwFoAUT1c7nd/SUO76HSoZumNUJv1R5PwwDAYDVR0T
BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAfTjxKRQMzNB/U6ZoCUS+BSNfa2Oh
0plMN6ZuzwiVVZwg1jywvv5yv04koS7Pd4i9E4gt9ZBUQXlpq+A3oOCEEHNRR6b2
kyazGRM7s0OP5X21WrbpSmKmU6K7hkfx30yYs08LVs/Q8DIhvaj1FCFeJzUCzYn/
fHMq4tsbKO0dKAeydPM/nrUZBmaYQVKMVOORGLFjFKVO7JV6Kq/R86ouhjEPgJOe
2xulNBUcjicqtZlBdEh/PWCYP2SpGVDclKm8jeo175T3EVAkdKzzmfpxtMmnMlmq
cTJOU9TxuGvNASMtjj7pYIerTx+xgZDXEVBWFW9PjJ0TV06tCRsgSHItgg==
-----END CERTIFICATE-----
"""
FIXED_NOW = datetime.fromtimestamp(1624523846, tz=UTC)


def headers(**changes: str) -> dict[str, str]:
    base = {
        "wechatpay-serial": SERIAL,
        "wechatpay-timestamp": TIMESTAMP,
        "wechatpay-nonce": NONCE,
        "wechatpay-signature": SIGNATURE,
        "wechatpay-signature-type": "WECHATPAY2-SHA256-RSA2048",
    }
    return {k: v for k, v in {**base, **changes}.items() if v}


def verify(head: dict[str, str], body: bytes = BODY, now: datetime = FIXED_NOW) -> None:
    signing.verify_notification(head, body, public_key_pem=CERTIFICATE, serial=SERIAL, now=now)


def test_aes_gcm_vector() -> None:
    opened = signing.decrypt_resource(AES_KEY, nonce=AES_NONCE, associated_data=AES_AAD, ciphertext=AES_CIPHERTEXT)
    assert opened == b"Hello World"


def test_the_full_notification_vector_verifies_and_decrypts() -> None:
    verify(headers())
    resource = json.loads(BODY)["resource"]
    assert signing.open_resource(resource, APIV3_KEY).decode("utf-8") == EXPECTED_PLAINTEXT


def test_one_changed_byte_of_the_body_breaks_the_signature() -> None:
    with pytest.raises(SignatureInvalid):
        verify(headers(), BODY.replace("签约成功".encode(), "签约失败".encode()))
    reserialised = json.dumps(json.loads(BODY), ensure_ascii=False).encode("utf-8")  # spaces after separators
    with pytest.raises(SignatureInvalid):
        verify(headers(), reserialised)


def test_a_stale_or_future_timestamp_is_refused_at_300_seconds() -> None:
    verify(headers(), now=datetime.fromtimestamp(1624523846 + 299, tz=UTC))
    with pytest.raises(TimestampStale):
        verify(headers(), now=datetime.fromtimestamp(1624523846 + 300, tz=UTC))
    with pytest.raises(TimestampStale):
        verify(headers(), now=datetime.fromtimestamp(1624523846 - 300, tz=UTC))


def test_another_serial_or_signature_type_is_refused() -> None:
    with pytest.raises(SignatureInvalid):
        verify(headers(**{"wechatpay-serial": "5157F09EFDC096DE"}))
    with pytest.raises(SignatureInvalid):
        verify(headers(**{"wechatpay-signature-type": "WECHATPAY2-SM2-WITH-SM3"}))


@pytest.mark.parametrize(
    "missing", ["wechatpay-serial", "wechatpay-signature", "wechatpay-timestamp", "wechatpay-nonce"]
)
def test_a_missing_header_is_signature_missing(missing: str) -> None:
    with pytest.raises(SignatureMissing):
        verify(headers(**{missing: ""}))


def test_a_wrong_key_or_algorithm_does_not_decrypt() -> None:
    resource = json.loads(BODY)["resource"]
    with pytest.raises(MalformedPayload):
        signing.open_resource(resource, b"testMchAPIv3Key1")
    with pytest.raises(MalformedPayload):
        signing.open_resource({**resource, "algorithm": "AEAD_SM4_GCM"}, APIV3_KEY)


def test_the_connector_accepts_the_vector_and_drops_its_non_order_event() -> None:
    extra = {
        "platform_public_key": CERTIFICATE,
        "platform_serial": SERIAL,
        "apiv3_key": APIV3_KEY.decode(),
        "pii_key": base64.b64encode(bytes(32)).decode(),
        "mchid": "1234567890",
        "order_service_url": "http://127.0.0.1:1",
    }
    credentials = Credentials("wx054aa7d7a2a54ab5", "secret", {"054aa7d7a2a54ab5898df65bd96f001c": "t"}, extra)
    connector = WechatPayConnector(credentials, "http://127.0.0.1:1", clock=lambda: FIXED_NOW)
    request = WebhookRequest(headers(), {}, BODY, FIXED_NOW)
    connector.verify(request)
    assert connector.parse_notifications(request) == []


def test_the_sample_payload_file_holds_the_vector_bytes() -> None:
    from pathlib import Path

    sample = Path(__file__).parents[3] / "events" / "wechat_pay" / "payscore_notification_vector.json"
    assert sample.read_bytes().rstrip(b"\n") == BODY
