"""CPU per order for each registered connector's verify + normalise, against its own simulator.

A real order is placed on the connector's simulator (built from its conformance profile) and fetched once
over HTTP; the timed loop then runs only what the connector does per order in-process: signature
verification and parsing of the delivery (webhook channels) and normalisation into the canonical order.
Measured as process CPU time.
"""

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from connectors.registry import import_dotted, manifests
from connectors.sdk.conformance import ConformanceProfile
from connectors.sdk.contracts import Connector, OrderSummary, PollingConnector, WebhookConnector
from connectors.sdk.simulator import PlatformSimulator
from localhub.scenario import build_plan
from schemas.timeutil import utc_now


def _sample_spec(shop_id: str) -> Any:
    # Created within the last hour: a day-long plan starting at today's midnight (Shanghai) puts some orders in
    # the future for the first eight hours of each UTC day, and a push stamped in the future is refused.
    spec = build_plan(3, seed=11, day=utc_now() - timedelta(hours=1), spread_seconds=600).orders[2].spec
    return spec.__class__(**{**spec.__dict__, "shop_id": shop_id})


def _webhook_work(
    connector: WebhookConnector, simulator: PlatformSimulator, order_id: str, shop_id: str
) -> Callable[[], object]:
    request = simulator.push_request(order_id)
    notification = connector.parse_notifications(request)[-1]
    raw = connector.fetch_notified_order(notification)

    def once() -> object:
        connector.verify(request)
        connector.parse_notifications(request)
        return connector.normalise(raw, shop_id=shop_id, raw_ref=None)

    return once


def _polling_work(connector: PollingConnector, order_id: str, shop_id: str) -> Callable[[], object]:
    raw = connector.fetch_order(shop_id, OrderSummary(channel_order_id=order_id))

    def once() -> object:
        return connector.normalise(raw, shop_id=shop_id, raw_ref=None)

    return once


def _measure(profile: ConformanceProfile, iterations: int) -> dict[str, Any]:
    simulator = profile.new_simulator()
    simulator.start()
    try:
        connector: Connector = profile.connector_for(simulator)
        order_id = simulator.place_order(_sample_spec(profile.shop_id), paid=True)
        if isinstance(connector, WebhookConnector):
            work, scope = _webhook_work(connector, simulator, order_id, profile.shop_id), "verify + parse + normalise"
        elif isinstance(connector, PollingConnector):
            work, scope = _polling_work(connector, order_id, profile.shop_id), "normalise (pulled over signed HTTPS)"
        else:
            raise TypeError(f"{profile.channel}: neither a webhook nor a polling connector")
        for _ in range(50):  # warm-up
            work()
        started = time.process_time()
        for _ in range(iterations):
            work()
        elapsed = time.process_time() - started
    finally:
        simulator.stop()
    return {"ms_per_order": elapsed / iterations * 1000, "scope": scope, "iterations": iterations}


def measure_connectors(iterations: int = 2000) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for channel in manifests():
        profile = import_dotted(f"connectors.{channel}.conformance:PROFILE")
        results[channel] = _measure(profile, iterations)
    return results
