"""Allocation: which node to try first, demand per SKU, shortages."""

from functions.workflow.logic.allocation import Demand, NodeInfo, can_fill, demand, rank_nodes, shortages
from functions.workflow.logic.fulfilment import fulfilment_id, receiver_region
from schemas.order import OrderLine
from tests.unit.core.factories import make_order

HZ = NodeInfo("WH-HZ", "浙江省", priority=20)
NB = NodeInfo("WH-NB", "浙江省", priority=40)
SH = NodeInfo("WH-SH", "上海市", priority=10)
GZ = NodeInfo("WH-GZ", "广东省", priority=30)
CLOSED = NodeInfo("WH-OLD", "浙江省", priority=1, active=False)


def ids(nodes):
    return [n.node_id for n in nodes]


def test_same_province_first_then_priority_and_inactive_nodes_dropped():
    assert ids(rank_nodes([GZ, SH, NB, HZ, CLOSED], "浙江省")) == ["WH-HZ", "WH-NB", "WH-SH", "WH-GZ"]


def test_without_a_province_priority_alone_orders():
    assert ids(rank_nodes([GZ, HZ, SH], None)) == ["WH-SH", "WH-HZ", "WH-GZ"]


def test_ties_break_on_node_id_for_a_stable_order():
    a, b = NodeInfo("WH-B", "x", 5), NodeInfo("WH-A", "x", 5)
    assert ids(rank_nodes([a, b], "y")) == ["WH-A", "WH-B"]


def test_nodes_the_snapshot_says_cannot_fill_go_last_but_stay_candidates():
    lines = [Demand("AC-1", 2)]
    available = {("AC-1", "WH-HZ"): 1, ("AC-1", "WH-SH"): 5, ("AC-1", "WH-GZ"): 2}

    assert ids(rank_nodes([HZ, SH, GZ], "浙江省", lines, available)) == ["WH-SH", "WH-GZ", "WH-HZ"]


def test_a_node_must_fill_every_line():
    lines = [Demand("AC-1", 1), Demand("TV-55", 1)]
    assert can_fill("WH-HZ", lines, {("AC-1", "WH-HZ"): 3, ("TV-55", "WH-HZ"): 1})
    assert not can_fill("WH-HZ", lines, {("AC-1", "WH-HZ"): 3})


def test_demand_sums_lines_of_one_sku_including_gifts():
    order = make_order(
        lines=[
            OrderLine(line_id="1", merchant_sku="AC-1", quantity=1, unit_price=100, paid_amount=100),
            OrderLine(line_id="2", merchant_sku="AC-1", quantity=2, unit_price=100, paid_amount=200),
            OrderLine(line_id="3", merchant_sku="GIFT", quantity=1, unit_price=0, paid_amount=0, is_gift=True),
        ]
    )
    assert demand(order) == [Demand("AC-1", 3), Demand("GIFT", 1)]


def test_shortages_report_the_best_single_node():
    lines = [Demand("AC-1", 4), Demand("TV-55", 1)]
    available = {("AC-1", "WH-HZ"): 2, ("AC-1", "WH-SH"): 3, ("TV-55", "WH-SH"): 1}
    assert shortages(lines, available) == [("AC-1", 4, 3)]


def test_fulfilment_id_is_stable_per_order_and_region_has_no_street():
    assert fulfilment_id("douyin:1:2") == fulfilment_id("douyin:1:2") != fulfilment_id("douyin:1:3")
    assert receiver_region("浙江省", "杭州市", None) == "浙江省 杭州市"
