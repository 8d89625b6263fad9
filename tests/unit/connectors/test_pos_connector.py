"""The POS connector against its simulator: deliveries, replay rules, write-back and stock."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from connectors.pos.conformance import STORE_ID, connector_for
from connectors.pos.connector import PosConnector
from connectors.pos.simulator import PosSimulator
from connectors.sdk.contracts import Shipment, WebhookRequest
from connectors.sdk.errors import PlatformRejected
from connectors.sdk.ingest import IngestOutcome
from connectors.sdk.webhook import WebhookOutcome, process_webhook
from schemas.order import Order
from tests.conformance.kit import MemoryHub, order_spec

NOW = datetime.now(UTC).replace(microsecond=0)
MAX = 1 << 20


@pytest.fixture
def sim() -> Iterator[PosSimulator]:
    simulator = PosSimulator(stores=(STORE_ID, "S002"))
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def connector(sim: PosSimulator) -> PosConnector:
    made = connector_for(sim)
    assert isinstance(made, PosConnector)
    return made


def _accept(connector: PosConnector, hub: MemoryHub, request: WebhookRequest) -> WebhookOutcome:
    return process_webhook(connector, request, archive=hub.archive, ingestor=hub.ingestor, max_bytes=MAX)


def _stored(hub: MemoryHub, order_id: str) -> Order:
    return next(s.order for s in hub.store.items.values() if s.order.channel_order_id == order_id)


def test_click_and_collect_life_cycle(sim: PosSimulator, connector: PosConnector) -> None:
    hub = MemoryHub()
    order_id = sim.place_order(order_spec(STORE_ID, NOW - timedelta(minutes=3)))
    first = _accept(connector, hub, sim.push_request(order_id))
    assert (first.reply.status, first.reply.body) == (200, '{"accepted":true}')
    order = _stored(hub, order_id)
    connector.confirm_shipment(order, Shipment(carrier_code="SF", tracking_no="SF1", shipped_at=NOW))
    connector.confirm_shipment(order, Shipment(carrier_code="SF", tracking_no="SF1", shipped_at=NOW))
    assert [s["state"] for s in sim.shipments()] == ["READY_FOR_PICKUP"]
    sim.collect(order_id)
    connector.confirm_collected(order, NOW)  # already collected at the till: still success
    later = _accept(connector, hub, sim.push_request(order_id))
    assert later.results[-1].outcome is IngestOutcome.UPDATED
    assert _stored(hub, order_id).channel_status == "COLLECTED"


def test_nonce_reuse_with_another_body_is_refused(sim: PosSimulator, connector: PosConnector) -> None:
    hub = MemoryHub()
    order_id = sim.place_order(order_spec(STORE_ID, NOW - timedelta(minutes=3)))
    first, second = sim.reused_nonce_requests(order_id)
    assert _accept(connector, hub, first).error is None
    refused = _accept(connector, hub, second)
    assert refused.reply.status == 401 and json.loads(refused.reply.body)["error"]["code"] == "NONCE_REUSED"
    assert json.loads(refused.reply.body)["accepted"] is False
    assert len(hub.store.items) == 1 and len(hub.publisher.events) == 1


def test_a_store_cannot_send_another_stores_order(sim: PosSimulator, connector: PosConnector) -> None:
    hub = MemoryHub()
    order_id = sim.place_order(order_spec(STORE_ID, NOW - timedelta(minutes=3)))
    refused = _accept(connector, hub, sim.foreign_store_request(order_id, "S002"))
    assert refused.error is not None and refused.error.code == "MALFORMED_PAYLOAD"
    assert hub.store.items == {}


def test_a_float_amount_is_refused(sim: PosSimulator, connector: PosConnector) -> None:
    hub = MemoryHub()
    order_id = sim.place_order(order_spec(STORE_ID, NOW - timedelta(minutes=3)))
    refused = _accept(connector, hub, sim.float_amount_request(order_id))
    assert refused.error is not None and refused.error.code == "ORDER_INVALID" and hub.store.items == {}


def test_a_cancelled_order_is_not_made_ready(sim: PosSimulator, connector: PosConnector) -> None:
    hub = MemoryHub()
    order_id = sim.place_order(order_spec(STORE_ID, NOW - timedelta(minutes=3)))
    _accept(connector, hub, sim.push_request(order_id))
    sim.cancel(order_id)
    with pytest.raises(PlatformRejected) as raised:
        connector.confirm_shipment(_stored(hub, order_id), Shipment(carrier_code="SF", tracking_no="1", shipped_at=NOW))
    assert raised.value.platform_code == "ORDER_CANCELLED"


def test_deliveries_are_dispatched_and_till_sales_write_nothing(sim: PosSimulator, connector: PosConnector) -> None:
    hub = MemoryHub()
    delivery = sim.place_delivery(order_spec(STORE_ID, NOW - timedelta(minutes=3), n=1))
    sale = sim.place_store_sale(order_spec(STORE_ID, NOW - timedelta(minutes=3), n=2))
    for order_id in (delivery, sale):
        _accept(connector, hub, sim.push_request(order_id))
    shipment = Shipment(carrier_code="JD", tracking_no="JD0001", shipped_at=NOW)
    connector.confirm_shipment(_stored(hub, delivery), shipment)
    connector.confirm_shipment(_stored(hub, sale), shipment)
    assert [(s["order_id"], s["state"]) for s in sim.shipments()] == [(delivery, "DISPATCHED")]


def test_stock_per_store(sim: PosSimulator, connector: PosConnector) -> None:
    item = sim.listing(STORE_ID, "DW-X9")
    other_store_item = sim.listing("S002", "DW-X9")
    connector.push_stock(STORE_ID, item, 4)
    connector.push_stock("S002", other_store_item, 9)
    assert connector.read_stock(STORE_ID, item) == 4 and connector.read_stock("S002", other_store_item) == 9
    with pytest.raises(ValueError):
        connector.push_stock(STORE_ID, item, -1)


def test_a_wrong_store_key_is_refused_by_the_pos(sim: PosSimulator) -> None:
    credentials = sim.credentials()
    extra = {**credentials.extra, f"store_key:{STORE_ID}": "wrong"}
    bad = PosConnector(
        type(credentials)(credentials.app_key, credentials.app_secret, credentials.shop_tokens, extra), sim.base_url
    )
    with pytest.raises(PlatformRejected) as raised:
        bad.read_stock(STORE_ID, sim.listing(STORE_ID, "DW-X9"))
    assert raised.value.platform_code == "SIGNATURE_INVALID"
