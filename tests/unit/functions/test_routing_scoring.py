"""Score terms: raw value, normalised value, weight and contribution, each computed from the inputs."""

from datetime import timedelta
from decimal import Decimal

import pytest

from functions.workflow.logic.routing import route
from functions.workflow.logic.routing.network import RateRow
from tests.unit.functions.test_routing_fixtures import NOW, line, network, node, order, policy, stock


def terms(decision, node_id=None):
    if node_id is None:
        return {t["term"].value: t for t in decision.chosen.terms}
    candidate = next(c for c in decision.candidates if c["node_id"] == node_id)
    return {t["term"].value: t for t in candidate["terms"]}


@pytest.mark.parametrize(
    ("weight_g", "fen"),
    [(1, 500), (1000, 500), (1001, 600), (2000, 600), (2001, 700), (10_500, 500 + 10 * 100)],
)
def test_first_weight_plus_additional_weight_in_integer_fen(weight_g, fen):
    row = RateRow(origin="*", destination="*", first_weight_g=1000, first_fen=500, step_g=1000, step_fen=100)
    assert row.price(weight_g) == fen


@pytest.mark.parametrize(
    ("province", "city", "fen", "tier", "tier_index"),
    [
        ("浙江省", "杭州市", 500, "SAME_CITY", 0),  # province row
        ("浙江省", "宁波市", 500, "SAME_PROVINCE", 1),
        ("上海市", "上海市", 700, "SAME_REGION", 2),  # region row
        ("广东省", "广州市", 1000, "NATIONAL", 3),  # '*' row
    ],
)
def test_freight_uses_the_most_specific_rate_row_and_distance_tier(province, city, fen, tier, tier_index):
    decision = route(
        order(province=province, city=city),
        network(node("HZ", "浙江省", "杭州市")),
        policy(),
        stock(HZ={"SMALL": 40}),
        now=NOW,
    )

    parcel = decision.chosen.parcels[0]
    assert (parcel.carrier_id, parcel.freight_fen, parcel.distance_tier) == ("EXP", fen, tier)
    found = terms(decision)
    assert found["freight"]["raw"] == fen
    assert found["freight"]["normalised"] == (Decimal(fen) / 10000).quantize(Decimal("0.0001"))
    assert found["distance"]["raw"] == tier_index
    assert found["distance"]["normalised"] == (Decimal(tier_index) / 3).quantize(Decimal("0.0001"))


def test_bulky_parcel_goes_by_the_bulky_carrier_with_its_own_weight_steps():
    net = network(node("HZ", "浙江省", "杭州市"))
    decision = route(order(line("L1", "AC")), net, policy(), stock(HZ={"AC": 5}), now=NOW)

    parcel = decision.chosen.parcels[0]
    assert (parcel.carrier_id, parcel.weight_g) == ("BIG", 38000)
    assert parcel.freight_fen == 5000 + 1 * 1000  # 30 kg first, then one started 10 kg step


def test_delivery_promise_is_handling_plus_transit_days_with_the_bulky_extra_against_the_channel_sla():
    net = network(node("HZ", "浙江省", "杭州市", handling_hours=12))
    small = route(order(province="上海市", city="上海市"), net, policy(), stock(HZ={"SMALL": 40, "AC": 5}), now=NOW)
    bulky = route(order(line("L1", "AC"), channel="tmall"), net, policy(), stock(HZ={"AC": 5}), now=NOW)

    pol = policy()
    days = pol.delivery.transit_days
    assert small.chosen.parcels[0].promised_hours == 12 + 24 * days.same_region
    assert terms(small)["delivery"]["normalised"] == (Decimal(12 + 24 * days.same_region) / 72).quantize(
        Decimal("0.0001")
    )  # douyin's SLA
    hours = 12 + 24 * (days.same_city + pol.delivery.large_appliance_extra_days)
    assert bulky.chosen.parcels[0].promised_hours == hours
    assert bulky.chosen.parcels[0].promised_by == NOW + timedelta(hours=hours)
    assert terms(bulky)["delivery"]["normalised"] == (Decimal(hours) / pol.delivery.sla_hours).quantize(
        Decimal("0.0001")
    )


def test_utilisation_stock_balance_and_parcels_terms():
    net = network(node("HZ", "浙江省", "杭州市", backlog=49, daily_capacity=100))
    decision = route(order(line("L1", "SMALL", 1)), net, policy(), stock(HZ={"SMALL": 31}), now=NOW)

    found = terms(decision)
    assert found["utilisation"]["raw"] == Decimal("0.5")  # (49 + 1) / 100
    assert found["stock_balance"]["raw"] == Decimal("3.0")  # (31 - 1) / 10 a day
    assert found["stock_balance"]["normalised"] == ((Decimal(7) - 3) / 7).quantize(Decimal("0.0001"))
    assert (found["parcels"]["raw"], found["parcels"]["normalised"]) == (1, 0)


def test_channel_policy_counts_new_models_off_flagship_and_non_preferred_nodes():
    net = network(node("HZ", "浙江省", "杭州市"), node("SH", "上海市", "上海市", flagship=True))
    rules = policy().channel_rules.model_copy(update={"preferred_nodes": {"tmall": ("SH",)}})
    pol = policy().model_copy(update={"channel_rules": rules})
    available = stock(HZ={"NEW": 9, "SMALL": 9}, SH={"NEW": 9, "SMALL": 9})

    new_model = route(order(line("L1", "NEW"), channel="tmall"), net, pol, available, now=NOW)
    regular = route(order(line("L1", "SMALL"), channel="tmall"), net, pol, available, now=NOW)

    assert terms(new_model, "HZ")["channel_policy"]["raw"] == 2  # not flagship, not preferred
    assert terms(new_model, "SH")["channel_policy"]["raw"] == 0
    assert terms(regular, "HZ")["channel_policy"]["raw"] == 1  # only not preferred
    assert terms(new_model, "HZ")["channel_policy"]["normalised"] == 2  # misses per parcel


def test_contribution_is_normalised_times_weight_and_score_is_their_sum():
    net = network(node("HZ", "浙江省", "杭州市", backlog=30), node("SH", "上海市", "上海市"))
    decision = route(order(line("L1", "HEAVY", 2)), net, policy(), stock(HZ={"HEAVY": 9}, SH={"HEAVY": 9}), now=NOW)

    weights = policy().weights
    for candidate in decision.candidates:
        for term in candidate["terms"]:
            assert term["weight"] == getattr(weights, term["term"].value)
            assert term["contribution"] == (term["normalised"] * term["weight"]).quantize(Decimal("0.0001"))
        assert candidate["score"] == sum(t["contribution"] for t in candidate["terms"])
    assert [o.score for o in decision.options] == sorted(o.score for o in decision.options)


def test_weights_decide_between_a_cheap_slow_node_and_a_fast_dear_one():
    # NEAR is in the receiver's city and quick, but busy; FAR is idle but slow to hand over.
    net = network(
        node("NEAR", "浙江省", "杭州市", handling_hours=2, backlog=90),
        node("FAR", "上海市", "上海市", handling_hours=48, backlog=0),
    )
    available = stock(NEAR={"SMALL": 50}, FAR={"SMALL": 50})
    by_delivery = route(order(), net, policy(delivery="1"), available, now=NOW)
    by_utilisation = route(order(), net, policy(utilisation="1"), available, now=NOW)

    assert by_delivery.chosen.label == "NEAR"
    assert by_utilisation.chosen.label == "FAR"
