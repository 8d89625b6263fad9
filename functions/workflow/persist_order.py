"""Workflow step PersistOrder: pins the order version this execution works on."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import load_order, orders
from functions.workflow.models import PersistInput
from hubcore.observability import logger, metrics


def persist(step: PersistInput) -> dict[str, Any]:
    table = orders()
    stored = load_order(step.order_key, table)
    fields: dict[str, Any] = {"pinned_version": str(stored.version)}
    if step.execution_arn:
        fields["execution_arn"] = step.execution_arn
    table.move(
        step.order_key,
        "AUDITING",
        f"workflow started on version {stored.version}",
        fields=fields,
        not_from=("CANCELLED",),
    )
    return {"version": str(stored.version), "hub_state": stored.hub_state}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = PersistInput.model_validate(event)
    logger.append_keys(order_key=step.order_key)
    return persist(step)
