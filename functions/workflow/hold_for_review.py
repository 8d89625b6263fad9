"""Workflow step HoldForReview (waitForTaskToken): parks an order the audit sent to REVIEW until a person decides.

The order's stock is already reserved, so nothing sells it elsewhere meanwhile. The token is stored on the
order and the hold is queued for `GET /reviews`; `POST /reviews/{order_key}` answers the token, a
cancellation fails it (`OrderCancelled`), and the state machine's timeout releases the reservation.
"""

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import OrderCancelled, inventory, json_attribute, load_order, orders
from functions.workflow.models import HoldInput
from hubcore.adapters.review_queue import ReviewEntry, ReviewQueue, iso
from hubcore.observability import logger, metrics
from schemas.timeutil import utc_now

# After approval the order still waits for the warehouse (RequestFulfilment extends nothing itself).
SHIPMENT_MARGIN = timedelta(days=4)


def hold(step: HoldInput) -> dict[str, Any]:
    table = orders()
    stored = load_order(step.order_key, table)
    audit = json_attribute(stored, "audit") or {}
    now = utc_now()
    expires = now + timedelta(seconds=step.hold_seconds)
    rules = tuple(str(hit.get("rule_id")) for hit in audit.get("hits", []))
    applied = table.move(
        step.order_key,
        "HELD",
        f"held for review until {iso(expires)} (score {audit.get('score')}: {', '.join(rules) or 'no rule'})",
        fields={"task_token": step.task_token, "review_held_at": iso(now), "review_expires_at": iso(expires)},
        not_from=("CANCELLED",),
    )
    if not applied:
        raise OrderCancelled(f"order {step.order_key} was cancelled before it could be held for review")
    # The reserved stock must outlive the hold, or the sweeper would release it under the reviewer.
    inventory().extend(step.order_key, expires + SHIPMENT_MARGIN)
    ReviewQueue().add(
        ReviewEntry(
            order_key=step.order_key,
            held_at=iso(now),
            expires_at=iso(expires),
            channel=stored.order.channel,
            score=int(audit.get("score") or 0),
            rules=rules,
        )
    )
    metrics.add_metric(name="ReviewHolds", unit=MetricUnit.Count, value=1)
    logger.info("order held for review", expires_at=iso(expires), rules=rules)
    return {"held_until": iso(expires)}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = HoldInput.model_validate(event)
    logger.append_keys(order_key=step.order_key)
    return hold(step)
