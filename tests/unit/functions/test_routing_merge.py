"""Merging one receiver's orders: same shop and merge key, SHIP, paid, unrouted, within the window."""

from datetime import timedelta

import pytest

from functions.workflow.logic.routing import RoutingInputError, plan_merges, route
from schemas.order import FulfilmentMode, OrderStatus
from tests.unit.functions.test_routing_fixtures import NOW, line, network, node, order, policy, stock


def placed(minutes, order_id, **overrides):
    fields = {"merge_key": "receiver-key-1", "shop_id": "SHOP-A", "channel": "douyin"}
    fields.update(overrides)
    return order(
        line(f"{order_id}-1", "SMALL"), order_id=order_id, created_at=NOW + timedelta(minutes=minutes), **fields
    )


def test_orders_of_one_receiver_within_the_window_merge_and_the_reason_says_why():
    a, b = placed(0, "A1"), placed(12, "B1")
    merged = plan_merges([a, b], timedelta(minutes=30))

    assert [g.order_keys for g in merged.groups] == [(a.order_key, b.order_key)]
    verdict = merged.verdict(b.order_key)
    assert verdict.merged and verdict.group_id == merged.groups[0].group_id
    assert "same platform merge key" in verdict.reason and "12 min apart" in verdict.reason
    assert "receiver-key-1" not in verdict.reason and "receiver-key-1" not in merged.groups[0].group_id


def test_the_window_is_anchored_at_the_groups_first_order():
    a, b, c = placed(0, "A1"), placed(20, "B1"), placed(40, "C1")
    merged = plan_merges([a, b, c], timedelta(minutes=30))

    assert [g.order_keys for g in merged.groups] == [(a.order_key, b.order_key)]
    assert not merged.verdict(c.order_key).merged
    assert "outside" in merged.verdict(c.order_key).reason


def test_window_defaults_to_the_policy():
    a, b = placed(0, "A1"), placed(policy().merge.window_minutes + 1, "B1")
    merged = plan_merges([a, b], policy=policy())

    assert merged.window_minutes == policy().merge.window_minutes
    assert merged.groups == ()


def test_the_same_key_in_another_shop_never_merges():
    a, b = placed(0, "A1"), placed(5, "B1", shop_id="SHOP-B")
    merged = plan_merges([a, b], timedelta(minutes=30))

    assert merged.groups == ()
    assert "never compared across shops" in merged.verdict(a.order_key).reason
    assert "SHOP-B" in merged.verdict(a.order_key).reason


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"fulfilment_mode": FulfilmentMode.PICKUP, "pickup_store_id": "SH"}, "PICKUP never merges"),
        ({"status": OrderStatus.PENDING_PAYMENT}, "only paid orders merge"),
        ({"merge_key": None}, "no merge key"),
    ],
)
def test_orders_that_may_not_merge_say_why(overrides, reason):
    a, b = placed(0, "A1"), placed(5, "B1", **overrides)
    merged = plan_merges([a, b], timedelta(minutes=30))

    assert merged.groups == ()
    assert reason in merged.verdict(b.order_key).reason


def test_routed_orders_are_left_out():
    a, b = placed(0, "A1"), placed(5, "B1")
    merged = plan_merges([a, b], timedelta(minutes=30), routed={a.order_key})

    assert merged.groups == ()
    assert "already routed" in merged.verdict(a.order_key).reason


def test_the_same_order_twice_is_refused():
    a = placed(0, "A1")
    with pytest.raises(RoutingInputError):
        plan_merges([a, a], timedelta(minutes=30))


def test_a_merge_group_routes_as_one_shipment_naming_every_order():
    a, b = placed(0, "A1"), placed(5, "B1")
    decision = route([a, b], network(node("HZ", "浙江省", "杭州市")), policy(), stock(HZ={"SMALL": 2}), now=NOW)

    assert decision.order_keys == (a.order_key, b.order_key)
    assert len(decision.chosen.parcels) == 1
    assert {(x.order_key, x.line_id) for x in decision.chosen.parcels[0].lines} == {
        (a.order_key, "A1-1"),
        (b.order_key, "B1-1"),
    }


@pytest.mark.parametrize("other", [{"shop_id": "SHOP-B"}, {"merge_key": "another-receiver"}, {"merge_key": None}])
def test_routing_refuses_orders_that_could_not_have_merged(other):
    with pytest.raises(RoutingInputError):
        route(
            [placed(0, "A1"), placed(5, "B1", **other)], network(node("HZ", "浙江省", "杭州市")), policy(), {}, now=NOW
        )
