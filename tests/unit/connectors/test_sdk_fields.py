from datetime import UTC, datetime

import pytest

from connectors.sdk import fields
from connectors.sdk.errors import OrderInvalid


def _from_seconds(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def test_text_strips_and_treats_blank_and_non_strings_as_absent() -> None:
    raw = {"a": "  x ", "blank": "   ", "number": 7}
    assert fields.text(raw, "a") == "x"
    assert fields.text(raw, "blank") is None
    assert fields.text(raw, "number") is None
    assert fields.text(raw, "missing") is None


def test_required_text_names_order_and_field() -> None:
    assert fields.required_text({"k": " v"}, "k", "O1") == "v"
    with pytest.raises(OrderInvalid, match="order O1 has no k"):
        fields.required_text({"k": " "}, "k", "O1")


def test_optional_id_accepts_integers_and_strings_but_not_booleans() -> None:
    assert fields.optional_id({"id": 42}, "id") == "42"
    assert fields.optional_id({"id": " 42 "}, "id") == "42"
    assert fields.optional_id({"id": True}, "id") is None
    assert fields.optional_id({}, "id") is None


@pytest.mark.parametrize("value", [1.5, True, "1.5", "-3", None])
def test_integer_rejects_non_integers(value: object) -> None:
    with pytest.raises(OrderInvalid, match="order O1 field n is not an integer"):
        fields.integer(value, "n", "O1")


def test_integer_accepts_ints_and_digit_strings() -> None:
    assert fields.integer(5, "n", "O1") == 5
    assert fields.integer(" 12 ", "n", "O1") == 12


def test_fen_default_negative_and_custom_integer_reader() -> None:
    assert fields.fen({"p": 100}, "p", "O1") == 100
    assert fields.fen({}, "p", "O1", default=7) == 7
    with pytest.raises(OrderInvalid, match="order O1 field p is negative"):
        fields.fen({"p": -1}, "p", "O1")

    def strict(value: object, key: str, order_id: str) -> int:
        if not isinstance(value, int):
            raise OrderInvalid(f"strict {order_id} {key}")
        return value

    assert fields.fen({"p": "100"}, "p", "O1") == 100
    with pytest.raises(OrderInvalid, match="strict O1 p"):
        fields.fen({"p": "100"}, "p", "O1", to_integer=strict)


def test_times_use_the_given_converter_and_treat_zero_as_absent() -> None:
    raw = {"t": 1_700_000_000, "zero": 0, "blank": ""}
    assert fields.time_field(raw, "t", "O1", _from_seconds) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert fields.optional_time(raw, "zero", "O1", _from_seconds) is None
    assert fields.optional_time(raw, "missing", "O1", _from_seconds) is None
    assert fields.optional_time(raw, "blank", "O1", _from_seconds, blank_is_none=True) is None
    with pytest.raises(OrderInvalid, match="field blank is not an integer"):
        fields.optional_time(raw, "blank", "O1", _from_seconds)
    with pytest.raises(OrderInvalid, match="order O1 has no zero"):
        fields.time_field(raw, "zero", "O1", _from_seconds)


def test_mapping_and_array() -> None:
    assert fields.mapping({}, "m", "O1") == {}
    assert fields.mapping({"m": {"a": 1}}, "m", "O1") == {"a": 1}
    with pytest.raises(OrderInvalid, match="order O1 field m is not an object"):
        fields.mapping({"m": [1]}, "m", "O1")
    assert fields.array({}, "l", "O1") == []
    assert fields.array({"l": [1]}, "l", "O1") == [1]
    with pytest.raises(OrderInvalid, match="order O1 field l is not a list"):
        fields.array({"l": {}}, "l", "O1")


def test_yuan_amounts_become_fen_or_are_refused_by_name():
    assert fields.yuan({"payment": "200.07"}, "payment") == 20007
    assert fields.yuan({"payment": " "}, "payment", default="0.00") == 0
    with pytest.raises(OrderInvalid, match="missing amount payment"):
        fields.yuan({}, "payment")
    for bad in ("12.345", "abc", True):
        with pytest.raises(OrderInvalid, match="amount payment is not a yuan amount"):
            fields.yuan({"payment": bad}, "payment")


def test_shanghai_times_are_aware_and_blank_is_absent():
    moment = fields.required_shanghai_time({"created": "2024-03-01 09:15:30"}, "created")
    assert moment == datetime(2024, 3, 1, 1, 15, 30, tzinfo=UTC)
    assert fields.shanghai_time({"created": ""}, "created") is None
    with pytest.raises(OrderInvalid, match="missing time created"):
        fields.required_shanghai_time({}, "created")
    with pytest.raises(OrderInvalid, match="time created is not yyyy-MM-dd HH:mm:ss"):
        fields.shanghai_time({"created": "01/03/2024"}, "created")
