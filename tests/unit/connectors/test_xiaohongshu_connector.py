"""The Xiaohongshu connector against its simulator (which signs and verifies as the platform does)."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from connectors.sdk.contracts import Credentials, OrderSummary, Shipment
from connectors.sdk.errors import MalformedPayload, PlatformRejected, PlatformUnavailable, SignatureInvalid
from connectors.sdk.simulator import LineSpec, OrderSpec, ReceiverSpec, RequestLog
from connectors.sdk.webhook import process_webhook
from connectors.xiaohongshu.client import XiaohongshuClient
from connectors.xiaohongshu.connector import SUCCESS_BODY, XiaohongshuConnector, parse_delivery
from connectors.xiaohongshu.simulator import PUSH_PATH, XiaohongshuSimulator
from schemas.order import AfterSaleStatus, Order, OrderStatus
from tests.conformance.kit import MemoryHub

SHOP = "60a1b2c3d4e5f60718293a4b"
EVENTS = Path(__file__).parents[3] / "events" / "xiaohongshu"
RECEIVER = ReceiverSpec("张三丰", "13800138000", "浙江省", "杭州市", "西湖区", "文三路100号")


class FastConnector(XiaohongshuConnector):
    page_size: ClassVar[int] = 2
    http_initial_backoff: ClassVar[float] = 0.001
    http_max_jitter: ClassVar[float] = 0.001


def spec(minutes_ago: float = 5, *, two_lines: bool = True) -> OrderSpec:
    lines = [LineSpec("DW-X9", 1, 319900, 299900, "洗碗机")]
    if two_lines:
        lines.append(LineSpec("TAB-30", 2, 4950, 0, "洗涤块"))
    return OrderSpec(
        shop_id=SHOP,
        buyer_id="buyer-1",
        lines=tuple(lines),
        receiver=RECEIVER,
        created_at=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes_ago),
    )


@pytest.fixture(scope="module")
def running_sim() -> Iterator[XiaohongshuSimulator]:
    simulator = XiaohongshuSimulator(shop_tokens={SHOP: "tok"})
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def sim(running_sim: XiaohongshuSimulator) -> XiaohongshuSimulator:
    running_sim.requests = RequestLog()
    running_sim.inject_faults(0)
    return running_sim


@pytest.fixture
def connector(sim: XiaohongshuSimulator) -> XiaohongshuConnector:
    return FastConnector(sim.credentials(), sim.api_url)


# --- push ------------------------------------------------------------------------------------------------


def test_the_sample_delivery_keeps_order_and_after_sale_messages() -> None:
    notifications = parse_delivery((EVENTS / "push_delivery.json").read_bytes())
    assert [(n.topic, n.channel_order_id, n.shop_id) for n in notifications] == [
        ("msg_fulfillment_status_change", "P768291112062421411", SHOP),
        ("msg_after_sale_create", "P768291112062421422", SHOP),
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"msgTag":"x"}',
        b"[1]",
        b'[{"sellerId":"s","data":"{}"}]',
        b'[{"msgTag":"msg_fulfillment_status_change","sellerId":"s","data":"{}"}]',
    ],
)
def test_malformed_deliveries_are_refused(body: bytes) -> None:
    with pytest.raises(MalformedPayload):
        parse_delivery(body)


def test_a_push_is_accepted_with_the_exact_reply_and_a_refusal_keeps_platform_fields(
    sim: XiaohongshuSimulator, connector: XiaohongshuConnector
) -> None:
    hub = MemoryHub()
    order_id = sim.place_order(spec())
    accepted = process_webhook(
        connector, sim.push_request(order_id), archive=hub.archive, ingestor=hub.ingestor, max_bytes=1 << 20
    )
    assert (
        accepted.reply.status == 200
        and accepted.reply.body == SUCCESS_BODY == '{"success":true,"error_code":0,"error_msg":""}'
    )
    refused = process_webhook(
        connector, sim.push_request(order_id, forge=True), archive=hub.archive, ingestor=hub.ingestor, max_bytes=1 << 20
    )
    body = json.loads(refused.reply.body)
    assert refused.reply.status == 401 and body["success"] is False and body["error"]["code"] == "SIGNATURE_INVALID"


def test_the_console_probe_gets_200_and_writes_nothing(
    sim: XiaohongshuSimulator, connector: XiaohongshuConnector
) -> None:
    hub = MemoryHub()
    outcome = process_webhook(
        connector, sim.test_probe_request(), archive=hub.archive, ingestor=hub.ingestor, max_bytes=1 << 20
    )
    assert (outcome.reply.status, outcome.reply.body, outcome.results) == (200, SUCCESS_BODY, ())
    assert not hub.archive.objects
    assert not hub.store.items


def test_the_signed_path_can_be_configured(sim: XiaohongshuSimulator) -> None:
    order_id = sim.place_order(spec())
    request = sim.push_request(order_id)
    staged = Credentials(sim.app_key, sim.app_secret, sim.shop_tokens, extra={"push_path": "/prod" + PUSH_PATH})
    with pytest.raises(SignatureInvalid):  # the platform signed /webhooks/xiaohongshu, not /prod/...
        FastConnector(staged, sim.api_url).verify(request)


# --- polling and fetching ---------------------------------------------------------------------------------


def test_list_changed_pages_by_update_time(sim: XiaohongshuSimulator, connector: XiaohongshuConnector) -> None:
    start = datetime.now(UTC) - timedelta(minutes=29)
    placed = {sim.place_order(spec(minutes_ago=20 - i), paid=False) for i in range(3)}
    end = start + timedelta(minutes=30)
    pages = connector.count_pages(SHOP, start, end)
    seen = {
        s.channel_order_id for p in range(pages, 0, -1) for s in connector.list_changed(SHOP, start, end, p).summaries
    }
    assert placed <= seen and pages >= 2
    bodies = [entry.json() for entry in sim.requests.entries if entry.json().get("method") == "order.getOrderList"]
    assert all(b["timeType"] == 2 and b["endTime"] - b["startTime"] <= 1800 for b in bodies)


def test_a_window_longer_than_30_minutes_is_refused_by_the_platform(connector: XiaohongshuConnector) -> None:
    start = datetime.now(UTC) - timedelta(hours=1)
    with pytest.raises(PlatformRejected):
        connector.list_changed(SHOP, start, start + timedelta(minutes=31), 1)


def test_statuses_only_xiaohongshu_has(sim: XiaohongshuSimulator, connector: XiaohongshuConnector) -> None:
    order_id = sim.place_order(spec(), paid=False)
    sim.pay(order_id, risk_review=True)
    fetch = lambda: connector.normalise(connector.fetch_order(SHOP, OrderSummary(order_id)), shop_id=SHOP, raw_ref=None)  # noqa: E731
    assert fetch().status is OrderStatus.PAID_FORBID_SHIPMENT
    sim.hold_in_customs(order_id)
    held = fetch()
    assert (held.status, held.channel_status) == (OrderStatus.PAID_FORBID_SHIPMENT, "3")
    sim.release_from_customs(order_id)
    assert fetch().status is OrderStatus.PAID
    sim.request_refund(order_id)
    assert fetch().after_sale is AfterSaleStatus.REQUESTED


def test_cancel_after_payment_closes_with_a_newer_version(
    sim: XiaohongshuSimulator, connector: XiaohongshuConnector
) -> None:
    order_id = sim.place_order(spec())
    before = connector.normalise(connector.fetch_order(SHOP, OrderSummary(order_id)), shop_id=SHOP, raw_ref=None)
    sim.cancel(order_id)
    after = connector.normalise(connector.fetch_order(SHOP, OrderSummary(order_id)), shop_id=SHOP, raw_ref=None)
    assert (after.status, after.after_sale) == (OrderStatus.CLOSED, AfterSaleStatus.REFUNDED)
    assert after.version > before.version


def test_no_plaintext_receiver_in_the_fetched_order(sim: XiaohongshuSimulator, connector: XiaohongshuConnector) -> None:
    raw = json.dumps(connector.fetch_order(SHOP, OrderSummary(sim.place_order(spec()))), ensure_ascii=False)
    assert RECEIVER.name not in raw and RECEIVER.phone not in raw and RECEIVER.detail not in raw


# --- outbound ---------------------------------------------------------------------------------------------


def _order(sim: XiaohongshuSimulator, connector: XiaohongshuConnector, order_id: str) -> Order:
    return connector.normalise(connector.fetch_order(SHOP, OrderSummary(order_id)), shop_id=SHOP, raw_ref=None)


def test_split_shipment_then_the_rest(sim: XiaohongshuSimulator, connector: XiaohongshuConnector) -> None:
    order_id = sim.place_order(spec())
    order = _order(sim, connector, order_id)
    first, second = (line.line_id for line in order.lines)
    now = datetime.now(UTC)
    connector.confirm_shipment(
        order, Shipment(carrier_code="shunfeng", tracking_no="SF1", shipped_at=now, line_ids=[first])
    )
    assert sim.order_detail(order_id)["orderStatus"] == 5
    connector.confirm_shipment(
        order, Shipment(carrier_code="shunfeng", tracking_no="SF2", shipped_at=now, line_ids=[second])
    )
    assert sim.order_detail(order_id)["orderStatus"] == 6
    mine = [s for s in sim.shipments() if s["order_id"] == order_id]
    assert [(s["tracking_no"], s["sku_ids"]) for s in mine] == [("SF1", [first]), ("SF2", [second])]
    sent = [e.json() for e in sim.requests.entries if e.json().get("method") == "order.orderDeliver"]
    assert sent[0]["unpack"] is True and sent[0]["deliveringTime"] == int(now.timestamp() * 1000)


def test_shipping_a_cancelled_order_is_a_rejection_not_success(
    sim: XiaohongshuSimulator, connector: XiaohongshuConnector
) -> None:
    order_id = sim.place_order(spec())
    order = _order(sim, connector, order_id)
    sim.cancel(order_id)
    with pytest.raises(PlatformRejected):
        connector.confirm_shipment(
            order, Shipment(carrier_code="shunfeng", tracking_no="SF3", shipped_at=datetime.now(UTC))
        )


def test_stock_push_is_the_total_and_reads_back(sim: XiaohongshuSimulator, connector: XiaohongshuConnector) -> None:
    item = sim.listing(SHOP, "DW-X9")
    connector.push_stock(SHOP, item, 12)
    assert connector.read_stock(SHOP, item) == 12
    pushed = [e.json() for e in sim.requests.entries if e.json().get("method") == "inventory.syncSkuStock"]
    assert pushed[-1]["skuId"] == item.channel_sku_id and pushed[-1]["qty"] == 12
    with pytest.raises(PlatformRejected):
        connector.push_stock(SHOP, sim.listing("other-shop", "DW-X9"), 1)


# --- client errors ----------------------------------------------------------------------------------------


def _client(handler: httpx.MockTransport) -> XiaohongshuClient:
    return XiaohongshuClient(
        "https://ark.example",
        app_id="a",
        app_secret="s",
        transport=handler,
        initial_backoff=0.001,
        max_jitter=0.001,
        max_attempts=2,
    )


def test_client_error_classes() -> None:
    answers = {
        "busy": httpx.Response(200, json={"success": False, "error_code": 30001, "error_msg": "接口限流，请稍后再试"}),
        "refused": httpx.Response(200, json={"success": False, "error_code": 50001, "error_msg": "订单不存在"}),
        "html": httpx.Response(200, text="<html>gateway</html>"),
        "down": httpx.Response(503, text="down"),
    }
    for name, error in (
        ("busy", PlatformUnavailable),
        ("refused", PlatformRejected),
        ("html", PlatformUnavailable),
        ("down", PlatformUnavailable),
    ):
        client = _client(httpx.MockTransport(lambda request, name=name: answers[name]))
        with pytest.raises(error):
            client.order_detail(access_token="t", order_id="P1")
    rejected = _client(httpx.MockTransport(lambda request: answers["refused"]))
    with pytest.raises(PlatformRejected) as caught:
        rejected.sku_stock_total(access_token="t", sku_id="s")
    assert caught.value.platform_code == "50001"


def test_client_posts_signed_json_to_the_single_endpoint() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"success": True, "error_code": 0, "error_msg": "", "data": {"orderId": "P1"}})

    client = XiaohongshuClient(
        "https://ark.example",
        app_id="test-app",
        app_secret="secret-key",
        transport=httpx.MockTransport(answer),
        clock=lambda: 1700000000.0,
    )
    client.order_detail(access_token="tok", order_id="P1")
    (request,) = seen
    body = json.loads(request.content)
    assert request.url.path == "/ark/open_api/v3/common_controller"
    assert body == {
        "orderId": "P1",
        "appId": "test-app",
        "timestamp": "1700000000",
        "version": "2.0",
        "method": "order.getOrderDetail",
        "sign": body["sign"],
        "accessToken": "tok",
    }
    assert len(body["sign"]) == 32
