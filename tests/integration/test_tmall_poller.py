"""The Tmall poller Lambda end to end: moto (tables, S3, bus → SQS, secret) and the TOP simulator over HTTP.

One simulator per module (reset between tests), one moto world per test. The hub's clock and the
simulator's clock are the same fake clock, close to real time (TOP checks request timestamps), so tests
move time forward explicitly and windows are deterministic.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters import clear_caches
from moto import mock_aws

from connectors.sdk.contracts import Shipment
from connectors.sdk.poll_handler import make_poll_handler
from connectors.sdk.runtime import load_connector
from connectors.sdk.simulator import LineSpec, OrderSpec, ReceiverSpec
from connectors.tmall.connector import TmallConnector
from connectors.tmall.simulator import TmallSimulator
from hubcore.adapters.checkpoints import CheckpointConflict, DynamoCheckpointStore, WindowCheckpoint, checkpoint_key
from hubcore.adapters.orders_table import OrdersTable
from hubcore.aws import reset_clients
from hubcore.settings import reset_settings
from schemas.order import AfterSaleStatus, OrderStatus
from schemas.timeutil import from_shanghai_text

pytestmark = pytest.mark.xdist_group("tmall-poller-moto")

REGION = "us-east-1"
SHOP = "2200000001"
TOKEN = "tm-session-2200000001"
ORDERS, CHECKPOINTS, BUCKET, BUS = "it-tmall-orders", "it-tmall-checkpoints", "it-tmall-raw", "it-tmall-bus"
FULLINFO = "taobao.trade.fullinfo.get"


class Clock:
    def __init__(self) -> None:
        self.moment = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, minutes: float) -> None:
        self.moment += timedelta(minutes=minutes)


@dataclass
class LambdaContext:
    function_name: str = "tmall-poller"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:tmall-poller"
    aws_request_id: str = "it-request"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@dataclass
class World:
    sim: TmallSimulator
    clock: Clock
    queue_url: str
    events: list[dict[str, Any]]

    def poll(self) -> dict[str, Any]:
        handler = make_poll_handler("tmall", clock=self.clock)
        return handler({"source": "aws.scheduler"}, LambdaContext())  # type: ignore[arg-type]

    def drain_events(self) -> list[dict[str, Any]]:
        """Everything the bus delivered to the catch-all queue since the last drain (also kept in `events`)."""
        sqs = boto3.client("sqs", region_name=REGION)
        new: list[dict[str, Any]] = []
        while True:
            response = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = response.get("Messages", [])
            if not messages:
                break
            for message in messages:
                new.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        self.events.extend(new)
        return new

    def events_for(self, tid: str) -> list[str]:
        self.drain_events()
        return [e["detail-type"] for e in self.events if e["detail"]["metadata"]["correlation_id"].endswith(f":{tid}")]

    def stored(self, tid: str) -> Any:
        return OrdersTable().get(f"tmall:{SHOP}:{tid}")


def spec(sku: str = "AC-1P-INV", quantity: int = 1) -> OrderSpec:
    return OrderSpec(
        shop_id=SHOP,
        buyer_id="AAGq7x5kAOPJ4oLwFdLiRZ4F",
        lines=(LineSpec(sku=sku, quantity=quantity, unit_price_fen=399900, paid_fen=379907 * quantity, title="空调"),),
        receiver=ReceiverSpec("张三", "13812345678", "浙江省", "杭州市", "西湖区", "西溪路 1 号"),
        created_at=datetime.now(UTC),
        freight_fen=0,
    )


@pytest.fixture(scope="module")
def simulator() -> Iterator[TmallSimulator]:
    sim = TmallSimulator(app_key="12345678", app_secret="tmall-it-secret", shop_tokens={SHOP: TOKEN})
    sim.start()
    yield sim
    sim.stop()


def _create_resources(sim: TmallSimulator) -> str:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName=ORDERS,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.create_table(
        TableName=CHECKPOINTS,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    events = boto3.client("events", region_name=REGION)
    events.create_event_bus(Name=BUS)
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="it-tmall-all-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="all-hub-events", EventBusName=BUS, EventPattern=json.dumps({"source": [{"prefix": "omnihub."}]})
    )
    events.put_targets(Rule="all-hub-events", EventBusName=BUS, Targets=[{"Id": "catch-all", "Arn": queue_arn}])
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="omnihub/channels/tmall",
        SecretString=json.dumps({"app_key": sim.app_key, "app_secret": sim.app_secret, "shop_tokens": {SHOP: TOKEN}}),
    )
    return queue_url


@pytest.fixture
def world(simulator: TmallSimulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "OMNIHUB_ORDERS_TABLE": ORDERS,
        "OMNIHUB_CHECKPOINTS_TABLE": CHECKPOINTS,
        "OMNIHUB_RAW_BUCKET": BUCKET,
        "OMNIHUB_EVENT_BUS": BUS,
        # As the local hub sets it: the simulator's root; the connector adds TOP's router path.
        "OMNIHUB_TMALL_API_URL": simulator.base_url,
        "POWERTOOLS_METRICS_NAMESPACE": "OmniHubTest",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(TmallConnector, "http_initial_backoff", 0.001)
    monkeypatch.setattr(TmallConnector, "http_max_jitter", 0.001)
    clock = Clock()
    simulator.reset()
    simulator.now = clock
    reset_settings()
    reset_clients()
    clear_caches()
    with mock_aws():
        yield World(sim=simulator, clock=clock, queue_url=_create_resources(simulator), events=[])
    clear_caches()
    reset_clients()
    reset_settings()


def test_a_poll_ingests_every_order_once_and_confirms_its_messages(world: World) -> None:
    # Given three paid orders and one awaiting payment on Tmall
    paid = [world.sim.place_order(spec()) for _ in range(3)]
    unpaid = world.sim.place_order(spec(), paid=False)
    world.clock.advance(2)

    # When the scheduled poller runs
    summary = world.poll()

    # Then each order is stored once with exactly one OrderReceived
    assert summary["errors"] == 0 and summary["shops"][SHOP]["windows"]["caught_up"]
    for tid in [*paid, unpaid]:
        assert world.events_for(tid) == ["OrderReceived"]
    assert {world.stored(tid).order.status for tid in paid} == {OrderStatus.PAID}
    assert world.stored(unpaid).order.status is OrderStatus.PENDING_PAYMENT
    # And the money is exact fen, the raw trade archived and referenced
    order = world.stored(paid[0]).order
    assert order.paid_amount == 379907 and order.goods_amount == 399900
    assert order.raw_ref is not None
    raw = boto3.client("s3", region_name=REGION).get_object(Bucket=order.raw_ref.bucket, Key=order.raw_ref.key)
    assert json.loads(raw["Body"].read())["tid_str"] == paid[0]
    # And every TMC message was confirmed
    assert world.sim.pending_messages() == []
    assert summary["shops"][SHOP]["messages"]["confirmed"] == 7  # 4 TradeCreate + 3 TradeBuyerPay


def test_rerunning_changes_nothing(world: World) -> None:
    # Given a completed poll
    tids = [world.sim.place_order(spec()) for _ in range(2)]
    world.clock.advance(2)
    world.poll()
    before = {tid: world.stored(tid).version for tid in tids}
    world.drain_events()

    # When the poller runs again, now and a few minutes later (re-reading the window overlap)
    world.poll()
    world.clock.advance(3)
    world.poll()

    # Then nothing was published and nothing changed
    assert world.drain_events() == []
    assert {tid: world.stored(tid).version for tid in tids} == before


def test_a_refund_request_and_a_cancellation_yield_order_updated(world: World) -> None:
    # Given two ingested paid orders
    refunded, cancelled = world.sim.place_order(spec()), world.sim.place_order(spec())
    world.clock.advance(2)
    world.poll()

    # When the buyer asks for a refund on one and the other is cancelled (refunded before shipment)
    world.clock.advance(1)
    world.sim.request_refund(refunded)
    world.sim.cancel(cancelled)
    world.clock.advance(2)
    world.poll()

    # Then each has one OrderUpdated after its OrderReceived, with the previous status
    assert world.events_for(refunded) == ["OrderReceived", "OrderUpdated"]
    assert world.events_for(cancelled) == ["OrderReceived", "OrderUpdated"]
    update = next(
        e
        for e in world.events
        if e["detail-type"] == "OrderUpdated" and e["detail"]["data"]["order"]["channel_order_id"] == cancelled
    )
    assert update["detail"]["data"]["previous_status"] == "PAID"
    assert world.stored(cancelled).order.status is OrderStatus.CLOSED
    assert world.stored(refunded).order.after_sale is AfterSaleStatus.REQUESTED


def test_an_older_snapshot_changes_nothing(world: World) -> None:
    # Given an order placed unpaid, then paid, and ingested as paid
    tid = world.sim.place_order(spec(), paid=False)
    world.sim.pay(tid)
    world.clock.advance(2)
    world.poll()
    version = world.stored(tid).version

    # When TMC redelivers a message and the platform answers with the older, unpaid snapshot
    world.sim.serve_stale_once(tid)
    world.sim.replay_last_message(tid)
    world.poll()

    # Then the stale read was ignored (and its message still confirmed)
    assert world.stored(tid).version == version and world.stored(tid).order.status is OrderStatus.PAID
    assert world.events_for(tid) == ["OrderReceived"]
    assert world.sim.pending_messages() == []


def test_a_5xx_storm_mid_window_then_resume_loses_and_duplicates_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given seven orders (4 pages of 2) whose TMC messages were lost, and a platform failing after 3 reads
    monkeypatch.setattr(TmallConnector, "page_size", 2)
    monkeypatch.setattr(TmallConnector, "http_max_attempts", 2)
    tids = [world.sim.place_order(spec()) for _ in range(7)]
    world.sim.drop_messages()
    world.clock.advance(2)
    world.sim.inject_method_faults(FULLINFO, count=1000, status=503, after=3)

    # When the poller runs into the storm
    summary = world.poll()

    # Then the shop's poll failed, and the checkpoint holds the window and the page being read
    assert summary["shops"][SHOP]["error"] == "PLATFORM_UNAVAILABLE"
    checkpoint = DynamoCheckpointStore().load(checkpoint_key("tmall", SHOP, "orders"))
    assert checkpoint is not None and checkpoint.in_window and checkpoint.next_page == 2  # pages 4 and 3 done
    assert sum(world.stored(t) is not None for t in tids) == 3

    # When the platform recovers and the poller runs again
    world.sim.clear_faults()
    summary = world.poll()

    # Then every order is stored, with exactly one OrderReceived each, and the window is done
    assert summary["errors"] == 0
    assert all(world.events_for(t) == ["OrderReceived"] for t in tids)
    checkpoint = DynamoCheckpointStore().load(checkpoint_key("tmall", SHOP, "orders"))
    assert checkpoint is not None and not checkpoint.in_window
    assert checkpoint.watermark == world.clock() - timedelta(minutes=1)


def test_429_then_success_is_retried(world: World) -> None:
    # Given an order and a platform that answers 429 twice
    tid = world.sim.place_order(spec())
    world.clock.advance(2)
    world.sim.inject_faults(2, status=429)

    # When the poller runs
    summary = world.poll()

    # Then the calls were retried and the order arrived
    assert summary["errors"] == 0
    assert world.events_for(tid) == ["OrderReceived"]


def test_tmc_messages_are_confirmed_only_after_the_order_is_ingested(world: World) -> None:
    # Given an order whose details cannot be fetched for now
    tid = world.sim.place_order(spec())
    world.sim.inject_method_faults(FULLINFO, count=1000, status=503)
    pending = [m["id"] for m in world.sim.pending_messages()]

    # When the poller runs
    summary = world.poll()

    # Then nothing was stored and no message confirmed: TMC will deliver them again
    assert summary["shops"][SHOP]["messages"]["confirmed"] == 0
    assert world.stored(tid) is None
    assert [m["id"] for m in world.sim.pending_messages()] == pending
    assert world.sim.calls("taobao.tmc.messages.confirm") == 0

    # When the platform recovers and the poller runs again
    world.sim.clear_faults()
    world.poll()

    # Then the order is ingested once and its messages confirmed
    assert world.events_for(tid) == ["OrderReceived"]
    assert world.sim.pending_messages() == []
    assert sorted(world.sim.confirmed_message_ids()) == sorted(str(i) for i in pending)


def test_write_back_is_recorded_once_and_idempotent(world: World) -> None:
    # Given an ingested paid order
    tid = world.sim.place_order(spec())
    world.clock.advance(2)
    world.poll()
    order = world.stored(tid).order
    connector = load_connector("tmall")
    shipment = Shipment(carrier_code="SF", tracking_no="SF1400000000001", shipped_at=world.clock())

    # When the shipment is written back twice (a workflow retry)
    connector.confirm_shipment(order, shipment)
    connector.confirm_shipment(order, shipment)

    # Then Tmall recorded one offline send, and the shipped trade comes back as an update
    assert world.sim.shipments() == [
        {"order_id": tid, "carrier_code": "SF", "tracking_no": "SF1400000000001", "sub_tids": [order.lines[0].line_id]}
    ]
    world.clock.advance(2)
    world.poll()
    assert world.stored(tid).order.status is OrderStatus.SHIPPED
    assert world.events_for(tid) == ["OrderReceived", "OrderUpdated"]


def test_the_checkpoint_store_refuses_a_stale_revision(world: World) -> None:
    # Given a saved checkpoint
    store, key = DynamoCheckpointStore(), checkpoint_key("tmall", SHOP, "orders")
    first = store.save(key, WindowCheckpoint(watermark=world.clock()))
    assert first.revision == 1

    # When two invocations that read revision 1 both try to advance it
    winner = store.save(key, WindowCheckpoint(watermark=world.clock() + timedelta(minutes=1), revision=1))

    # Then only the first succeeds; the other gets a conflict and the stored checkpoint is the winner's
    with pytest.raises(CheckpointConflict):
        store.save(key, WindowCheckpoint(watermark=world.clock() + timedelta(minutes=2), revision=1))
    with pytest.raises(CheckpointConflict):
        store.save(key, WindowCheckpoint(watermark=world.clock()))  # a "first" save of an existing one
    assert store.load(key) == winner


def test_the_packaged_handler_runs_against_real_time(world: World) -> None:
    # Given the Lambda entry point as deployed (real clock) and an order just paid
    from connectors.tmall.handler import lambda_handler

    world.sim.now = lambda: datetime.now(UTC)
    tid = world.sim.place_order(spec())

    # When it runs
    summary = lambda_handler({"source": "aws.scheduler"}, LambdaContext())  # type: ignore[arg-type]

    # Then the TMC message brought the order in right away (the window would see it a minute later)
    assert summary["channel"] == "tmall" and summary["errors"] == 0
    assert world.events_for(tid) == ["OrderReceived"]


def _windows(sim: TmallSimulator) -> list[tuple[datetime, datetime]]:
    """The distinct modified-time windows the poller asked `increment.get` for, in order."""
    with sim.requests.lock:
        entries = list(sim.requests.entries)
    windows: list[tuple[datetime, datetime]] = []
    for entry in entries:
        params = {**dict(entry.query), **(entry.form() if entry.body else {})}
        if params.get("method") == "taobao.trades.sold.increment.get":
            window = (from_shanghai_text(params["start_modified"]), from_shanghai_text(params["end_modified"]))
            if window not in windows:
                windows.append(window)
    return windows


def test_an_operators_lag_and_overlap_overrides_shape_the_windows(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the overrides the local hub sets: a 5 s safety lag and a 10 s window overlap
    monkeypatch.setenv("OMNIHUB_POLL_SAFETY_LAG_SECONDS", "5")
    monkeypatch.setenv("OMNIHUB_POLL_WINDOW_OVERLAP_SECONDS", "10")
    world.poll()
    last_end = world.clock() - timedelta(seconds=5)
    world.clock.advance(2)
    with world.sim.requests.lock:
        world.sim.requests.entries.clear()

    # When the poller runs two minutes later
    world.poll()

    # Then its one window starts 10 s before the last one ended and ends 5 s before now
    assert _windows(world.sim) == [(last_end - timedelta(seconds=10), world.clock() - timedelta(seconds=5))]
