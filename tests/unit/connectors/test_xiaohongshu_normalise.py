"""Xiaohongshu getOrderDetail → canonical Order: money in fen, ms times, lines, PII and the version."""

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.sdk.errors import OrderInvalid
from connectors.xiaohongshu.normalise import to_order
from schemas.order import AfterSaleStatus, OrderStatus

SAMPLE = Path(__file__).parents[3] / "events" / "xiaohongshu" / "order_detail_response.json"
SHOP = "60a1b2c3d4e5f60718293a4b"


@pytest.fixture
def detail() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))["data"]
    return data


def test_sample_money_times_and_lines(detail: dict[str, Any]) -> None:
    order = to_order(detail, shop_id=SHOP, raw_ref=None)
    assert (order.goods_amount, order.paid_amount, order.freight_amount) == (329800, 300900, 1000)
    assert order.discount_amount == 24900 + 5000
    assert order.created_at == datetime(2024, 3, 1, 1, 15, 30, tzinfo=UTC)
    assert order.paid_at == datetime(2024, 3, 1, 1, 16, 2, tzinfo=UTC)
    assert order.updated_at == datetime(2024, 3, 1, 2, 40, 11, 250000, tzinfo=UTC)
    assert order.status is OrderStatus.PAID and order.channel_status == "4"
    dishwasher, tablets = order.lines
    assert (dishwasher.line_id, dishwasher.merchant_sku, dishwasher.unit_price, dishwasher.paid_amount) == (
        "66ee733f265f590001ee873d",
        "DW-X9-WHT",
        319900,
        299900,
    )
    assert dishwasher.channel_product_id == "66ee733f265f590001ee8700" and not dishwasher.is_gift
    assert (tablets.quantity, tablets.unit_price, tablets.paid_amount, tablets.is_gift) == (2, 4950, 0, True)


def test_seller_fields_merge_key_and_receiver_region(detail: dict[str, Any]) -> None:
    order = to_order(detail, shop_id=SHOP, raw_ref=None)
    assert (order.buyer_message, order.seller_memo, order.seller_flag) == ("请周末送货上门", "核对安装地址", "2")
    assert order.merge_key == "8c1f0e5b2a7d4c39a6e1f2b3c4d5e6f7" == order.receiver.match_token
    assert (order.receiver.province, order.receiver.city, order.receiver.district) == ("浙江省", "杭州市", "西湖区")
    assert order.receiver.name_cipher is None and order.receiver.phone_cipher is None
    assert order.buyer_id == "5e8f1a2b3c4d5e6f70819203"


def test_flag_zero_means_no_flag(detail: dict[str, Any]) -> None:
    detail["sellerRemarkFlag"] = 0
    assert to_order(detail, shop_id=SHOP, raw_ref=None).seller_flag is None


def test_a_newer_update_has_a_higher_version(detail: dict[str, Any]) -> None:
    first = to_order(detail, shop_id=SHOP, raw_ref=None)
    later = copy.deepcopy(detail)
    later["updateTime"] += 1
    assert to_order(later, shop_id=SHOP, raw_ref=None).version > first.version
    same_ms_refund = copy.deepcopy(detail)
    same_ms_refund["orderAfterSalesStatus"] = 2
    assert to_order(same_ms_refund, shop_id=SHOP, raw_ref=None).version > first.version


def test_pending_cancellation_reads_as_requested(detail: dict[str, Any]) -> None:
    detail["cancelStatus"] = 1
    assert to_order(detail, shop_id=SHOP, raw_ref=None).after_sale is AfterSaleStatus.REQUESTED


def test_presale_order_types(detail: dict[str, Any]) -> None:
    for order_type, presale in ((1, False), (2, True), (4, True), (5, False)):
        detail["orderType"] = order_type
        assert to_order(detail, shop_id=SHOP, raw_ref=None).is_presale is presale


def test_combo_is_expanded_into_its_children(detail: dict[str, Any]) -> None:
    combo = detail["skuList"][0]
    combo["erpcode"] = ""
    combo["skuDetailList"] = [
        {"skuId": "c1", "erpCode": "DW-X9-BODY", "quantity": 1, "rawPricePerSku": 300000, "paidAmountPerSku": 280000},
        {"skuId": "c2", "erpCode": "DW-X9-KIT", "quantity": 2, "pricePerSku": 9950, "paidAmountPerSku": 9950},
    ]
    order = to_order(detail, shop_id=SHOP, raw_ref=None)
    ids = [(line.line_id, line.merchant_sku, line.quantity, line.unit_price, line.paid_amount) for line in order.lines]
    assert ids[:2] == [
        ("66ee733f265f590001ee873d/c1", "DW-X9-BODY", 1, 300000, 280000),
        ("66ee733f265f590001ee873d/c2", "DW-X9-KIT", 2, 9950, 19900),
    ]


def test_unit_price_falls_back_to_paid_plus_discounts(detail: dict[str, Any]) -> None:
    line = detail["skuList"][0]
    line["skuDetailList"] = []
    line["skuQuantity"] = 2
    line["totalPaidAmount"], line["totalMerchantDiscount"], line["totalRedDiscount"] = 599800, 30000, 10000
    assert to_order(detail, shop_id=SHOP, raw_ref=None).lines[0].unit_price == 319900
    line["totalRedDiscount"] = 10001  # 639801 / 2 is not whole fen
    with pytest.raises(OrderInvalid):
        to_order(detail, shop_id=SHOP, raw_ref=None)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("totalPayAmount",), 3009.0),  # fen must be integers, never floats
        (("totalPayAmount",), "300900"),
        (("totalShippingFree",), -1),
        (("createdTime",), "1709255730000"),
        (("skuList", 0, "erpcode"), None),
        (("skuList", 0, "skuQuantity"), 0),
        (("userId",), ""),
        (("skuList",), []),
        (("orderAfterSalesStatus",), 9),
    ],
)
def test_bad_fields_are_refused(detail: dict[str, Any], path: tuple[Any, ...], value: object) -> None:
    target: Any = detail
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    if path == ("skuList", 0, "erpcode"):
        target["skuDetailList"] = [{"skuId": "x"}]  # and no child codes either
    with pytest.raises(OrderInvalid):
        to_order(detail, shop_id=SHOP, raw_ref=None)
