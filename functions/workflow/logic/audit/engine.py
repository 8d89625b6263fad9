"""The audit itself: every enabled rule over the order, hits scored, the outcome decided and explained."""

from pydantic import BaseModel, ConfigDict

from functions.workflow.logic.audit.facts import OrderFacts
from functions.workflow.logic.audit.history import AuditHistory
from functions.workflow.logic.audit.ruleset import RuleSet
from schemas.events import AuditOutcome, RuleHit
from schemas.order import Order

_SEVERITY = {AuditOutcome.PASS: 0, AuditOutcome.REVIEW: 1, AuditOutcome.REJECT: 2}


class AuditDecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: AuditOutcome
    score: int
    hits: list[RuleHit]
    rules_version: str
    rules_checksum: str
    history_available: bool


def decide(score: int, hits: list[RuleHit], rules: RuleSet) -> AuditOutcome:
    """The score thresholds, raised (never lowered) by the strongest `forces` among the hits."""
    outcome = AuditOutcome.PASS
    if score >= rules.reject_score:
        outcome = AuditOutcome.REJECT
    elif score >= rules.review_score:
        outcome = AuditOutcome.REVIEW
    for hit in hits:
        if hit.forces is not None and _SEVERITY[hit.forces] > _SEVERITY[outcome]:
            outcome = hit.forces
    return outcome


def audit(order: Order, rules: RuleSet, history: AuditHistory | None = None) -> AuditDecision:
    """Run the enabled rules; without `history` the window rules are skipped and the decision says so."""
    facts = OrderFacts(order=order, history=history, hot_skus=rules.hot_skus)
    hits: list[RuleHit] = []
    for rule in rules.active:
        if rule.needs_history and history is None:
            continue
        detail = rule.evaluate(facts)
        if detail is not None:
            hits.append(
                RuleHit(rule_id=rule.id, weight=rule.weight, reason=f"{rule.reason}: {detail}", forces=rule.forces)
            )
    score = sum(hit.weight for hit in hits)
    return AuditDecision(
        outcome=decide(score, hits, rules),
        score=score,
        hits=hits,
        rules_version=rules.label,
        rules_checksum=rules.checksum,
        history_available=history is not None,
    )
