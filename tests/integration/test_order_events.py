"""OrderEvents against moto: paid orders start the workflow (once), cancellations release or fail the wait."""

import json

import boto3
import pytest

from functions.order_events.handler import lambda_handler
from functions.workflow.models import RequestInput
from functions.workflow.request_fulfilment import request
from hubcore.adapters.inventory import InventoryTable, ReservationLine
from hubcore.adapters.orders_table import WorkflowOrders
from hubcore.naming import execution_name
from hubcore.settings import reset_settings
from schemas.order import AfterSaleStatus, OrderStatus
from tests.unit.core.factories import make_order
from tests.workflows.harness import REGION, FakeContext, envelope, sqs_event

PASS_MACHINE = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


@pytest.fixture
def machine(hub_aws, monkeypatch) -> str:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(
        name="order-fulfilment", definition=json.dumps(PASS_MACHINE), roleArn="arn:aws:iam::123456789012:role/x"
    )["stateMachineArn"]
    monkeypatch.setenv("OMNIHUB_STATE_MACHINE_ARN", arn)
    reset_settings()
    hub_aws.seed_stock([("AC-1P-INV", "WH-HZ", 5)])
    return str(arn)


@pytest.fixture
def failures(monkeypatch) -> list[tuple[str, str, str]]:
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setattr(
        "hubcore.adapters.step_functions.StepFunctions.send_task_failure",
        lambda self, token, error, cause="": sent.append((token, error, cause)),
    )
    return sent


def deliver(hub_aws, order, previous=None, *, record=True):
    if record:
        hub_aws.record(order)
    return lambda_handler(sqs_event(envelope(order, previous)), FakeContext())


def executions(machine: str) -> list[dict]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    return sfn.list_executions(stateMachineArn=machine)["executions"]


def reserve(order) -> None:
    InventoryTable().reserve(order.order_key, "WH-HZ", [ReservationLine("AC-1P-INV", 1)])
    WorkflowOrders().move(order.order_key, "RESERVED", "test", fields={"reservation": {"node_id": "WH-HZ"}})


def available() -> int:
    return InventoryTable().stock("AC-1P-INV")[0].available


def test_paid_order_starts_the_workflow_named_after_the_order(hub_aws, machine):
    order = make_order(order_id="2001")

    assert deliver(hub_aws, order) == {"batchItemFailures": []}

    [execution] = executions(machine)
    assert execution["name"] == execution_name(order.order_key)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    started_with = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert started_with == {"order_key": order.order_key, "version": str(order.version)}


def test_a_duplicate_start_is_success_and_starts_nothing(hub_aws, machine):
    order = make_order(order_id="2002")
    deliver(hub_aws, order)
    newer = make_order(order_id="2002", updated_at=order.updated_at.replace(hour=9), seller_memo="x")

    assert deliver(hub_aws, order, record=False) == {"batchItemFailures": []}
    assert deliver(hub_aws, newer, previous=order) == {"batchItemFailures": []}
    assert len(executions(machine)) == 1


def test_awaiting_payment_is_recorded_without_a_workflow(hub_aws, machine):
    order = make_order(order_id="2003", status=OrderStatus.PENDING_PAYMENT)

    deliver(hub_aws, order)

    assert hub_aws.stored(order.order_key).hub_state == "PENDING_PAYMENT"
    assert executions(machine) == []


def test_cancellation_without_a_waiting_workflow_releases_and_marks(hub_aws, machine, failures):
    order = make_order(order_id="2004")
    hub_aws.record(order)
    reserve(order)
    assert available() == 4

    cancelled = make_order(order_id="2004", status=OrderStatus.CANCELLED, updated_at=order.updated_at.replace(hour=8))
    assert deliver(hub_aws, cancelled, previous=order) == {"batchItemFailures": []}

    assert hub_aws.stored(order.order_key).hub_state == "CANCELLED"
    assert available() == 5
    assert failures == []
    [event] = hub_aws.events("OrderCancelled")
    assert event["detail"]["data"]["released_reservation"] is True

    # a redelivery changes nothing and publishes nothing more
    assert deliver(hub_aws, cancelled, previous=order, record=False) == {"batchItemFailures": []}
    assert available() == 5 and len(hub_aws.events("OrderCancelled")) == 1


def test_refund_requested_while_waiting_for_shipment_fails_the_wait(hub_aws, machine, failures):
    order = make_order(order_id="2005")
    hub_aws.record(order)
    reserve(order)
    request(RequestInput(order_key=order.order_key, task_token="token-2005"))

    refund = make_order(
        order_id="2005", after_sale=AfterSaleStatus.REQUESTED, updated_at=order.updated_at.replace(hour=8)
    )
    deliver(hub_aws, refund, previous=order)

    assert [(t, e) for t, e, _ in failures] == [("token-2005", "OrderCancelled")]
    assert hub_aws.stored(order.order_key).hub_state == "FULFILMENT_REQUESTED"  # the workflow marks it
    assert available() == 4  # the workflow's ReleaseStock returns it


def test_a_token_that_is_gone_falls_back_to_cancelling_directly(hub_aws, machine):
    order = make_order(order_id="2006")
    hub_aws.record(order)
    reserve(order)
    request(RequestInput(order_key=order.order_key, task_token="no-such-token"))

    cancelled = make_order(order_id="2006", status=OrderStatus.CLOSED, updated_at=order.updated_at.replace(hour=8))
    assert deliver(hub_aws, cancelled, previous=order) == {"batchItemFailures": []}

    stored = hub_aws.stored(order.order_key)
    assert stored.hub_state == "CANCELLED" and "task_token" not in stored.attributes
    assert available() == 5


def test_refund_after_shipment_is_recorded_only(hub_aws, machine, failures):
    order = make_order(order_id="2007")
    hub_aws.record(order)
    reserve(order)
    WorkflowOrders().move(order.order_key, "SHIPPED", "test")

    refund = make_order(
        order_id="2007", after_sale=AfterSaleStatus.REFUNDED, updated_at=order.updated_at.replace(hour=8)
    )
    deliver(hub_aws, refund, previous=order)

    assert hub_aws.stored(order.order_key).hub_state == "SHIPPED"
    assert failures == [] and available() == 4


def test_decisions_use_the_newest_stored_version(hub_aws, machine):
    order = make_order(order_id="2008")
    cancelled = make_order(order_id="2008", status=OrderStatus.CANCELLED, updated_at=order.updated_at.replace(hour=8))
    hub_aws.record(cancelled)

    # the older PAID event arrives late
    deliver(hub_aws, order, record=False)

    assert executions(machine) == []
    assert hub_aws.stored(order.order_key).hub_state == "CANCELLED"


def test_a_bad_record_fails_alone(hub_aws, machine):
    good = make_order(order_id="2009")
    hub_aws.record(good)
    unknown = make_order(order_id="2010")  # never recorded: a transient inconsistency, retried
    event = sqs_event(envelope(good), "not json", envelope(unknown))

    response = lambda_handler(event, FakeContext())

    failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    assert failed == {event["Records"][1]["messageId"], event["Records"][2]["messageId"]}
    assert len(executions(machine)) == 1


def test_other_detail_types_are_ignored(hub_aws, machine):
    body = envelope(make_order(order_id="2011"))
    body["detail-type"] = "OrderAudited"

    assert lambda_handler(sqs_event(body), FakeContext()) == {"batchItemFailures": []}
    assert executions(machine) == []
