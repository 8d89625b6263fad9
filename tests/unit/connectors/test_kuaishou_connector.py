"""The Kuaishou connector against its simulator: cursor windows, pushes, write-back and delta stock."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from connectors.kuaishou.client import KuaishouApiError
from connectors.kuaishou.connector import KuaishouConnector, PartialShipmentUnsupported, UnknownCarrier
from connectors.kuaishou.simulator import KuaishouSimulator
from connectors.sdk.contracts import Credentials, OrderSummary, Shipment, WebhookRequest
from connectors.sdk.errors import PlatformUnavailable, SignatureInvalid, SignatureMissing, TimestampStale
from connectors.sdk.http import PlatformHttp
from connectors.sdk.simulator import LineSpec, OrderSpec, ReceiverSpec
from hubcore.errors import HubError
from schemas.order import AfterSaleStatus, Order, OrderStatus

SHOP = "2161524184"
RECEIVER = ReceiverSpec("王小明", "13912345678", "广东省", "深圳市", "南山区", "科技园路100号")


def spec(minutes_ago: float, n: int = 0, shop: str = SHOP) -> OrderSpec:
    return OrderSpec(
        shop_id=shop,
        buyer_id=f"ks-buyer-{n:04d}",
        lines=(LineSpec(sku="DW-X9", quantity=1, unit_price_fen=319900, paid_fen=299900, title="洗碗机"),),
        receiver=RECEIVER,
        created_at=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes_ago),
        freight_fen=800,
    )


@pytest.fixture
def sim() -> Iterator[KuaishouSimulator]:
    simulator = KuaishouSimulator(app_key="ks-app", app_secret="app-secret", shop_tokens={SHOP: "tok", "99": "tok99"})
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


def connector_for(sim: KuaishouSimulator, page_size: int = 2) -> KuaishouConnector:
    http = PlatformHttp(sim.base_url, initial_backoff=0.001, max_jitter=0.001)
    return KuaishouConnector(sim.credentials(), sim.base_url, http=http, page_size=page_size)


# --- polling -------------------------------------------------------------------------------------------


def test_cursor_pages_are_remembered_and_read_backwards(sim: KuaishouSimulator) -> None:
    placed = [sim.place_order(spec(20 - i, n=i)) for i in range(5)]
    connector = connector_for(sim)
    start, end = datetime.now(UTC) - timedelta(minutes=30), datetime.now(UTC)
    assert connector.count_pages(SHOP, start, end) == 3
    calls_before = len(sim.requests.entries)
    pages = [connector.list_changed(SHOP, start, end, page) for page in (3, 2, 1)]
    assert len(sim.requests.entries) - calls_before == 3  # one call per page: cursors were remembered
    seen = [s.channel_order_id for page in pages for s in page.summaries]
    assert sorted(seen) == sorted(placed) and len(seen) == len(set(seen))
    assert not pages[0].has_next and pages[2].has_next


def test_a_fresh_connector_finds_a_middle_page_by_walking_forward(sim: KuaishouSimulator) -> None:
    placed = [sim.place_order(spec(20 - i, n=i)) for i in range(5)]
    start, end = datetime.now(UTC) - timedelta(minutes=30), datetime.now(UTC)
    walked = connector_for(sim)
    walked.count_pages(SHOP, start, end)
    expected = walked.list_changed(SHOP, start, end, 2).summaries
    fresh = connector_for(sim)  # as after a crash: no cursor memory
    assert fresh.list_changed(SHOP, start, end, 2).summaries == expected
    assert fresh.list_changed(SHOP, start, end, 9).summaries == ()  # beyond the end: empty, not an error
    assert {s.channel_order_id for s in expected} <= set(placed)


def test_an_empty_window_has_no_pages_and_other_shops_are_not_listed(sim: KuaishouSimulator) -> None:
    sim.place_order(spec(10, shop="99"))
    connector = connector_for(sim)
    assert connector.count_pages(SHOP, datetime.now(UTC) - timedelta(minutes=30), datetime.now(UTC)) == 0


def test_summaries_carry_status_and_update_time(sim: KuaishouSimulator) -> None:
    placed = spec(10)
    order_id = sim.place_order(placed, paid=False)
    connector = connector_for(sim)
    start, end = datetime.now(UTC) - timedelta(minutes=30), datetime.now(UTC)
    connector.count_pages(SHOP, start, end)
    (summary,) = connector.list_changed(SHOP, start, end, 1).summaries
    assert (summary.channel_order_id, summary.status) == (order_id, "10")
    assert summary.modified_at == placed.created_at  # unpaid: last modified when created


def test_the_simulator_refuses_windows_longer_than_seven_days(sim: KuaishouSimulator) -> None:
    connector = connector_for(sim)
    with pytest.raises(KuaishouApiError):
        connector.count_pages(SHOP, datetime.now(UTC) - timedelta(days=8), datetime.now(UTC))


def test_a_wrong_sign_secret_is_refused_by_the_platform(sim: KuaishouSimulator) -> None:
    credentials = sim.credentials()
    bad = Credentials(
        credentials.app_key, credentials.app_secret, credentials.shop_tokens, {**credentials.extra, "sign_secret": "x"}
    )
    connector = KuaishouConnector(bad, sim.base_url)
    with pytest.raises(KuaishouApiError) as raised:
        connector.fetch_order(SHOP, OrderSummary(channel_order_id=sim.place_order(spec(5))))
    assert raised.value.platform_code == "SIGN_INVALID"


# --- push ----------------------------------------------------------------------------------------------


def test_pushes_verify_parse_and_fetch(sim: KuaishouSimulator) -> None:
    connector = connector_for(sim)
    order_id = sim.place_order(spec(5))
    request = sim.push_request(order_id)
    connector.verify(request)
    (notification,) = connector.parse_notifications(request)
    assert (notification.shop_id, notification.channel_order_id, notification.topic) == (
        SHOP,
        order_id,
        "kwaishop_order_paySuccess",
    )
    order = connector.normalise(connector.fetch_notified_order(notification), shop_id=SHOP, raw_ref=None)
    assert (order.status, order.paid_amount) == (OrderStatus.PAID, 300700)


def test_forged_empty_and_stale_pushes_are_refused(sim: KuaishouSimulator) -> None:
    connector = connector_for(sim)
    order_id = sim.place_order(spec(5))
    with pytest.raises(SignatureInvalid):
        connector.verify(sim.push_request(order_id, forge=True))
    with pytest.raises(SignatureMissing):
        connector.verify(sim.push_request(order_id, omit_signature=True))
    with pytest.raises(TimestampStale):
        connector.verify(sim.replayed_push(order_id, timedelta(minutes=31)))
    connector.verify(sim.replayed_push(order_id, timedelta(minutes=29)))


def test_refund_pushes_lead_to_the_order_and_it_shows_the_case(sim: KuaishouSimulator) -> None:
    connector = connector_for(sim)
    order_id = sim.place_order(spec(5))
    sim.request_refund(order_id)
    (notification,) = connector.parse_notifications(sim.push_request(order_id))
    assert (notification.channel_order_id, notification.topic) == (order_id, "kwaishop_aftersales_addRefund")
    order = connector.normalise(connector.fetch_notified_order(notification), shop_id=SHOP, raw_ref=None)
    assert order.after_sale is AfterSaleStatus.REQUESTED
    sim.dispute_refund(order_id)
    disputed = connector.fetch_order(SHOP, OrderSummary(channel_order_id=order_id))
    assert connector.normalise(disputed, shop_id=SHOP, raw_ref=None).version > order.version


def test_heartbeats_and_unconfigured_sellers_are_acknowledged_without_orders(sim: KuaishouSimulator) -> None:
    connector = connector_for(sim)
    heartbeat = sim.heartbeat_request()
    connector.verify(heartbeat)
    assert connector.parse_notifications(heartbeat) == []
    order_id = sim.place_order(spec(5, shop="99"))
    credentials = sim.credentials()
    only_main = Credentials(credentials.app_key, credentials.app_secret, {SHOP: "tok"}, credentials.extra)
    assert KuaishouConnector(only_main, sim.base_url).parse_notifications(sim.push_request(order_id)) == []


def test_replies_follow_the_envelope(sim: KuaishouSimulator) -> None:
    connector = connector_for(sim)
    assert (connector.success_reply().status, connector.success_reply().body) == (200, '{"result":1}')
    reply = connector.error_reply(SignatureInvalid("nope"))
    assert reply.status == 401
    assert json.loads(reply.body) == {
        "result": 0,
        "error_msg": "nope",
        "error": {"code": "SIGNATURE_INVALID", "message": "nope"},
    }


def test_a_missing_msg_secret_is_a_configuration_error(sim: KuaishouSimulator) -> None:
    credentials = sim.credentials()
    extra = {k: v for k, v in credentials.extra.items() if k != "msg_secret"}
    connector = KuaishouConnector(
        Credentials(credentials.app_key, credentials.app_secret, credentials.shop_tokens, extra), sim.base_url
    )
    request = WebhookRequest(headers={}, query={}, body=b"abc", received_at=datetime.now(UTC))
    with pytest.raises(HubError) as raised:
        connector.verify(request)
    assert raised.value.code == "KUAISHOU_NOT_CONFIGURED" and raised.value.http_status == 500


# --- shipments -----------------------------------------------------------------------------------------


def _order(sim: KuaishouSimulator, connector: KuaishouConnector, order_id: str) -> Order:
    return connector.normalise(
        connector.fetch_order(SHOP, OrderSummary(channel_order_id=order_id)), shop_id=SHOP, raw_ref=None
    )


def test_shipment_maps_the_carrier_and_a_reship_with_another_number_is_success(sim: KuaishouSimulator) -> None:
    connector = connector_for(sim)
    order = _order(sim, connector, sim.place_order(spec(5)))
    now = datetime.now(UTC)
    connector.confirm_shipment(order, Shipment(carrier_code="ZTO", tracking_no="ZT1", shipped_at=now))
    assert sim.shipments() == [{"order_id": order.channel_order_id, "carrier_code": "ZTO", "tracking_no": "ZT1"}]
    # The platform refuses a different number on a shipped order; the re-read shows it shipped: success.
    connector.confirm_shipment(order, Shipment(carrier_code="6", tracking_no="YT2", shipped_at=now))
    assert len(sim.shipments()) == 1 and sim.order_status(order.channel_order_id) == 40


def test_shipment_refusals(sim: KuaishouSimulator) -> None:
    connector = connector_for(sim)
    order_id = sim.place_order(spec(5))
    order = _order(sim, connector, order_id)
    now = datetime.now(UTC)
    with pytest.raises(UnknownCarrier):
        connector.confirm_shipment(order, Shipment(carrier_code="NOPE", tracking_no="1", shipped_at=now))
    with pytest.raises(PartialShipmentUnsupported):
        connector.confirm_shipment(order, Shipment(carrier_code="SF", tracking_no="1", shipped_at=now, line_ids=["x"]))
    sim.flag_risk(order_id)
    assert _order(sim, connector, order_id).status is OrderStatus.PAID_FORBID_SHIPMENT
    with pytest.raises(KuaishouApiError):  # risk-held: not shipped, so the refusal stands
        connector.confirm_shipment(order, Shipment(carrier_code="SF", tracking_no="SF1", shipped_at=now))
    assert sim.shipments() == []


# --- stock ---------------------------------------------------------------------------------------------


def _stock_changes(sim: KuaishouSimulator) -> list[dict[str, int]]:
    return [
        json.loads(entry.form()["param"])
        for entry in sim.requests.entries
        if entry.path == "/open/item/sku/stock/update"
    ]


def test_stock_overwrite_goes_through_deltas(sim: KuaishouSimulator) -> None:
    connector = connector_for(sim)
    item = sim.listing(SHOP, "DW-X9")
    connector.push_stock(SHOP, item, 10)
    connector.push_stock(SHOP, item, 7)
    connector.push_stock(SHOP, item, 7)  # already there: no change sent
    changes = [(c["skuChangeStock"], c["changeType"]) for c in _stock_changes(sim)]
    assert changes == [(10, 1), (3, 2)]
    assert connector.read_stock(SHOP, item) == 7 == sim.shown_stock(SHOP, item.channel_sku_id)


def test_a_failed_stock_change_is_re_read_not_repeated_blindly(sim: KuaishouSimulator) -> None:
    connector = connector_for(sim)
    item = sim.listing(SHOP, "DW-X9")
    sim.inject_faults(1, status=503, paths=("/open/item/sku/stock/update",))
    connector.push_stock(SHOP, item, 12)
    assert sim.shown_stock(SHOP, item.channel_sku_id) == 12
    sim.drift_stock(SHOP, "DW-X9", -5)  # the platform shows 7 now
    connector.push_stock(SHOP, item, 12)
    assert [c["skuChangeStock"] for c in _stock_changes(sim)] == [12, 12, 5]
    assert connector.read_stock(SHOP, item) == 12


def test_stock_that_never_settles_is_reported(sim: KuaishouSimulator) -> None:
    connector = connector_for(sim)
    item = sim.listing(SHOP, "DW-X9")
    sim.inject_faults(10, status=503, paths=("/open/item/sku/stock/update",))
    with pytest.raises(PlatformUnavailable):
        connector.push_stock(SHOP, item, 3)
    assert sim.shown_stock(SHOP, item.channel_sku_id) == 0
