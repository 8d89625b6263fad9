"""WeChat 小店 normalisation: money in fen, times, masked receiver, after-sale cases, refusals."""

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.sdk.errors import OrderInvalid
from connectors.wechat_shop.conformance import sample_order
from connectors.wechat_shop.normalise import to_order
from schemas.order import AfterSaleStatus, OrderStatus

SHOP = "gh_3f1a2b4c5d6e"
EVENTS = Path(__file__).parents[3] / "events" / "wechat_shop"


def _raw() -> dict[str, Any]:
    return copy.deepcopy(dict(sample_order()))


def test_money_is_fen_and_19_99_times_3_is_exact() -> None:
    order = to_order(_raw(), shop_id=SHOP, raw_ref=None)
    tablets = next(line for line in order.lines if line.merchant_sku == "TAB-30")
    assert (tablets.unit_price, tablets.quantity, tablets.paid_amount) == (1999, 3, 5997)
    assert order.goods_amount == 319900 + 3 * 1999
    assert (order.paid_amount, order.freight_amount, order.discount_amount) == (307097, 1200, 20000)


def test_times_are_aware_utc_from_unix_seconds() -> None:
    order = to_order(_raw(), shop_id=SHOP, raw_ref=None)
    assert order.created_at == datetime(2024, 1, 1, 3, 50, tzinfo=UTC)
    assert order.paid_at == datetime(2024, 1, 1, 3, 51, 5, tzinfo=UTC)


def test_receiver_is_masked_only_and_notes_and_coupon_are_kept() -> None:
    order = to_order(_raw(), shop_id=SHOP, raw_ref=None)
    assert order.receiver.phone_masked == "139****4321" and order.receiver.name_masked == "欧**"
    assert order.receiver.phone_cipher is None and order.receiver.district == "西湖区"
    assert order.buyer_message == "工作日送货，到了先打电话" and order.seller_memo == "VIP 老客户"
    assert order.coupon_ids == ["5000000123456789"]


def test_a_receiver_that_arrives_unmasked_is_dropped_not_stored() -> None:
    raw = _raw()
    raw["order"]["order_detail"]["delivery_info"]["address_info"]["tel_number"] = "13987654321"
    order = to_order(raw, shop_id=SHOP, raw_ref=None)
    assert order.receiver.phone_masked is None
    assert "13987654321" not in order.model_dump_json()


def test_an_after_sale_case_marks_its_line_and_raises_the_version() -> None:
    before = to_order(_raw(), shop_id=SHOP, raw_ref=None)
    raw = _raw()
    case = json.loads((EVENTS / "aftersale_get_response.json").read_text(encoding="utf-8"))["after_sale_order"]
    raw["aftersale_orders"] = [case]
    after = to_order(raw, shop_id=SHOP, raw_ref=None)
    tablets = next(line for line in after.lines if line.channel_sku_id == "2069165417")
    assert tablets.after_sale is AfterSaleStatus.REQUESTED and after.after_sale is AfterSaleStatus.REQUESTED
    assert after.version > before.version
    case["status"] = "MERCHANT_REFUND_SUCCESS"
    refunded = to_order(raw, shop_id=SHOP, raw_ref=None)
    assert refunded.after_sale is AfterSaleStatus.REFUNDED and refunded.version > after.version


def test_unknown_after_sale_status_is_refused() -> None:
    raw = _raw()
    raw["aftersale_orders"] = [{"status": "SOMETHING_NEW", "update_time": 1704090000, "product_info": {}}]
    with pytest.raises(OrderInvalid):
        to_order(raw, shop_id=SHOP, raw_ref=None)


@pytest.mark.parametrize(
    ("status", "expected"),
    [(12, OrderStatus.PAID_FORBID_SHIPMENT), (190, OrderStatus.CLOSED), (250, OrderStatus.CANCELLED)],
)
def test_platform_specific_statuses(status: int, expected: OrderStatus) -> None:
    raw = _raw()
    raw["order"]["status"] = status
    assert to_order(raw, shop_id=SHOP, raw_ref=None).status is expected


def test_float_money_and_missing_merchant_code_are_refused() -> None:
    raw = _raw()
    raw["order"]["order_detail"]["price_info"]["order_price"] = 3070.97
    with pytest.raises(OrderInvalid):
        to_order(raw, shop_id=SHOP, raw_ref=None)
    raw = _raw()
    del raw["order"]["order_detail"]["product_infos"][0]["out_sku_id"]
    with pytest.raises(OrderInvalid):
        to_order(raw, shop_id=SHOP, raw_ref=None)


def test_a_repeated_sku_gets_distinct_line_ids() -> None:
    raw = _raw()
    products = raw["order"]["order_detail"]["product_infos"]
    products.append(copy.deepcopy(products[0]))
    order = to_order(raw, shop_id=SHOP, raw_ref=None)
    assert [line.line_id for line in order.lines] == ["2069165392", "2069165417", "2069165392-2"]
