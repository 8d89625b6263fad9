"""From a routing decision to the ledger and the warehouse: parcels, allocations, shortages, merge groups and
fulfilment ids (functions/workflow/logic/fulfilment.py; node choice itself is the routing engine's)."""

from datetime import UTC, datetime

from functions.workflow.logic.fulfilment import (
    ParcelPlan,
    PlannedLine,
    allocations,
    demand,
    fulfilment_id,
    merge_group,
    parcels_of,
    receiver_region,
    recorded_parcels,
    shortages,
)
from functions.workflow.logic.routing import load_network, load_policy, route
from schemas.order import FulfilmentMode, OrderLine, OrderStatus
from tests.unit.core.factories import make_order

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def two_lines(order_id: str = "1"):
    lines = [
        OrderLine(line_id="a", merchant_sku="AC-1P-INV", quantity=1, unit_price=100, paid_amount=100),
        OrderLine(line_id="b", merchant_sku="VC-CORDLESS", quantity=2, unit_price=100, paid_amount=200),
    ]
    return make_order(order_id=order_id, lines=lines, goods_amount=300, paid_amount=300, discount_amount=0)


def test_a_split_decision_becomes_one_parcel_per_node_and_one_allocation_per_sku_and_node():
    order = two_lines()
    available = {("AC-1P-INV", "WH-HZ"): 5, ("VC-CORDLESS", "WH-WH"): 5}
    decision = route(order, load_network(), load_policy(), available, now=NOW)

    parcels = parcels_of(decision, order.order_key)

    assert [(p.node_id, [(x.line_id, x.quantity) for x in p.lines]) for p in parcels] == [
        ("WH-HZ", [("a", 1)]),
        ("WH-WH", [("b", 2)]),
    ]
    assert allocations(parcels) == [("AC-1P-INV", "WH-HZ", 1), ("VC-CORDLESS", "WH-WH", 2)]


def test_an_unroutable_decision_has_no_parcels():
    order = two_lines()
    decision = route(order, load_network(), load_policy(), {}, now=NOW)
    assert decision.chosen is None and parcels_of(decision, order.order_key) == []


def test_allocations_add_up_parcels_of_one_sku_at_one_node():
    line = PlannedLine(line_id="a", sku="KT-17L", quantity=1)
    parcels = [
        ParcelPlan(node_id="WH-HZ", lines=(line, PlannedLine(line_id="g", sku="KT-17L", quantity=2))),
        ParcelPlan(node_id="WH-GZ", lines=(line,)),
    ]
    assert allocations(parcels) == [("KT-17L", "WH-GZ", 1), ("KT-17L", "WH-HZ", 3)]


def test_shortages_count_every_given_node_together():
    order = two_lines()
    available = {("AC-1P-INV", "WH-HZ"): 1, ("VC-CORDLESS", "WH-HZ"): 1, ("VC-CORDLESS", "WH-GZ"): 1}
    assert demand(order) == {"AC-1P-INV": 1, "VC-CORDLESS": 2}
    assert shortages(order, available, ["WH-HZ", "WH-GZ"]) == []
    assert shortages(order, available, ["WH-HZ"]) == [("VC-CORDLESS", 2, 1)]


def test_merge_group_is_a_hash_of_shop_and_key_for_paid_ship_orders_only():
    order = make_order(merge_key="oaid-1")
    group = merge_group(order)
    assert group is not None and "oaid-1" not in group
    assert merge_group(make_order(order_id="2", merge_key="oaid-1")) == group  # same receiver, same shop
    assert merge_group(make_order(shop_id="other", merge_key="oaid-1")) != group
    assert merge_group(make_order()) is None  # no platform key
    assert merge_group(make_order(merge_key="oaid-1", status=OrderStatus.PENDING_PAYMENT)) is None
    pickup = make_order(merge_key="oaid-1", fulfilment_mode=FulfilmentMode.PICKUP, pickup_store_id="ST-SH-01")
    assert merge_group(pickup) is None


def test_fulfilment_ids_are_stable_per_parcel_and_the_first_is_the_orders_own():
    assert fulfilment_id("douyin:1:2") == fulfilment_id("douyin:1:2", 0) != fulfilment_id("douyin:1:3")
    assert fulfilment_id("douyin:1:2", 1) == fulfilment_id("douyin:1:2", 1) != fulfilment_id("douyin:1:2")
    assert receiver_region("浙江省", "杭州市", None) == "浙江省 杭州市"


def test_recorded_parcels_prefer_requested_parcels_then_the_reservation_then_one_parcel_of_every_line():
    order = two_lines()
    requested = [
        {"node_id": "WH-HZ", "lines": [{"line_id": "a", "sku": "AC-1P-INV", "quantity": 1}], "fulfilment_id": "F1"}
    ]
    reserved = {"node_id": "WH-GZ", "parcels": [{"node_id": "WH-GZ", "lines": requested[0]["lines"]}]}

    assert [p.fulfilment_id for p in recorded_parcels(order, requested, reserved)] == ["F1"]
    assert [p.node_id for p in recorded_parcels(order, None, reserved)] == ["WH-GZ"]
    [legacy] = recorded_parcels(order, None, {"node_id": "WH-HZ"})
    assert legacy.node_id == "WH-HZ" and [x.line_id for x in legacy.lines] == ["a", "b"]
