"""Workflow compensation ReleaseStock: returns the stock the order still holds (every node whose parcel has not
shipped; a shipped parcel's lines were committed when it was confirmed and stay committed) and takes the order
out of its fulfilments that have not shipped, so a merged fulfilment ships without it and one it alone was in
is closed. Idempotent: a second call is a no-op.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import inventory, json_attribute
from functions.workflow.models import StepInput
from hubcore.adapters.orders_table import FulfilmentStore
from hubcore.observability import logger, metrics


def release(step: StepInput) -> dict[str, Any]:
    released = inventory().release(step.order_key)
    table = FulfilmentStore()
    stored = table.get(step.order_key)
    parcels = (json_attribute(stored, "parcels") or []) if stored is not None else []
    left = [str(p["fulfilment_id"]) for p in parcels if p.get("fulfilment_id")]
    left = [fid for fid in left if table.leave_fulfilment(fid, step.order_key)]
    shipped = sorted(table.parcel_shipments(step.order_key)) if parcels else []
    logger.info("reservation release", released=released, left_fulfilments=left, shipped_parcels_kept=shipped)
    return {"released": released, "left_fulfilments": left}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = StepInput.model_validate(event)
    logger.append_keys(order_key=step.order_key)
    return release(step)
