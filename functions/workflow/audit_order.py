"""Workflow step AuditOrder: records the order's risk facts, reads its history, runs the risk rules and stores
the decision, every hit with its reason."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import load_order, orders, publish
from functions.workflow.logic.audit import AuditHistory, PastOrder, RuleSet, audit, load_rules, past_order, risk_keys
from functions.workflow.models import StepInput
from hubcore.adapters.risk_ledger import RiskFact, RiskLedger, RiskLedgerUnavailable
from hubcore.observability import logger, metrics
from schemas.events import OrderAudited
from schemas.order import Order


def _past(facts: list[RiskFact]) -> tuple[PastOrder, ...]:
    return tuple(
        PastOrder(order_key=f.order_key, channel=f.channel, buyer=f.buyer, at=f.at, skus=f.skus) for f in facts
    )


def order_history(order: Order, rules: RuleSet, ledger: RiskLedger) -> AuditHistory | None:
    """Record this order's risk facts, then read the orders sharing its keys within the rules' windows.

    Recording first means two orders audited at the same moment still see each other from at least one side.
    A ledger that cannot be reached leaves the audit without history (window rules skipped, the decision says
    so) rather than stopping the order.
    """
    keys = risk_keys(order)
    fact = past_order(order, keys)
    key_values = {"address": keys.address, "device": keys.device, "buyer": keys.buyer}
    try:
        ledger.record(
            RiskFact(order_key=fact.order_key, channel=fact.channel, buyer=fact.buyer, at=fact.at, skus=fact.skus),
            key_values,
        )
        found = ledger.recent(key_values, fact.at, rules.history_windows)
    except RiskLedgerUnavailable as exc:
        logger.warning("risk history unavailable; window rules skipped", error=exc.code)
        metrics.add_metric(name="AuditHistoryUnavailable", unit=MetricUnit.Count, value=1)
        return None
    return AuditHistory(
        by_address=_past(found.get("address", [])),
        by_device=_past(found.get("device", [])),
        by_buyer=_past(found.get("buyer", [])),
    )


def audit_order(step: StepInput, ledger: RiskLedger | None = None) -> dict[str, Any]:
    table = orders()
    stored = load_order(step.order_key, table)
    rules = load_rules()
    history = order_history(stored.order, rules, ledger or RiskLedger())
    decision = audit(stored.order, rules, history)
    rule_ids = ", ".join(hit.rule_id for hit in decision.hits) or "no rule hit"
    table.move(
        step.order_key,
        "AUDITING",
        f"audit {decision.outcome.value} (score {decision.score}: {rule_ids}; rules {decision.rules_version}"
        f"{'' if decision.history_available else '; history unavailable'})",
        fields={"audit": decision.model_dump(mode="json")},
        not_from=("CANCELLED",),
    )
    publish(
        OrderAudited(
            order_key=step.order_key,
            outcome=decision.outcome,
            score=decision.score,
            hits=decision.hits,
            rules_version=decision.rules_version,
            rules_checksum=decision.rules_checksum,
            history_available=decision.history_available,
        ),
        order_key=step.order_key,
        channel=stored.order.channel,
    )
    metrics.add_metric(name=f"Audit{decision.outcome.value.title()}", unit=MetricUnit.Count, value=1)
    logger.info(
        "order audited",
        outcome=decision.outcome.value,
        score=decision.score,
        rules=rule_ids,
        history_available=decision.history_available,
    )
    return {"outcome": decision.outcome.value, "score": decision.score, "rules_version": decision.rules_version}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = StepInput.model_validate(event)
    logger.append_keys(order_key=step.order_key)
    return audit_order(step)
