"""The Douyin webhook connector: verification, parsing, replies, write-back, and no PII in logs."""

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.douyin.connector import DouyinConnector, PartialShipmentUnsupported, parse_delivery
from connectors.douyin.signing import push_signature
from connectors.douyin.simulator import DouyinSimulator
from connectors.sdk.contracts import Credentials, Shipment, WebhookRequest
from connectors.sdk.errors import (
    MalformedPayload,
    OrderInvalid,
    PlatformRejected,
    PlatformUnavailable,
    SignatureInvalid,
    SignatureMissing,
)
from connectors.sdk.ingest import Ingestor, IngestOutcome
from connectors.sdk.simulator import LineSpec, OrderSpec, ReceiverSpec, RequestLog
from connectors.sdk.webhook import process_webhook
from hubcore.adapters.orders_table import RecordResult, StoredOrder
from hubcore.observability import logger
from schemas.events import Event
from schemas.order import Order, RawPayloadRef

APP_KEY = "7000000000000000000"
SECRET = "ddsecret"
SHOP = "123456"
TOKEN = "dy-token-123456"
PUSH_SAMPLE = Path(__file__).parents[3] / "events" / "douyin" / "push_delivery.json"
RECEIVER = ReceiverSpec("王小明", "13912345678", "广东省", "深圳市", "南山区", "科技园路100号")


def order_spec() -> OrderSpec:
    return OrderSpec(
        shop_id=SHOP,
        buyer_id="dy-buyer-0001",
        lines=(
            LineSpec(sku="DW-X9-13", quantity=1, unit_price_fen=319900, paid_fen=299900, title="洗碗机 X9"),
            LineSpec(sku="GIFT-TAB-30", quantity=1, unit_price_fen=9900, paid_fen=0, title="洗涤块"),
        ),
        receiver=RECEIVER,
        created_at=datetime.now(UTC) - timedelta(minutes=5),
    )


def request(body: bytes, headers: dict[str, str] | None = None, *, secret: str = SECRET) -> WebhookRequest:
    if headers is None:
        headers = {"app-id": APP_KEY, "event-sign": push_signature(app_key=APP_KEY, app_secret=secret, body=body)}
    return WebhookRequest(headers=headers, query={}, body=body, received_at=datetime.now(UTC))


def push(*messages: dict[str, object]) -> bytes:
    return json.dumps(list(messages), separators=(",", ":")).encode()


def message(tag: str, data: dict[str, object] | str, msg_id: str = "7000000000000000009") -> dict[str, object]:
    return {"tag": tag, "msg_id": msg_id, "data": data if isinstance(data, str) else json.dumps(data)}


@pytest.fixture(scope="module")
def running_sim() -> Iterator[DouyinSimulator]:
    simulator = DouyinSimulator(app_key=APP_KEY, app_secret=SECRET, shop_tokens={SHOP: TOKEN})
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def sim(running_sim: DouyinSimulator) -> DouyinSimulator:
    running_sim.requests = RequestLog()
    running_sim.inject_faults(0)
    running_sim.discard_pending()
    return running_sim


def connector_for(sim: DouyinSimulator | None = None, **kwargs: object) -> DouyinConnector:
    credentials = Credentials(app_key=APP_KEY, app_secret=SECRET, shop_tokens={SHOP: TOKEN})
    base_url = sim.base_url if sim else "http://127.0.0.1:9"
    return DouyinConnector(credentials, base_url, initial_backoff=0.001, **kwargs)  # type: ignore[arg-type]


# --- verify and parse ------------------------------------------------------------------------------


def test_the_sample_push_verifies_and_yields_one_order_notification() -> None:
    # Given the reference push (events/douyin/push_delivery.json) with its reference signature
    body = PUSH_SAMPLE.read_bytes().rstrip(b"\n")
    incoming = request(body, {"app-id": APP_KEY, "event-sign": "244ce1a6f125b3058a16e958dad0c662"})
    connector = connector_for()
    # When verified and parsed
    connector.verify(incoming)
    notifications = connector.parse_notifications(incoming)
    # Then one notification about shop order p_id of shop 123456
    assert len(notifications) == 1
    note = notifications[0]
    assert (note.shop_id, note.channel_order_id, note.topic, note.message_id) == (
        "123456",
        "4900000000000000001",
        "101",
        "7000000000000000001",
    )
    assert note.payload["pay_amount"] == 299900


def test_a_forged_signature_is_refused() -> None:
    body = PUSH_SAMPLE.read_bytes().rstrip(b"\n")
    with pytest.raises(SignatureInvalid):
        connector_for().verify(request(body, secret="guessed-secret"))


def test_a_push_without_signature_headers_is_signature_missing() -> None:
    body = PUSH_SAMPLE.read_bytes().rstrip(b"\n")
    with pytest.raises(SignatureMissing):
        connector_for().verify(request(body, {}))


def test_a_correctly_signed_malformed_body_passes_the_signature_and_is_refused_by_parsing() -> None:
    # Given a body signed with the right secret that is not JSON
    connector, malformed = connector_for(), request(b"[{not json")
    # When verified / Then the signature holds; parsing (before anything is archived) refuses it
    connector.verify(malformed)
    with pytest.raises(MalformedPayload):
        connector.parse_notifications(malformed)


def test_order_and_after_sale_tags_are_kept_and_other_tags_dropped() -> None:
    body = push(
        message("0", "{}"),  # the URL-check test push
        message("400", {"product_id": 1}),  # product change
        message("100", {"p_id": 4900000000000000101, "shop_id": 123456, "order_status": 1}),
        message("101", {"p_id": 4900000000000000101, "shop_id": 123456, "order_status": 2}),
        message("206", {"p_id": "4900000000000000201", "s_id": 4900000000000000202, "shop_id": 123456}),
    )
    notifications = parse_delivery(body)
    # Then the two messages about order ...101 make one fetch, and the after-sale message maps to its p_id
    assert [(n.channel_order_id, n.topic) for n in notifications] == [
        ("4900000000000000101", "100"),
        ("4900000000000000201", "206"),
    ]


@pytest.mark.parametrize("tag", sorted({"100", "101", "102", "103", "105", "106", "109", "110", "113"}))
def test_every_order_tag_is_kept(tag: str) -> None:
    notes = parse_delivery(push(message(tag, {"p_id": 1, "shop_id": 2})))
    assert [(n.shop_id, n.channel_order_id) for n in notes] == [("2", "1")]


@pytest.mark.parametrize("tag", [str(t) for t in range(200, 210)])
def test_every_after_sale_tag_is_kept(tag: str) -> None:
    notes = parse_delivery(push(message(tag, {"p_id": 11, "s_id": 12, "shop_id": 2, "aftersale_id": "9"})))
    assert [n.channel_order_id for n in notes] == ["11"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b'{"tag":"101"}',  # an object, not an array
        b'["101"]',
        push({"msg_id": "1", "data": "{}"}),  # no tag
        push({"tag": "101", "data": "{}"}),  # no msg_id
        push(message("101", "{broken")),
        push(message("101", "[1,2]")),
        push(message("101", {"shop_id": 1})),  # no p_id
        push(message("101", {"p_id": 1})),  # no shop_id
        push(message("101", {"p_id": 4.9e18, "shop_id": 1})),  # an id as a float
    ],
)
def test_malformed_deliveries_are_refused(body: bytes) -> None:
    with pytest.raises(MalformedPayload):
        parse_delivery(body)


# --- replies -------------------------------------------------------------------------------------------


def test_success_reply_is_douyins_exact_body() -> None:
    reply = connector_for().success_reply()
    assert (reply.status, reply.body, reply.content_type) == (200, '{"code":0,"msg":"success"}', "application/json")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (SignatureInvalid("bad"), 401),
        (MalformedPayload("bad"), 400),
        (OrderInvalid("bad"), 422),
        (PlatformUnavailable("down"), 503),
    ],
)
def test_error_reply_adds_douyins_failure_fields_and_keeps_the_status(error: Exception, status: int) -> None:
    reply = connector_for().error_reply(error)  # type: ignore[arg-type]
    body = json.loads(reply.body)
    assert reply.status == status
    assert (body["code"], body["msg"]) == (1, "fail")
    assert body["error"]["code"] == error.code  # type: ignore[attr-defined]


# --- fetch and write back ----------------------------------------------------------------------------


def test_fetch_order_uses_the_shops_token(sim: DouyinSimulator) -> None:
    order_id = sim.place_order(order_spec())
    notes = parse_delivery(sim.pending_delivery())
    raw = connector_for(sim).fetch_notified_order(notes[0])
    assert raw["order_id"] == order_id
    assert sim.requests.entries[-1].query["access_token"] == TOKEN


def test_fetch_order_for_a_shop_without_token_is_rejected(sim: DouyinSimulator) -> None:
    notes = parse_delivery(push(message("101", {"p_id": 1, "shop_id": 999})))
    with pytest.raises(PlatformRejected):
        connector_for(sim).fetch_notified_order(notes[0])


def _normalised(connector: DouyinConnector, sim: DouyinSimulator, order_id: str) -> Order:
    raw = connector.client.order_detail(order_id, TOKEN)
    return connector.normalise(raw, shop_id=SHOP, raw_ref=None)


def test_confirm_shipment_writes_back_once_and_a_retry_is_still_success(sim: DouyinSimulator) -> None:
    # Given a paid order known to the hub
    order_id = sim.place_order(order_spec())
    connector = connector_for(sim)
    order = _normalised(connector, sim, order_id)
    shipment = Shipment(carrier_code="zhongtong", tracking_no="78123456789012", shipped_at=datetime.now(UTC))
    # When the shipment is written back twice
    connector.confirm_shipment(order, shipment)
    connector.confirm_shipment(order, shipment)
    # Then the platform shipped the order once
    shipped = [s for s in sim.shipments() if s["order_id"] == order_id]
    assert shipped == [{"order_id": order_id, "carrier_code": "zhongtong", "tracking_no": "78123456789012"}]
    assert sim.order_status(order_id) == 3


def test_a_shipment_of_only_some_lines_is_not_written_back(sim: DouyinSimulator) -> None:
    order_id = sim.place_order(order_spec())
    connector = connector_for(sim)
    order = _normalised(connector, sim, order_id)
    partial = Shipment(
        carrier_code="zhongtong", tracking_no="1", shipped_at=datetime.now(UTC), line_ids=[order.lines[0].line_id]
    )
    with pytest.raises(PartialShipmentUnsupported):
        connector.confirm_shipment(order, partial)
    assert sim.order_status(order_id) == 2


# --- a whole delivery, with in-memory adapters: PII never reaches the logs -----------------------------


class MemoryArchive:
    def __init__(self) -> None:
        self.bodies: list[tuple[str, bytes]] = []

    def put(self, channel: str, body: bytes, received_at: datetime, *, kind: str = "webhook") -> RawPayloadRef:
        self.bodies.append((kind, body))
        return RawPayloadRef(bucket="mem", key=f"{channel}/{kind}/{len(self.bodies)}", sha256="0" * 64)


class MemoryStore:
    def __init__(self) -> None:
        self.items: dict[str, StoredOrder] = {}

    def record_platform_order(self, order: Order) -> RecordResult:
        current = self.items.get(order.order_key)
        if current is None or current.version < order.version:
            self.items[order.order_key] = StoredOrder(order, order.version, 0, "RECEIVED", {})
            return RecordResult(applied=True, previous=current)
        return RecordResult(applied=False, previous=current)

    def mark_published(self, order_key: str, version: int) -> None:
        current = self.items[order_key]
        self.items[order_key] = StoredOrder(current.order, current.version, version, "RECEIVED", {})


class MemoryBus:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, events: list[Event]) -> None:
        self.events.extend(events)


@pytest.fixture
def hub_logs(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """Everything the hub's logger writes (through its PII-masking formatter), at DEBUG."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    previous = logger.log_level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    yield stream
    logger.setLevel(previous)
    logger._logger.removeHandler(handler)


def test_a_webhook_run_accepts_the_order_and_never_logs_receiver_plaintext(
    sim: DouyinSimulator, hub_logs: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    # Given an order whose receiver plaintext only the platform knows, and its signed push
    order_id = sim.place_order(order_spec())
    body = sim.pending_delivery()
    archive, store, bus = MemoryArchive(), MemoryStore(), MemoryBus()
    # When the hub processes the delivery
    outcome = process_webhook(
        connector_for(sim),
        request(body),
        archive=archive,
        ingestor=Ingestor(store, bus),
        max_bytes=1_048_576,
    )
    # Then it is accepted, recorded and published
    assert outcome.reply.body == '{"code":0,"msg":"success"}'
    assert [r.outcome for r in outcome.results] == [IngestOutcome.CREATED]
    assert [e.data.order.channel_order_id for e in bus.events] == [order_id]  # type: ignore[attr-defined]
    # And the logs say what happened, without the receiver's name, phone or address
    logged = hub_logs.getvalue() + "\n".join(r.getMessage() for r in caplog.records)
    assert "douyin push parsed" in logged and order_id in logged
    for plaintext in (RECEIVER.name, RECEIVER.phone, RECEIVER.detail):
        assert plaintext not in logged
        assert all(plaintext.encode() not in stored for _, stored in archive.bodies)
    # And the ciphertext the hub does hold is not logged either
    cipher = store.items[f"douyin:{SHOP}:{order_id}"].order.receiver.phone_cipher
    assert cipher and cipher not in logged
