"""Behavioural checks every connector must pass, against its own simulator and its documented facts.

A fresh scaffold fails these until its author fills the connector in.
"""

from datetime import datetime, timedelta
from typing import Any

import pytest

from connectors.sdk.conformance import ConformanceProfile
from connectors.sdk.contracts import PollingConnector, PollPage, Shipment, WebhookConnector
from connectors.sdk.errors import OrderInvalid, PlatformUnavailable, SignatureInvalid, SignatureMissing, TimestampStale
from connectors.sdk.ingest import IngestOutcome
from connectors.sdk.polling import run_window_poll
from connectors.sdk.simulator import PlatformSimulator
from connectors.sdk.webhook import process_webhook
from tests.conformance.kit import (
    PLAINTEXT_PII,
    MemoryHub,
    ago,
    captured_logs,
    fetch_raw,
    normalised,
    order_spec,
    platform_now,
)

MAX_BYTES = 10 * 1024 * 1024


def _webhook(profile: ConformanceProfile, sim: PlatformSimulator) -> WebhookConnector:
    connector = profile.connector_for(sim)
    if not isinstance(connector, WebhookConnector):
        pytest.skip(f"{profile.channel} receives no webhooks")
    return connector


def _poller(profile: ConformanceProfile, sim: PlatformSimulator) -> PollingConnector:
    connector = profile.connector_for(sim)
    if not isinstance(connector, PollingConnector):
        pytest.skip(f"{profile.channel} is not polled")
    return connector


# --- statuses, money and time -------------------------------------------------------------------------


def test_every_documented_status_is_mapped(profile: ConformanceProfile) -> None:
    assert profile.documented_order_statuses, "list the platform's documented order statuses"
    assert not profile.documented_order_statuses - set(profile.order_statuses), "unmapped order statuses"
    assert not profile.documented_after_sale_statuses - set(profile.after_sale_statuses), "unmapped after-sale"


def test_each_status_normalises_to_its_mapping(profile: ConformanceProfile, sim: PlatformSimulator) -> None:
    connector = profile.connector_for(sim)
    sample = profile.sample_order()
    assert profile.documented_order_statuses, "list the platform's documented order statuses"
    for status in sorted(profile.documented_order_statuses):
        raw = profile.with_status(sample, status)
        order = connector.normalise(raw, shop_id=profile.sample.shop_id, raw_ref=None)
        assert order.status == profile.order_statuses[status], f"status {status}"
        assert status in order.channel_status


def test_an_unknown_status_is_refused_not_guessed(profile: ConformanceProfile, sim: PlatformSimulator) -> None:
    connector = profile.connector_for(sim)
    raw = profile.with_status(profile.sample_order(), "987654")
    with pytest.raises(OrderInvalid):
        connector.normalise(raw, shop_id=profile.sample.shop_id, raw_ref=None)


def test_money_and_time_are_converted(profile: ConformanceProfile, sim: PlatformSimulator) -> None:
    connector = profile.connector_for(sim)
    facts = profile.sample
    order = connector.normalise(profile.sample_order(), shop_id=facts.shop_id, raw_ref=None)
    assert order.channel_order_id == facts.channel_order_id
    assert (order.goods_amount, order.paid_amount, order.freight_amount) == (
        facts.goods_fen,
        facts.paid_fen,
        facts.freight_fen,
    )
    assert order.created_at == facts.created_at and facts.created_at.tzinfo is not None
    assert len(order.lines) == facts.line_count
    for line in order.lines:
        assert isinstance(line.unit_price, int) and isinstance(line.paid_amount, int)
    assert order.updated_at.tzinfo is not None and order.updated_at >= order.created_at


# --- webhooks -------------------------------------------------------------------------------------------


def test_signatures_valid_forged_and_missing(profile: ConformanceProfile, sim: PlatformSimulator) -> None:
    connector = _webhook(profile, sim)
    order_id = sim.place_order(order_spec(profile.shop_id, ago(5)))
    connector.verify(sim.push_request(order_id))
    with pytest.raises(SignatureInvalid):
        connector.verify(sim.push_request(order_id, forge=True))
    with pytest.raises(SignatureMissing):
        connector.verify(sim.push_request(order_id, omit_signature=True))


def test_a_replayed_delivery_changes_nothing(profile: ConformanceProfile, sim: PlatformSimulator) -> None:
    connector = _webhook(profile, sim)
    hub = MemoryHub()
    order_id = sim.place_order(order_spec(profile.shop_id, ago(5)))
    request = sim.push_request(order_id)
    outcomes = [
        process_webhook(connector, request, archive=hub.archive, ingestor=hub.ingestor, max_bytes=MAX_BYTES)
        for _ in range(3)
    ]
    assert [o.results[-1].outcome for o in outcomes] == [
        IngestOutcome.CREATED,
        IngestOutcome.DUPLICATE,
        IngestOutcome.DUPLICATE,
    ]
    assert len(hub.store.items) == 1 and len(hub.publisher.events) == 1
    if profile.replay_window is not None:
        old = sim.push_request(order_id, sent_at=platform_now() - profile.replay_window - timedelta(minutes=1))
        with pytest.raises(TimestampStale):
            connector.verify(old)


def test_replies_are_the_platforms_own(profile: ConformanceProfile, sim: PlatformSimulator) -> None:
    connector = _webhook(profile, sim)
    assert profile.success_reply is not None, "quote the platform's documented success reply in the profile"
    hub = MemoryHub()
    order_id = sim.place_order(order_spec(profile.shop_id, ago(5)))
    accepted = process_webhook(
        connector, sim.push_request(order_id), archive=hub.archive, ingestor=hub.ingestor, max_bytes=MAX_BYTES
    )
    assert (accepted.reply.status, accepted.reply.body) == (profile.success_reply.status, profile.success_reply.body)
    refused = process_webhook(
        connector,
        sim.push_request(order_id, forge=True),
        archive=hub.archive,
        ingestor=FailIfCalled(),  # type: ignore[arg-type]
        max_bytes=MAX_BYTES,
    )
    assert refused.reply.status == profile.refusal_status
    assert refused.error is not None and refused.error.code == "SIGNATURE_INVALID"
    assert not 200 <= refused.reply.status < 300, "a refused delivery must not look accepted"


class FailIfCalled:
    def ingest(self, order: Any) -> Any:
        raise AssertionError("a refused delivery reached ingestion")


# --- ordering and duplicates (every connector) --------------------------------------------------------


def test_duplicates_and_out_of_order_updates(profile: ConformanceProfile, sim: PlatformSimulator) -> None:
    connector = profile.connector_for(sim)
    hub = MemoryHub()
    order_id = sim.place_order(order_spec(profile.shop_id, ago(30)), paid=False)
    older = fetch_raw(connector, sim, profile.shop_id, order_id)
    sim.pay(order_id)
    newer = fetch_raw(connector, sim, profile.shop_id, order_id)

    def ingest(raw: Any) -> IngestOutcome:
        return hub.ingestor.ingest(connector.normalise(raw, shop_id=profile.shop_id, raw_ref=None)).outcome

    assert ingest(newer) is IngestOutcome.CREATED
    assert ingest(older) is IngestOutcome.STALE
    assert ingest(newer) is IngestOutcome.DUPLICATE
    assert ingest(newer) is IngestOutcome.DUPLICATE
    (stored,) = hub.store.items.values()
    assert stored.order.version == connector.normalise(newer, shop_id=profile.shop_id, raw_ref=None).version


# --- polling --------------------------------------------------------------------------------------------


def poll_at(connector: PollingConnector, profile: ConformanceProfile, hub: MemoryHub, now: datetime) -> None:
    run_window_poll(
        connector, profile.shop_id, checkpoints=hub.checkpoints, ingestor=hub.ingestor, archive=hub.archive, now=now
    )


def _place_at_edges(profile: ConformanceProfile, sim: PlatformSimulator, connector: PollingConnector) -> list[str]:
    now = platform_now()
    start = now - connector.safety_lag - connector.initial_lookback
    first_end = start + connector.max_window
    moments = [start, start + timedelta(seconds=1), first_end - timedelta(seconds=1), first_end]
    moments += [first_end + timedelta(seconds=1), now - connector.safety_lag - timedelta(seconds=5)]
    return [sim.place_order(order_spec(profile.shop_id, at, n=i), paid=False) for i, at in enumerate(moments)]


def test_poll_windows_keep_edge_orders_exactly_once(profile: ConformanceProfile, sim: PlatformSimulator) -> None:
    connector = _poller(profile, sim)
    hub = MemoryHub()
    placed = _place_at_edges(profile, sim, connector)
    outcomes: list[IngestOutcome] = []
    real_ingest = hub.ingestor.ingest
    hub.ingestor.ingest = lambda order: _record(outcomes, real_ingest(order))  # type: ignore[method-assign]
    run_window_poll(
        connector,
        profile.shop_id,
        checkpoints=hub.checkpoints,
        ingestor=hub.ingestor,
        archive=hub.archive,
        now=platform_now(),
    )
    assert hub.order_ids() == set(placed)
    assert outcomes.count(IngestOutcome.CREATED) == len(placed)


def _record(outcomes: list[IngestOutcome], result: Any) -> Any:
    outcomes.append(result.outcome)
    return result


def test_poll_pages_backwards_over_many_pages(profile: ConformanceProfile, sim: PlatformSimulator) -> None:
    connector = _poller(profile, sim)
    hub = MemoryHub()
    placed = [sim.place_order(order_spec(profile.shop_id, ago(20 - i * 0.1), n=i), paid=False) for i in range(12)]
    pages_asked: list[int] = []
    list_changed = connector.list_changed

    def spy(shop_id: str, start: datetime, end: datetime, page: int) -> PollPage:
        pages_asked.append(page)
        return list_changed(shop_id, start, end, page)

    connector.list_changed = spy  # type: ignore[method-assign]
    run_window_poll(
        connector,
        profile.shop_id,
        checkpoints=hub.checkpoints,
        ingestor=hub.ingestor,
        archive=hub.archive,
        now=platform_now(),
    )
    assert hub.order_ids() == set(placed)
    walked = [page for page in pages_asked if page > 0]
    assert max(walked) > 1, "the kit needs a page size small enough for several pages (see connector_for)"
    if connector.page_backwards:
        biggest = max(walked)
        assert walked.index(biggest) < walked.index(1, walked.index(biggest)), "pages must be walked backwards"


def test_poll_resumes_after_a_crash_mid_page(profile: ConformanceProfile, sim: PlatformSimulator) -> None:
    connector = _poller(profile, sim)
    hub = MemoryHub()
    placed = [sim.place_order(order_spec(profile.shop_id, ago(25 - i * 0.1), n=i), paid=False) for i in range(9)]
    fetch = connector.fetch_order
    calls = {"n": 0}

    def crash_on_the_fourth(shop_id: str, summary: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:
            raise PlatformUnavailable("the kit pulled the plug mid-page")
        return fetch(shop_id, summary)

    connector.fetch_order = crash_on_the_fourth  # type: ignore[method-assign]
    now = platform_now()
    with pytest.raises(PlatformUnavailable):
        poll_at(connector, profile, hub, now)
    poll_at(connector, profile, hub, now)
    assert hub.order_ids() == set(placed)
    created = [e for e in hub.publisher.events if e.detail_type == "OrderReceived"]
    assert len(created) == len(placed), "an order was announced twice"


def test_poll_rides_out_429_and_5xx(profile: ConformanceProfile, sim: PlatformSimulator) -> None:
    connector = _poller(profile, sim)
    hub = MemoryHub()
    placed = [sim.place_order(order_spec(profile.shop_id, ago(15 - i), n=i), paid=False) for i in range(3)]
    sim.inject_faults(2, status=429)
    first = platform_now()
    poll_at(connector, profile, hub, first)
    sim.inject_faults(1, status=503)
    # Modified after the first poll's horizon (now - safety lag): the next window, 30 s later, holds it.
    moment = first - connector.safety_lag + timedelta(seconds=10)
    more = sim.place_order(order_spec(profile.shop_id, moment, n=9), paid=False)
    poll_at(connector, profile, hub, first + timedelta(seconds=30))
    assert hub.order_ids() == {*placed, more}
    assert sim.faults.remaining == 0


# --- outbound: stock and shipments ----------------------------------------------------------------------


def test_stock_push_reads_back_and_drift_shows(profile: ConformanceProfile, sim: PlatformSimulator) -> None:
    connector = profile.connector_for(sim)
    item = sim.listing(profile.shop_id, "KIT-DW-X9")
    connector.push_stock(profile.shop_id, item, 7)
    assert connector.read_stock(profile.shop_id, item) == 7 == sim.shown_stock(profile.shop_id, item.channel_sku_id)
    connector.push_stock(profile.shop_id, item, 7)  # a retried push is harmless
    assert connector.read_stock(profile.shop_id, item) == 7
    sim.drift_stock(profile.shop_id, "KIT-DW-X9", -2)
    assert connector.read_stock(profile.shop_id, item) == 5
    other = sim.listing(profile.shop_id, "KIT-TAB-30")
    sim.inject_faults(2, status=429)
    connector.push_stock(profile.shop_id, other, 40)
    sim.inject_faults(1, status=503)
    assert connector.read_stock(profile.shop_id, other) == 40


def test_shipment_write_back_is_idempotent(profile: ConformanceProfile, sim: PlatformSimulator) -> None:
    connector = profile.connector_for(sim)
    order_id = sim.place_order(order_spec(profile.shop_id, ago(10)))
    order = normalised(connector, sim, profile.shop_id, order_id)
    shipment = Shipment(carrier_code="SF", tracking_no="SF1234567890123", shipped_at=platform_now())
    connector.confirm_shipment(order, shipment)
    connector.confirm_shipment(order, shipment)
    mine = [s for s in sim.shipments() if str(s["order_id"]) == order_id]
    assert len(mine) == 1 and mine[0]["tracking_no"] == "SF1234567890123"


# --- personal data --------------------------------------------------------------------------------------


def test_no_personal_data_in_logs(profile: ConformanceProfile, sim: PlatformSimulator) -> None:
    connector = profile.connector_for(sim)
    hub = MemoryHub()
    with captured_logs() as logs:
        # Unpaid first: its modified time stays in the past, inside the poll's window.
        order_id = sim.place_order(order_spec(profile.shop_id, ago(12)), paid=False)
        if isinstance(connector, WebhookConnector):
            process_webhook(
                connector, sim.push_request(order_id), archive=hub.archive, ingestor=hub.ingestor, max_bytes=MAX_BYTES
            )
        if isinstance(connector, PollingConnector):
            run_window_poll(
                connector,
                profile.shop_id,
                checkpoints=hub.checkpoints,
                ingestor=hub.ingestor,
                archive=hub.archive,
                now=platform_now(),
            )
        sim.pay(order_id)
        order = normalised(connector, sim, profile.shop_id, order_id)
        connector.confirm_shipment(order, Shipment(carrier_code="SF", tracking_no="SF99", shipped_at=platform_now()))
    assert order_id in hub.order_ids()
    text = logs.getvalue()
    leaked = [value for value in PLAINTEXT_PII if value in text]
    assert not leaked, f"personal data in logs: {leaked}"
    for value in PLAINTEXT_PII:
        assert value not in order.model_dump_json(), "the canonical order keeps ciphertext and masked text only"
