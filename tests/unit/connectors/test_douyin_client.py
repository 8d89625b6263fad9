"""Signed Douyin API calls against the simulator (which verifies signatures as Douyin does) and fake transports."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from connectors.douyin.client import DouyinApiError, DouyinClient
from connectors.douyin.simulator import DouyinSimulator
from connectors.sdk.errors import PlatformRejected, PlatformUnavailable
from connectors.sdk.http import PlatformHttp
from connectors.sdk.simulator import LineSpec, OrderSpec, ReceiverSpec, RequestLog

APP_KEY = "7000000000000000000"
SECRET = "sim-secret"
SHOP = "123456"
TOKEN = "dy-token-123456"
SAMPLE_ORDER_ID = "4900000000000000001"
LOGISTICS_SAMPLE = Path(__file__).parents[3] / "events" / "douyin" / "logistics_add_request.json"


def order_spec() -> OrderSpec:
    return OrderSpec(
        shop_id=SHOP,
        buyer_id="dy-buyer-0001",
        lines=(LineSpec(sku="DW-X9-13", quantity=1, unit_price_fen=319900, paid_fen=299900, title="洗碗机 X9"),),
        receiver=ReceiverSpec("王小明", "13912345678", "广东省", "深圳市", "南山区", "科技园路100号"),
        created_at=datetime.now(UTC) - timedelta(minutes=5),
    )


@pytest.fixture(scope="module")
def running_sim() -> Iterator[DouyinSimulator]:
    # One server per module: stopping one costs half a second (serve_forever's poll interval).
    simulator = DouyinSimulator(
        app_key=APP_KEY, app_secret=SECRET, shop_tokens={SHOP: TOKEN}, first_order_id=4900000000000000001
    )
    simulator.start()
    assert simulator.place_order(order_spec()) == SAMPLE_ORDER_ID  # the order of events/douyin samples
    yield simulator
    simulator.stop()


@pytest.fixture
def sim(running_sim: DouyinSimulator) -> DouyinSimulator:
    running_sim.requests = RequestLog()
    running_sim.inject_faults(0)
    return running_sim


def shipments_of(sim: DouyinSimulator, order_id: str) -> list[dict[str, object]]:
    return [s for s in sim.shipments() if s["order_id"] == order_id]


def make_client(
    base_url: str, *, secret: str = SECRET, sign_method: str = "hmac-sha256", attempts: int = 3
) -> DouyinClient:
    http = PlatformHttp(base_url, max_attempts=attempts, initial_backoff=0.001)
    return DouyinClient(app_key=APP_KEY, app_secret=secret, http=http, sign_method=sign_method)  # type: ignore[arg-type]


@pytest.mark.parametrize("sign_method", ["hmac-sha256", "md5"])
def test_order_detail_is_signed_and_returns_the_shop_order_detail(sim: DouyinSimulator, sign_method: str) -> None:
    # Given an order on the platform
    order_id = sim.place_order(order_spec())
    # When fetched with either signing method
    detail = make_client(sim.base_url, sign_method=sign_method).order_detail(order_id, TOKEN)
    # Then the simulator accepted the signature and returned the order in Douyin's shape
    assert detail["order_id"] == order_id and detail["order_status"] == 2
    assert detail["pay_amount"] == 299900
    request = sim.requests.entries[-1]
    assert request.path == "/order/orderDetail"
    assert request.query["method"] == "order.orderDetail" and request.query["v"] == "2"
    assert request.query["sign_method"] == sign_method
    assert request.body == f'{{"shop_order_id":"{order_id}"}}'.encode()


def test_a_wrong_secret_gets_douyins_signature_error(sim: DouyinSimulator) -> None:
    order_id = sim.place_order(order_spec())
    with pytest.raises(DouyinApiError) as refused:
        make_client(sim.base_url, secret="not-the-secret").order_detail(order_id, TOKEN)
    assert refused.value.platform_code == "40004"
    assert refused.value.http_status == 502


def test_an_unknown_token_is_refused(sim: DouyinSimulator) -> None:
    order_id = sim.place_order(order_spec())
    with pytest.raises(DouyinApiError) as refused:
        make_client(sim.base_url).order_detail(order_id, "someone-elses-token")
    assert refused.value.platform_code == "30001"


def test_logistics_add_sends_the_sample_param_json_exactly(sim: DouyinSimulator) -> None:
    # Given the sample logisticsAdd request (events/douyin) for an order that exists on the simulator
    order_id = SAMPLE_ORDER_ID
    # When the client writes the shipment back
    shipped = make_client(sim.base_url).logistics_add(order_id, "zhongtong", "78123456789012", TOKEN)
    # Then the body on the wire is the sample byte for byte, and the platform accepted it
    assert shipped is True
    assert sim.requests.entries[-1].body == LOGISTICS_SAMPLE.read_bytes().rstrip(b"\n")
    assert shipments_of(sim, order_id) == [
        {"order_id": order_id, "carrier_code": "zhongtong", "tracking_no": "78123456789012"}
    ]


def test_logistics_add_on_an_already_shipped_order_is_success_without_a_second_shipment(sim: DouyinSimulator) -> None:
    order_id = sim.place_order(order_spec())
    client = make_client(sim.base_url)
    assert client.logistics_add(order_id, "zhongtong", "78123456789012", TOKEN) is True
    # When the same write-back is retried / Then it is success, and the platform recorded one shipment
    assert client.logistics_add(order_id, "zhongtong", "78123456789012", TOKEN) is False
    assert len(shipments_of(sim, order_id)) == 1


def test_logistics_add_on_a_cancelled_order_is_a_rejection(sim: DouyinSimulator) -> None:
    order_id = sim.place_order(order_spec())
    sim.cancel(order_id)
    with pytest.raises(DouyinApiError) as refused:
        make_client(sim.base_url).logistics_add(order_id, "zhongtong", "78123456789012", TOKEN)
    assert refused.value.platform_code == "50002"
    assert shipments_of(sim, order_id) == []


def test_a_429_is_retried_then_succeeds(sim: DouyinSimulator) -> None:
    order_id = sim.place_order(order_spec())
    sim.inject_faults(1, status=429)
    detail = make_client(sim.base_url).order_detail(order_id, TOKEN)
    assert detail["order_id"] == order_id
    assert [r.path for r in sim.requests.entries] == ["/order/orderDetail", "/order/orderDetail"]


def test_a_platform_that_stays_down_is_unavailable(sim: DouyinSimulator) -> None:
    sim.inject_faults(10, status=503)
    with pytest.raises(PlatformUnavailable):
        make_client(sim.base_url, attempts=2).order_detail("4900000000000000001", TOKEN)
    assert len(sim.requests.entries) == 2


def _client_answering(response: httpx.Response) -> DouyinClient:
    transport = httpx.MockTransport(lambda request: response)
    http = PlatformHttp("https://openapi-fxg.jinritemai.com", max_attempts=1, transport=transport)
    return DouyinClient(app_key=APP_KEY, app_secret=SECRET, http=http)


def test_a_body_that_is_not_json_is_treated_as_an_outage() -> None:
    client = _client_answering(httpx.Response(200, text="<html>bad gateway</html>"))
    with pytest.raises(PlatformUnavailable):
        client.order_detail("1", TOKEN)


def test_the_legacy_err_no_envelope_is_understood() -> None:
    ok = _client_answering(httpx.Response(200, json={"err_no": 0, "message": "success", "data": {"x": 1}}))
    assert ok.call("order.demo", {}, access_token=TOKEN) == {"x": 1}
    refused = _client_answering(httpx.Response(200, json={"err_no": 30001, "message": "token invalid"}))
    with pytest.raises(DouyinApiError) as error:
        refused.call("order.demo", {}, access_token=TOKEN)
    assert error.value.platform_code == "30001"


def test_a_client_error_status_is_a_rejection_not_a_retry() -> None:
    client = _client_answering(httpx.Response(403, text="forbidden"))
    with pytest.raises(PlatformRejected):
        client.order_detail("1", TOKEN)


def test_order_detail_without_shop_order_detail_is_a_rejection() -> None:
    client = _client_answering(httpx.Response(200, json={"code": 10000, "msg": "success", "data": {}}))
    with pytest.raises(PlatformRejected):
        client.order_detail("1", TOKEN)
