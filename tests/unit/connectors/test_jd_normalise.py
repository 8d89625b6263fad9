"""JD POP and DPS normalisation: money in fen without float error, times, PII, lines, drop-ship facts."""

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.jd.allocation import allocate
from connectors.jd.conformance import _sample_order as pop_sample
from connectors.jd.normalise import normalise_order as normalise_pop
from connectors.jd_dps.conformance import _sample_order as dps_sample
from connectors.jd_dps.normalise import normalise_order as normalise_dps
from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, FulfilmentMode, OrderStatus


def pop(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(dict(pop_sample()))
    raw.update(changes)
    return raw


def dps(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(dict(dps_sample()))
    raw.update(changes)
    return raw


def test_pop_sample_money_and_times() -> None:
    order = normalise_pop(pop(), shop_id="10086001", raw_ref=None)
    assert (order.goods_amount, order.paid_amount, order.freight_amount) == (329800, 300990, 1000)
    assert order.discount_amount == 329800 + 1000 - 300990
    assert sum(line.paid_amount for line in order.lines) == 300990 - 1000
    assert order.created_at == datetime(2024, 6, 17, 16, 5, 12, tzinfo=UTC)
    assert order.paid_at == datetime(2024, 6, 17, 16, 6, 40, tzinfo=UTC)
    assert order.status is OrderStatus.PAID and not order.is_cod
    assert order.invoice_requested and order.buyer_message == "请工作日送货"
    assert order.coupon_ids == ["39-京豆优惠", "41-京东券优惠"]
    assert [line.merchant_sku for line in order.lines] == ["DW-X9", "TAB-30"]


def test_pop_receiver_keeps_ciphertext_and_masks_only() -> None:
    order = normalise_pop(pop(), shop_id="10086001", raw_ref=None)
    receiver = order.receiver
    assert receiver.name_cipher and receiver.phone_cipher and receiver.address_cipher
    assert receiver.phone_masked == "139****4321"
    assert receiver.address_masked == "浙江省杭州市西湖区西溪街道****"
    plain = pop(consigneeInfo={"fullname": "欧阳一鸣", "mobile": "13987654321", "fullAddress": "文三路398号"})
    exposed = normalise_pop(plain, shop_id="10086001", raw_ref=None).model_dump_json()
    for secret in ("欧阳一鸣", "13987654321", "文三路398号"):
        assert secret not in exposed


@pytest.mark.parametrize(
    ("price", "quantity", "expected"),
    [("0.10", "3", 30), ("19.99", "3", 5997), ("0.30", "1", 30), ("1999.99", "7", 1399993)],
)
def test_pop_prices_are_exact(price: str, quantity: str, expected: int) -> None:
    item = {"skuId": "1", "outerSkuId": "X", "skuName": "x", "jdPrice": price, "itemTotal": quantity}
    raw = pop(itemInfoList=[item], orderPayment="0.30", balanceUsed="0.00", freightPrice="0.00")
    order = normalise_pop(raw, shop_id="10086001", raw_ref=None)
    assert order.goods_amount == expected
    assert order.paid_amount == 30  # "0.30" is 30 fen, never 0.1 + 0.2 = 30.000000000000004


def test_pop_cod_order_without_payment_time() -> None:
    raw = pop(payType="1-货到付款", orderState="TRADE_CANCELED")
    raw.pop("paymentConfirmTime")
    order = normalise_pop(raw, shop_id="10086001", raw_ref=None)
    assert order.is_cod and order.paid_at is None
    assert order.after_sale is AfterSaleStatus.NONE  # nothing was paid, nothing to refund


def test_pop_repeated_sku_gets_distinct_line_ids() -> None:
    item = {"skuId": "7", "outerSkuId": "X", "jdPrice": "1.00", "itemTotal": "1"}
    order = normalise_pop(pop(itemInfoList=[item, dict(item)]), shop_id="10086001", raw_ref=None)
    assert [line.line_id for line in order.lines] == ["7", "7#2"]


@pytest.mark.parametrize(
    "change",
    [
        {"itemInfoList": [{"skuId": "1", "jdPrice": "1.00", "itemTotal": "1"}]},  # no outerSkuId
        {"orderPayment": "12.345"},
        {"modified": "2024/06/18 00:06:41"},
        {"open_id_buyer": None},
        {"orderId": ""},
    ],
)
def test_pop_bad_input_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(OrderInvalid):
        normalise_pop(pop(**change), shop_id="10086001", raw_ref=None)


def test_pop_newer_modified_gives_a_higher_version() -> None:
    older = normalise_pop(pop(), shop_id="10086001", raw_ref=None)
    newer = normalise_pop(pop(modified="2024-06-18 00:06:42"), shop_id="10086001", raw_ref=None)
    assert newer.version > older.version


def test_allocation_adds_up_and_spares_zero_lines() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(299990, [319900, 9900, 0]) == [290985, 9005, 0]  # 290984.84 + 9005.16: the .84 gets the fen
    assert sum(allocate(1, [3, 3, 3])) == 1
    with pytest.raises(ValueError):
        allocate(-1, [1])


def test_dps_is_a_drop_ship_for_jd_self_operated() -> None:
    order = normalise_dps(dps(), shop_id="VC20001", raw_ref=None)
    assert order.fulfilment_mode is FulfilmentMode.DROP_SHIP
    assert order.distributor is not None
    assert order.distributor.name == "京东自营"
    assert order.distributor.purchase_order_id == "88000451"
    assert order.distributor.source_order_id == "310000000451"
    assert order.distributor.settlement_amount == 249520 + 2 * 3960
    assert (order.goods_amount, order.paid_amount, order.discount_amount) == (321800, 301890, 19910)
    assert order.updated_at == datetime(2024, 11, 10, 16, 0, 30, tzinfo=UTC)
    assert order.merge_key == order.receiver.match_token == "c0b1d2e3f4a5968778695a4b3c2d1e0f"
    assert [line.merchant_sku for line in order.lines] == ["6901234567892", "6901234567908"]
    assert [line.channel_sku_id for line in order.lines] == ["100088000001", "100088000002"]


def test_dps_json_numbers_and_millisecond_dates() -> None:
    # JOS sends BigDecimal as JSON numbers; the client keeps their text (parse_float=str).
    raw = dps(pay="3018.9", totalCarriage="0", orderCreateDate=1731254407000)
    order = normalise_dps(raw, shop_id="VC20001", raw_ref=None)
    assert order.paid_amount == 301890
    assert order.created_at == datetime(2024, 11, 10, 16, 0, 7, tzinfo=UTC)


def test_dps_without_cost_has_no_settlement_and_without_upc_is_refused() -> None:
    details = copy.deepcopy(dps()["orderDetailList"])
    details[0]["cost"] = None
    assert normalise_dps(dps(orderDetailList=details), shop_id="V", raw_ref=None).distributor.settlement_amount is None  # type: ignore[union-attr]
    details[0]["upc"] = ""
    with pytest.raises(OrderInvalid):
        normalise_dps(dps(orderDetailList=details), shop_id="V", raw_ref=None)


def test_dps_single_line_legacy_shape() -> None:
    raw = dps(
        orderDetailList=[],
        sku="100088000009",
        upc="6900000000009",
        commodityName="滤芯",
        commodityNum=2,
        jdPrice="99.00",
        cost="70.00",
        pay="198.00",
    )
    order = normalise_dps(raw, shop_id="V", raw_ref=None)
    assert len(order.lines) == 1 and order.lines[0].quantity == 2 and order.goods_amount == 19800
    assert order.distributor is not None and order.distributor.settlement_amount == 14000
