"""Splitting: only when it must, fewest parcels then cost, kits and gifts with their main item."""

from collections import Counter

import pytest

from functions.workflow.logic.routing import RoutingOutcome, route
from functions.workflow.logic.routing.decision import SearchMethod
from localhub import bench_routing
from tests.unit.functions.test_routing_fixtures import NOW, line, network, node, order, policy, stock

NODES = {
    "HZ": ("浙江省", "杭州市"),
    "NB": ("浙江省", "宁波市"),
    "WZ": ("浙江省", "温州市"),
    "SH": ("上海市", "上海市"),
    "NJ": ("江苏省", "南京市"),
    "GZ": ("广东省", "广州市"),
}
NET = network(*(node(node_id, province, city) for node_id, (province, city) in NODES.items()))
FREIGHT_ONLY = policy(freight="1")


def with_split(**changes):
    return FREIGHT_ONLY.model_copy(update={"split": FREIGHT_ONLY.split.model_copy(update=changes)})


def shipped(decision):
    """{node: {sku: units}} of the chosen plan."""
    return {p.node_id: dict(Counter({x.sku: x.quantity for x in p.lines})) for p in decision.chosen.parcels}


def assert_valid(decision, the_order, available):
    """Every unit of every line ships exactly once, within each node's stock, gifts with their parent."""
    sent = Counter()
    where = {}
    for parcel in decision.chosen.parcels:
        per_sku = Counter()
        for x in parcel.lines:
            sent[x.line_id] += x.quantity
            per_sku[x.sku] += x.quantity
            where.setdefault(x.line_id, set()).add(parcel.node_id)
        assert all(units <= available.get((sku, parcel.node_id), 0) for sku, units in per_sku.items())
    assert sent == Counter({x.line_id: x.quantity for x in the_order.lines})
    for x in the_order.lines:
        if x.parent_line_id:
            assert where[x.line_id] == where[x.parent_line_id]


def test_no_split_when_one_node_has_everything_even_if_splitting_is_cheaper():
    available = stock(HZ={"SMALL": 1}, NB={"HEAVY": 1}, GZ={"SMALL": 1, "HEAVY": 1})
    decision = route(order(line("L1", "SMALL"), line("L2", "HEAVY")), NET, FREIGHT_ONLY, available, now=NOW)

    assert decision.outcome is RoutingOutcome.ROUTED
    assert decision.search.method is SearchMethod.SINGLE_NODE
    assert shipped(decision) == {"GZ": {"SMALL": 1, "HEAVY": 1}}


def test_fewest_parcels_first_then_cheapest():
    # Three same-province parcels (HZ+NB+WZ) would cost 1700 fen; two parcels cost SH+WZ 1800, SH+NJ 2000, SH+GZ 2300.
    available = stock(
        HZ={"SMALL": 1}, NB={"HEAVY": 1}, WZ={"NEW": 1}, SH={"SMALL": 1, "HEAVY": 1}, NJ={"NEW": 1}, GZ={"NEW": 1}
    )
    the_order = order(line("L1", "SMALL"), line("L2", "HEAVY"), line("L3", "NEW"))
    decision = route(the_order, NET, FREIGHT_ONLY, available, now=NOW)

    assert decision.outcome is RoutingOutcome.SPLIT
    assert decision.search.method is SearchMethod.EXACT
    assert shipped(decision) == {"SH": {"SMALL": 1, "HEAVY": 1}, "WZ": {"NEW": 1}}
    assert decision.chosen.freight_fen == 1300 + 500  # 3.5 kg same region + 1 kg same province
    assert [o.freight_fen for o in decision.options] == [1800, 2000, 2300]
    assert all(len(o.parcels) == 2 for o in decision.options)
    assert decision.runner_up.freight_fen > decision.chosen.freight_fen
    assert_valid(decision, the_order, available)


def test_a_gift_ships_with_its_main_line_even_when_another_node_would_be_cheaper():
    available = stock(HZ={"SMALL": 1, "HEAVY": 1}, GZ={"SMALL": 1, "GIFT": 1}, SH={"GIFT": 1, "HEAVY": 1})
    the_order = order(line("L1", "SMALL"), line("L2", "GIFT", parent="L1", gift=True), line("L3", "HEAVY"))
    decision = route(the_order, NET, FREIGHT_ONLY, available, now=NOW)

    assert decision.outcome is RoutingOutcome.SPLIT
    assert [g.group_id for g in decision.groups] == ["L1", "L3"]
    assert shipped(decision)["GZ"] == {"SMALL": 1, "GIFT": 1}
    assert_valid(decision, the_order, available)


def test_a_gift_without_parent_rides_with_the_first_main_line():
    the_order = order(line("L1", "SMALL"), line("L2", "HEAVY"), line("L3", "GIFT", gift=True))
    decision = route(the_order, NET, FREIGHT_ONLY, stock(HZ={"SMALL": 1, "GIFT": 1}, NB={"HEAVY": 1}), now=NOW)

    assert [[x.line_id for x in g.lines] for g in decision.groups] == [["L1", "L3"], ["L2"]]
    assert shipped(decision) == {"HZ": {"SMALL": 1, "GIFT": 1}, "NB": {"HEAVY": 1}}


def test_a_kit_no_node_has_whole_is_unroutable_rather_than_split():
    the_order = order(line("L1", "SMALL"), line("L2", "GIFT", parent="L1", gift=True))
    decision = route(the_order, NET, FREIGHT_ONLY, stock(HZ={"SMALL": 5}, NB={"GIFT": 5}), now=NOW)

    assert decision.outcome is RoutingOutcome.UNROUTABLE
    assert decision.chosen is None
    assert any("kits/gifts" in reason for reason in decision.why)


def test_a_line_splits_its_units_only_when_no_node_has_them_all():
    the_order = order(line("L1", "SMALL", 3))
    whole_far = route(the_order, NET, FREIGHT_ONLY, stock(HZ={"SMALL": 2}, SH={"SMALL": 2}, GZ={"SMALL": 3}), now=NOW)
    split = route(the_order, NET, FREIGHT_ONLY, stock(HZ={"SMALL": 2}, SH={"SMALL": 2}), now=NOW)
    forbidden = route(
        the_order, NET, with_split(allow_quantity_split=False), stock(HZ={"SMALL": 2}, SH={"SMALL": 2}), now=NOW
    )

    assert shipped(whole_far) == {"GZ": {"SMALL": 3}}
    assert shipped(split) == {"HZ": {"SMALL": 2}, "SH": {"SMALL": 1}}  # 600 + 700 beats 500 + 900
    assert split.chosen.freight_fen == 1300
    assert forbidden.outcome is RoutingOutcome.UNROUTABLE


def test_max_parcels_bounds_the_split():
    the_order = order(line("L1", "SMALL"), line("L2", "HEAVY"), line("L3", "NEW"))
    available = stock(HZ={"SMALL": 1}, NB={"HEAVY": 1}, WZ={"NEW": 1})

    assert route(the_order, NET, with_split(max_parcels=3), available, now=NOW).outcome is RoutingOutcome.SPLIT
    assert route(the_order, NET, with_split(max_parcels=2), available, now=NOW).outcome is RoutingOutcome.UNROUTABLE


def test_greedy_takes_over_beyond_the_exact_search_limit_and_still_ships_everything():
    available = stock(
        HZ={"SMALL": 1}, NB={"HEAVY": 1}, WZ={"NEW": 1}, SH={"SMALL": 1, "HEAVY": 1}, NJ={"NEW": 1}, GZ={"NEW": 1}
    )
    the_order = order(line("L1", "SMALL"), line("L2", "HEAVY"), line("L3", "NEW"))
    decision = route(the_order, NET, with_split(exact_search_max_plans=1), available, now=NOW)

    assert decision.search.method is SearchMethod.GREEDY
    assert shipped(decision) == {"SH": {"SMALL": 1, "HEAVY": 1}, "WZ": {"NEW": 1}}
    assert_valid(decision, the_order, available)


@pytest.mark.parametrize("seed", range(40))
def test_exact_search_matches_the_exhaustive_optimum_and_greedy_is_never_better(seed):
    net, the_order, available = bench_routing._instance(seed)
    base = policy()
    optimum = bench_routing.exhaustive_optimum(net, the_order, available, base.split.max_parcels)
    exact = route(the_order, net, bench_routing._freight_only(base), available, now=NOW)
    greedy = route(the_order, net, bench_routing._freight_only(base, exact_limit=0), available, now=NOW)

    if optimum is None:
        assert exact.chosen is None
        return
    assert (len(exact.chosen.parcels), exact.chosen.freight_fen) == optimum
    assert_valid(exact, the_order, available)
    if greedy.chosen is not None:
        assert_valid(greedy, the_order, available)
        assert (len(greedy.chosen.parcels), greedy.chosen.freight_fen) >= optimum
