"""The order-fulfilment state machine from the real ASL file, executed by moto with the shims installed."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from functions.order_events.handler import lambda_handler as order_events
from functions.reviews.handler import lambda_handler as reviews
from functions.shipments.handler import lambda_handler as shipments
from hubcore.settings import reset_settings
from localhub import moto_shims
from schemas.order import Order
from tests.workflows.harness import (
    REGION,
    FakeContext,
    HubAws,
    RecordingConnector,
    api_event,
    deploy_workflow,
    envelope,
    sqs_event,
    stop_running_executions,
    wait_for,
)

REVIEWER = "arn:aws:iam::123456789012:user/reviewer-li"
STOCK = [("AC-1P-INV", "WH-HZ", 3), ("AC-1P-INV", "WH-SH", 5), ("TV-55", "WH-GZ", 1)]


@dataclass
class Workflow:
    aws: HubAws
    state_machine_arn: str
    connector: RecordingConnector

    def deliver(self, order: Order, previous: Order | None = None) -> dict[str, Any]:
        """Record the order as ingestion would, then hand its event to the OrderEvents function."""
        self.aws.record(order)
        result: dict[str, Any] = order_events(sqs_event(envelope(order, previous)), FakeContext())
        return result

    def execution_arn(self, order: Order) -> str:
        from hubcore.naming import execution_name

        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + execution_name(order.order_key)

    def hub_state(self, order: Order) -> str:
        return str(self.aws.stored(order.order_key).hub_state)

    def wait_state(self, order: Order, *states: str, timeout: float = 15.0) -> str:
        return str(wait_for(lambda: self.hub_state(order) in states and self.hub_state(order), timeout))

    def ship(self, fulfilment_id: str, tracking_no: str = "SF1234567890", carrier: str = "SF") -> dict[str, Any]:
        body = {"carrier_code": carrier, "tracking_no": tracking_no, "shipped_at": "2026-11-24T08:00:00+08:00"}
        path = f"/fulfilments/{fulfilment_id}/shipment"
        event = api_event("POST", "/fulfilments/{fulfilment_id}/shipment", path, {"fulfilment_id": fulfilment_id}, body)
        response: dict[str, Any] = shipments(event, FakeContext())
        return response

    def review(self, order: Order, decision: str, reason: str = "checked with the buyer", **kw: Any) -> dict[str, Any]:
        key = order.order_key
        body = {"decision": decision, "reason": reason}
        caller = kw.get("caller", REVIEWER)
        event = api_event("POST", "/reviews/{order_key}", f"/reviews/{key}", {"order_key": key}, body, caller=caller)
        response: dict[str, Any] = reviews(event, FakeContext())
        return response

    def held(self) -> dict[str, Any]:
        response: dict[str, Any] = reviews(api_event("GET", "/reviews", "/reviews", {}, caller=REVIEWER), FakeContext())
        return response


@pytest.fixture
def workflow(hub_aws: HubAws, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[Workflow]:
    connector = RecordingConnector()
    monkeypatch.setattr("connectors.sdk.runtime.load_connector", connector.loader())
    with moto_shims.shims():
        arn = deploy_workflow(shipment_timeout_seconds=20, review_timeout_seconds=getattr(request, "param", 20))
        monkeypatch.setenv("OMNIHUB_STATE_MACHINE_ARN", arn)
        reset_settings()
        hub_aws.seed_stock(STOCK)
        yield Workflow(hub_aws, arn, connector)
        stop_running_executions(arn)


@pytest.fixture
def sfn() -> Any:
    return boto3.client("stepfunctions", region_name=REGION)
