"""What-if replay (functions.workflow.logic.replay): pure, per-order differences with their reasons, totals that
add up, window rules fed by the other orders of the file, deterministic output, and the sample files."""

import json
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from functions.workflow.logic.audit import DEFAULT_RULES_FILE, RuleSet, load_rules, parse_rules
from functions.workflow.logic.replay import (
    NOT_ROUTED,
    ReplayInputError,
    ReplayReport,
    Setup,
    derived_stock,
    parse_orders,
    parse_stock,
    replay,
)
from functions.workflow.logic.routing import RoutingPolicy, load_network, load_policy, parse_policy, route
from functions.workflow.logic.routing.policy import DEFAULT_POLICY_FILE
from localhub.replay_sample import sample_orders, to_jsonl
from schemas.events import AuditOutcome
from schemas.order import Order, OrderLine, Receiver

REPO = Path(__file__).parents[3]
SAMPLES = REPO / "events" / "replay"
NETWORK = load_network()
STOCK = derived_stock(NETWORK)
LIVE = Setup(rules=load_rules(str(DEFAULT_RULES_FILE)), policy=load_policy(str(DEFAULT_POLICY_FILE)))
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
PRICES = {"KT-17L": 19_900, "RC-4L-IH": 69_900, "AC-1P-INV": 299_900, "AC-3P-CABINET": 799_900}


def order(
    n: int,
    *lines: tuple[str, int],
    channel: str = "tmall",
    buyer: str | None = None,
    province: str = "上海市",
    city: str = "上海市",
    at: datetime = T0,
    **extra: Any,
) -> Order:
    order_lines = [
        OrderLine(line_id=f"{n}-{i}", merchant_sku=sku, quantity=q, unit_price=PRICES[sku], paid_amount=PRICES[sku] * q)
        for i, (sku, q) in enumerate(lines or (("KT-17L", 1),))
    ]
    paid = sum(line.paid_amount for line in order_lines)
    return Order(
        channel=channel,
        shop_id="SHOP-1",
        channel_order_id=f"{n:06d}",
        channel_status="PAID",
        status="PAID",
        version=1,
        buyer_id=buyer or f"buyer-{n}",
        receiver=Receiver(
            name_cipher="~c~",
            name_masked="*",
            phone_cipher="~c~",
            phone_masked="138****0000",
            address_cipher="~c~",
            address_masked=f"{province}{city}****",
            province=province,
            city=city,
            district="某区",
            match_token=f"token-{buyer or n}",
        ),
        lines=order_lines,
        goods_amount=paid,
        paid_amount=paid,
        created_at=at + timedelta(minutes=n),
        paid_at=at + timedelta(minutes=n, seconds=30),
        updated_at=at + timedelta(minutes=n, seconds=30),
        **extra,
    )


def rules_with(changes: dict[str, dict[str, Any]], **top: Any) -> RuleSet:
    data = json.loads(DEFAULT_RULES_FILE.read_bytes())
    data |= top | {"version": "test-candidate"}
    for rule in data["rules"]:
        rule.update(changes.get(rule["id"], {}))
    return parse_rules(json.dumps(data).encode())


def policy_with(**weights: str) -> RoutingPolicy:
    data = json.loads(DEFAULT_POLICY_FILE.read_bytes())
    data["weights"] |= weights
    data["version"] = "test-policy"
    return parse_policy(json.dumps(data).encode())


def run(orders: Sequence[Order], candidate: Setup, **kwargs: Any) -> ReplayReport:
    return replay(
        orders, baseline=LIVE, candidate=candidate, network=NETWORK, available=kwargs.pop("available", STOCK),
        stock_label="test", **kwargs,
    )  # fmt: skip


# --- purity ---


def test_the_comparison_module_does_not_import_aws() -> None:
    code = (
        "import sys, functions.workflow.logic.replay, functions.workflow.logic.audit, "
        "functions.workflow.logic.routing; print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('boto3', 'botocore')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- the same setup on both sides ---


def test_identical_setups_change_nothing() -> None:
    orders = sample_orders()
    report = run(orders, LIVE)
    assert report.changes == ()
    assert report.unchanged == len(orders) == report.orders_replayed
    assert report.before == report.after
    assert all(load.orders_before == load.orders_after for load in report.node_load)


# --- audit changes ---


def test_a_lower_review_score_holds_orders_and_names_the_hits() -> None:
    hurried = order(1, buyer_message="急用，质量不好就投诉")  # complaint 30 + urgent 5 = 35
    calm = order(2)
    report = run([hurried, calm], Setup(rules=rules_with({}, review_score=30), policy=LIVE.policy))

    [change] = report.changes
    assert change.order_key == hurried.order_key
    assert change.changed == ("audit", "routing")
    assert change.baseline.audit.outcome is AuditOutcome.PASS
    assert change.candidate.audit.outcome is AuditOutcome.REVIEW
    assert change.candidate.audit.score == change.baseline.audit.score == 35
    assert change.hits_added == change.hits_removed == ()  # same hits; the threshold moved
    assert change.candidate.routing.outcome == NOT_ROUTED
    assert change.baseline.routing.parcels  # it was routed before
    assert (report.before.review, report.after.review) == (0, 1)
    assert (report.before.review_rate, report.after.review_rate) == (Decimal("0"), Decimal("0.5000"))
    assert (report.before.routed, report.after.routed) == (2, 1)


def test_a_reweighted_rule_shows_as_removed_and_added_with_its_reason() -> None:
    hurried = order(1, buyer_message="质量不好就投诉")
    candidate = Setup(rules=rules_with({"complaint-threat-in-message": {"weight": 60}}), policy=LIVE.policy)
    [change] = run([hurried], candidate).changes
    assert [(h.rule_id, h.weight) for h in change.hits_removed] == [("complaint-threat-in-message", 30)]
    assert [(h.rule_id, h.weight) for h in change.hits_added] == [("complaint-threat-in-message", 60)]
    assert "投诉" in change.hits_added[0].reason
    assert change.candidate.audit.outcome is AuditOutcome.REVIEW


def test_window_rules_see_the_other_orders_of_the_file() -> None:
    same_buyer = [order(n, buyer="repeat-buyer", at=T0 + timedelta(hours=n)) for n in range(3)]
    stranger = order(9)
    candidate = Setup(rules=rules_with({"buyer-order-velocity": {"min_orders": 3, "weight": 60}}), policy=LIVE.policy)
    report = run([*same_buyer, stranger], candidate)

    flagged = {change.order_key for change in report.changes}
    assert flagged == {o.order_key for o in same_buyer}  # each sees the other two, within 24 h either side
    for change in report.changes:
        [hit] = change.hits_added
        assert hit.rule_id == "buyer-order-velocity" and "3 orders by one buyer" in hit.reason


def test_a_hit_that_does_not_change_the_outcome_is_counted_not_listed() -> None:
    hurried = order(1, buyer_message="质量不好就投诉")
    candidate = Setup(rules=rules_with({"complaint-threat-in-message": {"weight": 40}}), policy=LIVE.policy)
    report = run([hurried], candidate)
    assert report.changes == ()
    assert report.score_only_changes == 1


# --- routing changes ---


def test_a_cost_first_policy_moves_orders_and_the_report_matches_route() -> None:
    orders = [order(n, ("RC-4L-IH", 1)) for n in range(4)] + [order(10, ("KT-17L", 1), channel="douyin")]
    cost_first = policy_with(freight="3.0", distance="0", delivery="0", utilisation="0", stock_balance="0")
    report = run(orders, Setup(rules=LIVE.rules, policy=cost_first))

    assert report.changes, "the cost-first policy should move some of these orders"
    for change in report.changes:
        assert change.changed == ("routing",)
        source = next(o for o in orders if o.order_key == change.order_key)
        expected = route(source, NETWORK, cost_first, STOCK, now=source.paid_at or source.created_at).chosen
        assert expected is not None
        assert [p.node_id for p in change.candidate.routing.parcels] == [p.node_id for p in expected.parcels]
        assert change.candidate.routing.freight_fen == expected.freight_fen
        assert change.candidate.routing.freight_fen <= change.baseline.routing.freight_fen
        assert any(reason.startswith("beat") for reason in change.routing_why)
    assert report.after.freight_fen <= report.before.freight_fen
    # per-node load adds up to the parcels routed on each side
    assert sum(load.parcels_before for load in report.node_load) == report.before.routed
    assert sum(load.parcels_after for load in report.node_load) == report.after.routed


def test_split_rate_freight_and_promised_misses_add_up() -> None:
    # two kettles, one at each of two warehouses: the first order must split; the others ship whole
    scarce = dict(STOCK) | {("KT-17L", node.node_id): 0 for node in NETWORK.nodes}
    scarce |= {("KT-17L", "WH-HZ"): 1, ("KT-17L", "WH-GZ"): 1}
    orders = [
        order(1, ("KT-17L", 2), channel="douyin"),
        order(2, ("RC-4L-IH", 1)),
        order(3, ("RC-4L-IH", 2), province="四川省", city="成都市"),
    ]
    report = run(orders, LIVE, available=scarce)
    totals = report.before
    assert (totals.routed, totals.split) == (3, 1)
    assert totals.split_rate == (Decimal(1) / Decimal(3)).quantize(Decimal("0.0001"))
    freights = []
    late = 0
    sla = LIVE.policy.delivery.sla_for
    for o in orders:
        decision = route(o, NETWORK, LIVE.policy, scarce, now=o.paid_at or o.created_at)
        assert decision.chosen is not None
        freights.append(decision.chosen.freight_fen)
        late += any(p.promised_hours > sla(o.channel) for p in decision.chosen.parcels)
    assert totals.freight_fen == sum(freights)
    assert totals.mean_freight_fen == int((Decimal(sum(freights)) / 3).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert totals.promised_misses == late


def test_an_empty_file_reports_zero_rates() -> None:
    report = run([], LIVE)
    assert report.before.review_rate == report.before.split_rate == Decimal(0)
    assert report.before.mean_freight_fen == 0


# --- determinism ---


def test_the_report_does_not_depend_on_the_input_order() -> None:
    orders = sample_orders()
    candidate = Setup(rules=rules_with({}, review_score=30), policy=policy_with(freight="2.0", distance="0"))
    shuffled = orders[:]
    random.Random(3).shuffle(shuffled)
    first, second = run(orders, candidate), run(shuffled, candidate)
    assert first.model_dump_json() == second.model_dump_json()
    keys = [(c.created_at, c.order_key) for c in first.changes]
    assert keys == sorted(keys)


# --- inputs ---


def test_parse_orders_skips_invalid_records_without_echoing_their_values() -> None:
    good = order(1)
    newer = good.model_copy(update={"version": 2, "buyer_message": "newer"})
    bad = json.loads(order(2).model_dump_json())
    bad["lines"] = []
    bad["receiver"]["address_masked"] = "SECRET-ADDRESS-TEXT"
    text = "\n".join([newer.model_dump_json(), "", json.dumps(bad), "{not json", good.model_dump_json()]) + "\n"

    parsed = parse_orders(text)

    assert [o.buyer_message for o in parsed.orders] == ["newer"]  # the newest version of the key wins
    assert parsed.superseded == 1
    assert [s.record for s in parsed.skipped] == [3, 4]
    assert "lines" in parsed.skipped[0].error
    assert all("SECRET" not in s.error for s in parsed.skipped)


def test_parse_orders_reads_a_json_array_and_refuses_broken_json() -> None:
    parsed = parse_orders(json.dumps([json.loads(order(1).model_dump_json()), {"channel": "x"}]))
    assert len(parsed.orders) == 1 and [s.record for s in parsed.skipped] == [2]
    with pytest.raises(ReplayInputError):
        parse_orders("[{")


def test_stock_files_and_the_derived_snapshot() -> None:
    assert parse_stock(b'{"KT-17L": {"WH-HZ": 3}}') == {("KT-17L", "WH-HZ"): 3}
    with pytest.raises(ReplayInputError, match="KT-17L.WH-HZ"):
        parse_stock(b'{"KT-17L": {"WH-HZ": -1}}')
    assert derived_stock(NETWORK) == STOCK  # reproducible
    bulky = {p.sku for p in NETWORK.catalog if p.large_appliance}
    no_bulky = {n.node_id for n in NETWORK.nodes if "LARGE_APPLIANCE" not in n.capabilities}
    assert no_bulky and not any((sku, node) in STOCK for sku in bulky for node in no_bulky)
    capacity = {n.node_id: n.daily_capacity for n in NETWORK.nodes}
    for sku in {sku for sku, _ in STOCK}:
        held = sorted(((capacity[node], units) for (s, node), units in STOCK.items() if s == sku))
        assert [units for _, units in held] == sorted(units for _, units in held)  # more capacity, more stock


def test_a_stock_snapshot_without_the_sku_makes_orders_unroutable() -> None:
    empty = {key: 0 for key in STOCK if key[0] == "KT-17L"} | {k: v for k, v in STOCK.items() if k[0] != "KT-17L"}
    report = run([order(1)], Setup(rules=LIVE.rules, policy=LIVE.policy), available=empty)
    assert report.before.unroutable == 1 and report.before.routed == 0


# --- the sample files ---


def test_the_sample_export_and_its_generator_give_valid_distinct_orders() -> None:
    # The file is a frozen fixture (the demo scenario it came from may change); both must read back cleanly.
    for text in ((SAMPLES / "orders.jsonl").read_text(encoding="utf-8"), to_jsonl(sample_orders())):
        parsed = parse_orders(text)
        assert (len(parsed.orders), parsed.skipped, parsed.superseded) == (200, (), 0)


def test_the_sample_candidates_validate_and_differ_from_live() -> None:
    rules = load_rules(str(SAMPLES / "audit_rules.candidate.json"))
    policy = load_policy(str(SAMPLES / "routing_policy.candidate.json"))
    assert rules.checksum != LIVE.rules.checksum and policy.checksum != LIVE.policy.checksum
    report = run(parse_orders((SAMPLES / "orders.jsonl").read_text(encoding="utf-8")).orders, Setup(rules, policy))
    changed = Counter(name for change in report.changes for name in change.changed)
    assert changed["audit"] and changed["routing"]
    assert report.before.review and report.before.reject and report.before.split
    assert report.after.review > report.before.review
