"""What an order update means for the hub: start, cancel, or record."""

import pytest

from functions.workflow.logic.cancellation import Action, decide
from schemas.order import AfterSaleStatus, OrderLine, OrderStatus
from tests.unit.core.factories import make_order


@pytest.mark.parametrize("status", [OrderStatus.PAID, OrderStatus.PAID_FORBID_SHIPMENT])
def test_paid_orders_start_the_workflow(status):
    assert decide(make_order(status=status), "RECEIVED").action == Action.START
    assert decide(make_order(status=status), "FULFILMENT_REQUESTED").action == Action.START  # refused by name


def test_awaiting_payment_is_recorded_only_before_the_workflow():
    assert decide(make_order(status=OrderStatus.PENDING_PAYMENT), "RECEIVED").action == Action.RECORD_PENDING
    assert decide(make_order(status=OrderStatus.PENDING_PAYMENT), "RESERVED").action == Action.IGNORE


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.CLOSED])
@pytest.mark.parametrize(
    "hub_state", ["RECEIVED", "AUDITING", "HELD", "RESERVED", "BACKORDERED", "FULFILMENT_REQUESTED", "FAILED"]
)
def test_cancel_or_close_before_shipment_cancels(status, hub_state):
    assert decide(make_order(status=status), hub_state).action == Action.CANCEL


@pytest.mark.parametrize(
    "after_sale", [AfterSaleStatus.REQUESTED, AfterSaleStatus.IN_PROGRESS, AfterSaleStatus.REFUNDED]
)
def test_refund_before_shipment_cancels(after_sale):
    assert decide(make_order(after_sale=after_sale), "FULFILMENT_REQUESTED").action == Action.CANCEL


def test_refund_on_one_line_cancels_and_refused_or_withdrawn_refunds_do_not():
    line = OrderLine(line_id="1", merchant_sku="AC-1", quantity=1, unit_price=1, paid_amount=1)
    requested = make_order(lines=[line.model_copy(update={"after_sale": AfterSaleStatus.REQUESTED})])
    withdrawn = make_order(after_sale=AfterSaleStatus.CLOSED)
    refused = make_order(after_sale=AfterSaleStatus.REJECTED)

    assert decide(requested, "RESERVED").action == Action.CANCEL
    assert decide(withdrawn, "RESERVED").action == Action.START
    assert decide(refused, "RESERVED").action == Action.START


@pytest.mark.parametrize("hub_state", ["SHIPPED", "DONE"])
def test_refund_after_the_hub_shipped_is_recorded_only(hub_state):
    decision = decide(make_order(after_sale=AfterSaleStatus.REQUESTED), hub_state)
    assert decision.action == Action.RECORD_ONLY


def test_refund_after_the_platform_shows_shipped_is_recorded_only():
    order = make_order(status=OrderStatus.SHIPPED, after_sale=AfterSaleStatus.REFUNDED)
    assert decide(order, "FULFILMENT_REQUESTED").action == Action.RECORD_ONLY


def test_already_cancelled_is_ignored():
    assert decide(make_order(status=OrderStatus.CANCELLED), "CANCELLED").action == Action.IGNORE


@pytest.mark.parametrize("status", [OrderStatus.SHIPPED, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.COMPLETED])
def test_orders_shipped_outside_the_hub_are_never_started(status):
    assert decide(make_order(status=status), "RECEIVED").action == Action.RECORD_ONLY
