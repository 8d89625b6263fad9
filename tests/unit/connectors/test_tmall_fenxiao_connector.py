"""The distribution connector against its simulator: 代发 polling, write-back per origin, TMC, stock."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from connectors.sdk.contracts import OrderSummary, Shipment
from connectors.sdk.errors import PlatformRejected
from connectors.sdk.polling import run_message_poll, run_window_poll
from connectors.tmall_fenxiao.conformance import SHOP_ID, connector_for
from connectors.tmall_fenxiao.connector import PartialShipmentUnsupported, TmallFenxiaoConnector
from connectors.tmall_fenxiao.simulator import FenxiaoSimulator
from schemas.order import OrderStatus
from tests.conformance.kit import MemoryHub, order_spec

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def sim() -> Iterator[FenxiaoSimulator]:
    simulator = FenxiaoSimulator(shop_tokens={SHOP_ID: "sim-supplier-1"})
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def connector(sim: FenxiaoSimulator) -> TmallFenxiaoConnector:
    made = connector_for(sim)
    assert isinstance(made, TmallFenxiaoConnector)
    return made


def _ship(tracking: str = "SF100") -> Shipment:
    return Shipment(carrier_code="SF", tracking_no=tracking, shipped_at=NOW)


def test_a_window_poll_finds_both_origins(sim: FenxiaoSimulator, connector: TmallFenxiaoConnector) -> None:
    hub = MemoryHub()
    purchase = [sim.place_order(order_spec(SHOP_ID, NOW - timedelta(minutes=30), n=i)) for i in range(4)]
    daifa = [sim.place_daifa_order(order_spec(SHOP_ID, NOW - timedelta(minutes=20), n=i)) for i in range(5)]
    # Paying stamps the simulator's clock: poll as if a few minutes later, so the safety lag has passed.
    later = datetime.now(UTC) + timedelta(minutes=3)
    run_window_poll(
        connector, SHOP_ID, checkpoints=hub.checkpoints, ingestor=hub.ingestor, archive=hub.archive, now=later
    )
    assert hub.order_ids() == {*purchase, *daifa}
    modes = {stored.order.fulfilment_mode.value for stored in hub.store.items.values()}
    assert modes == {"DROP_SHIP"}


def test_interleaved_pages_cover_each_feed(sim: FenxiaoSimulator, connector: TmallFenxiaoConnector) -> None:
    for i in range(7):  # 3 purchase pages of 3
        sim.place_order(order_spec(SHOP_ID, NOW - timedelta(minutes=40), n=i))
    for i in range(4):  # 8 代发单 (one line each order doubled) → 3 pages of 3
        sim.place_daifa_order(order_spec(SHOP_ID, NOW - timedelta(minutes=40), n=i))
    start, end = NOW - timedelta(hours=1), datetime.now(UTC) + timedelta(seconds=5)
    assert connector.count_pages(SHOP_ID, start, end) == max(2 * 3 - 1, 2 * 3)
    odd = connector.list_changed(SHOP_ID, start, end, 5)
    even = connector.list_changed(SHOP_ID, start, end, 6)
    assert odd.summaries and not any(s.channel_order_id.startswith("DF") for s in odd.summaries)
    assert even.summaries and all(s.channel_order_id.startswith("DF") for s in even.summaries)


def test_purchase_order_ships_with_offline_send_on_the_fenxiao_id(
    sim: FenxiaoSimulator, connector: TmallFenxiaoConnector
) -> None:
    order_id = sim.place_order(order_spec(SHOP_ID, NOW - timedelta(minutes=5)))
    order = connector.normalise(connector.fetch_order(SHOP_ID, _summary(order_id)), shop_id=SHOP_ID, raw_ref=None)
    connector.confirm_shipment(order, _ship())
    connector.confirm_shipment(order, _ship())
    assert [s["order_id"] for s in sim.shipments()] == [order_id]
    assert sim.purchase_order(order_id)["status"] == "WAIT_BUYER_CONFIRM_GOODS"


def test_a_closed_purchase_order_is_not_reported_shipped(
    sim: FenxiaoSimulator, connector: TmallFenxiaoConnector
) -> None:
    order_id = sim.place_order(order_spec(SHOP_ID, NOW - timedelta(minutes=5)))
    order = connector.normalise(connector.fetch_order(SHOP_ID, _summary(order_id)), shop_id=SHOP_ID, raw_ref=None)
    sim.cancel(order_id)
    with pytest.raises(PlatformRejected):
        connector.confirm_shipment(order, _ship())
    closed = connector.normalise(connector.fetch_order(SHOP_ID, _summary(order_id)), shop_id=SHOP_ID, raw_ref=None)
    assert closed.status is OrderStatus.CLOSED and closed.version > order.version


def test_split_purchase_order_shipment_is_refused(sim: FenxiaoSimulator, connector: TmallFenxiaoConnector) -> None:
    order_id = sim.place_order(order_spec(SHOP_ID, NOW - timedelta(minutes=5)))
    order = connector.normalise(connector.fetch_order(SHOP_ID, _summary(order_id)), shop_id=SHOP_ID, raw_ref=None)
    partial = Shipment(carrier_code="SF", tracking_no="SF1", shipped_at=NOW, line_ids=[order.lines[0].line_id])
    with pytest.raises(PartialShipmentUnsupported):
        connector.confirm_shipment(order, partial)
    assert sim.shipments() == []


def test_daifa_consigns_live_lines_once(sim: FenxiaoSimulator, connector: TmallFenxiaoConnector) -> None:
    order_id = sim.place_daifa_order(order_spec(SHOP_ID, NOW - timedelta(minutes=5)), gift_sku="TAB-6")
    order = connector.normalise(connector.fetch_order(SHOP_ID, _summary(order_id)), shop_id=SHOP_ID, raw_ref=None)
    assert order.receiver.province == "浙江省"  # the address came with the by-id read
    gift = next(line for line in order.lines if line.is_gift)
    sim.cancel_daifa_assignment(order_id, scp_order_id=gift.line_id)
    connector.confirm_shipment(order, _ship("SF200"))
    connector.confirm_shipment(order, _ship("SF200"))
    (shipment,) = sim.shipments()
    assert shipment["order_id"] == order_id and gift.line_id not in shipment["scp_order_ids"]
    shipped = connector.normalise(connector.fetch_order(SHOP_ID, _summary(order_id)), shop_id=SHOP_ID, raw_ref=None)
    assert shipped.status is OrderStatus.SHIPPED
    assert gift.line_id not in {line.line_id for line in shipped.lines}


def test_a_withdrawn_daifa_order_is_never_consigned(sim: FenxiaoSimulator, connector: TmallFenxiaoConnector) -> None:
    order_id = sim.place_daifa_order(order_spec(SHOP_ID, NOW - timedelta(minutes=5)))
    order = connector.normalise(connector.fetch_order(SHOP_ID, _summary(order_id)), shop_id=SHOP_ID, raw_ref=None)
    sim.cancel_daifa_assignment(order_id)
    with pytest.raises(PlatformRejected):
        connector.confirm_shipment(order, _ship())
    assert sim.shipments() == []


def test_tmc_brings_a_daifa_cancellation(sim: FenxiaoSimulator, connector: TmallFenxiaoConnector) -> None:
    hub = MemoryHub()
    order_id = sim.place_daifa_order(order_spec(SHOP_ID, NOW - timedelta(minutes=5)))
    run_message_poll(connector, SHOP_ID, ingestor=hub.ingestor, archive=hub.archive, now=NOW)
    sim.cancel_daifa_assignment(order_id)
    result = run_message_poll(connector, SHOP_ID, ingestor=hub.ingestor, archive=hub.archive, now=NOW)
    stored = next(s for s in hub.store.items.values() if s.order.channel_order_id == order_id)
    assert stored.order.status is OrderStatus.CANCELLED
    assert result.failed == 0 and sim.pending_messages() == []


def test_without_a_tmc_group_nothing_is_consumed(sim: FenxiaoSimulator) -> None:
    credentials = sim.credentials()
    extra = {k: v for k, v in credentials.extra.items() if k != "tmc_group"}
    bare = TmallFenxiaoConnector(
        type(credentials)(credentials.app_key, credentials.app_secret, credentials.shop_tokens, extra),
        f"{sim.base_url}/router/rest",
    )
    sim.place_order(order_spec(SHOP_ID, NOW - timedelta(minutes=5)))
    assert list(bare.consume_messages(SHOP_ID)) == []
    assert sim.pending_messages()  # left for whoever owns the group


def test_stock_is_a_full_overwrite_per_sku(sim: FenxiaoSimulator, connector: TmallFenxiaoConnector) -> None:
    first, second = sim.listing(SHOP_ID, "DW-X9"), sim.listing(SHOP_ID, "DW-X9-B")
    assert first.channel_product_id == second.channel_product_id
    connector.push_stock(SHOP_ID, first, 12)
    connector.push_stock(SHOP_ID, second, 3)
    connector.push_stock(SHOP_ID, first, 12)
    assert (connector.read_stock(SHOP_ID, first), connector.read_stock(SHOP_ID, second)) == (12, 3)
    with pytest.raises(ValueError):
        connector.push_stock(SHOP_ID, first, -1)


def _summary(order_id: str) -> OrderSummary:
    return OrderSummary(channel_order_id=order_id)
