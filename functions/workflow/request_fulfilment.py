"""Workflow step RequestFulfilment (waitForTaskToken): stores the token and asks the warehouse to ship.

The workflow then waits until the shipment API answers the token (SendTaskSuccess), a cancellation fails it
(SendTaskFailure `OrderCancelled`), or the wait times out.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import OrderCancelled, json_attribute, load_order, orders, publish
from functions.workflow.logic.fulfilment import fulfilment_id, receiver_region
from functions.workflow.models import RequestInput
from hubcore.observability import logger, metrics
from schemas.events import FulfilmentRequested, StockLine


def request(step: RequestInput) -> dict[str, Any]:
    table = orders()
    stored = load_order(step.order_key, table)
    reservation = json_attribute(stored, "reservation") or {}
    node_id = step.node_id or str(reservation.get("node_id", ""))
    fid = fulfilment_id(step.order_key)
    table.put_fulfilment_lookup(fid, step.order_key)
    applied = table.move(
        step.order_key,
        "FULFILMENT_REQUESTED",
        f"fulfilment {fid} requested from {node_id}",
        fields={"task_token": step.task_token, "fulfilment_id": fid},
        not_from=("CANCELLED",),
    )
    if not applied:
        raise OrderCancelled(f"order {step.order_key} was cancelled before fulfilment was requested")
    receiver = stored.order.receiver
    publish(
        FulfilmentRequested(
            order_key=step.order_key,
            fulfilment_id=fid,
            node_id=node_id,
            lines=[StockLine(sku=line["sku"], quantity=int(line["quantity"])) for line in reservation.get("lines", [])],
            receiver_region=receiver_region(receiver.province, receiver.city, receiver.district),
        ),
        order_key=step.order_key,
        channel=stored.order.channel,
    )
    logger.info("fulfilment requested", fulfilment_id=fid, node_id=node_id)
    return {"fulfilment_id": fid}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = RequestInput.model_validate(event)
    logger.append_keys(order_key=step.order_key)
    return request(step)
