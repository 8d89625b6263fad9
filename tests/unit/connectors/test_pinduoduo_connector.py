"""The Pinduoduo connector against its simulator (which signs, windows and pages as PDD does)."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from urllib.parse import parse_qsl

import httpx
import pytest

from connectors.pinduoduo.client import PinduoduoClient
from connectors.pinduoduo.connector import PartialShipmentUnsupported, PinduoduoConnector
from connectors.pinduoduo.signing import sign
from connectors.pinduoduo.simulator import PinduoduoSimulator
from connectors.sdk.contracts import OrderSummary, Shipment
from connectors.sdk.errors import PlatformRejected, PlatformUnavailable
from connectors.sdk.simulator import LineSpec, OrderSpec, ReceiverSpec, RequestLog
from schemas.order import AfterSaleStatus, Order, OrderStatus

SHOP = "7788990"
RECEIVER = ReceiverSpec("李四", "13700137000", "广东省", "深圳市", "南山区", "科技园路1号")


class FastConnector(PinduoduoConnector):
    page_size: ClassVar[int] = 2
    http_initial_backoff: ClassVar[float] = 0.001
    http_max_jitter: ClassVar[float] = 0.001


def spec(minutes_ago: float = 5) -> OrderSpec:
    return OrderSpec(
        shop_id=SHOP,
        buyer_id="b",
        lines=(LineSpec("DW-X9", 1, 319900, 299900, "洗碗机"), LineSpec("TAB-30", 2, 4950, 0, "洗涤块")),
        receiver=RECEIVER,
        created_at=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes_ago),
        freight_fen=1000,
    )


@pytest.fixture(scope="module")
def running_sim() -> Iterator[PinduoduoSimulator]:
    simulator = PinduoduoSimulator(shop_tokens={SHOP: "tok"})
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def sim(running_sim: PinduoduoSimulator) -> PinduoduoSimulator:
    running_sim.requests = RequestLog()
    running_sim.inject_faults(0)
    return running_sim


@pytest.fixture
def connector(sim: PinduoduoSimulator) -> PinduoduoConnector:
    return FastConnector(sim.credentials(), sim.router_url)


def fetched(connector: PinduoduoConnector, order_id: str) -> Order:
    return connector.normalise(connector.fetch_order(SHOP, OrderSummary(order_id)), shop_id=SHOP, raw_ref=None)


def sent(sim: PinduoduoSimulator, api: str) -> list[dict[str, str]]:
    forms = [dict(parse_qsl(entry.body.decode())) for entry in sim.requests.entries]
    return [form for form in forms if form.get("type") == api]


def test_money_from_the_wire_is_exact(sim: PinduoduoSimulator, connector: PinduoduoConnector) -> None:
    order = fetched(connector, sim.place_order(spec()))
    assert (order.goods_amount, order.paid_amount, order.freight_amount) == (319900 + 9900, 299900 + 1000, 1000)
    assert [line.paid_amount for line in order.lines] == [299900, 0]


def test_the_increment_call_asks_for_every_status_in_a_30_minute_window(
    sim: PinduoduoSimulator, connector: PinduoduoConnector
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=29)
    placed = {sim.place_order(spec(minutes_ago=20 - i), paid=False) for i in range(3)}
    end = start + timedelta(minutes=30)
    pages = connector.count_pages(SHOP, start, end)
    seen = {
        s.channel_order_id for p in range(pages, 0, -1) for s in connector.list_changed(SHOP, start, end, p).summaries
    }
    assert placed <= seen and pages >= 2
    for form in sent(sim, "pdd.order.number.list.increment.get"):
        assert (form["order_status"], form["refund_status"]) == ("5", "5")
        assert int(form["end_updated_at"]) - int(form["start_updated_at"]) <= 1800
        assert form["sign"] == sign(form, sim.app_secret)
    with pytest.raises(PlatformRejected):
        connector.list_changed(SHOP, start, start + timedelta(minutes=31), 1)


def test_group_risk_and_refund_states(sim: PinduoduoSimulator, connector: PinduoduoConnector) -> None:
    order_id = sim.place_order(spec(), paid=False)
    assert fetched(connector, order_id).status is OrderStatus.PENDING_PAYMENT
    sim.pay(order_id, group_forming=True)
    assert fetched(connector, order_id).status is OrderStatus.PAID_FORBID_SHIPMENT
    sim.form_group(order_id)
    sim.flag_risk(order_id)
    risky = fetched(connector, order_id)
    assert risky.status is OrderStatus.PAID_FORBID_SHIPMENT and risky.receiver.name_cipher is None
    sim.clear_risk(order_id)
    assert fetched(connector, order_id).status is OrderStatus.PAID
    sim.request_refund(order_id)
    requested = fetched(connector, order_id)
    assert requested.after_sale is AfterSaleStatus.REQUESTED
    sim.refund(order_id)
    closed = fetched(connector, order_id)
    assert (closed.status, closed.after_sale) == (OrderStatus.CLOSED, AfterSaleStatus.REFUNDED)
    assert closed.version > requested.version


def test_unpaid_cancellation(sim: PinduoduoSimulator, connector: PinduoduoConnector) -> None:
    order_id = sim.place_order(spec(), paid=False)
    sim.cancel(order_id)
    assert fetched(connector, order_id).status is OrderStatus.CANCELLED


def test_shipment_maps_the_carrier_and_repeats_are_success(
    sim: PinduoduoSimulator, connector: PinduoduoConnector
) -> None:
    order_id = sim.place_order(spec())
    order = fetched(connector, order_id)
    shipment = Shipment(carrier_code="SF", tracking_no="SF777", shipped_at=datetime.now(UTC))
    connector.confirm_shipment(order, shipment)
    connector.confirm_shipment(order, shipment)
    assert [s for s in sim.shipments() if s["order_id"] == order_id] == [
        {"order_id": order_id, "carrier_code": "SF", "tracking_no": "SF777"}
    ]
    assert sent(sim, "pdd.logistics.online.send")[0]["logistics_id"] == "44"
    shipped = fetched(connector, order_id)
    assert shipped.status is OrderStatus.SHIPPED and shipped.receiver.address_cipher is None


def test_shipment_refusals(sim: PinduoduoSimulator, connector: PinduoduoConnector) -> None:
    order_id = sim.place_order(spec())
    order = fetched(connector, order_id)
    now = datetime.now(UTC)
    with pytest.raises(PlatformRejected):  # no logistics_id known for this carrier
        connector.confirm_shipment(order, Shipment(carrier_code="NOPE", tracking_no="X1", shipped_at=now))
    with pytest.raises(PartialShipmentUnsupported):
        connector.confirm_shipment(
            order, Shipment(carrier_code="SF", tracking_no="X2", shipped_at=now, line_ids=[order.lines[0].line_id])
        )
    sim.cancel(order_id)  # refunded before shipment: shipping is refused and it is not "already shipped"
    with pytest.raises(PlatformRejected):
        connector.confirm_shipment(order, Shipment(carrier_code="44", tracking_no="X3", shipped_at=now))
    assert not [s for s in sim.shipments() if s["order_id"] == order_id]


def test_stock_is_a_full_overwrite_read_back(sim: PinduoduoSimulator, connector: PinduoduoConnector) -> None:
    item = sim.listing(SHOP, "DW-X9")
    connector.push_stock(SHOP, item, 9)
    connector.push_stock(SHOP, item, 9)
    assert connector.read_stock(SHOP, item) == 9
    (first, _) = sent(sim, "pdd.goods.quantity.update")
    assert (first["goods_id"], first["sku_id"], first["quantity"], first["update_type"]) == (
        item.channel_product_id,
        item.channel_sku_id,
        "9",
        "1",
    )


def test_rides_out_429_then_gives_up_as_unavailable(sim: PinduoduoSimulator, connector: PinduoduoConnector) -> None:
    order_id = sim.place_order(spec())
    sim.inject_faults(2, status=429)
    assert fetched(connector, order_id).channel_order_id == order_id
    sim.inject_faults(10, status=502)
    with pytest.raises(PlatformUnavailable):
        connector.fetch_order(SHOP, OrderSummary(order_id))
    sim.inject_faults(0)


def test_client_error_classes() -> None:
    def client_answering(response: httpx.Response) -> PinduoduoClient:
        return PinduoduoClient(
            "https://gw.example/api/router",
            client_id="c",
            client_secret="s",
            transport=httpx.MockTransport(lambda request: response),
            max_attempts=1,
        )

    limited = {"error_response": {"error_code": 70031, "error_msg": "调用过于频繁", "sub_code": "isv.api-limit"}}
    refused = {"error_response": {"error_code": 50000, "error_msg": "业务错误", "sub_code": "isv.business-error"}}
    with pytest.raises(PlatformUnavailable):
        client_answering(httpx.Response(200, json=limited)).order_information(access_token="t", order_sn="1")
    with pytest.raises(PlatformRejected) as caught:
        client_answering(httpx.Response(200, json=refused)).order_information(access_token="t", order_sn="1")
    assert caught.value.platform_code == "isv.business-error"
    with pytest.raises(PlatformUnavailable):
        client_answering(httpx.Response(200, text="<html/>")).order_information(access_token="t", order_sn="1")
