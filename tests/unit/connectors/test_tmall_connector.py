"""The Tmall connector against the TOP simulator over real HTTP (no AWS): paging, TMC, write-back, errors."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from connectors.sdk.contracts import Credentials, OrderSummary, Shipment
from connectors.sdk.errors import PlatformRejected, PlatformUnavailable
from connectors.sdk.simulator import LineSpec, OrderSpec, ReceiverSpec
from connectors.tmall.client import TopClient, is_transient, response_key
from connectors.tmall.connector import TmallConnector
from connectors.tmall.simulator import TmallSimulator

SHOP = "2200000001"
OTHER_SHOP = "2200000002"


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture(scope="module")
def server() -> Iterator[TmallSimulator]:
    simulator = TmallSimulator(shop_tokens={SHOP: "session-1", OTHER_SHOP: "session-2"})
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def sim(server: TmallSimulator, clock: Clock) -> TmallSimulator:
    server.reset()
    server.now = clock
    return server


@pytest.fixture
def connector(sim: TmallSimulator, monkeypatch: pytest.MonkeyPatch) -> TmallConnector:
    monkeypatch.setattr(TmallConnector, "http_initial_backoff", 0.001)
    monkeypatch.setattr(TmallConnector, "http_max_jitter", 0.001)
    return TmallConnector(sim.credentials(), sim.router_url)


def spec(shop_id: str = SHOP, quantity: int = 1) -> OrderSpec:
    return OrderSpec(
        shop_id=shop_id,
        buyer_id="AAGbuyer0001",
        lines=(LineSpec(sku="AC-1P-INV", quantity=quantity, unit_price_fen=399900, paid_fen=369900 * quantity),),
        receiver=ReceiverSpec("张三", "13812345678", "浙江省", "杭州市", "西湖区", "西溪路 1 号"),
        created_at=datetime(2024, 3, 1, tzinfo=UTC),
    )


def test_increment_pages_are_sorted_by_modified_descending_with_a_total(
    sim: TmallSimulator, connector: TmallConnector, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given five paid orders modified one second apart, and a page size of two
    monkeypatch.setattr(TmallConnector, "page_size", 2)
    tids = []
    for _ in range(5):
        tids.append(sim.place_order(spec()))
        clock.advance(seconds=1)
    start, end = clock() - timedelta(minutes=5), clock()

    # When the window is listed page by page
    pages = [connector.list_changed(SHOP, start, end, page) for page in (1, 2, 3)]

    # Then there are three pages, newest first, and together they hold every order once
    assert [p.page_count for p in pages] == [3, 3, 3]
    assert connector.count_pages(SHOP, start, end) == 3
    listed = [s.channel_order_id for p in pages for s in p.summaries]
    assert listed == list(reversed(tids))
    assert all(s.modified_at is not None and s.modified_at.tzinfo is not None for p in pages for s in p.summaries)
    # And another shop's session sees none of them
    assert connector.count_pages(OTHER_SHOP, start, end) == 0


def test_a_window_longer_than_one_day_is_refused(connector: TmallConnector, clock: Clock) -> None:
    with pytest.raises(PlatformRejected) as refused:
        connector.list_changed(SHOP, clock() - timedelta(days=1, seconds=1), clock(), 1)
    assert refused.value.platform_code is not None and refused.value.platform_code.startswith("isv.invalid-parameter")


def test_fullinfo_returns_the_trade_with_oaid_and_normalises(sim: TmallSimulator, connector: TmallConnector) -> None:
    # Given a paid order
    tid = sim.place_order(spec(quantity=2))
    # When fetched and normalised
    raw = connector.fetch_order(SHOP, OrderSummary(channel_order_id=tid))
    order = connector.normalise(raw, shop_id=SHOP, raw_ref=None)
    # Then it is the paid order, with the OAID and no plaintext receiver
    assert raw["status"] == "WAIT_SELLER_SEND_GOODS" and raw["oaid"]
    assert order.paid_amount == 739800 and order.lines[0].quantity == 2
    assert "13812345678" not in json.dumps(raw, ensure_ascii=False) and "张三" not in json.dumps(
        raw, ensure_ascii=False
    )


def test_serve_stale_once_returns_the_previous_snapshot_once(sim: TmallSimulator, connector: TmallConnector) -> None:
    tid = sim.place_order(spec())
    sim.serve_stale_once(tid)
    first = connector.fetch_order(SHOP, OrderSummary(channel_order_id=tid))
    second = connector.fetch_order(SHOP, OrderSummary(channel_order_id=tid))
    assert first["status"] == "WAIT_BUYER_PAY" and second["status"] == "WAIT_SELLER_SEND_GOODS"


def test_tmc_messages_come_back_until_confirmed(sim: TmallSimulator, connector: TmallConnector) -> None:
    # Given an order placed and paid (TradeCreate, TradeBuyerPay)
    tid = sim.place_order(spec())

    # When consumed twice without confirming
    first = connector.consume_messages(SHOP)
    again = connector.consume_messages(SHOP)

    # Then the same messages are delivered again, each naming its shop and order
    assert [m.message_id for m in first] == [m.message_id for m in again]
    assert [m.topic for m in first] == ["taobao_trade_TradeCreate", "taobao_trade_TradeBuyerPay"]
    assert {(m.shop_id, m.channel_order_id) for m in first} == {(SHOP, tid)}

    # When confirmed, Then they are gone
    connector.confirm_messages([m.message_id for m in first])
    assert connector.consume_messages(SHOP) == []
    assert sim.confirmed_message_ids() == [m.message_id for m in first]


def test_a_message_not_about_an_order_has_no_order_id() -> None:
    message = TmallConnector._message({"id": 5, "topic": "taobao_item_ItemUpshelf", "user_id": 1, "content": "{}"})
    assert message.channel_order_id is None and message.shop_id == "1"


def test_offline_send_is_recorded_once_and_a_repeat_is_success(sim: TmallSimulator, connector: TmallConnector) -> None:
    # Given a paid order
    tid = sim.place_order(spec())
    order = connector.normalise(connector.fetch_order(SHOP, OrderSummary(tid)), shop_id=SHOP, raw_ref=None)
    shipment = Shipment(carrier_code="SF", tracking_no="SF1234567890", shipped_at=datetime.now(UTC))

    # When the shipment is written back twice
    connector.confirm_shipment(order, shipment)
    connector.confirm_shipment(order, shipment)

    # Then the platform accepted it once and the trade is shipped
    assert sim.shipments() == [
        {"order_id": tid, "carrier_code": "SF", "tracking_no": "SF1234567890", "sub_tids": [order.lines[0].line_id]}
    ]
    assert sim.trade(tid)["status"] == "WAIT_BUYER_CONFIRM_GOODS"


def test_offline_send_for_a_closed_trade_is_a_rejection(sim: TmallSimulator, connector: TmallConnector) -> None:
    # Given an order that was cancelled (refunded) before shipping
    tid = sim.place_order(spec())
    order = connector.normalise(connector.fetch_order(SHOP, OrderSummary(tid)), shop_id=SHOP, raw_ref=None)
    sim.cancel(tid)
    shipment = Shipment(carrier_code="SF", tracking_no="SF1", shipped_at=datetime.now(UTC))

    # When written back, Then TOP's B04 is not mistaken for success
    with pytest.raises(PlatformRejected):
        connector.confirm_shipment(order, shipment)
    assert sim.shipments() == []


def test_a_split_shipment_ships_only_the_named_lines(sim: TmallSimulator, connector: TmallConnector) -> None:
    # Given an order with two lines
    two_lines = OrderSpec(
        shop_id=SHOP,
        buyer_id="AAGbuyer0002",
        lines=(LineSpec("AC-1P-INV", 1, 399900), LineSpec("FILTER-PM25", 1, 9900)),
        receiver=ReceiverSpec("李四", "13900000000", "上海市", "上海市", "浦东新区", "世纪大道 1 号"),
        created_at=datetime(2024, 3, 1, tzinfo=UTC),
    )
    tid = sim.place_order(two_lines)
    order = connector.normalise(connector.fetch_order(SHOP, OrderSummary(tid)), shop_id=SHOP, raw_ref=None)
    first_line = order.lines[0].line_id
    shipment = Shipment(carrier_code="SF", tracking_no="SF2", shipped_at=datetime.now(UTC), line_ids=[first_line])

    # When one line is shipped, twice
    connector.confirm_shipment(order, shipment)
    connector.confirm_shipment(order, shipment)

    # Then the trade is partly shipped and the write-back was recorded once
    assert sim.trade(tid)["status"] == "SELLER_CONSIGNED_PART"
    assert [s["sub_tids"] for s in sim.shipments()] == [[first_line]]


def test_429_then_success_is_retried(sim: TmallSimulator, connector: TmallConnector, clock: Clock) -> None:
    sim.inject_faults(2, status=429)
    assert connector.count_pages(SHOP, clock() - timedelta(minutes=5), clock()) == 0
    assert sim.calls("taobao.trades.sold.increment.get") == 3


def test_a_5xx_storm_is_platform_unavailable(sim: TmallSimulator, connector: TmallConnector, clock: Clock) -> None:
    sim.inject_method_faults("taobao.trades.sold.increment.get", count=10, status=503)
    with pytest.raises(PlatformUnavailable):
        connector.count_pages(SHOP, clock() - timedelta(minutes=5), clock())


@pytest.mark.parametrize("sign_method", ["md5", "hmac", "hmac-sha256"])
def test_the_simulator_accepts_every_sign_method(sim: TmallSimulator, clock: Clock, sign_method: str) -> None:
    client = TopClient(sim.router_url, app_key=sim.app_key, app_secret=sim.app_secret, sign_method=sign_method)  # type: ignore[arg-type]
    total, _ = client.trades_sold_increment_get(
        session="session-1",
        start_modified=clock() - timedelta(minutes=5),
        end_modified=clock(),
        page_no=1,
        page_size=40,
    )
    assert total == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"app_secret": "wrong"}, "25"),
        ({"app_key": "99999999"}, "29"),
        ({"clock": lambda: datetime.now(UTC) - timedelta(minutes=30)}, "isv.invalid-timestamp"),
    ],
)
def test_the_simulator_refuses_bad_signatures_keys_and_timestamps(
    sim: TmallSimulator, clock: Clock, change: dict[str, Any], code: str
) -> None:
    settings: dict[str, Any] = {"app_key": sim.app_key, "app_secret": sim.app_secret, **change}
    client = TopClient(sim.router_url, **settings)
    with pytest.raises(PlatformRejected) as refused:
        client.trades_sold_increment_get(
            session="session-1",
            start_modified=clock() - timedelta(minutes=5),
            end_modified=clock(),
            page_no=1,
            page_size=40,
        )
    assert refused.value.platform_code == code


def test_an_unknown_session_is_refused(sim: TmallSimulator, clock: Clock) -> None:
    connector = TmallConnector(Credentials(sim.app_key, sim.app_secret, {SHOP: "stolen"}), sim.router_url)
    with pytest.raises(PlatformRejected, match="Invalid Session"):
        connector.count_pages(SHOP, clock() - timedelta(minutes=5), clock())


@pytest.mark.parametrize(
    ("code", "sub_code", "transient"),
    [
        ("7", "accesscontrol.limited-by-app-access-count", True),
        ("15", "isv.api-frequency-limited", True),
        ("15", "isp.top-remote-connection-timeout", True),
        ("10", None, True),
        ("15", "isv.trade-not-exist", False),
        ("15", "isv.logistics-offline-service-error:B04", False),
        ("27", "invalid-sessionkey", False),
    ],
)
def test_error_classification(code: str, sub_code: str | None, transient: bool) -> None:
    assert is_transient(code, sub_code) is transient


def test_error_responses_become_sdk_errors_with_the_sub_code() -> None:
    # Given a router that answers a rate limit, then a business error
    answers = iter(
        [
            {
                "error_response": {
                    "code": 7,
                    "msg": "App Call Limited",
                    "sub_code": "accesscontrol.limited-by-app-access-count",
                }
            },
            {"error_response": {"code": 15, "msg": "Remote service error", "sub_code": "isv.trade-not-exist"}},
        ]
    )
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=next(answers)))
    client = TopClient("https://eco.taobao.com/router/rest", app_key="k", app_secret="s", transport=transport)

    # Then the rate limit is transient and the business error carries its sub-code
    with pytest.raises(PlatformUnavailable):
        client.trade_fullinfo_get(session="x", tid="1")
    with pytest.raises(PlatformRejected) as rejected:
        client.trade_fullinfo_get(session="x", tid="1")
    assert rejected.value.platform_code == "isv.trade-not-exist"


def test_requests_are_signed_form_posts_to_the_router_path() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"tmc_messages_confirm_response": {"is_success": True}})

    client = TopClient(
        "https://eco.taobao.com/router/rest", app_key="k", app_secret="s", transport=httpx.MockTransport(answer)
    )
    client.tmc_messages_confirm(group_name="default", message_ids=["1", "2"])
    request = seen[0]
    assert request.method == "POST" and request.url.path == "/router/rest"
    form = dict(httpx.QueryParams(request.content.decode()))
    assert form["s_message_ids"] == "1,2" and form["sign_method"] == "hmac-sha256" and len(form["sign"]) == 64
    assert response_key("taobao.tmc.messages.confirm") == "tmc_messages_confirm_response"
