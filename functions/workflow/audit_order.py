"""Workflow step AuditOrder: runs the risk rules and stores the decision, every hit with its reason."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import load_order, orders, publish
from functions.workflow.logic.audit import audit, load_rules
from functions.workflow.models import StepInput
from hubcore.observability import logger, metrics
from schemas.events import OrderAudited


def audit_order(step: StepInput) -> dict[str, Any]:
    table = orders()
    stored = load_order(step.order_key, table)
    decision = audit(stored.order, load_rules())
    rules = ", ".join(hit.rule_id for hit in decision.hits) or "no rule hit"
    table.move(
        step.order_key,
        "AUDITING",
        f"audit {decision.outcome.value} (score {decision.score}: {rules}; rules {decision.rules_version})",
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
        ),
        order_key=step.order_key,
        channel=stored.order.channel,
    )
    metrics.add_metric(name=f"Audit{decision.outcome.value.title()}", unit=MetricUnit.Count, value=1)
    logger.info("order audited", outcome=decision.outcome.value, score=decision.score, rules=rules)
    return {"outcome": decision.outcome.value, "score": decision.score, "rules_version": decision.rules_version}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = StepInput.model_validate(event)
    logger.append_keys(order_key=step.order_key)
    return audit_order(step)
