"""The decision object: JSON round trip, the readable explanation, and each fulfilment mode."""

from datetime import datetime
from decimal import Decimal

import pytest

from functions.workflow.logic.routing import (
    RoutingDecision,
    RoutingInputError,
    RoutingOutcome,
    explain,
    load_network,
    load_policy,
    route,
)
from localhub.scenario import CATALOG, NODES
from schemas.order import Distributor, FulfilmentMode
from tests.unit.functions.test_routing_fixtures import NOW, line, network, node, order, policy, stock

NET = network(
    node("HZ", "浙江省", "杭州市"),
    node("GZ", "广东省", "广州市"),
    node("ST", "上海市", "上海市", kind="STORE", capabilities=["PICKUP"], coverage=["上海市"]),
)


def test_decision_round_trips_through_json_and_records_policy_and_network():
    decision = route(order(line("L1", "SMALL", 2)), NET, policy(), stock(HZ={"SMALL": 5}, GZ={"SMALL": 5}), now=NOW)

    assert RoutingDecision.model_validate_json(decision.model_dump_json()) == decision
    assert decision.policy_version == policy().label and decision.policy_checksum == policy().checksum
    assert decision.network_checksum == NET.checksum
    assert decision.stock_seen == {"SMALL": {"HZ": 5, "GZ": 5}}
    assert decision.decided_at == NOW


def test_explain_names_the_chosen_node_the_runner_up_and_the_reasons():
    decision = route(order(), NET, policy(), stock(HZ={"SMALL": 5}, GZ={"SMALL": 5}, ST={"SMALL": 5}), now=NOW)
    text = explain(decision)

    assert decision.outcome is RoutingOutcome.ROUTED
    assert decision.chosen.label == "HZ" and decision.runner_up.label == "GZ"
    assert "ships in one parcel from HZ" in text
    assert "beat GZ" in text and "freight 5.00 yuan vs 10.00 yuan" in text  # same province vs national
    assert "other nodes failed: coverage (1)" in text  # the store ships only within 上海市
    assert f"policy {policy().label}" in text
    for term in ("freight", "distance", "delivery", "parcels", "utilisation", "stock_balance", "channel_policy"):
        assert f"  {term}" in text


def test_store_sale_needs_no_routing():
    decision = route(order(fulfilment_mode=FulfilmentMode.STORE_SALE), NET, policy(), {}, now=NOW)

    assert decision.outcome is RoutingOutcome.NOT_REQUIRED
    assert decision.candidates == () and decision.chosen is None
    assert "STORE_SALE" in explain(decision)


def test_pickup_routes_to_the_pickup_store_when_it_has_the_stock():
    pickup = order(fulfilment_mode=FulfilmentMode.PICKUP, pickup_store_id="ST", province="江苏省", city="南京市")
    decision = route(pickup, NET, policy(), stock(ST={"SMALL": 1}, HZ={"SMALL": 9}), now=NOW)

    assert decision.outcome is RoutingOutcome.ROUTED
    assert [c["node_id"] for c in decision.candidates] == ["ST"]  # only the store the buyer chose
    parcel = decision.chosen.parcels[0]
    assert (parcel.node_id, parcel.carrier_id, parcel.freight_fen) == ("ST", "PICKUP", 0)
    assert "ready for pickup" in explain(decision)


def test_pickup_without_stock_explains_what_is_missing():
    pickup = order(line("L1", "SMALL", 2), fulfilment_mode=FulfilmentMode.PICKUP, pickup_store_id="ST")
    decision = route(pickup, NET, policy(), stock(ST={"SMALL": 1}), now=NOW)

    assert decision.outcome is RoutingOutcome.UNROUTABLE
    assert "pickup store ST cannot hand over this order: short: SMALL 1 of 2" in explain(decision)


def test_pickup_store_must_exist_and_be_able_to_do_pickups():
    missing = route(order(fulfilment_mode=FulfilmentMode.PICKUP, pickup_store_id="NOPE"), NET, policy(), {}, now=NOW)
    warehouse = route(
        order(fulfilment_mode=FulfilmentMode.PICKUP, pickup_store_id="HZ"),
        NET,
        policy(),
        stock(HZ={"SMALL": 9}),
        now=NOW,
    )

    assert missing.outcome is RoutingOutcome.UNROUTABLE and "NOPE is not in the network" in missing.why[0]
    assert warehouse.outcome is RoutingOutcome.UNROUTABLE and "lacks PICKUP" in warehouse.why[0]


def test_drop_ship_routes_only_to_nodes_serving_distributor_orders():
    net = network(node("HZ", "浙江省", "杭州市", capabilities=[]), node("GZ", "广东省", "广州市"))
    drop = order(fulfilment_mode=FulfilmentMode.DROP_SHIP, distributor=Distributor(distributor_id="D-1"))
    decision = route(drop, net, policy(), stock(HZ={"SMALL": 9}, GZ={"SMALL": 9}), now=NOW)

    assert decision.chosen.label == "GZ"


@pytest.mark.parametrize(
    ("the_order", "reason"),
    [
        (order(line("L1", "NOT-IN-CATALOG")), "not in the network's product catalog: NOT-IN-CATALOG"),
        (order(province="火星省"), "receiver province 火星省 is not in the network's regions"),
    ],
)
def test_orders_routing_cannot_place_are_unroutable_with_the_reason(the_order, reason):
    decision = route(the_order, NET, policy(), stock(HZ={"SMALL": 9}), now=NOW)

    assert decision.outcome is RoutingOutcome.UNROUTABLE
    assert reason in decision.why[0]


def test_out_of_stock_everywhere_lists_the_closest_nodes():
    decision = route(order(line("L1", "SMALL", 3)), NET, policy(), stock(HZ={"SMALL": 2}), now=NOW)

    assert decision.outcome is RoutingOutcome.UNROUTABLE
    assert "HZ: short: SMALL 2 of 3" in explain(decision)


def test_naive_now_is_refused():
    with pytest.raises(RoutingInputError):
        route(order(), NET, policy(), {}, now=datetime(2026, 1, 1))


def test_demo_network_has_every_demo_sku_and_node():
    demo = load_network()
    for sku in CATALOG:
        product = demo.product(sku.code)
        assert product is not None and product.title == sku.title
    for seeded in NODES:
        found = demo.node(seeded.node_id)
        assert found is not None and (found.province, found.city) == (seeded.province, seeded.city)


def test_demo_order_routes_with_the_packaged_files():
    available = {(sku.code, n.node_id): 400 for sku in CATALOG for n in NODES}
    the_order = order(
        line("L1", "AC-1P-INV"), line("L2", "KT-17L", parent="L1", gift=True), province="广东省", city="深圳市"
    )
    decision = route(the_order, load_network(), load_policy(), available, now=NOW)

    assert decision.outcome is RoutingOutcome.ROUTED
    assert decision.chosen.label == "WH-GZ"
    assert decision.chosen.parcels[0].carrier_id == "RRS"  # the bulky carrier: an air conditioner


# The decision is assembled without re-validation (model_construct): each kind must still be a valid model.
_EVERY_KIND = {
    "routed": lambda: route(order(), NET, policy(), stock(HZ={"SMALL": 5}, GZ={"SMALL": 5}), now=NOW),
    "split": lambda: route(
        order(line("L1", "SMALL"), line("L2", "HEAVY")), NET, policy(), stock(HZ={"SMALL": 1}, GZ={"HEAVY": 1}), now=NOW
    ),
    "unroutable": lambda: route(order(line("L1", "SMALL", 3)), NET, policy(), stock(HZ={"SMALL": 2}), now=NOW),
    "unknown_sku": lambda: route(order(line("L1", "NOT-IN-CATALOG")), NET, policy(), {}, now=NOW),
    "store_sale": lambda: route(order(fulfilment_mode=FulfilmentMode.STORE_SALE), NET, policy(), {}, now=NOW),
    "pickup": lambda: route(
        order(fulfilment_mode=FulfilmentMode.PICKUP, pickup_store_id="ST"),
        NET,
        policy(),
        stock(ST={"SMALL": 1}),
        now=NOW,
    ),
    "pickup_short": lambda: route(
        order(fulfilment_mode=FulfilmentMode.PICKUP, pickup_store_id="ST"), NET, policy(), {}, now=NOW
    ),
}


@pytest.mark.parametrize("kind", sorted(_EVERY_KIND))
def test_every_kind_of_decision_is_a_valid_model_that_round_trips(kind):
    decision = _EVERY_KIND[kind]()

    text = decision.model_dump_json(warnings="error")  # a value of the wrong type would warn on serialising
    assert RoutingDecision.model_validate_json(text) == decision
    assert RoutingDecision.model_validate(decision.model_dump(), strict=True) == decision
    assert {"split": "SPLIT", "routed": "ROUTED", "pickup": "ROUTED", "store_sale": "NOT_REQUIRED"}.get(
        kind, "UNROUTABLE"
    ) == decision.outcome.value


def test_stock_snapshot_from_dynamodb_decimals_is_recorded_as_whole_units():
    available = {("SMALL", "HZ"): Decimal(5), ("SMALL", "GZ"): Decimal(0)}
    decision = route(order(), NET, policy(), available, now=NOW)

    assert decision.stock_seen == {"SMALL": {"HZ": 5, "GZ": 0}}
    assert all(type(units) is int for units in decision.stock_seen["SMALL"].values())
    decision.model_dump_json(warnings="error")


def test_fractional_stock_is_refused_with_a_clear_error():
    with pytest.raises(RoutingInputError, match="stock snapshot"):
        route(order(), NET, policy(), {("SMALL", "HZ"): Decimal("2.5")}, now=NOW)


def test_a_changed_decision_does_not_leak_into_the_next_one():
    available = stock(HZ={"SMALL": 5}, GZ={"SMALL": 5})
    first = route(order(), NET, policy(), available, now=NOW)
    for candidate in first.candidates:
        for found in candidate["verdicts"]:
            found["reason"] = "changed by a caller"

    second = route(order(), NET, policy(), available, now=NOW)

    reasons = {v["reason"] for c in second.candidates for v in c["verdicts"]}
    assert "changed by a caller" not in reasons
    assert "ships to 浙江省" in reasons and "active" in reasons
