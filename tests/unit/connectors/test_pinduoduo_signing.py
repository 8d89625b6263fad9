"""Pinduoduo signatures: the reference's computed vectors verbatim (§9.1, §9.2)."""

from connectors.pinduoduo.signing import sign, sign_text, websocket_sign

VECTOR_PARAMS = {
    "access_token": "pddtoken",
    "client_id": "pddclientid",
    "data_type": "JSON",
    "end_updated_at": "1704081600",
    "is_lucky_flag": "0",
    "order_status": "5",
    "page": "1",
    "page_size": "100",
    "refund_status": "5",
    "start_updated_at": "1704079800",
    "timestamp": "1704081600",
    "type": "pdd.order.number.list.increment.get",
    "version": "V1",
}


def test_request_sign_matches_the_reference_vector() -> None:
    assert sign_text(VECTOR_PARAMS, "pddsecret") == (
        "pddsecret"
        "access_tokenpddtokenclient_idpddclientiddata_typeJSONend_updated_at1704081600is_lucky_flag0order_status5"
        "page1page_size100refund_status5start_updated_at1704079800timestamp1704081600"
        "typepdd.order.number.list.increment.getversionV1"
        "pddsecret"
    )
    assert sign(VECTOR_PARAMS, "pddsecret") == "3BD903CB136B750CC6E6540DB931D831"


def test_order_of_the_parameters_does_not_matter_and_sign_itself_is_not_signed() -> None:
    shuffled = dict(reversed(list(VECTOR_PARAMS.items())))
    assert sign({**shuffled, "sign": "ANYTHING"}, "pddsecret") == "3BD903CB136B750CC6E6540DB931D831"


def test_none_is_dropped_but_empty_strings_are_signed() -> None:
    base = sign(VECTOR_PARAMS, "pddsecret")
    assert sign({**VECTOR_PARAMS, "remark": None}, "pddsecret") == base
    assert sign({**VECTOR_PARAMS, "remark": ""}, "pddsecret") != base


def test_websocket_sign_matches_the_reference_vector() -> None:
    assert websocket_sign("pddclientid", "1704081600000", "pddsecret") == "MTNlMzRjNzI1YjM4M2M3ODU0MDNmNTlkYjU4MTUzYmE="
