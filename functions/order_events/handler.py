"""OrderEvents: SQS batches of OrderReceived/OrderUpdated (EventBridge envelopes) → start or cancel the workflow.

Each record is handled on its own (partial batch response): a failed record returns to the queue and
reaches the DLQ after the queue's max receives. Decisions use the order as stored (the newest version), so
an out-of-order delivery converges on the same outcome.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from functions.common import inventory, load_order, orders, publish, step_functions
from functions.workflow.logic.cancellation import HUB_SHIPPED_STATES, Action, decide
from hubcore.adapters.orders_table import StoredOrder
from hubcore.adapters.step_functions import TaskTokenGone
from hubcore.naming import execution_name
from hubcore.observability import logger, metrics
from schemas.events import OrderCancelled
from schemas.order import Order

ORDER_EVENTS = frozenset({"OrderReceived", "OrderUpdated"})
_CANCEL_ATTEMPTS = 3
# Hub states in which a workflow waits on a task token: cancelling fails the token so the workflow releases.
WAITING_ON_TOKEN = ("FULFILMENT_REQUESTED", "HELD")

processor = BatchProcessor(event_type=EventType.SQS)


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore")
    order: Order


class _Detail(BaseModel):
    model_config = ConfigDict(extra="ignore")
    data: _Data


class OrderEventEnvelope(BaseModel):
    """The EventBridge event as the SQS target delivers it."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    detail_type: str = Field(alias="detail-type")
    detail: _Detail


def start(stored: StoredOrder) -> None:
    key = stored.order.order_key
    result = step_functions().start_execution(
        name=execution_name(key), payload={"order_key": key, "version": str(stored.version)}
    )
    logger.info("workflow start", started=result.started, execution=result.execution_arn.rsplit(":", 1)[-1])


def cancel(order_key: str, reason: str) -> None:
    """Fail the waiting workflow with OrderCancelled, or without one release the stock and mark the order."""
    table = orders()
    for _ in range(_CANCEL_ATTEMPTS):
        stored = load_order(order_key, table)
        if stored.hub_state in HUB_SHIPPED_STATES:
            logger.info("cancellation after shipment: recorded only")
            return
        token = stored.attributes.get("task_token")
        if token and stored.hub_state in WAITING_ON_TOKEN:
            try:
                step_functions().send_task_failure(str(token), error="OrderCancelled", cause=reason)
                logger.info("waiting workflow cancelled")
                return
            except TaskTokenGone:
                logger.info("the workflow is no longer waiting; cancelling directly")
        applied = table.move(
            order_key,
            "CANCELLED",
            reason,
            remove=("task_token",),
            not_from=("CANCELLED", *HUB_SHIPPED_STATES),
            if_absent=None if token else "task_token",  # a token stored meanwhile: go through the workflow
        )
        current = load_order(order_key, table)
        if applied or current.hub_state == "CANCELLED":
            released = inventory().release(order_key)  # what is still held (shipped parcels stay); idempotent
            if applied:
                publish(
                    OrderCancelled(order_key=order_key, reason=reason, released_reservation=released),
                    order_key=order_key,
                    channel=current.order.channel,
                )
            logger.info("order cancelled", released=released)
            return
    raise RuntimeError(f"could not settle the cancellation of {order_key}; the message will be retried")


def handle(order: Order) -> Action:
    table = orders()
    stored = load_order(order.order_key, table)
    decision = decide(stored.order, stored.hub_state)
    logger.info("order event", action=decision.action.value, hub_state=stored.hub_state, reason=decision.reason)
    if decision.action == Action.START:
        start(stored)
    elif decision.action == Action.CANCEL:
        cancel(order.order_key, decision.reason)
    elif decision.action == Action.RECORD_PENDING:
        table.move(order.order_key, "PENDING_PAYMENT", decision.reason, only_from=("RECEIVED", "PENDING_PAYMENT"))
    metric = "OrderEvent" + decision.action.value.title().replace("_", "")
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    return decision.action


def record_handler(record: SQSRecord) -> None:
    envelope = OrderEventEnvelope.model_validate_json(record.body)
    if envelope.detail_type not in ORDER_EVENTS:
        logger.warning("ignoring an unexpected event", detail_type=envelope.detail_type)
        return
    order = envelope.detail.data.order
    logger.append_keys(order_key=order.order_key)
    try:
        handle(order)
    finally:
        logger.remove_keys(["order_key"])


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
