"""The Douyin webhook Lambda end to end against moto and the Douyin simulator.

One moto world, one simulator and one small HTTP front door (API Gateway proxy events → the real handler)
per module; each test uses its own orders and checks only what concerns them.
"""

import base64
import hashlib
import io
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters import clear_caches
from moto import mock_aws

from connectors.douyin.connector import DouyinConnector
from connectors.douyin.simulator import DouyinSimulator
from connectors.sdk.contracts import Shipment
from connectors.sdk.runtime import load_connector
from connectors.sdk.simulator import LineSpec, OrderSpec, ReceiverSpec
from hubcore.adapters.orders_table import OrdersTable
from hubcore.aws import reset_clients
from hubcore.observability import logger
from hubcore.settings import reset_settings
from schemas.order import OrderStatus

pytestmark = pytest.mark.xdist_group("douyin-webhook-moto")

APP_KEY = "7000000000000000000"
SECRET = "dy-integration-secret"
SHOP = "123456"
TOKEN = "dy-token-123456"
TABLE, BUCKET, BUS = "it-douyin-orders", "it-douyin-raw", "it-douyin-bus"
RECEIVER = ReceiverSpec("王小明", "13912345678", "广东省", "深圳市", "南山区", "科技园路100号")
SUCCESS = '{"code":0,"msg":"success"}'


def order_spec(sku: str = "DW-X9-13") -> OrderSpec:
    return OrderSpec(
        shop_id=SHOP,
        buyer_id="dy-buyer-0001",
        lines=(LineSpec(sku=sku, quantity=1, unit_price_fen=319900, paid_fen=299900, title="洗碗机 X9"),),
        receiver=RECEIVER,
        created_at=datetime.now(UTC) - timedelta(minutes=5),
    )


@dataclass
class LambdaContext:
    function_name: str = "douyin-webhook"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:douyin-webhook"
    aws_request_id: str = "it-request"


def api_event(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "resource": "/webhooks/douyin",
        "path": "/webhooks/douyin",
        "httpMethod": "POST",
        "headers": headers,
        "queryStringParameters": None,
        "requestContext": {"requestId": "it-request", "stage": "test"},
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def invoke(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    from connectors.douyin.handler import lambda_handler

    response: dict[str, Any] = lambda_handler(api_event(body, headers), LambdaContext())  # type: ignore[arg-type]
    return response


class FrontDoor:
    """POST /webhooks/douyin on localhost → the Lambda handler, so the simulator pushes over real HTTP."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                response = invoke(body, dict(self.headers.items()))
                payload = response["body"].encode()
                self.send_response(response["statusCode"])
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/douyin"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Hub:
    sim: DouyinSimulator
    queue_url: str
    acks: list[set[str]]  # S3 keys present at the moment of each success reply
    seen_events: list[dict[str, Any]] = field(default_factory=list)

    def s3_keys(self) -> set[str]:
        listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET)
        return {o["Key"] for o in listed.get("Contents", [])}

    def archived(self, body: bytes) -> bool:
        digest = hashlib.sha256(body).hexdigest()
        return any(key.endswith(f"{digest}.json") for key in self.s3_keys())

    def events_for(self, order_key: str) -> list[str]:
        sqs = boto3.client("sqs")
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            for msg in batch:
                self.seen_events.append(json.loads(msg["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=msg["ReceiptHandle"])
        return [e["detail-type"] for e in self.seen_events if e["detail"]["metadata"]["correlation_id"] == order_key]

    def items_for(self, order_key: str) -> list[dict[str, Any]]:
        response = boto3.client("dynamodb").query(
            TableName=TABLE,
            KeyConditionExpression="pk = :pk AND sk = :meta",
            ExpressionAttributeValues={":pk": {"S": f"ORDER#{order_key}"}, ":meta": {"S": "META"}},
        )
        items: list[dict[str, Any]] = response["Items"]
        return items


def key_of(order_id: str) -> str:
    return f"douyin:{SHOP}:{order_id}"


@pytest.fixture(scope="module")
def hub() -> Iterator[Hub]:
    with pytest.MonkeyPatch.context() as mp, mock_aws():
        for name, value in {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "OMNIHUB_ORDERS_TABLE": TABLE,
            "OMNIHUB_RAW_BUCKET": BUCKET,
            "OMNIHUB_EVENT_BUS": BUS,
            "POWERTOOLS_METRICS_NAMESPACE": "OmniHubTest",
        }.items():
            mp.setenv(name, value)
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        reset_settings()
        reset_clients()
        clear_caches()
        # Keep the platform retries short: one retry, no long backoff.
        mp.setattr(DouyinConnector, "http_max_attempts", 2)
        mp.setattr(DouyinConnector, "http_initial_backoff", 0.001)

        boto3.client("dynamodb").create_table(
            TableName=TABLE,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            BillingMode="PAY_PER_REQUEST",
        )
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        events, sqs = boto3.client("events"), boto3.client("sqs")
        events.create_event_bus(Name=BUS)
        queue_url = sqs.create_queue(QueueName="it-douyin-events")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="everything", EventBusName=BUS, EventPattern=json.dumps({"account": ["123456789012"]}))
        events.put_targets(Rule="everything", EventBusName=BUS, Targets=[{"Id": "q", "Arn": queue_arn}])

        sim = DouyinSimulator(app_key=APP_KEY, app_secret=SECRET, shop_tokens={SHOP: TOKEN})
        sim.start()
        boto3.client("secretsmanager").create_secret(
            Name="omnihub/channels/douyin",
            SecretString=json.dumps({"app_key": APP_KEY, "app_secret": SECRET, "shop_tokens": {SHOP: TOKEN}}),
        )
        mp.setenv("OMNIHUB_DOUYIN_API_URL", sim.base_url)

        acks: list[set[str]] = []
        built = Hub(sim=sim, queue_url=queue_url, acks=acks)
        original_success = DouyinConnector.success_reply

        def success_reply_spy(self: DouyinConnector) -> Any:
            acks.append(built.s3_keys())
            return original_success(self)

        mp.setattr(DouyinConnector, "success_reply", success_reply_spy)
        front_door = FrontDoor()
        sim.set_push_target(front_door.url)
        try:
            yield built
        finally:
            front_door.stop()
            sim.stop()
            reset_clients()
            reset_settings()
            clear_caches()


@pytest.fixture
def sim(hub: Hub) -> Iterator[DouyinSimulator]:
    hub.sim.inject_faults(0)
    hub.sim.discard_pending()
    yield hub.sim
    hub.sim.inject_faults(0)
    hub.sim.discard_pending()


def signed(sim: DouyinSimulator, body: bytes, *, forge: bool = False) -> dict[str, str]:
    return sim.signed_push(body, forge=forge)


def test_a_valid_push_is_archived_recorded_published_then_acknowledged(hub: Hub, sim: DouyinSimulator) -> None:
    # Given a paid order on the platform and its signed push
    order_id = sim.place_order(order_spec())
    body = sim.pending_delivery()
    # When the hub receives it
    response = invoke(body, signed(sim, body))
    # Then Douyin gets its exact success reply
    assert (response["statusCode"], response["body"]) == (200, SUCCESS)
    # And the raw delivery and the fetched order were in S3 before the acknowledgement
    digest = hashlib.sha256(body).hexdigest()
    assert any(key.endswith(f"{digest}.json") for key in hub.acks[-1])
    assert any(key.startswith("douyin/order/") for key in hub.acks[-1])
    # And one order is in the table, paid, with its receiver only as ciphertext
    items = hub.items_for(key_of(order_id))
    assert len(items) == 1
    stored = json.loads(items[0]["order"]["S"])
    assert stored["status"] == OrderStatus.PAID and stored["paid_amount"] == 299900
    assert RECEIVER.phone not in items[0]["order"]["S"] and RECEIVER.name not in items[0]["order"]["S"]
    # And one OrderReceived is on the bus
    assert hub.events_for(key_of(order_id)) == ["OrderReceived"]


def test_the_same_delivery_three_times_is_one_order_and_one_event(hub: Hub, sim: DouyinSimulator) -> None:
    order_id = sim.place_order(order_spec())
    assert sim.deliver_pending(times=3) == [200, 200, 200]
    assert len(hub.items_for(key_of(order_id))) == 1
    assert hub.events_for(key_of(order_id)) == ["OrderReceived"]


def test_an_older_update_after_a_newer_one_changes_nothing(hub: Hub, sim: DouyinSimulator) -> None:
    # Given an unpaid order, then paid, both delivered
    order_id = sim.place_order(order_spec(), paid=False)
    assert sim.deliver_pending() == [200]
    sim.pay(order_id)
    assert sim.deliver_pending() == [200]
    paid = hub.items_for(key_of(order_id))[0]
    # When the platform re-pushes and serves the old unpaid snapshot once
    sim.serve_stale_once(order_id)
    sim.replay_last_message(order_id)
    assert sim.deliver_pending() == [200]
    # Then the stored order is still the paid one and no further event went out
    after = hub.items_for(key_of(order_id))[0]
    assert after["version"] == paid["version"] and after["platform_status"]["S"] == "PAID"
    assert hub.events_for(key_of(order_id)) == ["OrderReceived", "OrderUpdated"]


def test_a_forged_signature_is_refused_and_nothing_is_written(hub: Hub, sim: DouyinSimulator) -> None:
    order_id = sim.place_order(order_spec())
    body = sim.pending_delivery()
    # When an attacker posts it with a wrong signature (over HTTP, and directly to read the body)
    assert sim.deliver_pending(forge=True) == [401]
    response = invoke(body, signed(sim, body, forge=True))
    # Then it is refused with Douyin's failure fields and the hub's code
    assert response["statusCode"] == 401
    answer = json.loads(response["body"])
    assert (answer["code"], answer["msg"], answer["error"]["code"]) == (1, "fail", "SIGNATURE_INVALID")
    # And nothing was archived, recorded or published
    assert not hub.archived(body)
    assert hub.items_for(key_of(order_id)) == []
    assert hub.events_for(key_of(order_id)) == []


def test_a_push_without_signature_is_signature_missing(hub: Hub, sim: DouyinSimulator) -> None:
    order_id = sim.place_order(order_spec())
    body = sim.pending_delivery()
    response = invoke(body, {"Content-Type": "application/json"})
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error"]["code"] == "SIGNATURE_MISSING"
    assert not hub.archived(body) and hub.items_for(key_of(order_id)) == []


def test_malformed_json_is_refused_and_nothing_is_written(hub: Hub, sim: DouyinSimulator) -> None:
    body = b'[{"tag":"101","msg_id":"1","data":'
    response = invoke(body, signed(sim, body))
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["code"] == "MALFORMED_PAYLOAD"
    assert not hub.archived(body)


def test_a_body_over_one_megabyte_is_refused(hub: Hub, sim: DouyinSimulator) -> None:
    body = b"[" + b" " * (1_048_576) + b"]"
    response = invoke(body, signed(sim, body))
    assert response["statusCode"] == 413
    assert json.loads(response["body"])["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert not hub.archived(body)


def test_an_invalid_order_is_refused_with_422_and_its_payload_archived(hub: Hub, sim: DouyinSimulator) -> None:
    # Given a validly signed push about an order whose line has no merchant SKU code
    order_id = sim.place_order(order_spec(sku=""))
    body = sim.pending_delivery()
    response = invoke(body, signed(sim, body))
    # Then 422 ORDER_INVALID, the delivery and the fetched order archived, nothing recorded or published
    assert response["statusCode"] == 422
    assert json.loads(response["body"])["error"]["code"] == "ORDER_INVALID"
    assert hub.archived(body)
    assert hub.items_for(key_of(order_id)) == []
    assert hub.events_for(key_of(order_id)) == []


def test_a_platform_429_is_retried_and_the_push_accepted(hub: Hub, sim: DouyinSimulator) -> None:
    order_id = sim.place_order(order_spec())
    before = len(sim.requests.entries)
    sim.inject_faults(1, status=429, paths=("/order/orderDetail",))
    assert sim.deliver_pending() == [200]
    assert [r.path for r in sim.requests.entries[before:]] == ["/order/orderDetail", "/order/orderDetail"]
    assert hub.events_for(key_of(order_id)) == ["OrderReceived"]


def test_a_platform_that_is_down_gets_503_and_nothing_is_published(hub: Hub, sim: DouyinSimulator) -> None:
    order_id = sim.place_order(order_spec())
    body = sim.pending_delivery()
    sim.inject_faults(100, status=503)
    response = invoke(body, signed(sim, body))
    assert response["statusCode"] == 503
    answer = json.loads(response["body"])
    assert (answer["code"], answer["msg"], answer["error"]["code"]) == (1, "fail", "PLATFORM_UNAVAILABLE")
    assert hub.items_for(key_of(order_id)) == []
    assert hub.events_for(key_of(order_id)) == []
    # And once the platform is back, Douyin's retry is accepted
    sim.inject_faults(0)
    assert invoke(body, signed(sim, body))["statusCode"] == 200
    assert hub.events_for(key_of(order_id)) == ["OrderReceived"]


def test_write_back_ships_on_the_platform_and_a_repeat_is_success(hub: Hub, sim: DouyinSimulator) -> None:
    # Given an order the hub recorded from a push
    order_id = sim.place_order(order_spec())
    assert sim.deliver_pending() == [200]
    stored = OrdersTable(TABLE).get(key_of(order_id))
    assert stored is not None
    connector = load_connector("douyin")
    shipment = Shipment(carrier_code="zhongtong", tracking_no="78123456789012", shipped_at=datetime.now(UTC))
    # When the shipment is written back, twice
    connector.confirm_shipment(stored.order, shipment)
    connector.confirm_shipment(stored.order, shipment)
    # Then the platform has exactly one logisticsAdd for the order and shows it shipped
    assert [s for s in sim.shipments() if s["order_id"] == order_id] == [
        {"order_id": order_id, "carrier_code": "zhongtong", "tracking_no": "78123456789012"}
    ]
    assert sim.order_status(order_id) == 3


def test_no_receiver_plaintext_in_the_lambdas_logs(hub: Hub, sim: DouyinSimulator) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    previous = logger.log_level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        order_id = sim.place_order(order_spec())
        forged_body = sim.pending_delivery()
        invoke(forged_body, signed(sim, forged_body, forge=True))
        assert sim.deliver_pending() == [200]
    finally:
        logger.setLevel(previous)
        logger._logger.removeHandler(handler)
    logged = stream.getvalue()
    assert order_id in logged and "webhook refused" in logged
    for plaintext in (RECEIVER.name, RECEIVER.phone, RECEIVER.detail):
        assert plaintext not in logged
