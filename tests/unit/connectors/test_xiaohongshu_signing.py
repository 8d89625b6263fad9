"""Xiaohongshu request and push signatures: the reference's vectors verbatim, then the verifier's refusals."""

from datetime import UTC, datetime, timedelta

import pytest

from connectors.sdk.errors import SignatureInvalid, SignatureMissing, TimestampStale
from connectors.xiaohongshu.signing import push_moment, push_sign, request_sign, verify_push

DOC_SECRET = "9a539709cafc1efc9ef05838be468a28"
DOC_SENT = datetime.fromtimestamp(1625475843, tz=UTC)


def test_request_sign_matches_the_sdk_test_vector() -> None:
    sign = request_sign(
        method="oauth.getAccessToken", app_id="test-app", timestamp="1700000000", version="1.0", app_secret="secret-key"
    )
    assert sign == "15dd91e56a77df52c8a652a43a7c131e"


def test_request_sign_matches_the_computed_order_list_vector() -> None:
    sign = request_sign(
        method="order.getOrderList", app_id="test-app", timestamp="1700000000", version="2.0", app_secret="secret-key"
    )
    assert sign == "a486937afd8cac40a9791dcdc435e63f"


def test_push_sign_matches_the_official_doc_vector() -> None:
    params = {"canshu": "test", "app-key": "xhs", "timestamp": "1625475843"}
    assert push_sign(path="/open_api/msg", params=params, app_secret=DOC_SECRET) == "a7b7430de338783293443133ab9b9357"


def _verify(headers: dict[str, str], *, received_at: datetime = DOC_SENT, query: dict[str, str] | None = None) -> None:
    verify_push(
        headers,
        {"canshu": "test"} if query is None else query,
        path="/open_api/msg",
        app_key="xhs",
        app_secret=DOC_SECRET,
        received_at=received_at,
        replay_window=timedelta(minutes=15),
    )


DOC_HEADERS = {"app-key": "xhs", "timestamp": "1625475843", "sign": "a7b7430de338783293443133ab9b9357"}


def test_the_doc_push_verifies() -> None:
    _verify(dict(DOC_HEADERS))
    _verify({**DOC_HEADERS, "sign": DOC_HEADERS["sign"].upper()})  # hex case is not significant


@pytest.mark.parametrize("missing", ["app-key", "timestamp", "sign"])
def test_a_missing_header_is_signature_missing(missing: str) -> None:
    headers = {k: v for k, v in DOC_HEADERS.items() if k != missing}
    with pytest.raises(SignatureMissing):
        _verify(headers)


@pytest.mark.parametrize(
    "change",
    [
        {"sign": "a7b7430de338783293443133ab9b9358"},
        {"app-key": "other"},
        {"timestamp": "1625475844"},
    ],
)
def test_any_changed_signed_value_is_signature_invalid(change: dict[str, str]) -> None:
    with pytest.raises(SignatureInvalid):
        _verify({**DOC_HEADERS, **change})


def test_the_query_string_is_signed() -> None:
    with pytest.raises(SignatureInvalid):
        _verify(dict(DOC_HEADERS), query={"canshu": "other"})


def test_a_correctly_signed_old_push_is_stale() -> None:
    _verify(dict(DOC_HEADERS), received_at=DOC_SENT + timedelta(minutes=15))
    with pytest.raises(TimestampStale):
        _verify(dict(DOC_HEADERS), received_at=DOC_SENT + timedelta(minutes=15, seconds=1))
    with pytest.raises(TimestampStale):
        _verify(dict(DOC_HEADERS), received_at=DOC_SENT - timedelta(minutes=16))


def test_push_timestamps_in_seconds_or_milliseconds() -> None:
    assert push_moment("1625475843") == DOC_SENT
    assert push_moment("1625475843000") == DOC_SENT
    with pytest.raises(SignatureInvalid):
        push_moment("2021-07-05")
