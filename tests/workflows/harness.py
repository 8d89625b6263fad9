"""Test harness for the order workflow and its functions: moto resources, events, a fake connector.

Shared by tests/workflows, tests/integration (order events, APIs, stock ledger) through the fixtures in
tests/conftest.py ("order-fulfilment workflow" section).
"""

import io
import json
import time
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3

from connectors.sdk.contracts import Shipment
from connectors.sdk.errors import PlatformRejected, PlatformUnavailable
from functions.catalog import FUNCTIONS, STATE_MACHINE_NAME
from functions.workflow.definition import REVIEW_TIMEOUT, SHIPMENT_TIMEOUT, render_dict
from hubcore.adapters.inventory import InventoryTable, Node
from hubcore.adapters.orders_table import WorkflowOrders
from schemas.events import OrderReceived, OrderUpdated, make_event
from schemas.order import Order

REGION = "us-east-1"
ORDERS_TABLE = "test-orders"
INVENTORY_TABLE = "test-inventory"
BUS = "test-bus"
CAPTURE_QUEUE = "test-bus-capture"

NODES = (
    Node("WH-HZ", "Hangzhou DC", "浙江省", priority=20),
    Node("WH-SH", "Shanghai DC", "上海市", priority=10),
    Node("WH-GZ", "Guangzhou DC", "广东省", priority=30),
)

HUB_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "OMNIHUB_ORDERS_TABLE": ORDERS_TABLE,
    "OMNIHUB_INVENTORY_TABLE": INVENTORY_TABLE,
    "OMNIHUB_EVENT_BUS": BUS,
    "POWERTOOLS_METRICS_NAMESPACE": "OmniHubTest",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
MOTO_CONFIG = {"lambda": {"use_docker": False}, "stepfunctions": {"execute_state_machine": True}}


def _table(dynamodb: Any, name: str) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


@dataclass
class HubAws:
    """The hub's resources in moto, plus a queue that captures every event put on the bus."""

    capture_url: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def create(cls) -> "HubAws":
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        _table(dynamodb, ORDERS_TABLE)
        _table(dynamodb, INVENTORY_TABLE)
        events, sqs = boto3.client("events", region_name=REGION), boto3.client("sqs", region_name=REGION)
        events.create_event_bus(Name=BUS)
        url = sqs.create_queue(QueueName=CAPTURE_QUEUE)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(
            Name="capture-all", EventBusName=BUS, EventPattern=json.dumps({"source": [{"prefix": "omnihub"}]})
        )
        events.put_targets(Rule="capture-all", EventBusName=BUS, Targets=[{"Id": "capture", "Arn": arn}])
        return cls(capture_url=url)

    def events(self, detail_type: str | None = None) -> list[dict[str, Any]]:
        """Every event published so far (drained from the capture queue), optionally of one detail-type."""
        sqs = boto3.client("sqs", region_name=REGION)
        while True:
            messages = sqs.receive_message(QueueUrl=self.capture_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                break
            for message in messages:
                self.seen.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.capture_url, ReceiptHandle=message["ReceiptHandle"])
        return [e for e in self.seen if detail_type is None or e["detail-type"] == detail_type]

    @staticmethod
    def seed_stock(stock: Sequence[tuple[str, str, int]], nodes: Sequence[Node] = NODES) -> InventoryTable:
        inventory = InventoryTable()
        inventory.seed(nodes, stock)
        return inventory

    @staticmethod
    def record(order: Order) -> None:
        assert WorkflowOrders().record_platform_order(order).applied

    @staticmethod
    def stored(order_key: str) -> Any:
        stored = WorkflowOrders().get(order_key)
        assert stored is not None
        return stored


# --- events as the functions receive them ---


def envelope(order: Order, previous: Order | None = None) -> dict[str, Any]:
    """An EventBridge event as the SQS target delivers it."""
    data = (
        OrderReceived(order=order)
        if previous is None
        else OrderUpdated(order=order, previous_status=previous.status, previous_version=previous.version)
    )
    event = make_event(data, correlation_id=order.order_key, channel=order.channel)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": event.detail_type,
        "source": event.source(),
        "account": "123456789012",
        "time": "2026-11-24T00:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": json.loads(event.detail_json()),
    }


def sqs_event(*bodies: dict[str, Any] | str) -> dict[str, Any]:
    records = []
    for body in bodies:
        records.append(
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:order-events",
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


def api_event(
    method: str, resource: str, path: str, params: dict[str, str], body: Any = None, *, caller: str | None = None
) -> dict[str, Any]:
    """An API Gateway REST proxy event (`caller`: the IAM ARN API Gateway's IAM authorization puts there)."""
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    identity: dict[str, Any] = {"sourceIp": "127.0.0.1", "userArn": caller, "caller": caller}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": params,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/prod{path}",
            "requestId": str(uuid.uuid4()),
            "stage": "prod",
            "identity": identity,
        },
        "body": text,
        "isBase64Encoded": False,
    }


@dataclass
class FakeContext:
    function_name: str = "test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:test"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


# --- a connector that records write-backs ---


@dataclass
class RecordingConnector:
    """Stands in for a channel connector: records confirm_shipment, fails the first N calls if told to."""

    unavailable_times: int = 0
    reject: bool = False
    calls: list[tuple[str, Shipment]] = field(default_factory=list)
    attempts: int = 0

    def confirm_shipment(self, order: Order, shipment: Shipment) -> None:
        self.attempts += 1
        if self.attempts <= self.unavailable_times:
            raise PlatformUnavailable("platform gateway returned 503")
        if self.reject:
            raise PlatformRejected("order is locked on the platform", platform_code="isv.order-locked")
        self.calls.append((order.order_key, shipment))

    def loader(self) -> Callable[[str], "RecordingConnector"]:
        return lambda channel: self


# --- the state machine, deployed in moto from the real ASL file ---


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "runs in-process (localhub.moto_shims)")
    return buffer.getvalue()


def deploy_workflow(
    *, shipment_timeout_seconds: int = 20, review_timeout_seconds: int = 20, max_retry_interval: int = 1
) -> str:
    """Create every catalog function in moto, render the ASL with their ARNs and create the state machine."""
    iam = boto3.client("iam", region_name=REGION)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="omnihub-test", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    lambda_ = boto3.client("lambda", region_name=REGION)
    substitutions: dict[str, str | int] = {
        SHIPMENT_TIMEOUT: shipment_timeout_seconds,
        REVIEW_TIMEOUT: review_timeout_seconds,
    }
    code = _zip()
    for spec in FUNCTIONS:
        function_arn = lambda_.create_function(
            FunctionName=spec.name,
            Runtime="python3.11",
            Role=role,
            Handler=spec.handler,
            Code={"ZipFile": code},
            Timeout=spec.timeout_seconds,
        )["FunctionArn"]
        if spec.in_state_machine:
            substitutions[f"{spec.name}FunctionArn"] = function_arn
    definition = render_dict(substitutions)
    for state in definition["States"].values():  # retry intervals take real time in moto: keep them short
        for retrier in state.get("Retry", []):
            retrier["IntervalSeconds"] = min(retrier.get("IntervalSeconds", 1), max_retry_interval)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn: str = sfn.create_state_machine(
        name=STATE_MACHINE_NAME, definition=json.dumps(definition), roleArn=role, type="STANDARD"
    )["stateMachineArn"]
    return arn


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(interval)


def wait_execution(execution_arn: str, timeout: float = 15.0) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions", region_name=REGION)

    def done() -> dict[str, Any] | None:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        return described if described["status"] != "RUNNING" else None

    result: dict[str, Any] = wait_for(done, timeout)
    return result


def history(execution_arn: str) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    events: list[dict[str, Any]] = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return events


def entered_states(execution_arn: str) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in history(execution_arn) if e["type"].endswith("StateEntered")]


def stop_running_executions(state_machine_arn: str) -> None:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    for execution in sfn.list_executions(stateMachineArn=state_machine_arn, statusFilter="RUNNING")["executions"]:
        sfn.stop_execution(executionArn=execution["executionArn"])
