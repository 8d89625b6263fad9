"""Kuaishou request signing: the reference's vectors (platforms.md §5.2) verbatim, and the input rules."""

import pytest

from connectors.kuaishou.signing import param_json, sign, sign_input, signatures_match

# platforms.md §5.2 (inputs from the KS-PHP tests, outputs computed there)
PARAMS = {
    "appkey": "ks123",
    "method": "open.seller.order.list",
    "version": "1",
    "param": '{"title":"短袖"}',
    "access_token": "token",
    "timestamp": "1583271919000",
}
MD5_INPUT = (
    'access_token=token&appkey=ks123&method=open.seller.order.list&param={"title":"短袖"}'
    "&signMethod=MD5&timestamp=1583271919000&version=1&signSecret=sign-secret"
)


def test_md5_vector_from_the_reference() -> None:
    params = {**PARAMS, "signMethod": "MD5"}
    assert sign_input(params, "sign-secret") == MD5_INPUT
    assert sign(params, "sign-secret", "MD5") == "6005da269b372ff10945e565ef37a4c6"


def test_hmac_sha256_vector_from_the_reference() -> None:
    params = {**PARAMS, "signMethod": "HMAC_SHA256"}
    assert sign_input(params, "sign-secret") == MD5_INPUT.replace("signMethod=MD5", "signMethod=HMAC_SHA256")
    assert sign(params, "sign-secret", "HMAC_SHA256") == "ZpPrG0oB1g/T93FyyVD+VCzRey41yqxZoCqcGg7upYM="


def test_none_is_dropped_but_empty_string_kept_and_sign_ignored() -> None:
    text = sign_input({"b": "", "a": None, "sign": "x", "c": "1"}, "s")
    assert text == "b=&c=1&signSecret=s"


def test_param_json_is_compact_sorted_and_keeps_chinese() -> None:
    assert param_json({"title": "短袖", "a": 1}) == '{"a":1,"title":"短袖"}'
    assert param_json({}) == "{}"


def test_a_changed_parameter_changes_the_signature() -> None:
    params = {**PARAMS, "signMethod": "MD5"}
    assert sign({**params, "timestamp": "1583271919001"}, "sign-secret", "MD5") != sign(params, "sign-secret", "MD5")


def test_unsupported_method_and_comparison() -> None:
    with pytest.raises(ValueError):
        sign(PARAMS, "s", "SHA1")  # type: ignore[arg-type]
    assert signatures_match("6005DA269B372FF10945E565EF37A4C6", "6005da269b372ff10945e565ef37a4c6")
    hmac_sign = "ZpPrG0oB1g/T93FyyVD+VCzRey41yqxZoCqcGg7upYM="
    assert not signatures_match(hmac_sign.lower(), hmac_sign)  # base64 is case-sensitive
