"""Window rules over the history of orders sharing an address, device or buyer."""

from datetime import UTC, datetime, timedelta
from typing import Any

from functions.workflow.logic.audit import (
    DEFAULT_RULES_FILE,
    AuditHistory,
    audit,
    history_among,
    load_rules,
    past_order,
    risk_keys,
)
from functions.workflow.logic.audit.base import WindowRule
from schemas.events import AuditOutcome
from schemas.order import Order, OrderLine
from tests.unit.core.factories import make_order

RULES = load_rules(str(DEFAULT_RULES_FILE))
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
_serial = iter(range(10_000, 99_999))


def order(
    *,
    buyer: str = "buyer-a",
    at: datetime = T0,
    sku: str = "AC-1P-INV",
    quantity: int = 1,
    unit: int = 299900,
    **overrides: Any,
) -> Order:
    """A clean paid order placed at `at` (amounts add up, so only the window rules can hit)."""
    order_id = str(next(_serial))
    line = OrderLine(
        line_id=f"{order_id}-1", merchant_sku=sku, quantity=quantity, unit_price=unit, paid_amount=unit * quantity
    )
    fields: dict[str, Any] = {
        "order_id": order_id,
        "buyer_id": buyer,
        "lines": [line],
        "goods_amount": unit * quantity,
        "discount_amount": 0,
        "paid_amount": unit * quantity,
        "created_at": at,
        "paid_at": at,
        "updated_at": at + timedelta(minutes=1),
    }
    fields.update(overrides)
    return make_order(**fields)


def hits(current: Order, *earlier: Order) -> list[str]:
    return [hit.rule_id for hit in audit(current, RULES, history_among(current, earlier)).hits]


def test_many_buyers_to_one_address_within_the_window():
    first = order(buyer="a", merge_key="addr-1", at=T0 - timedelta(hours=70))
    second = order(buyer="b", merge_key="addr-1", at=T0 - timedelta(hours=1))
    third = order(buyer="c", merge_key="addr-1")

    assert "many-buyers-one-address" in hits(third, first, second)
    assert "many-buyers-one-address" not in hits(third, second)  # two accounts only
    late = first.model_copy(update={"created_at": T0 - timedelta(hours=73)})
    assert "many-buyers-one-address" not in hits(third, late, second)  # the first is outside 72 h
    same_buyer = second.model_copy(update={"buyer_id": "c"})
    assert "many-buyers-one-address" not in hits(third, same_buyer)


def test_the_match_token_is_the_address_key_when_there_is_no_merge_key():
    def to(token: str, buyer: str) -> Order:
        return order(buyer=buyer, receiver=make_order().receiver.model_copy(update={"match_token": token}))

    assert "many-buyers-one-address" in hits(to("tok", "c"), to("tok", "a"), to("tok", "b"))
    assert "many-buyers-one-address" not in hits(to("tok", "c"), to("tok", "a"), to("other", "b"))


def test_many_accounts_on_one_device_within_a_day():
    earlier = [order(buyer=b, device_id="dev-9", at=T0 - timedelta(hours=h)) for b, h in (("a", 23), ("b", 2))]
    current = order(buyer="c", device_id="dev-9")

    assert "many-accounts-one-device" in hits(current, *earlier)
    assert "many-accounts-one-device" not in hits(current, earlier[1].model_copy(update={"device_id": "dev-1"}))
    older = earlier[0].model_copy(update={"created_at": T0 - timedelta(hours=25)})
    assert "many-accounts-one-device" not in hits(current, older, earlier[1])


def test_hot_sku_scalping_to_one_address_across_accounts_and_channels():
    douyin = order(buyer="dy-1", sku="VC-CORDLESS", unit=199900, merge_key="shared", at=T0 - timedelta(hours=5))
    tmall = order(buyer="tb-1", sku="VC-CORDLESS", unit=199900, merge_key="shared", channel="tmall")

    decision = audit(tmall, RULES, history_among(tmall, [douyin]))

    [hit] = [h for h in decision.hits if h.rule_id == "hot-sku-scalping-by-address"]
    assert "VC-CORDLESS bought by 2 accounts on 2 channel(s)" in hit.reason
    assert decision.outcome == AuditOutcome.REVIEW


def test_hot_sku_scalping_misses_other_skus_other_addresses_and_one_account():
    earlier = order(buyer="a", sku="VC-CORDLESS", unit=199900, merge_key="addr-1", at=T0 - timedelta(hours=5))

    assert "hot-sku-scalping-by-address" not in hits(order(buyer="b", merge_key="addr-1"), earlier)  # not hot
    other_address = order(buyer="b", sku="VC-CORDLESS", unit=199900, merge_key="addr-2")
    assert "hot-sku-scalping-by-address" not in hits(other_address, earlier)
    same_account = order(buyer="a", sku="VC-CORDLESS", unit=199900, merge_key="addr-1")
    assert "hot-sku-scalping-by-address" not in hits(same_account, earlier)
    other_hot_sku = order(buyer="b", sku="DW-13SET", unit=459900, merge_key="addr-1")
    assert "hot-sku-scalping-by-address" not in hits(other_hot_sku, earlier)


def test_hot_sku_scalping_from_one_device():
    earlier = order(buyer="a", sku="DW-13SET", unit=459900, device_id="dev-7", at=T0 - timedelta(hours=20))
    current = order(buyer="b", sku="DW-13SET", unit=459900, device_id="dev-7")

    assert "hot-sku-scalping-by-device" in hits(current, earlier)
    assert "hot-sku-scalping-by-device" not in hits(current, earlier.model_copy(update={"device_id": "dev-8"}))


def test_per_buyer_limit_of_a_hot_sku_over_a_week():
    bought = order(buyer="a", sku="VC-CORDLESS", unit=199900, quantity=2, at=T0 - timedelta(days=6))
    current = order(buyer="a", sku="VC-CORDLESS", unit=199900)

    assert "hot-sku-buyer-limit" in hits(current, bought)
    assert "hot-sku-buyer-limit" not in hits(current)  # 1 unit alone
    a_week_ago = bought.model_copy(update={"created_at": T0 - timedelta(days=7, hours=1)})
    assert "hot-sku-buyer-limit" not in hits(current, a_week_ago)
    other_buyer = bought.model_copy(update={"buyer_id": "b"})
    assert "hot-sku-buyer-limit" not in hits(current, other_buyer)


def test_per_buyer_limit_of_any_sku_over_a_week():
    bought = order(buyer="a", sku="KT-17L", unit=19900, quantity=9, at=T0 - timedelta(days=2))

    assert "buyer-sku-quantity-limit" in hits(order(buyer="a", sku="KT-17L", unit=19900, quantity=2), bought)
    assert "buyer-sku-quantity-limit" not in hits(order(buyer="a", sku="KT-17L", unit=19900, quantity=1), bought)


def test_duplicate_order_same_buyer_address_and_skus_within_the_hour():
    first = order(buyer="a", merge_key="addr-1", at=T0 - timedelta(minutes=20))

    twin = order(buyer="a", merge_key="addr-1")
    assert "duplicate-order" in hits(twin, first)
    assert "duplicate-order" not in hits(order(buyer="a", merge_key="addr-1", quantity=2), first)
    assert "duplicate-order" not in hits(order(buyer="b", merge_key="addr-1"), first)
    assert "duplicate-order" not in hits(twin, first.model_copy(update={"created_at": T0 - timedelta(hours=2)}))


def test_buyer_order_velocity():
    earlier = [order(buyer="a", at=T0 - timedelta(hours=h)) for h in (1, 5, 10, 20)]

    assert "buyer-order-velocity" in hits(order(buyer="a"), *earlier)  # the fifth in 24 h
    assert "buyer-order-velocity" not in hits(order(buyer="a"), *earlier[:3])


def test_first_time_buyer_with_a_large_order():
    large = order(buyer="new", unit=3_500_000)
    returning = order(buyer="new", at=T0 - timedelta(days=20))

    assert "first-time-buyer-large-order" in hits(large)
    assert "first-time-buyer-large-order" not in hits(large, returning)
    # an order placed after this one does not make this one a returning buyer's
    later = returning.model_copy(update={"created_at": T0 + timedelta(hours=1)})
    assert "first-time-buyer-large-order" in hits(large, later)
    assert "first-time-buyer-large-order" not in hits(order(buyer="new", unit=3_000_000))


def test_the_order_itself_in_its_history_is_not_counted():
    # The handler records the order's facts before reading, so the ledger returns the order itself too.
    current = order(buyer="a", merge_key="addr-1", device_id="dev-1", sku="VC-CORDLESS", unit=199900, quantity=2)
    keys, fact = risk_keys(current), past_order(current)
    assert keys.address and keys.device
    itself = AuditHistory(by_address=(fact,), by_device=(fact,), by_buyer=(fact,))

    decision = audit(current, RULES, itself)
    assert decision.hits == [] and decision.history_available


COVERED_HERE = {
    "many-buyers-one-address",
    "many-accounts-one-device",
    "hot-sku-scalping-by-address",
    "hot-sku-scalping-by-device",
    "hot-sku-buyer-limit",
    "buyer-sku-quantity-limit",
    "duplicate-order",
    "buyer-order-velocity",
    "first-time-buyer-large-order",
}


def test_every_window_rule_of_the_file_has_its_test_here():
    assert {rule.id for rule in RULES.rules if isinstance(rule, WindowRule)} == COVERED_HERE
