"""REVIEW holds the order on a task token with its stock reserved; the review API resumes it; a hold nobody
decides in time releases the stock and raises an alert."""

import json

import pytest

from hubcore.adapters.inventory import InventoryTable, ReservationStatus
from hubcore.observability import metrics
from schemas.order import OrderStatus, Receiver
from tests.unit.core.factories import make_order
from tests.workflows.conftest import REVIEWER
from tests.workflows.harness import entered_states, wait_execution

INCOMPLETE = Receiver(province="浙江省", city="杭州市", district="西湖区", address_masked="浙江省****")


def reservation_status(order_key: str) -> ReservationStatus | None:
    reservation = InventoryTable().reservation(order_key)
    return None if reservation is None else reservation.status


def test_approved_review_resumes_fulfilment_and_records_the_reviewer(workflow):
    order = make_order(order_id="2001", receiver=INCOMPLETE)
    workflow.deliver(order)
    workflow.wait_state(order, "HELD")

    response = workflow.review(order, "APPROVE", "buyer confirmed the address by phone")

    assert response["statusCode"] == 200
    workflow.wait_state(order, "FULFILMENT_REQUESTED")
    review = json.loads(workflow.aws.stored(order.order_key).attributes["review"])
    assert (review["decision"], review["reviewer"]) == ("APPROVE", REVIEWER)
    assert json.loads(workflow.held()["body"])["held"] == []  # no longer queued
    assert reservation_status(order.order_key) == ReservationStatus.HELD


def test_rejected_review_releases_stock_and_rejects_the_order(workflow):
    order = make_order(order_id="2002", receiver=INCOMPLETE)
    workflow.deliver(order)
    workflow.wait_state(order, "HELD")

    assert workflow.review(order, "REJECT", "address cannot be completed")["statusCode"] == 200
    result = wait_execution(workflow.execution_arn(order))

    assert result["status"] == "SUCCEEDED"
    assert workflow.hub_state(order) == "REJECTED"
    assert reservation_status(order.order_key) == ReservationStatus.RELEASED
    states = entered_states(result["executionArn"])
    assert states[-3:] == ["ReviewDecision", "ReleaseAfterReviewReject", "MarkRejectedByReviewer"]


def test_a_repeated_decision_is_answered_again_and_a_conflicting_one_refused(workflow):
    order = make_order(order_id="2003", receiver=INCOMPLETE)
    workflow.deliver(order)
    workflow.wait_state(order, "HELD")

    first = workflow.review(order, "REJECT", "fraud pattern confirmed")
    again = workflow.review(order, "REJECT", "fraud pattern confirmed")
    other = workflow.review(order, "APPROVE", "changed my mind")

    assert (first["statusCode"], again["statusCode"]) == (200, 200)
    assert json.loads(again["body"])["replay"] is True
    assert other["statusCode"] == 409 and json.loads(other["body"])["error"]["code"] == "ALREADY_REVIEWED"
    wait_execution(workflow.execution_arn(order))
    assert workflow.hub_state(order) == "REJECTED"


def test_bad_review_requests_get_clear_errors_and_change_nothing(workflow):
    order = make_order(order_id="2004", receiver=INCOMPLETE)
    workflow.deliver(order)
    workflow.wait_state(order, "HELD")

    unsigned = workflow.review(order, "APPROVE", caller=None)
    invalid = workflow.review(order, "MAYBE")
    terse = workflow.review(order, "APPROVE", reason="")
    unknown = workflow.review(make_order(order_id="9999"), "APPROVE")

    assert json.loads(unsigned["body"])["error"]["code"] == "REVIEWER_UNKNOWN" and unsigned["statusCode"] == 401
    assert (invalid["statusCode"], terse["statusCode"]) == (400, 400)
    assert unknown["statusCode"] == 404
    assert workflow.hub_state(order) == "HELD" and "review" not in workflow.aws.stored(order.order_key).attributes


def test_an_order_that_is_not_held_cannot_be_reviewed(workflow):
    order = make_order(order_id="2005")
    workflow.deliver(order)
    workflow.wait_state(order, "FULFILMENT_REQUESTED")

    response = workflow.review(order, "APPROVE")

    assert response["statusCode"] == 409
    assert json.loads(response["body"])["error"]["code"] == "NOT_AWAITING_REVIEW"


def test_cancellation_during_review_releases_the_stock(workflow):
    order = make_order(order_id="2006", receiver=INCOMPLETE)
    workflow.deliver(order)
    workflow.wait_state(order, "HELD")

    later = order.updated_at.replace(hour=5)
    cancelled = make_order(order_id="2006", receiver=INCOMPLETE, status=OrderStatus.CANCELLED, updated_at=later)
    workflow.deliver(cancelled, previous=order)
    result = wait_execution(workflow.execution_arn(order))

    assert workflow.hub_state(order) == "CANCELLED"
    assert reservation_status(order.order_key) == ReservationStatus.RELEASED
    assert "ReleaseAfterCancel" in entered_states(result["executionArn"])


@pytest.mark.parametrize("workflow", [2], indirect=True)
def test_a_hold_nobody_decides_releases_stock_and_raises_the_alert(workflow, monkeypatch):
    raised: list[str] = []
    add_metric = metrics.add_metric
    monkeypatch.setattr(metrics, "add_metric", lambda name, **kw: (raised.append(name), add_metric(name=name, **kw)))
    order = make_order(order_id="2007", receiver=INCOMPLETE)
    workflow.deliver(order)

    result = wait_execution(workflow.execution_arn(order), timeout=30)

    assert result["status"] == "FAILED"
    assert workflow.hub_state(order) == "FAILED"
    assert reservation_status(order.order_key) == ReservationStatus.RELEASED
    states = entered_states(result["executionArn"])
    assert states[-3:] == ["ReleaseAfterReviewTimeout", "MarkReviewExpired", "ReviewExpired"]
    assert "ReviewHoldExpired" in raised  # the metric the alarm watches
