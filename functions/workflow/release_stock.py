"""Workflow compensation ReleaseStock: returns a held reservation's stock (every parcel, every node: the
ledger holds one reservation per order) and takes the order out of its fulfilments that have not shipped,
so a merged fulfilment ships without it and one it alone was in is closed. Idempotent: a second call is a no-op.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
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
    shipped = table.parcel_shipments(step.order_key) if parcels else {}
    if released and shipped:
        # The ledger settles a reservation as a whole: units of parcels that already left are returned too.
        logger.error("reservation released after some parcels shipped", shipped=sorted(shipped))
        metrics.add_metric(name="ReleasedAfterPartialShipment", unit=MetricUnit.Count, value=1)
    logger.info("reservation release", released=released, left_fulfilments=left)
    return {"released": released, "left_fulfilments": left}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = StepInput.model_validate(event)
    logger.append_keys(order_key=step.order_key)
    return release(step)
