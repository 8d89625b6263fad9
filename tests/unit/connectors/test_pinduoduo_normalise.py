"""Pinduoduo order_info → canonical Order: yuan doubles to fen without float error, Beijing times, lines, PII."""

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.pinduoduo.client import decimal_json
from connectors.pinduoduo.normalise import allocate, to_order
from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, OrderStatus

SAMPLE = Path(__file__).parents[3] / "events" / "pinduoduo" / "order_information_get_response.json"
SHOP = "7788990"


@pytest.fixture
def info() -> dict[str, Any]:
    parsed: dict[str, Any] = decimal_json(SAMPLE.read_bytes())["order_info_get_response"]["order_info"]
    return parsed


def test_the_client_parser_never_makes_floats() -> None:
    parsed = decimal_json(b'{"a": 0.1, "b": [19.99, 1e-2, 3009.0], "c": 7, "d": 1E+1}')
    assert parsed == {"a": "0.1", "b": ["19.99", "0.01", "3009.0"], "c": 7, "d": "1E+1"}


def test_sample_money_and_times(info: dict[str, Any]) -> None:
    order = to_order(info, shop_id=SHOP, raw_ref=None)
    assert (order.goods_amount, order.paid_amount, order.freight_amount, order.discount_amount) == (
        329800,
        300900,
        1000,
        20000,
    )
    assert order.created_at == datetime(2024, 3, 1, 1, 15, 30, tzinfo=UTC)  # 09:15:30 Beijing
    assert order.paid_at == datetime(2024, 3, 1, 1, 16, 2, tzinfo=UTC)
    assert order.updated_at == datetime(2024, 3, 1, 2, 40, 11, tzinfo=UTC)
    assert (order.status, order.channel_status, order.after_sale) == (OrderStatus.PAID, "1/1", AfterSaleStatus.NONE)
    main, gift = order.lines
    assert (main.line_id, main.merchant_sku, main.unit_price, main.paid_amount, main.channel_product_id) == (
        "3000000001",
        "DW-X9-WHT",
        319900,
        299900,
        "300000000",
    )
    assert (gift.is_gift, gift.parent_line_id, gift.quantity, gift.unit_price, gift.paid_amount) == (
        True,
        "3000000001",
        2,
        4950,
        0,
    )


@pytest.mark.parametrize(
    ("prices", "counts", "expected_goods"),
    [
        (["0.1", "0.2"], [1, 1], 30),  # 0.1 + 0.2 is exactly 30 fen, not 30.000000000000004
        (["19.99"], [3], 5997),  # 19.99 x 3
        (["0.01"], [1], 1),  # 1e-2 as the parser renders it
        (["1E+1"], [1], 1000),
        (["1.10", "2.2"], [3, 7], 330 + 1540),
    ],
)
def test_money_edge_cases(info: dict[str, Any], prices: list[str], counts: list[int], expected_goods: int) -> None:
    info["gift_list"] = []
    info["item_list"] = [
        {"sku_id": 10 + i, "goods_id": 1, "outer_id": f"SKU-{i}", "goods_count": count, "goods_price": price}
        for i, (price, count) in enumerate(zip(prices, counts, strict=True))
    ]
    info["pay_amount"], info["postage"] = "0.3", "0"
    order = to_order(info, shop_id=SHOP, raw_ref=None)
    assert order.goods_amount == expected_goods
    assert sum(line.paid_amount for line in order.lines) == 30


def test_a_decimal_from_parse_float_is_accepted(info: dict[str, Any]) -> None:
    from decimal import Decimal

    info["pay_amount"] = Decimal("3009.0")
    assert to_order(info, shop_id=SHOP, raw_ref=None).paid_amount == 300900


@pytest.mark.parametrize("value", [3009.0, 0.1, "19.999", "-1.00", "abc", True])
def test_floats_and_inexact_amounts_are_refused(info: dict[str, Any], value: object) -> None:
    info["pay_amount"] = value
    with pytest.raises(OrderInvalid):
        to_order(info, shop_id=SHOP, raw_ref=None)


def test_allocation_adds_up_to_the_fen() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(299900, [319900]) == [299900]
    assert allocate(10, [0, 0]) == [10, 0]
    shares = allocate(1001, [319900, 9900, 4950])
    assert sum(shares) == 1001 and shares[0] > shares[1] > shares[2]


def test_repeated_sku_lines_get_distinct_ids(info: dict[str, Any]) -> None:
    info["item_list"].append(copy.deepcopy(info["item_list"][0]))
    ids = [line.line_id for line in to_order(info, shop_id=SHOP, raw_ref=None).lines]
    assert ids == ["3000000001", "3000000001#2", "3000000002"]


def test_receiver_keeps_ciphertext_and_drops_anything_else(info: dict[str, Any]) -> None:
    receiver = to_order(info, shop_id=SHOP, raw_ref=None).receiver
    assert receiver.name_cipher == info["receiver_name"] and receiver.phone_masked == "139****4321"
    assert (receiver.province, receiver.city, receiver.district) == ("浙江省", "杭州市", "西湖区")
    assert receiver.match_token == info["open_address_id"] and receiver.decryptable
    info["receiver_name"], info["receiver_phone"] = "欧阳一鸣", "13987654321"  # plaintext must never be kept
    leaked = to_order(info, shop_id=SHOP, raw_ref=None)
    assert leaked.receiver.name_cipher is None and leaked.receiver.phone_cipher is None
    assert not leaked.receiver.decryptable  # a shippable order without ciphertext cannot be labelled
    assert "欧阳一鸣" not in leaked.model_dump_json() and "13987654321" not in leaked.model_dump_json()


def test_order_fields(info: dict[str, Any]) -> None:
    order = to_order(info, shop_id=SHOP, raw_ref=None)
    assert (order.buyer_message, order.seller_memo, order.seller_flag) == ("请周末送货上门", "核对安装地址", "2")
    assert order.merge_key == order.buyer_id == "b3f0c1d2e4a5968778695a4b3c2d1e0f"
    del info["open_address_id"]
    assert to_order(info, shop_id=SHOP, raw_ref=None).buyer_id == "order:240301-452750051"
    info["trade_type"] = 1
    assert to_order(info, shop_id=SHOP, raw_ref=None).is_presale


def test_times_as_unix_seconds_are_read_too(info: dict[str, Any]) -> None:
    info["created_time"] = "1709255730"
    assert to_order(info, shop_id=SHOP, raw_ref=None).created_at == datetime(2024, 3, 1, 1, 15, 30, tzinfo=UTC)
    info["created_time"] = "2024/03/01 09:15:30"
    with pytest.raises(OrderInvalid):
        to_order(info, shop_id=SHOP, raw_ref=None)


def test_refund_after_payment_is_a_newer_closed_version(info: dict[str, Any]) -> None:
    paid = to_order(info, shop_id=SHOP, raw_ref=None)
    info["refund_status"] = 2
    requested = to_order(info, shop_id=SHOP, raw_ref=None)  # same second: the refund progress breaks the tie
    info["refund_status"], info["updated_at"] = 4, "2024-03-01 10:41:00"
    refunded = to_order(info, shop_id=SHOP, raw_ref=None)
    assert paid.version < requested.version < refunded.version
    assert (refunded.status, refunded.after_sale) == (OrderStatus.CLOSED, AfterSaleStatus.REFUNDED)


@pytest.mark.parametrize(
    ("key", "value"),
    [("item_list", []), ("order_sn", "a:b"), ("created_time", None), ("refund_status", 7), ("pay_amount", None)],
)
def test_bad_fields_are_refused(info: dict[str, Any], key: str, value: object) -> None:
    info[key] = value
    with pytest.raises(OrderInvalid):
        to_order(info, shop_id=SHOP, raw_ref=None)


def test_item_without_merchant_code_is_refused(info: dict[str, Any]) -> None:
    info["item_list"][0]["outer_id"] = ""
    info["item_list"][0]["outer_goods_id"] = ""
    with pytest.raises(OrderInvalid):
        to_order(info, shop_id=SHOP, raw_ref=None)
