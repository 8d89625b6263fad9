"""Kuaishou order → canonical Order: fen integers, millisecond times, receiver ciphertext, refunds, versions."""

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.kuaishou.normalise import from_millis, to_order
from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, OrderStatus

SHOP = "2161524184"
SAMPLE = Path(__file__).parents[3] / "events" / "kuaishou" / "order_detail_response.json"


def sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))["data"]
    return data


def changed(**base: Any) -> dict[str, Any]:
    raw = sample()
    raw["orderBaseInfo"].update(base)
    return raw


def test_sample_money_times_and_fields() -> None:
    order = to_order(sample(), shop_id=SHOP, raw_ref=None)
    (line,) = order.lines
    assert (line.unit_price, line.quantity, line.paid_amount) == (2599, 3, 5697)  # 19.99 × 3 − 3.00
    amounts = (order.goods_amount, order.discount_amount, order.freight_amount, order.paid_amount)
    assert amounts == (7797, 300, 800, 6497)
    assert (line.merchant_sku, line.channel_sku_id, line.channel_product_id) == ("TAB-30", "3000000001", "300000000")
    assert order.created_at == datetime(2026, 3, 17, 12, 35, 42, 425000, tzinfo=UTC)
    assert order.created_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M:%S.%f") == "20:35:42.425000"
    assert order.paid_at == datetime(2026, 3, 17, 12, 35, 50, 112000, tzinfo=UTC)
    assert (order.status, order.channel_status, order.after_sale) == (OrderStatus.PAID, "30", AfterSaleStatus.NONE)
    assert (order.buyer_message, order.seller_memo, order.seller_flag) == ("周末送货", "赠品已备", "RED")
    assert order.buyer_id == "f1b68e8f2a4995ed14bf57245903fd9a"


def test_millisecond_times_are_exact() -> None:
    # Float division would give .424999 for some values; integer arithmetic never does.
    for millis in (1773750942425, 1700000000001, 1700000000999, 1):
        moment = from_millis(millis)
        assert (moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000 == pytest.approx(millis, abs=0)
        assert moment.microsecond == (millis % 1000) * 1000


def test_receiver_keeps_ciphertext_and_masks_never_plaintext() -> None:
    raw = sample()
    raw["orderAddress"].update(consignee="欧阳一鸣", mobile="13987654321", address="文三路398号")
    order = to_order(raw, shop_id=SHOP, raw_ref=None)
    dumped = order.model_dump_json()
    for plaintext in ("欧阳一鸣", "13987654321", "文三路398号"):
        assert plaintext not in dumped
    receiver = order.receiver
    assert receiver.phone_cipher == "##cGhvbmVDaXBoZXJUZXh0QmxvYjAwMQ==##" and receiver.phone_masked == "139****4321"
    assert (receiver.province, receiver.city, receiver.district) == ("浙江省", "杭州市", "西湖区")


@pytest.mark.parametrize("bad", [64.97, "64.97", -1, True, None])
def test_money_that_is_not_integer_fen_is_refused(bad: object) -> None:
    with pytest.raises(OrderInvalid):
        to_order(changed(totalFee=bad), shop_id=SHOP, raw_ref=None)


def test_fen_sums_stay_exact_where_floats_would_not() -> None:
    raw = sample()
    raw["orderItemInfo"] = [
        {**raw["orderItemInfo"], "orderItemId": 11, "price": 10, "originalPrice": 10, "num": 1, "discountFee": 0},
        {**raw["orderItemInfo"], "orderItemId": 12, "price": 20, "originalPrice": 20, "num": 1, "discountFee": 0},
    ]
    order = to_order(raw, shop_id=SHOP, raw_ref=None)
    assert order.goods_amount == 30  # 0.10 + 0.20 yuan is exactly 30 fen (0.1 + 0.2 != 0.3 in floats)
    assert [line.line_id for line in order.lines] == ["11", "12"]


def test_merchant_sku_falls_back_to_goods_code_and_is_required() -> None:
    raw = sample()
    raw["orderItemInfo"]["skuNick"] = ""
    assert to_order(raw, shop_id=SHOP, raw_ref=None).lines[0].merchant_sku == "TAB-30"
    raw["orderItemInfo"]["goodsCode"] = ""
    with pytest.raises(OrderInvalid):
        to_order(raw, shop_id=SHOP, raw_ref=None)


def test_a_discount_beyond_the_price_is_refused() -> None:
    raw = sample()
    raw["orderItemInfo"]["discountFee"] = 1999 * 3 + 1
    with pytest.raises(OrderInvalid):
        to_order(raw, shop_id=SHOP, raw_ref=None)


def test_risk_held_paid_order_may_not_ship() -> None:
    assert to_order(changed(riskCode=3), shop_id=SHOP, raw_ref=None).status is OrderStatus.PAID_FORBID_SHIPMENT
    assert to_order(changed(status=40, riskCode=3), shop_id=SHOP, raw_ref=None).status is OrderStatus.SHIPPED


def test_presale_flag() -> None:
    assert to_order(changed(preSale=1), shop_id=SHOP, raw_ref=None).is_presale
    assert not to_order(sample(), shop_id=SHOP, raw_ref=None).is_presale


def test_a_refund_step_is_a_newer_version_even_without_a_new_order_update_time() -> None:
    before = to_order(sample(), shop_id=SHOP, raw_ref=None)
    raw = sample()
    refund = {"refundId": 9, "status": 10, "handlingWay": 10, "updateTime": 1773750951000}
    raw["orderRefundList"] = [refund]
    requested = to_order(raw, shop_id=SHOP, raw_ref=None)
    assert requested.after_sale is requested.lines[0].after_sale is AfterSaleStatus.REQUESTED
    assert requested.version > before.version  # same millisecond: the refund's progress breaks the tie
    raw2 = copy.deepcopy(raw)
    raw2["orderRefundList"][0].update(status=60, updateTime=1773751000000)
    raw2["orderBaseInfo"]["status"] = 80
    refunded = to_order(raw2, shop_id=SHOP, raw_ref=None)
    assert (refunded.status, refunded.after_sale) == (OrderStatus.CANCELLED, AfterSaleStatus.REFUNDED)
    assert refunded.updated_at == from_millis(1773751000000) and refunded.version > requested.version


def test_a_refund_naming_a_sku_applies_to_that_line_only() -> None:
    raw = sample()
    item = raw["orderItemInfo"]
    raw["orderItemInfo"] = [item, {**item, "orderItemId": 99, "skuId": 3000000002, "skuNick": "TAB-60"}]
    raw["orderRefundList"] = [{"refundId": 9, "status": 30, "skuId": 3000000002, "updateTime": 1773750952000}]
    order = to_order(raw, shop_id=SHOP, raw_ref=None)
    assert [line.after_sale for line in order.lines] == [AfterSaleStatus.NONE, AfterSaleStatus.IN_PROGRESS]
    assert order.after_sale is AfterSaleStatus.IN_PROGRESS


@pytest.mark.parametrize(
    "breakage",
    [
        lambda raw: raw.pop("orderBaseInfo"),
        lambda raw: raw.pop("orderItemInfo"),
        lambda raw: raw["orderBaseInfo"].pop("updateTime"),
        lambda raw: raw["orderBaseInfo"].update(buyerOpenId=""),
        lambda raw: raw.update(orderRefundList={"status": 10}),
        lambda raw: raw.update(orderRefundList=[{"status": 99}]),
        lambda raw: raw["orderItemInfo"].update(num=1.5),
    ],
)
def test_malformed_orders_are_refused(breakage: Any) -> None:
    raw = sample()
    breakage(raw)
    with pytest.raises(OrderInvalid):
        to_order(raw, shop_id=SHOP, raw_ref=None)
