"""Normalisation of a Douyin `shop_order_detail` (the sample in events/douyin) into the canonical order."""

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.douyin.normalise import search_index, to_order
from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, OrderStatus, RawPayloadRef, make_version

SAMPLE = Path(__file__).parents[3] / "events" / "douyin" / "order_detail_response.json"
SHOP = "123456"


def sample_detail() -> dict[str, Any]:
    detail: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))["data"]["shop_order_detail"]
    return detail


def test_the_sample_order_normalises_with_fen_amounts_and_aware_utc_times() -> None:
    # Given the sample orderDetail / When normalised
    ref = RawPayloadRef(bucket="raw", key="douyin/order/x.json", sha256="0" * 64)
    order = to_order(sample_detail(), shop_id=SHOP, raw_ref=ref)
    # Then identity, status and money (integer fen) come through unchanged
    assert (order.channel, order.shop_id, order.channel_order_id) == ("douyin", SHOP, "4900000000000000001")
    assert order.order_key == "douyin:123456:4900000000000000001"
    assert order.status is OrderStatus.PAID and order.channel_status == "2"
    assert (order.goods_amount, order.discount_amount, order.freight_amount, order.paid_amount) == (
        329800,
        29900,
        0,
        299900,
    )
    assert all(isinstance(v, int) for v in (order.goods_amount, order.paid_amount))
    # And unix seconds become aware UTC datetimes (11:50 Beijing = 03:50 UTC)
    assert order.created_at == datetime(2024, 1, 1, 3, 50, tzinfo=UTC)
    assert order.paid_at == datetime(2024, 1, 1, 4, 0, tzinfo=UTC)
    assert order.updated_at == datetime(2024, 1, 1, 4, 0, 5, tzinfo=UTC)
    assert order.updated_at.tzinfo is not None
    assert order.version == make_version(order.updated_at, OrderStatus.PAID)
    assert order.buyer_id == "1@#c2ltLWJ1eWVyLW9wZW4taWQtMDAwMQ=="
    assert order.buyer_message == "请工作日送货" and order.seller_memo is None
    assert order.raw_ref == ref
    assert (order.is_cod, order.is_presale, order.invoice_requested) == (False, False, False)


def test_lines_use_the_merchant_code_with_out_sku_id_fallback_and_mark_gifts() -> None:
    order = to_order(sample_detail(), shop_id=SHOP, raw_ref=None)
    main, gift = order.lines
    # Then the first line's 商家编码 is the SKU; the gift has no code and falls back to out_sku_id
    assert (main.line_id, main.merchant_sku, main.quantity, main.unit_price, main.paid_amount) == (
        "4900000000000000001",
        "DW-X9-13",
        1,
        319900,
        299900,
    )
    assert main.channel_sku_id == "1700000000001" and main.channel_product_id == "3600000000000012345"
    assert not main.is_gift
    assert (gift.merchant_sku, gift.paid_amount, gift.is_gift) == ("GIFT-TAB-30", 0, True)


def test_receiver_is_kept_only_as_ciphertext_masked_text_and_region() -> None:
    # Given a payload where the legacy plaintext fields are (wrongly) filled
    detail = sample_detail()
    detail["post_receiver"] = "王小明"
    detail["post_tel"] = "13912345678"
    detail["post_addr"]["detail"] = "科技园路100号"
    # When normalised
    order = to_order(detail, shop_id=SHOP, raw_ref=None)
    receiver = order.receiver
    # Then only the encrypted and masked forms are stored, with the region in clear
    assert receiver.name_cipher == detail["encrypt_post_receiver"]
    assert receiver.phone_cipher == detail["encrypt_post_tel"]
    assert receiver.address_cipher == detail["post_addr"]["encrypt_detail"]
    assert (receiver.name_masked, receiver.phone_masked, receiver.address_masked) == (
        "张**",
        "138****8000",
        "科技园******",
    )
    assert (receiver.province, receiver.city, receiver.district, receiver.town) == (
        "广东省",
        "深圳市",
        "南山区",
        "粤海街道",
    )
    # And the match token is the phone ciphertext's search index
    assert receiver.match_token == "Rk5sT1dHc0VjZ2Q="
    # And no plaintext reaches the canonical order
    dumped = order.model_dump_json()
    for plaintext in ("王小明", "13912345678", "科技园路100号"):
        assert plaintext not in dumped


@pytest.mark.parametrize(
    ("cipher", "expected"),
    [
        ("$idx123$blob==$1$", "idx123"),
        ("#addrIdx#blob#1#", "addrIdx"),
        ("~nameIdx~blob~1~", "nameIdx"),
        ("$$blob$1$", None),  # no search segment
        ("13912345678", None),  # not a ciphertext: never a token
        ("", None),
        (None, None),
    ],
)
def test_search_index_reads_only_the_stable_segment(cipher: str | None, expected: str | None) -> None:
    assert search_index(cipher) == expected


def test_cash_on_delivery_and_presale_flags_come_from_the_payload() -> None:
    # Given a COD order (pay_type 0) whose first line is a full-payment presale
    detail = sample_detail()
    detail["pay_type"] = 0
    detail["sku_order_list"][0]["pre_sale_type"] = 1
    order = to_order(detail, shop_id=SHOP, raw_ref=None)
    assert order.is_cod and order.is_presale


def test_pay_type_zero_on_an_unpaid_order_is_not_cash_on_delivery_yet() -> None:
    detail = sample_detail()
    detail.update(order_status=1, pay_time=0, pay_type=0)
    assert not to_order(detail, shop_id=SHOP, raw_ref=None).is_cod


def test_deposit_presale_is_presale() -> None:
    detail = sample_detail()
    detail["sku_order_list"][1]["trade_type"] = 2
    assert to_order(detail, shop_id=SHOP, raw_ref=None).is_presale


def test_an_after_sale_request_in_the_same_second_is_still_a_newer_version() -> None:
    # Given the same order, same update_time and status, but the buyer asked for a refund on one line
    before = to_order(sample_detail(), shop_id=SHOP, raw_ref=None)
    detail = sample_detail()
    detail["sku_order_list"][0]["after_sale_info"]["after_sale_status"] = 6
    after = to_order(detail, shop_id=SHOP, raw_ref=None)
    # Then the order is REQUESTED and orders after the previous version
    assert after.after_sale is AfterSaleStatus.REQUESTED
    assert after.lines[0].after_sale is AfterSaleStatus.REQUESTED
    assert after.version > before.version


def test_unpaid_order_has_no_paid_at() -> None:
    detail = sample_detail()
    detail["order_status"] = 1
    detail["pay_time"] = 0
    order = to_order(detail, shop_id=SHOP, raw_ref=None)
    assert order.status is OrderStatus.PENDING_PAYMENT and order.paid_at is None


def _mutate(path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    detail = sample_detail()
    target: Any = detail
    for step in path[:-1]:
        target = target[step]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return detail


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("order_status",), 42),
        (("pay_amount",), 2999.0),  # money is never a float
        (("pay_amount",), -1),
        (("update_time",), _DELETE),
        (("create_time",), 0),
        (("doudian_open_id",), ""),
        (("shop_id",), 654321),  # the order belongs to another shop than the notification's
        (("sku_order_list",), _DELETE),
        (("sku_order_list", 0, "code"), ""),  # with out_sku_id also empty below
        (("sku_order_list", 0, "item_num"), "one"),
        (("sku_order_list", 0, "after_sale_info", "after_sale_status"), 99),
        (("post_addr",), "广东省深圳市"),
    ],
)
def test_invalid_payloads_raise_order_invalid(path: tuple[str | int, ...], value: object) -> None:
    detail = _mutate(path, value)
    if path == ("sku_order_list", 0, "code"):
        detail["sku_order_list"][0]["out_sku_id"] = ""
    with pytest.raises(OrderInvalid):
        to_order(detail, shop_id=SHOP, raw_ref=None)


def test_an_order_without_lines_fails_model_validation() -> None:
    detail = sample_detail()
    detail["sku_order_list"] = []
    with pytest.raises(ValidationError):
        to_order(detail, shop_id=SHOP, raw_ref=None)


def test_normalising_does_not_modify_the_payload() -> None:
    detail = sample_detail()
    snapshot = copy.deepcopy(detail)
    to_order(detail, shop_id=SHOP, raw_ref=None)
    assert detail == snapshot
