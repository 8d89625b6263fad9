"""Workflow step WriteBack: commits the reservation, then writes the shipment back to the channel.

Commit comes first: the goods have left the warehouse whatever the platform answers. The connector's
`PlatformUnavailable` propagates (the state machine retries it with backoff); `PlatformRejected` fails the
step (a business rejection is never retried) and the workflow records the failure for an operator.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from connectors.sdk import runtime
from connectors.sdk.contracts import Shipment
from functions.common import inventory, load_order, orders
from functions.workflow.models import WriteBackInput
from hubcore.observability import logger, metrics
from schemas.timeutil import utc_now


def write_back(step: WriteBackInput) -> dict[str, Any]:
    table = orders()
    stored = load_order(step.order_key, table)
    committed = inventory().commit(step.order_key)
    order = stored.order
    shipment = Shipment(
        carrier_code=step.shipment.carrier_code,
        tracking_no=step.shipment.tracking_no,
        shipped_at=step.shipment.shipped_at,
        line_ids=[line.line_id for line in order.lines],
    )
    runtime.load_connector(order.channel).confirm_shipment(order, shipment)
    table.move(
        step.order_key,
        "SHIPPED",
        f"shipment {step.shipment.carrier_code} written back to {order.channel}",
        fields={"written_back_at": utc_now().isoformat()},
        not_from=("CANCELLED",),
    )
    logger.info("shipment written back", channel=order.channel, committed=committed)
    return {"committed": committed}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = WriteBackInput.model_validate(event)
    logger.append_keys(order_key=step.order_key)
    return write_back(step)
