"""Hard filters: every candidate gets a verdict and a reason from every filter."""

import pytest

from functions.workflow.logic.routing import RoutingOutcome, route
from schemas.order import Distributor, FulfilmentMode
from tests.unit.functions.test_routing_fixtures import NOW, line, network, node, order, policy, stock


def verdicts(decision, node_id):
    candidate = next(c for c in decision.candidates if c["node_id"] == node_id)
    return {(v["filter"].value, v["group_id"]): v for v in candidate["verdicts"]}


def verdict(decision, node_id, name, group="L1"):
    found = verdicts(decision, node_id)
    return found.get((name, None)) or found[(name, group)]


def test_every_candidate_gets_every_filter_for_every_group():
    net = network(node("HZ", "浙江省", "杭州市"), node("GZ", "广东省", "广州市", active=False))
    decision = route(order(line("L1", "SMALL"), line("L2", "HEAVY")), net, policy(), stock(HZ={"SMALL": 1}), now=NOW)

    for candidate in decision.candidates:
        keys = set(verdicts(decision, candidate["node_id"]))
        node_filters = {(name, None) for name in ("active", "channel", "capacity", "coverage")}
        group_filters = {(name, g) for name in ("capability", "carrier", "stock") for g in ("L1", "L2")}
        assert node_filters | group_filters <= keys
        assert all(v["reason"] for v in candidate["verdicts"])


def test_inactive_node_fails_active():
    decision = route(
        order(), network(node("HZ", "浙江省", "杭州市", active=False)), policy(), stock(HZ={"SMALL": 5}), now=NOW
    )

    assert decision.outcome is RoutingOutcome.UNROUTABLE
    assert verdict(decision, "HZ", "active") == {
        "filter": "active", "group_id": None, "passed": False, "reason": "inactive (switched off)"
    }  # fmt: skip


def test_channel_exclusive_node_serves_only_its_channels():
    net = network(node("HZ", "浙江省", "杭州市", channels=["tmall"]))
    for channel, passed in (("tmall", True), ("douyin", False)):
        decision = route(order(channel=channel), net, policy(), stock(HZ={"SMALL": 5}), now=NOW)
        found = verdict(decision, "HZ", "channel")
        assert found["passed"] is passed
        assert channel in found["reason"] and "tmall" in found["reason"]


@pytest.mark.parametrize(("backlog", "passed"), [(99, True), (100, False), (150, False)])
def test_capacity_passes_only_while_backlog_is_below_daily_capacity(backlog, passed):
    net = network(node("HZ", "浙江省", "杭州市", backlog=backlog, daily_capacity=100))
    found = verdict(route(order(), net, policy(), stock(HZ={"SMALL": 5}), now=NOW), "HZ", "capacity")

    assert found["passed"] is passed
    assert f"backlog {backlog} of 100" in found["reason"]


def test_coverage_by_province_and_by_region_and_short_province_names():
    net = network(
        node("HZ", "浙江省", "杭州市", coverage=["浙江省"]),
        node("SH", "上海市", "上海市", coverage=["华东"]),
        node("GZ", "广东省", "广州市", coverage=["华南"]),
    )
    available = stock(HZ={"SMALL": 5}, SH={"SMALL": 5}, GZ={"SMALL": 5})
    decision = route(order(province="江苏"), net, policy(), available, now=NOW)  # short name of 江苏省

    assert decision.destination.province == "江苏省"
    assert not verdict(decision, "HZ", "coverage")["passed"]
    assert verdict(decision, "SH", "coverage") == {
        "filter": "coverage", "group_id": None, "passed": True, "reason": "ships to 江苏省"
    }  # fmt: skip
    assert verdict(decision, "GZ", "coverage")["reason"] == "does not ship to 江苏省 (covers 华南)"
    assert decision.chosen.parcels[0].node_id == "SH"


def test_capability_large_and_installation_required_by_the_sku():
    net = network(
        node("HZ", "浙江省", "杭州市", capabilities=["LARGE_APPLIANCE"]),
        node("SH", "上海市", "上海市", capabilities=["LARGE_APPLIANCE", "DELIVERY_INSTALL"]),
    )
    decision = route(order(line("L1", "AC")), net, policy(), stock(HZ={"AC": 3}, SH={"AC": 3}), now=NOW)

    assert verdict(decision, "HZ", "capability") == {
        "filter": "capability", "group_id": "L1", "passed": False, "reason": "lacks DELIVERY_INSTALL"
    }  # fmt: skip
    assert verdict(decision, "SH", "capability")["passed"]
    assert decision.chosen.parcels[0].node_id == "SH"


def test_drop_ship_orders_need_a_drop_ship_node():
    net = network(
        node("HZ", "浙江省", "杭州市", capabilities=[]), node("SH", "上海市", "上海市", capabilities=["DROP_SHIP"])
    )
    drop = order(fulfilment_mode=FulfilmentMode.DROP_SHIP, distributor=Distributor(distributor_id="D1"))
    decision = route(drop, net, policy(), stock(HZ={"SMALL": 5}, SH={"SMALL": 5}), now=NOW)

    assert "lacks DROP_SHIP" in verdict(decision, "HZ", "capability")["reason"]
    assert decision.chosen.parcels[0].node_id == "SH"


def test_carrier_filter_fails_when_no_carrier_of_the_node_takes_the_parcel():
    net = network(
        node("HZ", "浙江省", "杭州市", carriers=["EXP"], capabilities=["LARGE_APPLIANCE", "DELIVERY_INSTALL"])
    )
    decision = route(order(line("L1", "AC")), net, policy(), stock(HZ={"AC": 1}), now=NOW)

    found = verdict(decision, "HZ", "carrier")
    assert not found["passed"]
    assert found["reason"] == "no carrier at the node takes 38 kg (bulky) to 浙江省"


def test_stock_filter_reports_what_is_short():
    net = network(node("HZ", "浙江省", "杭州市"))
    decision = route(order(line("L1", "SMALL", 3)), net, policy(), stock(HZ={"SMALL": 2}), now=NOW)

    assert verdict(decision, "HZ", "stock") == {
        "filter": "stock", "group_id": "L1", "passed": False, "reason": "short: SMALL 2 of 3"
    }  # fmt: skip


def test_whole_order_stock_counts_lines_of_the_same_sku_together():
    net = network(node("HZ", "浙江省", "杭州市"), node("SH", "上海市", "上海市"))
    two_lines = order(line("L1", "SMALL", 2), line("L2", "SMALL", 2))
    decision = route(two_lines, net, policy(), stock(HZ={"SMALL": 3}, SH={"SMALL": 4}), now=NOW)

    hz = verdicts(decision, "HZ")
    assert hz[("stock", "L1")]["passed"] and hz[("stock", "L2")]["passed"]  # each line alone fits
    assert hz[("stock", None)] == {
        "filter": "stock", "group_id": None, "passed": False, "reason": "whole order short: SMALL 3 of 4"
    }  # fmt: skip
    assert decision.outcome is RoutingOutcome.ROUTED and decision.chosen.parcels[0].node_id == "SH"


def test_nodes_are_priced_by_their_own_carriers_and_rate_rows():
    # Freight is worked out once per distinct set of carriers and rate rows: nodes that share them share a price,
    # a node with other carriers or another origin row must not inherit it. Bulky rates: 30 kg first weight, then
    # per 10 kg; region 70.00 + 20.00, province 50.00 + 10.00.
    net = network(
        node("SH", "上海市", "上海市"),  # region row 华东 -> 华东
        node("ZJ", "浙江省", "杭州市"),  # the same region row
        node("ZX", "浙江省", "宁波市", carriers=["EXP"]),  # same origin, but no bulky carrier
        node("JS", "江苏省", "南京市"),  # province row 江苏 -> 江苏
    )
    available = stock(SH={"AC": 1}, ZJ={"AC": 1}, ZX={"AC": 1}, JS={"AC": 1})
    decision = route(order(line("L1", "AC"), province="江苏省", city="苏州市"), net, policy(), available, now=NOW)

    reasons = {node_id: verdict(decision, node_id, "carrier")["reason"] for node_id in ("SH", "ZJ", "ZX", "JS")}
    assert reasons["SH"] == reasons["ZJ"] == "BIG takes 38 kg (bulky) to 江苏省 for 90.00 yuan"
    assert reasons["JS"] == "BIG takes 38 kg (bulky) to 江苏省 for 60.00 yuan"
    assert reasons["ZX"] == "no carrier at the node takes 38 kg (bulky) to 江苏省"
    assert decision.chosen.parcels[0].node_id == "JS" and decision.chosen.freight_fen == 6000
