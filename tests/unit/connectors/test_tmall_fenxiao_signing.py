"""The distribution connector signs with the TOP rule; the reference's vectors (platforms.md §1.2) verbatim."""

import pytest

from connectors.tmall_fenxiao.signing import sign, sign_string, verify

PARAMS = {
    "app_key": "12345678",
    "fields": "tid,status,payment",
    "format": "json",
    "method": "taobao.trade.fullinfo.get",
    "session": "test-session",
    "tid": "1234567890123",
    "timestamp": "2024-01-01 12:00:00",
    "v": "2.0",
}


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("md5", "3028F0A104875E6BFD79E59A9049AAD2"),
        ("hmac", "F86F38518AF47CFB1DE56FC7FCB771F3"),
        ("hmac-sha256", "1D6CD3BB42C4D75072A730FB617AE70BC0B481D1BA229C9FD88A465D6570C346"),
    ],
)
def test_reference_vectors(method: str, expected: str) -> None:
    assert sign({**PARAMS, "sign_method": method}, "helloworld", method) == expected  # type: ignore[arg-type]


def test_md5_string_is_the_documented_one() -> None:
    text = sign_string({**PARAMS, "sign_method": "md5"})
    assert f"helloworld{text}helloworld" == (
        "helloworldapp_key12345678fieldstid,status,paymentformatjsonmethodtaobao.trade.fullinfo.get"
        "sessiontest-sessionsign_methodmd5tid1234567890123timestamp2024-01-01 12:00:00v2.0helloworld"
    )


def test_verify_refuses_a_changed_parameter() -> None:
    params = {**PARAMS, "sign_method": "hmac-sha256"}
    params["sign"] = sign(params, "helloworld", "hmac-sha256")
    assert verify(params, "helloworld")
    assert not verify({**params, "tid": "1234567890124"}, "helloworld")
