"""CPU per audit: one realistic order against every rule of the packaged rules file, with a realistic history.

The order is a Douyin order with a hot SKU, a kettle, two coupons, a buyer message, a merge key and a device;
its history is what a busy account and address show over the windows the rules read (a dozen orders by the
buyer over the month, a few to its address and from its device). Measured as process CPU time, warmed up,
with and without the history; the history's construction is outside the timed loop (the handler builds it
from the ledger's items once per audit, which is measured separately as `history_build_ms`).
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.workflow.logic.audit import AuditHistory, RuleSet, audit, history_among, load_rules
from schemas.order import Order, OrderLine, Receiver

GOAL_MS = 0.5
_AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def _line(number: int, sku: str, unit: int, paid: int) -> OrderLine:
    return OrderLine(line_id=f"{number}-{sku}", merchant_sku=sku, quantity=1, unit_price=unit, paid_amount=paid)


def _order(number: int, *, buyer: str, hours_ago: int, merge_key: str, device: str, hot: bool) -> Order:
    lines = [_line(number, "KT-17L", 19_900, 17_900)]
    if hot:
        lines.insert(0, _line(number, "VC-CORDLESS", 199_900, 179_900))
    goods = sum(line.unit_price * line.quantity for line in lines)
    paid = sum(line.paid_amount for line in lines)
    at = _AT - timedelta(hours=hours_ago)
    return Order(
        channel="douyin",
        shop_id="DY-SHOP-88",
        channel_order_id=f"69{number:016d}",
        channel_status="2",
        status="PAID",
        version=1,
        buyer_id=buyer,
        receiver=Receiver(
            name_cipher="~AbCd~bench~1~",
            name_masked="王*",
            phone_cipher="$EfGh$bench$1$",
            phone_masked="138****0000",
            address_cipher="#IjKl#bench#1#",
            address_masked="文三******",
            province="浙江省",
            city="杭州市",
            district="西湖区",
            town="文新街道",
            match_token="EfGh",
        ),
        lines=lines,
        goods_amount=goods,
        discount_amount=goods - paid,
        paid_amount=paid,
        created_at=at,
        paid_at=at,
        updated_at=at,
        buyer_message="工作日送货，请尽快发货",
        coupon_ids=["shop-200-off", "platform-50-off"],
        merge_key=merge_key,
        device_id=device,
    )


def sample() -> tuple[Order, list[Order]]:
    """The audited order and the other orders recorded before it: the buyer's month (12 orders), two family
    accounts shipping to the same address and three guests on the same device in the last days."""
    order = _order(1, buyer="dy-buyer-bench", hours_ago=0, merge_key="mk-bench", device="dev-bench", hot=True)
    others = [
        _order(100 + n, buyer="dy-buyer-bench", hours_ago=48 * n + 24, merge_key=f"mk-{n}", device="d", hot=False)
        for n in range(12)
    ]
    others += [
        _order(200 + n, buyer=f"dy-family-{n % 2}", hours_ago=9 * n + 5, merge_key="mk-bench", device="d2", hot=False)
        for n in range(5)
    ]
    others += [
        _order(300 + n, buyer=f"dy-guest-{n}", hours_ago=7 * n + 3, merge_key=f"mk-x{n}", device="dev-bench", hot=False)
        for n in range(3)
    ]
    return order, others


def _cpu_ms(work: Callable[[], object], iterations: int) -> float:
    for _ in range(min(200, iterations)):  # warm-up
        work()
    started = time.process_time()
    for _ in range(iterations):
        work()
    return (time.process_time() - started) / iterations * 1000


def run(iterations: int = 2000) -> dict[str, Any]:
    """Figures for `omnihub bench`; prints nothing."""
    started = time.process_time()
    rules: RuleSet = load_rules.__wrapped__()  # uncached: measure validation of the file too
    load_ms = (time.process_time() - started) * 1000
    order, others = sample()
    history: AuditHistory = history_among(order, others)
    decision = audit(order, rules, history)
    with_history = _cpu_ms(lambda: audit(order, rules, history), iterations)
    without_history = _cpu_ms(lambda: audit(order, rules), iterations)
    build_ms = _cpu_ms(lambda: AuditHistory.model_validate(history.model_dump()), max(iterations // 10, 1))
    return {
        "scope": "audit of one order against every enabled rule (pure CPU, no AWS)",
        "iterations": iterations,
        "rules": len(rules.active),
        "rules_version": rules.label,
        "history_orders": len(history.by_address) + len(history.by_device) + len(history.by_buyer),
        "outcome": decision.outcome.value,
        "hits": [hit.rule_id for hit in decision.hits],
        "cpu_ms_per_audit": round(with_history, 4),
        "cpu_ms_per_audit_without_history": round(without_history, 4),
        "history_build_ms": round(build_ms, 4),
        "rules_load_ms": round(load_ms, 3),
        "goal_ms": GOAL_MS,
        "meets_goal": with_history <= GOAL_MS,
    }
