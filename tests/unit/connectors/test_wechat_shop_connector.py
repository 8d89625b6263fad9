"""WeChat 小店 connector against its simulator: push checks, token refresh, cursor paging, write-back, stock."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from connectors.sdk.contracts import OrderSummary, Shipment
from connectors.sdk.errors import PlatformRejected, SignatureInvalid, SignatureMissing, TimestampStale
from connectors.sdk.http import PlatformHttp
from connectors.wechat_shop.client import WechatShopClient
from connectors.wechat_shop.connector import UnknownShop, WechatShopConnector
from connectors.wechat_shop.simulator import WechatShopSimulator
from schemas.order import AfterSaleStatus, OrderStatus
from tests.conformance.kit import order_spec

SHOP = "gh_3f1a2b4c5d6e"


@pytest.fixture
def sim() -> Iterator[WechatShopSimulator]:
    simulator = WechatShopSimulator(shop_tokens={SHOP: "wx5c8f3a9b1d2e4f60"})
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


def connector(sim: WechatShopSimulator, page_size: int = 3) -> WechatShopConnector:
    http = PlatformHttp(sim.base_url, initial_backoff=0.01, max_jitter=0.01)
    return WechatShopConnector(sim.credentials(), sim.base_url, http=http, page_size=page_size)


def ago(minutes: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes)


def test_url_verification_echoes_echostr_and_refuses_a_forged_one(sim: WechatShopSimulator) -> None:
    shop = connector(sim)
    request = sim.url_verification_request("424242")
    shop.verify(request)
    reply = shop.handshake(request)
    assert reply is not None and (reply.status, reply.body, reply.content_type) == (200, "424242", "text/plain")
    with pytest.raises(SignatureInvalid):
        shop.verify(sim.url_verification_request("424242", forge=True))


def test_plaintext_mode_is_refused_and_a_foreign_appid_is_caught_on_decryption(sim: WechatShopSimulator) -> None:
    shop = connector(sim)
    order_id = sim.place_order(order_spec(SHOP, ago(3)))
    with pytest.raises(SignatureMissing):
        shop.verify(sim.plaintext_push(order_id))
    foreign = sim.foreign_app_push(order_id)
    shop.verify(foreign)  # signed with the right token ...
    with pytest.raises(SignatureInvalid):  # ... but sealed for another app
        shop.parse_notifications(foreign)


def test_a_push_parses_to_its_order_and_a_stale_one_is_refused(sim: WechatShopSimulator) -> None:
    shop = connector(sim)
    order_id = sim.place_order(order_spec(SHOP, ago(3)))
    (note,) = shop.parse_notifications(sim.push_request(order_id))
    assert (note.shop_id, note.channel_order_id, note.topic) == (SHOP, order_id, "channels_ec_order_pay")
    with pytest.raises(TimestampStale):
        shop.verify(sim.push_request(order_id, sent_at=datetime.now(UTC) - timedelta(minutes=6)))


def test_a_push_for_an_unconfigured_shop_is_refused(sim: WechatShopSimulator) -> None:
    other = WechatShopSimulator(shop_tokens={"gh_other": "wx1"}, encoding_aes_key=sim.encoding_aes_key)
    order_id = other.place_order(order_spec("gh_other", ago(3)))
    request = other.push_request(order_id)
    shop = connector(sim)
    shop.verify(request)
    with pytest.raises(UnknownShop):
        shop.parse_notifications(request)


def test_an_expired_access_token_is_fetched_again_once(sim: WechatShopSimulator) -> None:
    shop = connector(sim)
    order_id = sim.place_order(order_spec(SHOP, ago(3)))
    shop.fetch_order(SHOP, _summary(order_id))
    sim.expire_access_tokens()
    assert shop.fetch_order(SHOP, _summary(order_id))["order"]["order_id"] == order_id
    token_calls = [r for r in sim.requests.entries if r.path == "/cgi-bin/stable_token"]
    assert len(token_calls) == 2


def test_forward_pages_resume_at_a_saved_page_by_following_cursors(sim: WechatShopSimulator) -> None:
    placed = [sim.place_order(order_spec(SHOP, ago(20 - i * 0.2), n=i), paid=False) for i in range(7)]
    start, end = ago(30), ago(1)
    first = connector(sim)
    walked = [first.list_changed(SHOP, start, end, page) for page in (1, 2, 3)]
    assert [len(p.summaries) for p in walked] == [3, 3, 1] and [p.has_next for p in walked] == [True, True, False]
    fresh = connector(sim)  # a new process resuming at page 3: it has no cursors yet
    resumed = fresh.list_changed(SHOP, start, end, 3)
    assert resumed.summaries == walked[2].summaries
    assert {s.channel_order_id for p in walked for s in p.summaries} == set(placed)
    assert fresh.list_changed(SHOP, start, end, 4).summaries == ()


def test_an_order_modified_while_paging_does_not_hide_the_others(sim: WechatShopSimulator) -> None:
    placed = [sim.place_order(order_spec(SHOP, ago(20 - i * 0.2), n=i), paid=False) for i in range(6)]
    shop = connector(sim)
    start, end = ago(30), ago(1)
    seen = [s.channel_order_id for s in shop.list_changed(SHOP, start, end, 1).summaries]
    sim.pay(placed[0])  # leaves the window: its update_time is now past `end`
    seen += [s.channel_order_id for s in shop.list_changed(SHOP, start, end, 2).summaries]
    assert set(seen) == set(placed)


def test_ranges_over_seven_days_are_refused_by_the_platform(sim: WechatShopSimulator) -> None:
    client: WechatShopClient = connector(sim).client
    with pytest.raises(PlatformRejected) as refused:
        client.list_orders(ago(60 * 24 * 8), ago(0), page_size=10, next_key=None)
    assert refused.value.platform_code == "40097"


def test_partial_then_full_shipment_and_a_repeat_is_success(sim: WechatShopSimulator) -> None:
    shop = connector(sim)
    order_id = sim.place_order(order_spec(SHOP, ago(5)))
    order = shop.normalise(shop.fetch_order(SHOP, _summary(order_id)), shop_id=SHOP, raw_ref=None)
    first, second = order.lines
    now = datetime.now(UTC)
    shop.confirm_shipment(
        order, Shipment(carrier_code="SF", tracking_no="SF1", shipped_at=now, line_ids=[first.line_id])
    )
    assert sim.order_status(order_id) == 21
    shop.confirm_shipment(
        order, Shipment(carrier_code="SF", tracking_no="SF2", shipped_at=now, line_ids=[second.line_id])
    )
    assert sim.order_status(order_id) == 30
    shop.confirm_shipment(order, Shipment(carrier_code="SF", tracking_no="SF2", shipped_at=now))
    assert [s["tracking_no"] for s in sim.shipments()] == ["SF1", "SF2"]
    sent = [json.loads(r.body) for r in sim.requests.entries if r.path.endswith("/delivery/send")]
    assert sent[0]["delivery_list"][0]["product_infos"] == [
        {"product_id": first.channel_product_id, "sku_id": first.channel_sku_id, "product_cnt": first.quantity}
    ]


def test_shipping_a_cancelled_order_is_refused(sim: WechatShopSimulator) -> None:
    shop = connector(sim)
    order_id = sim.place_order(order_spec(SHOP, ago(5)))
    order = shop.normalise(shop.fetch_order(SHOP, _summary(order_id)), shop_id=SHOP, raw_ref=None)
    sim.cancel(order_id)
    with pytest.raises(PlatformRejected):
        shop.confirm_shipment(order, Shipment(carrier_code="SF", tracking_no="SF9", shipped_at=datetime.now(UTC)))


def test_stock_is_set_with_diff_type_3(sim: WechatShopSimulator) -> None:
    shop = connector(sim)
    item = sim.listing(SHOP, "DW-X9")
    shop.push_stock(SHOP, item, 12)
    shop.push_stock(SHOP, item, 12)
    assert shop.read_stock(SHOP, item) == 12
    updates = [json.loads(r.body) for r in sim.requests.entries if r.path.endswith("/stock/update")]
    assert {u["diff_type"] for u in updates} == {3}


def test_refund_request_then_approval_are_newer_versions(sim: WechatShopSimulator) -> None:
    shop = connector(sim)
    order_id = sim.place_order(order_spec(SHOP, ago(5)))

    def current() -> tuple[OrderStatus, AfterSaleStatus, int]:
        (note,) = shop.parse_notifications(sim.push_request(order_id))
        order = shop.normalise(shop.fetch_notified_order(note), shop_id=SHOP, raw_ref=None)
        return order.status, order.after_sale, order.version

    paid = current()
    sim.request_refund(order_id)
    requested = current()
    sim.approve_refund(order_id)
    refunded = current()
    assert (paid[:2], requested[:2], refunded[:2]) == (
        (OrderStatus.PAID, AfterSaleStatus.NONE),
        (OrderStatus.PAID, AfterSaleStatus.REQUESTED),
        (OrderStatus.CLOSED, AfterSaleStatus.REFUNDED),
    )
    assert paid[2] < requested[2] < refunded[2]


def test_gift_and_oversell_statuses_from_the_simulator(sim: WechatShopSimulator) -> None:
    shop = connector(sim)
    gift = sim.place_gift_order(order_spec(SHOP, ago(5)))
    oversold = sim.place_order(order_spec(SHOP, ago(5), n=1))
    sim.oversell_cancel(oversold)
    statuses = {
        oid: shop.normalise(shop.fetch_order(SHOP, _summary(oid)), shop_id=SHOP, raw_ref=None).status
        for oid in (gift, oversold)
    }
    assert statuses == {gift: OrderStatus.PAID_FORBID_SHIPMENT, oversold: OrderStatus.CLOSED}


def _summary(order_id: str) -> OrderSummary:
    return OrderSummary(channel_order_id=order_id)
