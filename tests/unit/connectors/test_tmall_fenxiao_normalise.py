import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.sdk.errors import OrderInvalid
from connectors.tmall_fenxiao.conformance import sample_order
from connectors.tmall_fenxiao.normalise import normalise
from schemas.order import AfterSaleStatus, FulfilmentMode, OrderStatus

SHOP = "2200000101"
DAIFA = Path(__file__).parents[3] / "events" / "tmall_fenxiao" / "daifa_supplier_order_query_response.json"


def _po(**changes: Any) -> dict[str, Any]:
    po = copy.deepcopy(dict(sample_order()))
    po.update(changes)
    return po


def _daifa() -> dict[str, Any]:
    model = json.loads(DAIFA.read_text(encoding="utf-8"))["daifa_supplier_order_query_response"]["result"]["model"]
    models = model["scp_order_models"]["daifa_scp_order_model"]
    return {"supplier_id": "77000101", "parent_id": models[0]["parent_id"], "scp_order_models": models}


def test_purchase_order_is_a_drop_ship_with_its_distributor() -> None:
    order = normalise(sample_order(), shop_id=SHOP, raw_ref=None)
    assert order.fulfilment_mode is FulfilmentMode.DROP_SHIP
    assert order.channel_order_id == "61000000120"
    assert order.distributor is not None
    assert order.distributor.purchase_order_id == "61000000120"
    assert order.distributor.source_order_id == "3800000000000000100"
    assert order.distributor.distributor_id == "家电优选专营店"
    assert order.distributor.settlement_amount == 296897
    assert (order.goods_amount, order.freight_amount, order.paid_amount, order.discount_amount) == (
        305897,
        1000,
        296897,
        305897 + 1000 - 296897,
    )
    assert order.seller_flag == "2" and order.seller_memo == "优先发货"
    assert order.merge_key == order.receiver.match_token and order.merge_key


def test_times_are_beijing_time() -> None:
    order = normalise(sample_order(), shop_id=SHOP, raw_ref=None)
    assert order.created_at == datetime(2024, 3, 1, 1, 15, 30, tzinfo=UTC)
    assert order.updated_at == datetime(2024, 3, 1, 1, 16, 5, tzinfo=UTC)


def test_money_has_no_float_error() -> None:
    po = _po(post_fee="0.20", distributor_payment="0.30")
    subs = po["sub_purchase_orders"]["sub_purchase_order"]
    subs[0].update({"price": "0.10", "num": 1, "distributor_payment": "0.10"})
    subs[1].update({"price": "19.99", "num": 3, "distributor_payment": "0.00"})
    order = normalise(po, shop_id=SHOP, raw_ref=None)
    assert order.goods_amount == 10 + 5997  # 0.10 + 19.99 × 3, exactly
    assert order.paid_amount == 30 and order.freight_amount == 20


def test_paid_falls_back_to_total_fee_plus_postage() -> None:
    po = _po()
    del po["distributor_payment"]
    assert normalise(po, shop_id=SHOP, raw_ref=None).paid_amount == 295897 + 1000


def test_non_agent_purchase_orders_are_refused() -> None:
    with pytest.raises(OrderInvalid, match="DEALER"):
        normalise(_po(trade_type="DEALER"), shop_id=SHOP, raw_ref=None)


def test_receiver_plaintext_never_survives() -> None:
    po = _po()
    po["receiver"] = {**po["receiver"], "name": "王小明", "mobile_phone": "13912345678", "address": "文三路1号"}
    order = normalise(po, shop_id=SHOP, raw_ref=None)
    dumped = order.model_dump_json()
    assert "王小明" not in dumped and "13912345678" not in dumped and "文三路1号" not in dumped
    assert order.receiver.phone_masked == "*******5678"


def test_three_decimal_amounts_are_refused() -> None:
    with pytest.raises(OrderInvalid):
        normalise(_po(post_fee="1.005"), shop_id=SHOP, raw_ref=None)


def test_daifa_order_groups_its_lines_and_ties_the_gift() -> None:
    order = normalise(_daifa(), shop_id=SHOP, raw_ref=None)
    assert order.channel_order_id == "DF3800000000000000200"
    assert order.status is OrderStatus.PAID
    main, gift = order.lines
    assert (main.line_id, main.merchant_sku, gift.merchant_sku) == ("61000000301", "DW-X9", "TAB-6")
    assert gift.is_gift and gift.parent_line_id == "61000000301" and main.parent_line_id is None
    assert order.goods_amount == order.paid_amount == 0
    assert order.distributor is not None
    assert order.distributor.purchase_order_id == "61000000301,61000000302"
    assert order.distributor.source_order_id == "3800000000000000200"
    assert order.distributor.settlement_amount is None
    assert order.receiver.province == "广东省" and order.receiver.name_masked == "李**"
    assert order.created_at == datetime(2024, 3, 2, 12, 5, 40, tzinfo=UTC)


def test_a_cancelled_assignment_leaves_the_lines_and_raises_the_version() -> None:
    before = normalise(_daifa(), shop_id=SHOP, raw_ref=None)
    raw = _daifa()
    raw["scp_order_models"][1]["distribute_status"] = "CANCEL"
    partly = normalise(raw, shop_id=SHOP, raw_ref=None)
    assert [line.line_id for line in partly.lines] == ["61000000301"]
    assert partly.version > before.version
    raw["scp_order_models"][0]["distribute_status"] = "6"
    cancelled = normalise(raw, shop_id=SHOP, raw_ref=None)
    assert cancelled.status is OrderStatus.CANCELLED and len(cancelled.lines) == 2
    assert cancelled.version > partly.version


def test_a_daifa_refund_without_a_new_time_still_raises_the_version() -> None:
    before = normalise(_daifa(), shop_id=SHOP, raw_ref=None)
    raw = _daifa()
    raw["scp_order_models"][0]["refund_status"] = "WAIT_SELLER_AGREE"
    after = normalise(raw, shop_id=SHOP, raw_ref=None)
    assert after.after_sale is AfterSaleStatus.REQUESTED
    assert after.updated_at == before.updated_at and after.version > before.version


def test_one_consigned_daifa_line_makes_a_partial_shipment() -> None:
    raw = _daifa()
    raw["scp_order_models"][0].update({"distribute_status": "CONSIGN", "consign_time": "2024-03-03 10:20:00"})
    order = normalise(raw, shop_id=SHOP, raw_ref=None)
    assert order.status is OrderStatus.PARTIALLY_SHIPPED


def test_daifa_models_of_two_taobao_orders_are_refused() -> None:
    raw = _daifa()
    raw["scp_order_models"][1]["parent_id"] = "1"
    with pytest.raises(OrderInvalid):
        normalise(raw, shop_id=SHOP, raw_ref=None)
