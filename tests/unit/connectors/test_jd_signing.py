"""JOS signing: the platforms.md §3.1 vector verbatim, and the timestamp form."""

from datetime import UTC, datetime

from connectors.jd.signing import jos_timestamp, parse_jos_timestamp, sign, sign_string, verify

VECTOR_PARAMS = {
    "app_key": "JDAPPKEY",
    "access_token": "jdtoken",
    "method": "jingdong.pop.order.enSearch",
    "timestamp": "2024-01-01 12:00:00.000+0800",
    "v": "2.0",
    "360buy_param_json": '{"start_date":"2024-01-01 00:00:00","end_date":"2024-01-01 01:00:00",'
    '"order_state":"WAIT_SELLER_STOCK_OUT","optional_fields":"orderId,orderState","page":"1","page_size":"50"}',
}


def test_reference_vector_signs_verbatim() -> None:
    assert sign(VECTOR_PARAMS, "jdsecret") == "48EC58E374CDAFAB71CD450729B614F1"


def test_sorted_concatenation_puts_the_param_json_first() -> None:
    text = sign_string(VECTOR_PARAMS)
    assert text.startswith('360buy_param_json{"start_date"')
    assert text.endswith(
        "access_tokenjdtokenapp_keyJDAPPKEYmethodjingdong.pop.order.enSearchtimestamp2024-01-01 12:00:00.000+0800v2.0"
    )


def test_empty_values_and_sign_itself_are_skipped() -> None:
    with_extras = {**VECTOR_PARAMS, "sign": "X", "empty": "", "blank": "  ", "none": None}
    assert sign(with_extras, "jdsecret") == "48EC58E374CDAFAB71CD450729B614F1"


def test_verify_accepts_the_right_sign_only() -> None:
    signed = {**VECTOR_PARAMS, "sign": "48ec58e374cdafab71cd450729b614f1"}
    assert verify(signed, "jdsecret")
    assert not verify(signed, "other-secret")
    assert not verify({**signed, "v": "2.1"}, "jdsecret")
    assert not verify(VECTOR_PARAMS, "jdsecret")


def test_timestamp_is_beijing_time_with_millis_and_offset() -> None:
    moment = datetime(2024, 1, 1, 4, 0, 0, 123456, tzinfo=UTC)
    assert jos_timestamp(moment) == "2024-01-01 12:00:00.123+0800"
    assert parse_jos_timestamp("2024-01-01 12:00:00.123+0800") == moment.replace(microsecond=123000)
    assert parse_jos_timestamp("2024-01-01 12:00:00") == moment.replace(microsecond=0)
