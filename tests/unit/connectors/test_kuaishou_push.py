"""Kuaishou push messages: AES-CBC decryption with the MsgSecret, authenticity, replay window, parsing."""

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.kuaishou.push import (
    REPLAY_WINDOW,
    check_fresh,
    decrypt,
    encrypt,
    open_message,
    parse_message,
)
from connectors.sdk.errors import MalformedPayload, SignatureInvalid, SignatureMissing, TimestampStale

EVENTS = Path(__file__).parents[3] / "events" / "kuaishou"
VECTOR = json.loads((EVENTS / "push_delivery.json").read_text(encoding="utf-8"))
APP_KEY = "ks699183844582124027"
KEY = VECTOR["msg_secret"]
OTHER_KEY = base64.b64encode(bytes(range(1, 33))).decode()


def message(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = json.loads((EVENTS / "push_message_decrypted.json").read_text(encoding="utf-8"))
    return {**base, **changes}


def sealed(payload: object, key: str = KEY) -> bytes:
    return encrypt(json.dumps(payload, ensure_ascii=False).encode("utf-8"), key)


def test_openssl_vector_decrypts_to_the_reference_sample() -> None:
    # Sealed with `openssl enc -aes-256-cbc -iv 0…0`, independently of the code under test.
    plaintext = decrypt(VECTOR["body"].encode(), KEY)
    assert plaintext.decode("utf-8") == VECTOR["plaintext"]
    opened = open_message(VECTOR["body"].encode(), msg_secret=KEY, app_key=APP_KEY)
    assert opened["eventId"] == "243_4027_2375715766426" and opened["bizId"] == 2607602240240301


def test_encrypt_round_trips_and_is_deterministic_with_the_zero_iv() -> None:
    body = sealed(message())
    assert body == sealed(message())
    assert open_message(body, msg_secret=KEY, app_key=APP_KEY) == message()


def test_empty_body_is_missing() -> None:
    for body in (b"", b"  \n"):
        with pytest.raises(SignatureMissing):
            open_message(body, msg_secret=KEY, app_key=APP_KEY)


@pytest.mark.parametrize(
    "body",
    [
        sealed(message(), OTHER_KEY),  # another key
        b"not base64 at all!",
        base64.b64encode(b"short"),  # not whole AES blocks
        encrypt(b"plain text, not JSON", KEY),
        encrypt(b"[1, 2, 3]", KEY),  # JSON but not an object
        sealed(message(appKey="ks000000000000000000")),  # another app's message
    ],
)
def test_anything_that_is_not_this_apps_sealed_message_is_invalid(body: bytes) -> None:
    with pytest.raises(SignatureInvalid):
        open_message(body, msg_secret=KEY, app_key=APP_KEY)


def test_wrong_keys_never_pass_even_when_padding_happens_to_look_valid() -> None:
    # A wrong key yields valid-looking padding about 1 time in 256; the JSON/appKey checks catch those.
    body = sealed(message())
    for n in range(300):
        key = base64.b64encode(n.to_bytes(2, "big") * 16).decode()
        with pytest.raises(SignatureInvalid):
            open_message(body, msg_secret=key, app_key=APP_KEY)


def test_replay_window_uses_the_latest_message_time() -> None:
    sent = datetime(2026, 3, 17, 12, 35, 45, 776000, tzinfo=UTC)  # updateTime 1773750945776
    assert check_fresh(message(), sent + timedelta(seconds=3)) == sent
    assert check_fresh(message(), sent + REPLAY_WINDOW) == sent
    with pytest.raises(TimestampStale):
        check_fresh(message(), sent + REPLAY_WINDOW + timedelta(milliseconds=1))
    with pytest.raises(TimestampStale):
        check_fresh(message(), sent - timedelta(minutes=6))  # from the future beyond the clock skew
    with pytest.raises(TimestampStale):
        check_fresh(message(createTime=None, updateTime=None), sent)


def test_order_and_refund_messages_name_their_order_and_seller() -> None:
    order = parse_message(message())
    assert (order.order_id, order.seller_id, order.event, order.is_test) == (
        "2607602240240301",
        "2161524184",
        "kwaishop_order_addOrder",
        False,
    )
    refund_raw = json.loads((EVENTS / "refund_push_message_decrypted.json").read_text(encoding="utf-8"))
    refund = parse_message(refund_raw)
    assert refund.order_id == "2607602240240301"  # info.orderId, not bizId (the refund id)
    assert refund.info["refundId"] == 2607602240240400


def test_other_events_carry_no_order_and_malformed_ones_are_refused() -> None:
    assert parse_message(message(event="kwaishop_item_update", info="{}")).order_id is None
    assert parse_message(message(test=True)).is_test
    with pytest.raises(MalformedPayload):
        parse_message(message(info="{}", bizId=None))
    with pytest.raises(MalformedPayload):
        parse_message(message(event=None))
    with pytest.raises(MalformedPayload):
        parse_message(message(info="{not json"))
