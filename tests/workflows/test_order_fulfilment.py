"""The real order-fulfilment ASL executed by moto, each step running the real handler in-process."""

import json

import pytest

from functions.order_events.handler import lambda_handler as order_events
from hubcore.adapters.inventory import InventoryTable, ReservationStatus
from schemas.order import OrderLine, OrderStatus, Receiver
from tests.unit.core.factories import make_order
from tests.workflows.harness import FakeContext, entered_states, envelope, history, sqs_event, wait_execution


def stock(sku: str, node_id: str) -> tuple[int, int, int]:
    level = next(s for s in InventoryTable().stock(sku) if s.node_id == node_id)
    return level.on_hand, level.reserved, level.available


def test_happy_path_reserves_ships_writes_back_and_commits(workflow):
    # Given a paid order to Zhejiang and stock in the Hangzhou warehouse
    order = make_order(order_id="1001")

    # When its event arrives, the workflow waits for the warehouse
    workflow.deliver(order)
    workflow.wait_state(order, "FULFILMENT_REQUESTED")
    stored = workflow.aws.stored(order.order_key)
    assert stock("AC-1P-INV", "WH-HZ") == (3, 1, 2)  # same-province node chosen

    # And the warehouse confirms the shipment through the API
    response = workflow.ship(stored.attributes["fulfilment_id"])
    assert response["statusCode"] == 200

    # Then the execution succeeds, the shipment was written back and the reservation committed
    result = wait_execution(workflow.execution_arn(order))
    assert result["status"] == "SUCCEEDED"
    assert workflow.hub_state(order) == "DONE"
    assert [(key, s.tracking_no) for key, s in workflow.connector.calls] == [(order.order_key, "SF1234567890")]
    assert stock("AC-1P-INV", "WH-HZ") == (2, 0, 2)
    reservation = InventoryTable().reservation(order.order_key)
    assert reservation is not None and reservation.status == ReservationStatus.COMMITTED
    assert entered_states(result["executionArn"]) == [
        "PersistOrder",
        "AuditOrder",
        "AuditOutcome",
        "ReserveStock",
        "ReservationOutcome",
        "RequestFulfilment",
        "WriteBack",
        "MarkDone",
    ]
    published = [e["detail-type"] for e in workflow.aws.events()]
    for detail_type in ("OrderAudited", "StockReserved", "FulfilmentRequested", "ShipmentConfirmed"):
        assert detail_type in published
    # the workflow's state stays small: the order itself is never in the execution's data
    assert all("receiver" not in json.dumps(e, default=str) for e in history(result["executionArn"]))


def test_blacklisted_buyer_is_rejected_without_touching_stock(workflow):
    order = make_order(order_id="1002", buyer_id="blacklisted-buyer")

    workflow.deliver(order)
    result = wait_execution(workflow.execution_arn(order))

    assert result["status"] == "SUCCEEDED"
    assert workflow.hub_state(order) == "REJECTED"
    audit = json.loads(workflow.aws.stored(order.order_key).attributes["audit"])
    assert audit["outcome"] == "REJECT"
    assert [h["rule_id"] for h in audit["hits"]] == ["buyer-blacklisted"]
    assert "ReserveStock" not in entered_states(result["executionArn"])
    assert stock("AC-1P-INV", "WH-HZ") == (3, 0, 3)
    [audited] = workflow.aws.events("OrderAudited")
    assert audited["detail"]["data"]["outcome"] == "REJECT"


def test_missing_address_is_held_for_review_with_its_stock_reserved(workflow):
    receiver = Receiver(province="浙江省", city="杭州市", district="西湖区", address_masked="浙江省****")
    order = make_order(order_id="1003", receiver=receiver)

    workflow.deliver(order)
    workflow.wait_state(order, "HELD")

    audit = json.loads(workflow.aws.stored(order.order_key).attributes["audit"])
    assert audit["outcome"] == "REVIEW" and "address-incomplete" in [h["rule_id"] for h in audit["hits"]]
    reservation = InventoryTable().reservation(order.order_key)
    assert reservation is not None and reservation.status == ReservationStatus.HELD
    [held] = json.loads(workflow.held()["body"])["held"]
    assert held["order_key"] == order.order_key and "address-incomplete" in [r["rule_id"] for r in held["reasons"]]


def test_out_of_stock_everywhere_is_backordered_without_any_stock_change(workflow):
    line = OrderLine(line_id="l1", merchant_sku="AC-1P-INV", quantity=6, unit_price=100, paid_amount=600)
    order = make_order(order_id="1004", lines=[line], goods_amount=600, paid_amount=600, discount_amount=0)
    before = [stock("AC-1P-INV", "WH-HZ"), stock("AC-1P-INV", "WH-SH")]

    workflow.deliver(order)
    result = wait_execution(workflow.execution_arn(order))

    assert result["status"] == "SUCCEEDED"
    assert workflow.hub_state(order) == "BACKORDERED"
    assert [stock("AC-1P-INV", "WH-HZ"), stock("AC-1P-INV", "WH-SH")] == before
    assert InventoryTable().reservation(order.order_key) is None
    [failed] = workflow.aws.events("ReservationFailed")
    # routing may split, so the shortage is over every routable node together; WH-SH (5 units) is not in the
    # routing network (functions/workflow/logic/routing/network.json), so only WH-HZ's 3 count
    assert failed["detail"]["data"]["shortages"] == [{"sku": "AC-1P-INV", "requested": 6, "available": 3}]


def test_a_node_that_can_ship_everything_is_used_when_the_same_province_node_is_short(workflow):
    # routing picks among the routing network's nodes (WH-SH is not one): WH-WH can ship all 4 units, which
    # beats splitting 3 from WH-HZ and 1 from WH-WH (split only when no single node can ship it)
    workflow.aws.seed_stock([("AC-1P-INV", "WH-WH", 5)], nodes=())
    line = OrderLine(line_id="l1", merchant_sku="AC-1P-INV", quantity=4, unit_price=100, paid_amount=400)
    order = make_order(order_id="1005", lines=[line], goods_amount=400, paid_amount=400, discount_amount=0)

    workflow.deliver(order)
    workflow.wait_state(order, "FULFILMENT_REQUESTED")

    assert stock("AC-1P-INV", "WH-HZ") == (3, 0, 3)
    assert stock("AC-1P-INV", "WH-WH") == (5, 4, 1)


def test_cancellation_while_waiting_for_shipment_releases_stock(workflow):
    order = make_order(order_id="1006")
    workflow.deliver(order)
    workflow.wait_state(order, "FULFILMENT_REQUESTED")
    assert stock("AC-1P-INV", "WH-HZ") == (3, 1, 2)

    # When the buyer cancels on the platform
    cancelled = make_order(order_id="1006", status=OrderStatus.CANCELLED, updated_at=order.updated_at.replace(hour=5))
    workflow.deliver(cancelled, previous=order)

    # Then the waiting task fails with OrderCancelled, the stock comes back and the order is CANCELLED
    result = wait_execution(workflow.execution_arn(order))
    assert result["status"] == "SUCCEEDED"
    assert workflow.hub_state(order) == "CANCELLED"
    assert stock("AC-1P-INV", "WH-HZ") == (3, 0, 3)
    states = entered_states(result["executionArn"])
    assert states[-2:] == ["ReleaseAfterCancel", "MarkCancelled"]
    failures = [e for e in history(result["executionArn"]) if e["type"] == "TaskFailed"]
    assert failures and failures[0]["taskFailedEventDetails"]["error"] == "OrderCancelled"
    [event] = workflow.aws.events("OrderCancelled")
    assert event["detail"]["data"]["released_reservation"] is True
    # a late shipment confirmation is refused
    fulfilment_id = workflow.aws.stored(order.order_key).attributes["fulfilment_id"]
    assert workflow.ship(fulfilment_id)["statusCode"] == 409


def test_write_back_retries_while_the_platform_is_unavailable(workflow):
    workflow.connector.unavailable_times = 2
    order = make_order(order_id="1007")
    workflow.deliver(order)
    workflow.wait_state(order, "FULFILMENT_REQUESTED")

    workflow.ship(workflow.aws.stored(order.order_key).attributes["fulfilment_id"])
    result = wait_execution(workflow.execution_arn(order), timeout=30)

    assert result["status"] == "SUCCEEDED"
    assert workflow.hub_state(order) == "DONE"
    assert workflow.connector.attempts == 3 and len(workflow.connector.calls) == 1
    errors = [
        e["taskFailedEventDetails"]["error"] for e in history(result["executionArn"]) if e["type"] == "TaskFailed"
    ]
    assert errors == ["PlatformUnavailable", "PlatformUnavailable"]
    assert stock("AC-1P-INV", "WH-HZ") == (2, 0, 2)  # committed once despite the retries


def test_platform_rejection_is_not_retried_and_fails_the_order(workflow):
    workflow.connector.reject = True
    order = make_order(order_id="1008")
    workflow.deliver(order)
    workflow.wait_state(order, "FULFILMENT_REQUESTED")

    workflow.ship(workflow.aws.stored(order.order_key).attributes["fulfilment_id"])
    result = wait_execution(workflow.execution_arn(order))

    assert result["status"] == "FAILED"
    assert workflow.connector.attempts == 1
    assert workflow.hub_state(order) == "FAILED"
    failure = json.loads(workflow.aws.stored(order.order_key).attributes["failure"])
    assert failure["error"] == "PlatformRejected"
    assert stock("AC-1P-INV", "WH-HZ") == (2, 0, 2)  # goods left: the commit stands, nothing is released


def test_duplicate_start_is_refused_and_nothing_is_reserved_twice(workflow, sfn):
    order = make_order(order_id="1009")
    workflow.deliver(order)
    workflow.wait_state(order, "FULFILMENT_REQUESTED")

    # the same event again, and a newer paid version (another input) while the first execution waits
    assert order_events(sqs_event(envelope(order)), FakeContext()) == {"batchItemFailures": []}
    newer = make_order(order_id="1009", updated_at=order.updated_at.replace(hour=6), seller_memo="gift wrap")
    assert workflow.deliver(newer, previous=order) == {"batchItemFailures": []}
    name = workflow.execution_arn(order).rsplit(":", 1)[-1]
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=workflow.state_machine_arn, name=name, input=json.dumps({"x": 1}))

    executions = sfn.list_executions(stateMachineArn=workflow.state_machine_arn)["executions"]
    assert len(executions) == 1
    assert stock("AC-1P-INV", "WH-HZ") == (3, 1, 2)
    assert len(workflow.aws.events("StockReserved")) == 1


def test_shipment_timeout_releases_stock_and_fails_the_order(hub_aws, monkeypatch):
    from hubcore.settings import reset_settings
    from localhub import moto_shims
    from tests.workflows.conftest import STOCK, Workflow
    from tests.workflows.harness import RecordingConnector, deploy_workflow

    with moto_shims.shims():
        arn = deploy_workflow(shipment_timeout_seconds=1)
        monkeypatch.setenv("OMNIHUB_STATE_MACHINE_ARN", arn)
        reset_settings()
        hub_aws.seed_stock(STOCK)
        flow = Workflow(hub_aws, arn, RecordingConnector())
        order = make_order(order_id="1010")

        flow.deliver(order)
        result = wait_execution(flow.execution_arn(order))

    assert result["status"] == "FAILED"
    assert flow.hub_state(order) == "FAILED"
    assert stock("AC-1P-INV", "WH-HZ") == (3, 0, 3)
    assert entered_states(result["executionArn"])[-3:] == ["ReleaseAfterTimeout", "MarkTimedOut", "ShipmentTimedOut"]
    stored = flow.aws.stored(order.order_key)
    assert "task_token" not in stored.attributes
