"""ReviewApi: `GET /reviews` lists the orders held for review with the audit's reasons; `POST
/reviews/{order_key}` approves or rejects one with a reason, which resumes its workflow.

Authenticated and authorised by API Gateway's IAM authorization: only principals granted
`execute-api:Invoke` on these routes (the stack's reviewers policy) reach this function, and the caller's
IAM ARN is recorded as the reviewer. A decision is recorded on the order before the workflow is resumed, so
a retried POST with the same decision is answered again without a second resume, and a different decision
for the same hold is refused.
"""

import contextlib
import json
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions.common import json_attribute, load_order, orders, step_functions
from functions.rest_api import json_response, lambda_entry, make_resolver
from functions.workflow.models import ReviewVerdict
from hubcore.adapters.orders_table import StoredOrder
from hubcore.adapters.review_queue import ReviewQueue
from hubcore.adapters.step_functions import TaskTokenGone
from hubcore.errors import HubError
from hubcore.observability import logger
from schemas.timeutil import utc_now

app = make_resolver()


class InvalidReview(HubError):
    code = "INVALID_REVIEW"
    http_status = 400


class ReviewerUnknown(HubError):
    code = "REVIEWER_UNKNOWN"
    http_status = 401


class NotAwaitingReview(HubError):
    code = "NOT_AWAITING_REVIEW"
    http_status = 409


class AlreadyReviewed(HubError):
    code = "ALREADY_REVIEWED"
    http_status = 409


class ReviewExpired(HubError):
    code = "REVIEW_EXPIRED"
    http_status = 409


class ReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: str = Field(pattern=r"^(APPROVE|REJECT)$")
    reason: str = Field(min_length=3, max_length=500)


def held_orders(limit: int = 100) -> list[dict[str, Any]]:
    queue, table = ReviewQueue(), orders()
    held = []
    for entry in queue.entries(limit):
        stored = table.get(entry.order_key)
        if stored is None or stored.hub_state != "HELD" or not stored.attributes.get("task_token"):
            queue.drop(entry)  # decided, cancelled or expired since it was queued
            continue
        audit = json_attribute(stored, "audit") or {}
        order = stored.order
        held.append(
            {
                "order_key": entry.order_key,
                "channel": entry.channel,
                "held_at": entry.held_at,
                "expires_at": entry.expires_at,
                "score": audit.get("score"),
                "rules_version": audit.get("rules_version"),
                "reasons": [{"rule_id": h.get("rule_id"), "reason": h.get("reason")} for h in audit.get("hits", [])],
                "paid_fen": order.paid_amount,
                "lines": [{"sku": line.merchant_sku, "quantity": line.quantity} for line in order.lines],
                "region": " ".join(filter(None, (order.receiver.province, order.receiver.city))),
            }
        )
    return held


def decide(order_key: str, body: ReviewBody, reviewer: str) -> dict[str, Any]:
    table = orders()
    stored = load_order(order_key, table)
    recorded = json_attribute(stored, "review")
    if recorded:
        return _replay(stored, recorded, body)
    token = stored.attributes.get("task_token")
    if stored.hub_state != "HELD" or not token:
        raise NotAwaitingReview(f"order {order_key} is {stored.hub_state}, not held for review")
    verdict = ReviewVerdict(decision=body.decision, reason=body.reason, reviewer=reviewer, decided_at=utc_now())
    applied = table.move(
        order_key,
        "HELD",
        f"review: {verdict.decision} by {reviewer}: {verdict.reason}",
        fields={"review": verdict.model_dump(mode="json")},
        only_from=("HELD",),
        if_absent="review",
    )
    if not applied:  # a concurrent decision, a cancellation or the timeout got there first
        current = load_order(order_key, table)
        found = json_attribute(current, "review")
        if found:
            return _replay(current, found, body)
        raise NotAwaitingReview(f"order {order_key} is {current.hub_state}, not held for review")
    try:
        step_functions().send_task_success(str(token), verdict.model_dump(mode="json"))
    except TaskTokenGone as exc:
        raise ReviewExpired(f"the review hold of {order_key} ended before the decision arrived") from exc
    logger.info("review decided", order_key=order_key, decision=verdict.decision, reviewer=reviewer)
    return {"order_key": order_key, "review": verdict.model_dump(mode="json"), "replay": False}


def _replay(stored: StoredOrder, recorded: dict[str, Any], body: ReviewBody) -> dict[str, Any]:
    verdict = ReviewVerdict.model_validate(recorded)
    if verdict.decision != body.decision:
        raise AlreadyReviewed(f"order {stored.order.order_key} was already decided: {verdict.decision}")
    token = stored.attributes.get("task_token")
    if token and stored.hub_state == "HELD":
        with contextlib.suppress(TaskTokenGone):  # the first decision may have died before resuming
            step_functions().send_task_success(str(token), verdict.model_dump(mode="json"))
    return {"order_key": stored.order.order_key, "review": verdict.model_dump(mode="json"), "replay": True}


def _reviewer() -> str:
    identity = app.current_event.request_context.identity
    arn = identity.user_arn or identity.caller
    if not arn:
        raise ReviewerUnknown("the request carries no IAM identity; sign it with SigV4 as a reviewer")
    return str(arn)


@app.get("/reviews")
def list_reviews() -> Response:
    return json_response(200, {"held": held_orders()})


@app.post("/reviews/<order_key>")
def post_review(order_key: str) -> Response:
    reviewer = _reviewer()
    try:
        body = ReviewBody.model_validate(json.loads(app.current_event.body or "null"))
    except (ValueError, ValidationError) as exc:
        raise InvalidReview('send {"decision": "APPROVE" or "REJECT", "reason": "3 to 500 characters"}') from exc
    return json_response(200, decide(unquote(order_key), body, reviewer))


lambda_handler = lambda_entry(app)
