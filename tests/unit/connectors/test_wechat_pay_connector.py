"""WeChat Pay connector against its simulator: sealing PII, amount checks, refunds, replies, shipping, normalising."""

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.sdk.contracts import Shipment
from connectors.sdk.errors import OrderInvalid, SignatureInvalid
from connectors.sdk.http import PlatformHttp
from connectors.sdk.webhook import process_webhook
from connectors.wechat_pay import pii
from connectors.wechat_pay.conformance import sample_order
from connectors.wechat_pay.connector import NotOurs, WechatPayConnector
from connectors.wechat_pay.simulator import DEFAULT_APPID, WechatPaySimulator
from schemas.order import AfterSaleStatus, Order, OrderStatus
from tests.conformance.kit import RECEIVER, MemoryHub, order_spec

SHOP = DEFAULT_APPID


@pytest.fixture(scope="module")
def sim() -> Iterator[WechatPaySimulator]:
    simulator = WechatPaySimulator(shop_tokens={SHOP: "brand-token"})
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def connector(sim: WechatPaySimulator) -> WechatPayConnector:
    def fast() -> PlatformHttp:
        return PlatformHttp(sim.base_url, initial_backoff=0.01, max_jitter=0.01)

    return WechatPayConnector(sim.credentials(), sim.base_url, http=fast(), brand_http=fast())


def ago(minutes: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes)


def current(connector: WechatPayConnector, sim: WechatPaySimulator, order_id: str) -> tuple[dict[str, Any], Order]:
    (note,) = connector.parse_notifications(sim.push_request(order_id))
    raw = dict(connector.fetch_notified_order(note))
    return raw, connector.normalise(raw, shop_id=note.shop_id, raw_ref=None)


def test_the_receiver_is_sealed_before_the_order_leaves_the_connector(
    connector: WechatPayConnector, sim: WechatPaySimulator
) -> None:
    order_id = sim.place_order(order_spec(SHOP, ago(5)))
    raw, order = current(connector, sim, order_id)
    archived = json.dumps(raw, ensure_ascii=False)
    for plaintext in (RECEIVER.name, RECEIVER.phone, RECEIVER.detail):
        assert plaintext not in archived and plaintext not in order.model_dump_json()
    key = pii.pii_key(sim.credentials().extra["pii_key"])
    assert order.receiver.phone_cipher is not None
    assert pii.open_sealed(order.receiver.phone_cipher, key, "phone") == RECEIVER.phone
    assert order.receiver.phone_masked == "139****4321" and order.receiver.province == RECEIVER.province
    with pytest.raises(Exception):  # noqa: B017 - AES-GCM refuses a ciphertext moved to another field
        pii.open_sealed(order.receiver.phone_cipher, key, "name")
    assert order.merge_key and order.receiver.match_token and order.merge_key != order.receiver.match_token


def test_a_paid_order_combines_payment_and_brand_facts(connector: WechatPayConnector, sim: WechatPaySimulator) -> None:
    order_id = sim.place_order(order_spec(SHOP, ago(5)))
    _, order = current(connector, sim, order_id)
    assert (order.status, order.channel_status, order.paid_amount) == (OrderStatus.PAID, "SUCCESS", 299900)
    assert order.goods_amount == 319900 + 2 * 4950 and order.discount_amount == 319900 + 9900 - 299900
    assert order.paid_at is not None and order.buyer_id == "kit-buyer-0000"
    assert [line.merchant_sku for line in order.lines] == ["KIT-DW-X9", "KIT-TAB-30"]
    assert order.lines[1].is_gift


def test_an_underpaid_transaction_is_refused_with_the_fail_body(
    connector: WechatPayConnector, sim: WechatPaySimulator
) -> None:
    order_id = sim.place_order(order_spec(SHOP, ago(5)))
    hub = MemoryHub()
    outcome = process_webhook(
        connector, sim.underpaid_push(order_id), archive=hub.archive, ingestor=hub.ingestor, max_bytes=1 << 20
    )
    assert outcome.reply.status == 422 and not hub.store.items
    body = json.loads(outcome.reply.body)
    assert body["code"] == "FAIL" and body["error"]["code"] == "ORDER_INVALID"


def test_full_refund_closes_partial_refund_holds_abnormal_stays_open(
    connector: WechatPayConnector, sim: WechatPaySimulator
) -> None:
    whole, part, stuck = (sim.place_order(order_spec(SHOP, ago(5), n=n)) for n in range(3))
    paid_version = current(connector, sim, whole)[1].version
    sim.request_refund(whole)
    sim.partial_refund(part, 4950)
    sim.refund_abnormal(stuck)
    closed, held, open_case = (current(connector, sim, oid)[1] for oid in (whole, part, stuck))
    assert (closed.status, closed.after_sale, closed.channel_status) == (
        OrderStatus.CLOSED,
        AfterSaleStatus.REFUNDED,
        "REFUND.SUCCESS",
    )
    assert closed.version > paid_version
    assert (held.status, held.after_sale) == (OrderStatus.PAID_FORBID_SHIPMENT, AfterSaleStatus.REFUNDED)
    assert (open_case.status, open_case.after_sale) == (OrderStatus.PAID_FORBID_SHIPMENT, AfterSaleStatus.IN_PROGRESS)


def test_an_unpaid_order_closed_by_the_brand_is_cancelled(
    connector: WechatPayConnector, sim: WechatPaySimulator
) -> None:
    order_id = sim.place_order(order_spec(SHOP, ago(5)), paid=False)
    pending = current(connector, sim, order_id)[1]
    sim.cancel(order_id)
    cancelled = current(connector, sim, order_id)[1]
    assert (pending.status, cancelled.status) == (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED)
    assert cancelled.version > pending.version


def test_a_rotated_serial_and_another_mini_program_are_refused(
    connector: WechatPayConnector, sim: WechatPaySimulator
) -> None:
    order_id = sim.place_order(order_spec(SHOP, ago(5)))
    with pytest.raises(SignatureInvalid):
        connector.verify(sim.wrong_serial_push(order_id))
    credentials = sim.credentials()
    stranger = WechatPayConnector(
        type(credentials)(credentials.app_key, credentials.app_secret, {"wx-other": "t"}, credentials.extra),
        sim.base_url,
    )
    with pytest.raises(NotOurs):
        stranger.parse_notifications(sim.push_request(order_id))


def test_success_reply_is_204_empty_and_replays_change_nothing(
    connector: WechatPayConnector, sim: WechatPaySimulator
) -> None:
    order_id = sim.place_order(order_spec(SHOP, ago(5)))
    hub = MemoryHub()
    replies = [
        process_webhook(
            connector, sim.push_request(order_id), archive=hub.archive, ingestor=hub.ingestor, max_bytes=1 << 20
        )
        for _ in range(2)
    ]
    assert [(r.reply.status, r.reply.body) for r in replies] == [(204, ""), (204, "")]
    assert len(hub.publisher.events) == 1


def test_shipping_info_upload_and_repeat(connector: WechatPayConnector, sim: WechatPaySimulator) -> None:
    order_id = sim.place_order(order_spec(SHOP, ago(5)))
    _, order = current(connector, sim, order_id)
    shipped_at = datetime(2024, 6, 2, 2, 15, tzinfo=UTC)
    shipment = Shipment(carrier_code="SF", tracking_no="SF777", shipped_at=shipped_at)
    connector.confirm_shipment(order, shipment)
    connector.confirm_shipment(order, shipment)
    uploads = [json.loads(r.body) for r in sim.requests.entries if r.path.endswith("upload_shipping_info")]
    first = [u for u in uploads if u["order_key"]["out_trade_no"] == order_id][0]
    assert first["order_key"] == {"order_number_type": 1, "mchid": sim.mchid, "out_trade_no": order_id}
    assert first["upload_time"] == "2024-06-02T10:15:00+08:00" and first["delivery_mode"] == 1
    assert first["shipping_list"][0]["contact"] == {"receiver_contact": "139****4321"}
    assert [s for s in sim.shipments() if s["order_id"] == order_id] == [
        {"order_id": order_id, "carrier_code": "SF", "tracking_no": "SF777"}
    ]


def test_normalise_refuses_unknown_states_and_naive_times() -> None:
    from connectors.wechat_pay.normalise import to_order

    raw = copy.deepcopy(dict(sample_order()))
    raw["transaction"]["trade_state"] = "ACCEPT"
    with pytest.raises(OrderInvalid):
        to_order(raw, shop_id=SHOP, raw_ref=None, pii_key=bytes(32))
    raw = copy.deepcopy(dict(sample_order()))
    raw["order"]["created_at"] = "2024-06-01 11:50:00"
    with pytest.raises(OrderInvalid):
        to_order(raw, shop_id=SHOP, raw_ref=None, pii_key=bytes(32))


def test_normalise_seals_a_plaintext_receiver_it_is_given() -> None:
    from connectors.wechat_pay.normalise import to_order

    raw = copy.deepcopy(dict(sample_order()))
    raw["order"]["receiver"] = {"name": "张三", "phone": "13800138000", "province": "广东省", "detail": "科苑路15号"}
    order = to_order(raw, shop_id=SHOP, raw_ref=None, pii_key=bytes(32))
    dumped = order.model_dump_json()
    assert "13800138000" not in dumped and "科苑路15号" not in dumped and order.receiver.phone_masked == "138****8000"
