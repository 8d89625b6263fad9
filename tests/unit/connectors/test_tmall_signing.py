"""TOP signing reproduces the reference vectors exactly (reference/platforms.md §1.2)."""

import json
from pathlib import Path

import pytest

from connectors.tmall.signing import sign, sign_string, verify

SECRET = "helloworld"
BASE = {
    "app_key": "12345678",
    "fields": "tid,status,payment",
    "format": "json",
    "method": "taobao.trade.fullinfo.get",
    "session": "test-session",
    "tid": "1234567890123",
    "timestamp": "2024-01-01 12:00:00",
    "v": "2.0",
}
EVENTS = Path(__file__).resolve().parents[3] / "events" / "tmall"


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("md5", "3028F0A104875E6BFD79E59A9049AAD2"),
        ("hmac", "F86F38518AF47CFB1DE56FC7FCB771F3"),
        ("hmac-sha256", "1D6CD3BB42C4D75072A730FB617AE70BC0B481D1BA229C9FD88A465D6570C346"),
    ],
)
def test_reference_vectors(method: str, expected: str) -> None:
    # Given the reference parameters with a sign_method
    params = {**BASE, "sign_method": method}
    # When they are signed with the reference secret
    # Then the uppercase hex digest equals the computed vector
    assert sign(params, SECRET, method) == expected  # type: ignore[arg-type]


def test_the_md5_string_is_sorted_pairs_wrapped_in_the_secret() -> None:
    # Given the reference parameters signed with md5
    params = {**BASE, "sign_method": "md5"}
    # Then the signed text is the reference md5 string without the wrapping secrets
    assert f"{SECRET}{sign_string(params)}{SECRET}" == (
        "helloworldapp_key12345678fieldstid,status,paymentformatjsonmethodtaobao.trade.fullinfo.get"
        "sessiontest-sessionsign_methodmd5tid1234567890123timestamp2024-01-01 12:00:00v2.0helloworld"
    )


def test_empty_and_blank_values_and_the_sign_itself_are_skipped() -> None:
    # Given the reference parameters plus empty, blank and None values and an old sign
    params = {**BASE, "sign_method": "hmac-sha256", "buyer_nick": "", "tag": "   ", "x": None, "sign": "OLD"}
    # When signed
    # Then the digest is the vector of the parameters without them
    assert sign(params, SECRET, "hmac-sha256") == "1D6CD3BB42C4D75072A730FB617AE70BC0B481D1BA229C9FD88A465D6570C346"


def test_verify_accepts_the_right_sign_in_any_case_and_refuses_a_tampered_request() -> None:
    # Given a signed request
    params = {**BASE, "sign_method": "hmac", "sign": "f86f38518af47cfb1de56fc7fcb771f3"}
    # Then it verifies, and changing any parameter breaks it
    assert verify(params, SECRET)
    assert not verify({**params, "tid": "1234567890124"}, SECRET)
    assert not verify({**params, "sign_method": "sha1"}, SECRET)
    assert not verify({**BASE, "sign_method": "md5"}, SECRET)  # no sign at all


def test_unknown_sign_method_is_refused() -> None:
    with pytest.raises(ValueError):
        sign(BASE, SECRET, "sha1")  # type: ignore[arg-type]


def test_the_sample_offline_send_request_is_correctly_signed() -> None:
    # Given the sample write-back request in events/tmall
    sample = json.loads((EVENTS / "logistics_offline_send_request.json").read_text(encoding="utf-8"))
    # Then its sign verifies with the sample's test secret
    assert verify(sample["form"], sample["test_app_secret"])
    assert sample["form"]["method"] == "taobao.logistics.offline.send"
