"""Workflow compensation ReleaseStock: returns a held reservation's stock. Idempotent: a second call is a no-op."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import inventory
from functions.workflow.models import StepInput
from hubcore.observability import logger, metrics


def release(step: StepInput) -> dict[str, Any]:
    released = inventory().release(step.order_key)
    logger.info("reservation release", released=released)
    return {"released": released}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = StepInput.model_validate(event)
    logger.append_keys(order_key=step.order_key)
    return release(step)
