import base64
import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.pos.conformance import sample_order
from connectors.pos.normalise import normalise_order
from connectors.pos.pii import PiiKeyInvalid, PiiSealer, decode_key
from connectors.pos.statuses import ORDER_STATUS
from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, FulfilmentMode, Order, OrderStatus

KEY = bytes(range(32))
SEALER = PiiSealer(KEY)


def _order(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(dict(sample_order()))
    raw.update(changes)
    return raw


def _normalise(raw: dict[str, Any], sealer: PiiSealer | None = SEALER) -> Order:
    return normalise_order(raw, shop_id="S001", raw_ref=None, sealer=sealer)


def test_pickup_order() -> None:
    order = _normalise(_order())
    assert order.fulfilment_mode is FulfilmentMode.PICKUP and order.pickup_store_id == "S002"
    assert (order.goods_amount, order.discount_amount, order.paid_amount) == (325897, 20000, 305897)
    assert order.created_at == datetime(2024, 3, 1, 1, 15, 30, tzinfo=UTC)
    assert order.buyer_id == "member:M20231188" and order.coupon_ids == ["CP-SPRING-200"]


def test_receiver_is_sealed_masked_and_opens_only_for_its_order() -> None:
    order = _normalise(_order())
    dumped = order.model_dump_json()
    for plain in ("示例顾客", "13800000000", "示例路 1 号"):
        assert plain not in dumped
    receiver = order.receiver
    assert receiver.name_masked == "示***" and receiver.phone_masked == "*******0000"
    assert receiver.address_masked == "浙江省杭州市西湖区****" and receiver.city == "杭州市"
    assert receiver.phone_cipher is not None
    assert SEALER.open(receiver.phone_cipher, context=order.order_key) == "13800000000"
    with pytest.raises(ValueError):
        SEALER.open(receiver.phone_cipher, context="pos:S001:another-order")


def test_the_same_receiver_gets_the_same_merge_key() -> None:
    first, second = _normalise(_order()), _normalise(_order(order_id="S001-20240301-000999"))
    assert first.receiver.name_cipher != second.receiver.name_cipher  # fresh nonce every time
    assert first.merge_key == second.merge_key and first.receiver.match_token == second.receiver.match_token
    other = _order()
    other["receiver"] = {**other["receiver"], "phone": "13800000001"}
    assert _normalise(other).merge_key != first.merge_key


def test_a_receiver_without_a_key_is_refused() -> None:
    with pytest.raises(OrderInvalid):
        _normalise(_order(), sealer=None)
    with pytest.raises(PiiKeyInvalid):
        decode_key(base64.b64encode(b"short").decode())
    with pytest.raises(PiiKeyInvalid):
        decode_key(None)


def test_store_sale_needs_no_receiver_and_walk_ins_are_not_one_buyer() -> None:
    raw = _order(type="STORE_SALE", status="COMPLETED", member_id=None, receiver=None)
    order = _normalise(raw, sealer=None)
    assert order.fulfilment_mode is FulfilmentMode.STORE_SALE and order.pickup_store_id is None
    assert order.status is OrderStatus.COMPLETED
    assert order.buyer_id == "walk-in:S001:S001-20240301-000123"


def test_delivery_without_receiver_is_refused() -> None:
    with pytest.raises(OrderInvalid, match="DELIVERY"):
        _normalise(_order(type="DELIVERY", receiver=None), sealer=None)


@pytest.mark.parametrize(
    "changes",
    [
        {"paid_fen": 3058.97},  # yuan by mistake
        {"paid_fen": "305897"},
        {"paid_fen": True},
        {"paid_fen": 305898},  # does not add up
        {"goods_fen": 325898},
        {"created_at": "2024-03-01T09:15:30"},  # naive
        {"updated_at": "2024-03-01T09:00:00+08:00"},  # before created_at
        {"store_id": "S002"},  # not the signing store
        {"currency": "USD"},
        {"revision": -1},
        {"type": "MAIL_ORDER"},
        {"lines": []},
    ],
)
def test_bad_input_is_refused_clearly(changes: dict[str, Any]) -> None:
    with pytest.raises(OrderInvalid):
        _normalise(_order(**changes))


def test_every_status_maps_and_a_newer_revision_wins() -> None:
    for status, expected in ORDER_STATUS.items():
        assert _normalise(_order(status=status)).status is expected
    same_time = _normalise(_order(revision=3)).version
    assert same_time > _normalise(_order(revision=2)).version


def test_partial_refund_after_collection() -> None:
    raw = _order(status="PARTIALLY_REFUNDED", updated_at="2024-03-05T10:00:00+08:00", revision=5)
    raw["lines"][1]["refund_status"] = "REFUNDED"
    order = _normalise(raw)
    assert order.status is OrderStatus.COMPLETED and order.after_sale is AfterSaleStatus.REFUNDED
    assert [line.after_sale for line in order.lines] == [AfterSaleStatus.NONE, AfterSaleStatus.REFUNDED]
