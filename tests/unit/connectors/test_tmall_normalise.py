"""A fullinfo trade becomes the canonical order: exact fen, UTC times, protected receiver, merchant SKUs."""

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.sdk.errors import OrderInvalid
from connectors.tmall.normalise import normalise_trade
from schemas.order import AfterSaleStatus, OrderStatus, RawPayloadRef, make_version

EVENTS = Path(__file__).resolve().parents[3] / "events" / "tmall"
SHOP = "2200000001"
REF = RawPayloadRef(bucket="raw", key="tmall/order/2024/03/01/x.json", sha256="0" * 64)


@pytest.fixture
def trade() -> dict[str, Any]:
    body = json.loads((EVENTS / "trade_fullinfo_get_response.json").read_text(encoding="utf-8"))
    return copy.deepcopy(body["trade_fullinfo_get_response"]["trade"])


def test_the_sample_trade_is_normalised(trade: dict[str, Any]) -> None:
    # Given the sample fullinfo trade
    # When normalised
    order = normalise_trade(trade, shop_id=SHOP, raw_ref=REF)

    # Then ids are the string forms, exact beyond 2^53
    assert order.channel == "tmall" and order.shop_id == SHOP
    assert order.channel_order_id == "3905134567890123456"
    assert [line.line_id for line in order.lines] == ["3905134567890123457", "3905134567890123458"]
    assert order.order_key == f"tmall:{SHOP}:3905134567890123456"
    # And money is exact integer fen
    assert order.paid_amount == 20007  # "200.07"
    assert order.goods_amount == 12005 + 2 * 4501
    assert order.freight_amount == 0
    assert order.discount_amount == 21007 - 20007
    assert order.goods_amount + order.freight_amount - order.discount_amount == order.paid_amount
    # And times are GMT+8 converted to aware UTC
    assert order.created_at == datetime(2024, 3, 1, 1, 15, 30, tzinfo=UTC)
    assert order.paid_at == datetime(2024, 3, 1, 1, 16, 2, tzinfo=UTC)
    assert order.updated_at == datetime(2024, 3, 1, 1, 16, 5, tzinfo=UTC)
    # And the status, version and flags
    assert order.status is OrderStatus.PAID and order.channel_status == "WAIT_SELLER_SEND_GOODS"
    assert order.version == make_version(order.updated_at, OrderStatus.PAID)
    assert order.after_sale is AfterSaleStatus.NONE
    assert order.buyer_id == "AAGq7x5kAOPJ4oLwFdLiRZ4F"
    assert order.invoice_requested and not order.is_cod and not order.is_presale
    assert order.buyer_message == "请尽快发货，谢谢" and order.seller_memo == "VIP 客户"
    assert order.raw_ref == REF


def test_lines_use_the_merchant_sku_and_the_allocated_payment(trade: dict[str, Any]) -> None:
    # Given the sample: line 1 has outer_sku_id and divide_order_fee, line 2 only outer_iid and payment
    order = normalise_trade(trade, shop_id=SHOP, raw_ref=None)
    first, second = order.lines

    # Then line 1 uses the SKU merchant code and the allocated paid amount
    assert (first.merchant_sku, first.unit_price, first.quantity, first.paid_amount) == ("AP-HEPA-W", 12005, 1, 11005)
    assert first.channel_sku_id == "5012345678901" and first.channel_product_id == "672345678901"
    # And line 2 falls back to the item's merchant code and the line payment
    assert (second.merchant_sku, second.unit_price, second.quantity, second.paid_amount) == (
        "FILTER-PM25",
        4501,
        2,
        9002,
    )
    assert second.channel_sku_id is None


def test_masked_receiver_is_kept_masked_with_the_region_and_the_oaid(trade: dict[str, Any]) -> None:
    receiver = normalise_trade(trade, shop_id=SHOP, raw_ref=None).receiver
    assert receiver.name_masked == "张*" and receiver.name_cipher is None
    assert receiver.phone_masked == "*******5678"
    assert receiver.address_masked == "浙江省杭州市西湖区西溪街道****"
    assert (receiver.province, receiver.city, receiver.district, receiver.town) == (
        "浙江省",
        "杭州市",
        "西湖区",
        "西溪街道",
    )
    assert receiver.match_token == trade["oaid"]


def test_ciphertext_receiver_is_kept_as_ciphertext(trade: dict[str, Any]) -> None:
    # Given a trade whose receiver fields are TOP ciphertext
    trade.update(receiver_name="~AgAAAAFbQ1nL~1~", receiver_mobile="~AgAAAAF2ZsI5~2~", receiver_address="~AgAAAAHhQ~3~")
    receiver = normalise_trade(trade, shop_id=SHOP, raw_ref=None).receiver
    assert receiver.name_cipher == "~AgAAAAFbQ1nL~1~" and receiver.name_masked is None
    assert receiver.phone_cipher == "~AgAAAAF2ZsI5~2~"
    assert receiver.address_cipher == "~AgAAAAHhQ~3~"


def test_plaintext_receiver_is_never_stored_in_clear(trade: dict[str, Any]) -> None:
    # Given a (legacy) trade with receiver plaintext
    trade.update(receiver_name="张三丰", receiver_mobile="13812345678", receiver_address="西溪路 1 号")
    order = normalise_trade(trade, shop_id=SHOP, raw_ref=None)
    dumped = order.model_dump_json()
    # Then only masks computed by the hub are kept
    assert "张三丰" not in dumped and "13812345678" not in dumped and "西溪路" not in dumped
    assert order.receiver.name_masked == "张**" and order.receiver.phone_masked == "*******5678"


def test_simplified_orders_list_and_numeric_ids_are_accepted(trade: dict[str, Any]) -> None:
    # Given the simplify=true form: a bare list, and no *_str fields
    trade["orders"] = trade["orders"]["order"]
    for sub in trade["orders"]:
        sub.pop("oid_str")
    trade.pop("tid_str")
    order = normalise_trade(trade, shop_id=SHOP, raw_ref=None)
    assert order.channel_order_id == "3905134567890123456" and len(order.lines) == 2


def test_presale_cod_and_refund_states(trade: dict[str, Any]) -> None:
    # Given a presale (step) trade with one line refunded and one with a refund requested
    trade.update(type="step", step_trade_status="FRONT_PAID_FINAL_PAID")
    trade["orders"]["order"][0]["refund_status"] = "SUCCESS"
    trade["orders"]["order"][1]["refund_status"] = "WAIT_SELLER_AGREE"
    order = normalise_trade(trade, shop_id=SHOP, raw_ref=None)
    assert order.is_presale and not order.is_cod
    assert [line.after_sale for line in order.lines] == [AfterSaleStatus.REFUNDED, AfterSaleStatus.REQUESTED]
    assert order.after_sale is AfterSaleStatus.REQUESTED

    trade.update(type="cod", step_trade_status="", status="TRADE_BUYER_SIGNED")
    order = normalise_trade(trade, shop_id=SHOP, raw_ref=None)
    assert order.is_cod and not order.is_presale and order.status is OrderStatus.SHIPPED


def test_without_invoice_or_notes(trade: dict[str, Any]) -> None:
    for key in ("invoice_name", "invoice_kind", "invoice_type", "buyer_message", "seller_memo", "pay_time"):
        trade.pop(key)
    order = normalise_trade(trade, shop_id=SHOP, raw_ref=None)
    assert not order.invoice_requested and order.buyer_message is None and order.paid_at is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda t: t.update(status="SOMETHING_NEW"), "unknown Taobao trade status"),
        (lambda t: t.pop("buyer_open_uid"), "no buyer_open_uid"),
        (lambda t: t.update(payment="200.075"), "not a yuan amount"),
        (lambda t: t.update(modified="2024/03/01 09:16"), "not yyyy-MM-dd"),
        (lambda t: t.update(orders={"order": []}), "no sub-orders"),
        (
            lambda t: [s.pop(k, None) for s in t["orders"]["order"] for k in ("outer_sku_id", "outer_iid")],
            "merchant SKU",
        ),
    ],
)
def test_untrustworthy_trades_are_refused(trade: dict[str, Any], change: Any, reason: str) -> None:
    # Given a trade with one defect
    change(trade)
    # When normalised, Then it is refused as invalid, saying why
    with pytest.raises(OrderInvalid, match=reason):
        normalise_trade(trade, shop_id=SHOP, raw_ref=None)


def test_a_model_violation_is_raised_as_validation_error(trade: dict[str, Any]) -> None:
    # Given a line with quantity 0 (the canonical model requires > 0)
    trade["orders"]["order"][0]["num"] = 0
    with pytest.raises(ValidationError):
        normalise_trade(trade, shop_id=SHOP, raw_ref=None)
