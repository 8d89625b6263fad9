"""The JD POP and DPS connectors against their JOS simulators over real HTTP (no AWS)."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from connectors.jd.client import JosClient, response_key
from connectors.jd.connector import JdConnector, PartialShipmentUnsupported
from connectors.jd.simulator import JdSimulator
from connectors.jd_dps.connector import JdDpsConnector
from connectors.jd_dps.simulator import JdDpsSimulator
from connectors.sdk.contracts import Credentials, OrderSummary, Shipment
from connectors.sdk.errors import OrderInvalid, PlatformRejected, PlatformUnavailable
from connectors.sdk.simulator import LineSpec, OrderSpec, ReceiverSpec

SHOP = "10086001"
VENDOR = "VC20001"


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
def jd_server() -> Iterator[JdSimulator]:
    simulator = JdSimulator(shop_tokens={SHOP: "token-1"})
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def dps_server() -> Iterator[JdDpsSimulator]:
    simulator = JdDpsSimulator(shop_tokens={VENDOR: "token-v"})
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def sim(jd_server: JdSimulator, clock: Clock) -> JdSimulator:
    jd_server.reset()
    jd_server.now = clock
    return jd_server


@pytest.fixture
def dsim(dps_server: JdDpsSimulator, clock: Clock) -> JdDpsSimulator:
    dps_server.reset()
    dps_server.now = clock
    return dps_server


def fast(monkeypatch: pytest.MonkeyPatch, *classes: type) -> None:
    for cls in classes:
        monkeypatch.setattr(cls, "http_initial_backoff", 0.001)
        monkeypatch.setattr(cls, "http_max_jitter", 0.001)


@pytest.fixture
def jd(sim: JdSimulator, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> JdConnector:
    fast(monkeypatch, JdConnector)
    credentials = Credentials(sim.app_key, sim.app_secret, sim.shop_tokens, {"carrier_ids": '{"SF": "467"}'})
    return JdConnector(credentials, sim.router_url, clock=clock)


@pytest.fixture
def dps(dsim: JdDpsSimulator, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> JdDpsConnector:
    fast(monkeypatch, JdDpsConnector)
    return JdDpsConnector(dsim.credentials(), dsim.router_url, clock=clock)


def spec(shop_id: str, quantity: int = 1) -> OrderSpec:
    return OrderSpec(
        shop_id=shop_id,
        buyer_id="o_jd_buyer_0001",
        lines=(LineSpec(sku="AC-1P-INV", quantity=quantity, unit_price_fen=399900, paid_fen=369900 * quantity),),
        receiver=ReceiverSpec("张三", "13812345678", "浙江省", "杭州市", "西湖区", "西溪路 1 号"),
        created_at=datetime(2024, 3, 1, tzinfo=UTC),
    )


# --- JD POP ----------------------------------------------------------------------------------------


def test_en_search_pages_newest_first_with_a_total(
    sim: JdSimulator, jd: JdConnector, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(JdConnector, "page_size", 2)
    ids = []
    for _ in range(5):
        ids.append(sim.place_order(spec(SHOP)))
        clock.advance(seconds=1)
    start, end = clock() - timedelta(minutes=5), clock()
    pages = [jd.list_changed(SHOP, start, end, page) for page in (1, 2, 3)]
    assert pages[0].page_count == 3 and jd.count_pages(SHOP, start, end) == 3
    listed = [s.channel_order_id for p in pages for s in p.summaries]
    assert listed == list(reversed(ids))
    sent = json.loads(sim.requests.entries[-1].form()["360buy_param_json"])
    assert (sent["dateType"], sent["sortType"], sent["page_size"]) == (0, 1, "2")
    assert set(sent["order_state"].split(",")) >= {"WAIT_SELLER_STOCK_OUT", "LOCKED", "TRADE_CANCELED"}


def test_a_window_longer_than_a_month_is_refused(sim: JdSimulator, jd: JdConnector, clock: Clock) -> None:
    with pytest.raises(PlatformRejected, match="one month"):
        jd.list_changed(SHOP, clock() - timedelta(days=40), clock(), 1)


def test_fetched_order_normalises_with_ciphertext_only(sim: JdSimulator, jd: JdConnector) -> None:
    order_id = sim.place_order(spec(SHOP, quantity=2))
    order = jd.normalise(jd.fetch_order(SHOP, OrderSummary(order_id)), shop_id=SHOP, raw_ref=None)
    assert order.paid_amount == 2 * 369900 and order.goods_amount == 2 * 399900
    assert order.lines[0].channel_sku_id == sim.listing(SHOP, "AC-1P-INV").channel_sku_id
    assert "张三" not in order.model_dump_json() and "13812345678" not in order.model_dump_json()
    assert order.receiver.phone_masked == "138****5678"


def test_refund_request_then_cancel_are_newer_versions(sim: JdSimulator, jd: JdConnector, clock: Clock) -> None:
    order_id = sim.place_order(spec(SHOP))
    versions = []
    for step in (lambda: None, lambda: sim.request_refund(order_id), lambda: sim.cancel(order_id)):
        clock.advance(seconds=2)
        step()
        versions.append(jd.normalise(jd.fetch_order(SHOP, OrderSummary(order_id)), shop_id=SHOP, raw_ref=None))
    assert [v.channel_status for v in versions] == ["WAIT_SELLER_STOCK_OUT", "LOCKED", "TRADE_CANCELED"]
    assert [v.after_sale.value for v in versions] == ["NONE", "REQUESTED", "REFUNDED"]
    assert versions[0].version < versions[1].version < versions[2].version


def test_an_undocumented_state_is_refused(sim: JdSimulator, jd: JdConnector) -> None:
    order_id = sim.place_order(spec(SHOP))
    sim.set_undocumented_state(order_id)
    with pytest.raises(OrderInvalid):
        jd.normalise(jd.fetch_order(SHOP, OrderSummary(order_id)), shop_id=SHOP, raw_ref=None)


def test_shipment_maps_the_carrier_and_is_idempotent(sim: JdSimulator, jd: JdConnector) -> None:
    order_id = sim.place_order(spec(SHOP))
    order = jd.normalise(jd.fetch_order(SHOP, OrderSummary(order_id)), shop_id=SHOP, raw_ref=None)
    shipment = Shipment(carrier_code="SF", tracking_no="SF100", shipped_at=datetime.now(UTC))
    jd.confirm_shipment(order, shipment)
    jd.confirm_shipment(order, shipment)
    assert sim.shipments() == [{"order_id": order_id, "carrier_code": "467", "tracking_no": "SF100"}]
    with pytest.raises(PartialShipmentUnsupported):
        jd.confirm_shipment(order, shipment.model_copy(update={"line_ids": ["nope"]}))


def test_shipping_a_locked_order_is_refused(sim: JdSimulator, jd: JdConnector) -> None:
    order_id = sim.place_order(spec(SHOP))
    order = jd.normalise(jd.fetch_order(SHOP, OrderSummary(order_id)), shop_id=SHOP, raw_ref=None)
    sim.pause(order_id)
    with pytest.raises(PlatformRejected):
        jd.confirm_shipment(order, Shipment(carrier_code="SF", tracking_no="SF1", shipped_at=datetime.now(UTC)))
    assert sim.shipments() == []


def test_stock_push_overwrites_and_reads_back(sim: JdSimulator, jd: JdConnector) -> None:
    item = sim.listing(SHOP, "AC-1P-INV")
    jd.push_stock(SHOP, item, 12)
    jd.push_stock(SHOP, item, 9)
    assert jd.read_stock(SHOP, item) == 9
    sent = json.loads(sim.requests.entries[-2].form()["360buy_param_json"])
    assert sent == {"skuId": int(item.channel_sku_id), "stockNum": 9}


def test_retries_429_then_gives_up_on_5xx(sim: JdSimulator, jd: JdConnector, clock: Clock) -> None:
    sim.inject_faults(2, status=429)
    assert jd.list_changed(SHOP, clock() - timedelta(minutes=5), clock(), 1).total_results == 0
    sim.inject_faults(10, status=503)
    with pytest.raises(PlatformUnavailable):
        jd.list_changed(SHOP, clock() - timedelta(minutes=5), clock(), 1)


def test_router_refusals_are_business_errors(sim: JdSimulator, clock: Clock) -> None:
    forged = JosClient(sim.router_url, app_key=sim.app_key, app_secret="wrong", clock=clock, max_attempts=1)
    with pytest.raises(PlatformRejected) as refused:
        forged.call("jingdong.stock.read.findSkuStock", {"skuId": 1}, access_token="token-1")
    assert refused.value.platform_code == "25"
    stale = JosClient(
        sim.router_url, app_key=sim.app_key, app_secret=sim.app_secret, clock=lambda: clock() - timedelta(hours=1)
    )
    with pytest.raises(PlatformRejected):
        stale.call("jingdong.stock.read.findSkuStock", {"skuId": 1}, access_token="token-1")


def test_rate_limit_error_response_is_transient() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"error_response": {"code": "60", "zh_desc": "调用频繁", "en_desc": "call limited"}}
        )

    client = JosClient(
        "https://api.jd.com/routerjson", app_key="k", app_secret="s", transport=httpx.MockTransport(answer)
    )
    with pytest.raises(PlatformUnavailable):
        client.call("jingdong.pop.order.enGet", {"order_id": "1"}, access_token="t")


def test_numbers_keep_their_json_text() -> None:
    method = "jingdong.dropship.dps.searchsingleorder"

    def answer(request: httpx.Request) -> httpx.Response:
        body = '{"' + response_key(method) + '": {"code": "0", "x": {"pay": 0.30, "n": 3}}}'
        return httpx.Response(200, text=body)

    client = JosClient(
        "https://api.jd.com/routerjson", app_key="k", app_secret="s", transport=httpx.MockTransport(answer)
    )
    assert client.call(method, {}, access_token="t")["x"] == {"pay": "0.30", "n": 3}


# --- JD 厂直 (DPS) ----------------------------------------------------------------------------------


def test_dps_shipment_outbounds_then_delivers_once(dsim: JdDpsSimulator, dps: JdDpsConnector) -> None:
    order_id = dsim.place_order(spec(VENDOR))
    order = dps.normalise(dps.fetch_order(VENDOR, OrderSummary(order_id)), shop_id=VENDOR, raw_ref=None)
    assert order.distributor is not None and order.distributor.purchase_order_id
    shipment = Shipment(carrier_code="SF", tracking_no="SF200", shipped_at=datetime.now(UTC))
    dps.confirm_shipment(order, shipment)
    dps.confirm_shipment(order, shipment)
    assert dsim.order(order_id)["orderState"] == 16
    assert dsim.calls("jingdong.dropship.dps.outbound") == 1 and dsim.calls("jingdong.dropship.dps.delivery") == 1
    assert dsim.shipments() == [{"order_id": order_id, "carrier_code": "SF", "tracking_no": "SF200"}]


def test_dps_shipment_resumes_after_a_crash_between_outbound_and_delivery(
    dsim: JdDpsSimulator, dps: JdDpsConnector
) -> None:
    order_id = dsim.place_order(spec(VENDOR))
    order = dps.normalise(dps.fetch_order(VENDOR, OrderSummary(order_id)), shop_id=VENDOR, raw_ref=None)
    dsim.inject_method_faults("jingdong.dropship.dps.delivery", count=10, status=503)
    shipment = Shipment(carrier_code="SF", tracking_no="SF300", shipped_at=datetime.now(UTC))
    with pytest.raises(PlatformUnavailable):
        dps.confirm_shipment(order, shipment)
    assert dsim.order(order_id)["orderState"] == 10  # outbound done, delivery not
    dsim.clear_faults()
    dps.confirm_shipment(order, shipment)
    assert dsim.order(order_id)["orderState"] == 16
    assert dsim.calls("jingdong.dropship.dps.outbound") == 1


def test_dps_refuses_to_ship_a_locked_order(dsim: JdDpsSimulator, dps: JdDpsConnector) -> None:
    order_id = dsim.place_order(spec(VENDOR))
    order = dps.normalise(dps.fetch_order(VENDOR, OrderSummary(order_id)), shop_id=VENDOR, raw_ref=None)
    dsim.request_refund(order_id)
    with pytest.raises(PlatformRejected):
        dps.confirm_shipment(order, Shipment(carrier_code="SF", tracking_no="SF4", shipped_at=datetime.now(UTC)))
    locked = dps.normalise(dps.fetch_order(VENDOR, OrderSummary(order_id)), shop_id=VENDOR, raw_ref=None)
    assert (locked.channel_status, locked.after_sale.value) == ("22", "REQUESTED")


def test_dps_lists_by_modified_time(dsim: JdDpsSimulator, dps: JdDpsConnector, clock: Clock) -> None:
    first = dsim.place_order(spec(VENDOR))
    clock.advance(minutes=10)
    second = dsim.place_order(spec(VENDOR))
    page = dps.list_changed(VENDOR, clock() - timedelta(minutes=5), clock(), 1)
    assert [s.channel_order_id for s in page.summaries] == [second]
    clock.advance(seconds=5)
    dsim.cancel(first)
    page = dps.list_changed(VENDOR, clock() - timedelta(seconds=2), clock(), 1)
    assert [s.channel_order_id for s in page.summaries] == [first]
    sent = json.loads(dsim.requests.entries[-1].form()["360buy_param_json"])
    assert {"modifiedBeginDate", "modifiedEndDate", "page", "pageSize"} <= set(sent)


def test_dps_stock_push_and_read(dsim: JdDpsSimulator, dps: JdDpsConnector) -> None:
    item = dsim.listing(VENDOR, "AC-1P-INV")
    dps.push_stock(VENDOR, item, 30)
    assert dps.read_stock(VENDOR, item) == 30
    dsim.drift_stock(VENDOR, "AC-1P-INV", -4)
    assert dps.read_stock(VENDOR, item) == 26
    with pytest.raises(PlatformRejected):
        dps.push_stock(VENDOR, item, -1)
