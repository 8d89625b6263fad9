"""Workflow step MarkOrder: records an end or parking state (REJECTED, HELD, BACKORDERED, DONE, CANCELLED, FAILED).

A cancellation wins: once CANCELLED, no later mark moves the order elsewhere.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import load_order, orders, publish
from functions.workflow.models import MarkInput
from hubcore.observability import logger, metrics
from schemas.events import OrderCancelled

MAX_CAUSE = 1000


def mark(step: MarkInput) -> dict[str, Any]:
    table = orders()
    detail = step.reason
    fields: dict[str, Any] = {}
    if step.audit:
        detail += f" (audit {step.audit.get('outcome')}, score {step.audit.get('score')})"
    if step.error:
        error = str(step.error.get("Error", "Unknown"))
        fields["failure"] = {"error": error, "cause": str(step.error.get("Cause", ""))[:MAX_CAUSE]}
        detail += f" [{error}]"
    if step.released is not None:
        detail += "; reservation released" if step.released else "; nothing to release"
    applied = table.move(
        step.order_key,
        step.state,
        detail,
        fields=fields,
        remove=("task_token",) if step.state in ("CANCELLED", "FAILED", "DONE") else (),
        not_from=("CANCELLED",),
    )
    if applied and step.state == "CANCELLED":
        stored = load_order(step.order_key, table)
        publish(
            OrderCancelled(order_key=step.order_key, reason=step.reason, released_reservation=bool(step.released)),
            order_key=step.order_key,
            channel=stored.order.channel,
        )
    if step.alert:
        metrics.add_metric(name=step.alert, unit=MetricUnit.Count, value=1)
        logger.warning("alert raised", alert=step.alert, state=step.state, reason=step.reason)
    logger.info("order marked", state=step.state, applied=applied)
    return {"state": step.state if applied else "CANCELLED", "applied": applied}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = MarkInput.model_validate(event)
    logger.append_keys(order_key=step.order_key)
    return mark(step)
