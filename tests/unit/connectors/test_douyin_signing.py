"""Douyin request signing and push verification, against the COMPUTED vectors of platforms.md §4.2/§4.3."""

from pathlib import Path

import pytest

from connectors.douyin.signing import param_json, push_signature, sign_request, verify_push
from connectors.sdk.errors import SignatureInvalid, SignatureMissing

APP_KEY = "7000000000000000000"
SECRET = "ddsecret"
PUSH_SAMPLE = Path(__file__).parents[3] / "events" / "douyin" / "push_delivery.json"
SEARCH_PARAMS = {"size": 20, "page": 0, "update_time_start": 1704038400, "update_time_end": 1704040200}


def sample_push() -> bytes:
    # The file holds the exact signed bytes; tolerate an editor's trailing newline.
    return PUSH_SAMPLE.read_bytes().rstrip(b"\n")


def test_param_json_sorts_keys_compactly() -> None:
    # Given the search parameters in arbitrary order / When serialised / Then the reference's exact text
    assert param_json(SEARCH_PARAMS) == (
        '{"page":0,"size":20,"update_time_end":1704040200,"update_time_start":1704038400}'
    )


def test_param_json_sorts_nested_keys_and_keeps_unicode_and_html_characters() -> None:
    # Given nested objects, Chinese text and HTML-significant characters
    params = {"b": {"z": 1, "a": [{"y": "<&>", "x": "抖店"}]}, "a": ""}
    # When serialised / Then keys are sorted at every level and nothing is escaped
    assert param_json(params) == '{"a":"","b":{"a":[{"x":"抖店","y":"<&>"}],"z":1}}'


@pytest.mark.parametrize("empty", [None, {}])
def test_param_json_of_no_parameters_is_an_empty_object(empty: dict[str, object] | None) -> None:
    assert param_json(empty) == "{}"


def test_request_signature_hmac_sha256_vector() -> None:
    # Given the reference inputs / When signed with hmac-sha256 / Then the computed vector
    sign = sign_request(
        app_key=APP_KEY,
        app_secret=SECRET,
        method="order.searchList",
        param_json=param_json(SEARCH_PARAMS),
        timestamp="1704081600",
    )
    assert sign == "d6e8b9625b01492a56c6b3726d24272ce1a59788c8ea5ef1649a0e9ca997af7f"


def test_request_signature_legacy_md5_vector() -> None:
    sign = sign_request(
        app_key=APP_KEY,
        app_secret=SECRET,
        method="order.searchList",
        param_json=param_json(SEARCH_PARAMS),
        timestamp="1704081600",
        sign_method="md5",
    )
    assert sign == "4f7005e0ab5704bb11d68dc3e0d7f7b0"


def test_push_signature_vector_over_the_sample_delivery() -> None:
    # Given the sample push file (the reference body byte for byte) / Then its event-sign is the vector
    assert push_signature(app_key=APP_KEY, app_secret=SECRET, body=sample_push()) == "244ce1a6f125b3058a16e958dad0c662"


def test_verify_push_accepts_the_reference_headers() -> None:
    headers = {"app-id": APP_KEY, "event-sign": "244ce1a6f125b3058a16e958dad0c662"}
    verify_push(headers, sample_push(), app_key=APP_KEY, app_secret=SECRET)


def test_verify_push_refuses_a_body_changed_by_one_byte() -> None:
    # Given the valid headers but a body whose amount was altered
    body = sample_push().replace(b"299900", b"299901")
    headers = {"app-id": APP_KEY, "event-sign": "244ce1a6f125b3058a16e958dad0c662"}
    # Then the signature no longer matches
    with pytest.raises(SignatureInvalid):
        verify_push(headers, body, app_key=APP_KEY, app_secret=SECRET)


def test_verify_push_hashes_raw_bytes_not_reformatted_json() -> None:
    # Given the same JSON with whitespace added (DD-PHP would strip it; the raw-bytes rule must not)
    body = sample_push().replace(b'","', b'", "')
    headers = {"app-id": APP_KEY, "event-sign": "244ce1a6f125b3058a16e958dad0c662"}
    with pytest.raises(SignatureInvalid):
        verify_push(headers, body, app_key=APP_KEY, app_secret=SECRET)


def test_verify_push_refuses_another_apps_id() -> None:
    headers = {"app-id": "7000000000000000999", "event-sign": "244ce1a6f125b3058a16e958dad0c662"}
    with pytest.raises(SignatureInvalid):
        verify_push(headers, sample_push(), app_key=APP_KEY, app_secret=SECRET)


@pytest.mark.parametrize(
    "headers",
    [
        {"app-id": APP_KEY},
        {"event-sign": "244ce1a6f125b3058a16e958dad0c662"},
        {"app-id": APP_KEY, "event-sign": "  "},
        {},
    ],
)
def test_verify_push_without_both_headers_is_signature_missing(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureMissing):
        verify_push(headers, sample_push(), app_key=APP_KEY, app_secret=SECRET)
