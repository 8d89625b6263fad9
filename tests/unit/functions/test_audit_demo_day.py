"""The demo's day of orders (localhub.scenario) through the packaged rules, each order seeing the ones before it
as the risk ledger would show them: normal orders pass untouched, the planted anomalies end as planned."""

import hashlib
from datetime import datetime

import pytest

from functions.workflow.logic.audit import DEFAULT_RULES_FILE, audit, history_among, load_rules
from localhub.scenario import Anomaly, PlannedOrder, build_plan
from schemas.events import AuditOutcome
from schemas.order import Order, OrderLine, OrderStatus, Receiver
from schemas.timeutil import SHANGHAI

RULES = load_rules(str(DEFAULT_RULES_FILE))
DAY = datetime(2026, 11, 23, tzinfo=SHANGHAI)


def _token(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def _receiver(planned: PlannedOrder) -> Receiver:
    """The receiver as each connector normalises the simulator's (ciphertext, masked text, region, match token)."""
    spec = planned.spec.receiver
    if planned.channel == "douyin":  # masked street head, phone search index as the token
        masked, token = spec.detail[:2] + "******", _token(spec.phone)
    else:  # Tmall: the region in clear ahead of the mask, the OAID as the token
        masked, token = f"{spec.province}{spec.city}{spec.district}****", _token(spec.name, spec.phone, spec.detail)
    return Receiver(
        name_cipher="~n~c~1~",
        name_masked=spec.name[:1] + "*",
        phone_cipher="$p$c$1$",
        phone_masked=spec.phone[:3] + "****" + spec.phone[-4:],
        address_cipher="#a#c#1#",
        address_masked=masked,
        province=spec.province,
        city=spec.city,
        district=spec.district or None,
        match_token=token,
    )


def canonical(planned: PlannedOrder) -> Order:
    spec = planned.spec
    lines = [
        OrderLine(
            line_id=f"{planned.index}-{n}",
            merchant_sku=line.sku,
            quantity=line.quantity,
            unit_price=line.unit_price_fen,
            paid_amount=line.paid_fen if line.paid_fen is not None else line.unit_price_fen * line.quantity,
        )
        for n, line in enumerate(spec.lines)
    ]
    goods = sum(line.unit_price * line.quantity for line in lines)
    paid_goods = sum(line.paid_amount for line in lines)
    return Order(
        channel=planned.channel,
        shop_id=spec.shop_id,
        channel_order_id=f"{planned.index:06d}",
        channel_status="PAID",
        status=OrderStatus.PAID,
        version=1,
        buyer_id=spec.buyer_id,
        receiver=_receiver(planned),
        lines=lines,
        goods_amount=goods,
        freight_amount=spec.freight_fen,
        discount_amount=goods - paid_goods,
        paid_amount=paid_goods + spec.freight_fen,
        created_at=spec.created_at,
        paid_at=spec.created_at,
        updated_at=spec.created_at,
        buyer_message=spec.buyer_message or None,
    )


@pytest.mark.parametrize("count", [200, 500])
def test_the_demo_day_ends_as_planned(count: int):
    plan = build_plan(count, 7, DAY)
    seen: list[Order] = []
    outcomes: dict[Anomaly, list[tuple[AuditOutcome, list[str]]]] = {}
    for planned in plan.orders:
        if planned.anomaly is Anomaly.UNPAID:
            continue  # never paid, never audited
        order = canonical(planned)
        decision = audit(order, RULES, history_among(order, seen))
        seen.append(order)
        outcomes.setdefault(planned.anomaly, []).append((decision.outcome, [h.rule_id for h in decision.hits]))

    normal = [Anomaly.NONE, Anomaly.DUPLICATE_DELIVERY, Anomaly.OUT_OF_ORDER, Anomaly.SOLD_OUT]
    normal.append(Anomaly.REFUND_BEFORE_SHIPMENT)  # audited while still paid
    for anomaly in normal:
        assert outcomes[anomaly] and all(result == (AuditOutcome.PASS, []) for result in outcomes[anomaly]), anomaly
    assert {outcome for outcome, _ in outcomes[Anomaly.BLACKLISTED]} == {AuditOutcome.REJECT}
    assert all(hits == ["buyer-blacklisted"] for _, hits in outcomes[Anomaly.BLACKLISTED])
    assert outcomes[Anomaly.INCOMPLETE_ADDRESS] == [(AuditOutcome.REVIEW, ["address-incomplete"])]
