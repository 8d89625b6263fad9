"""CPU per order for each registered connector's verify + normalise, against its own simulator.

A real order is placed on the simulator and fetched once over HTTP; the timed loop then runs only what
the connector does per order in-process: signature verification and parsing of the delivery (webhook
channels) and normalisation into the canonical order. Measured as process CPU time.
"""

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from connectors.registry import import_dotted, manifests
from connectors.sdk.contracts import Connector, PollingConnector, WebhookConnector, WebhookRequest
from connectors.sdk.simulator import PlatformSimulator
from localhub.scenario import build_plan
from schemas.timeutil import utc_now

SHOP = "BENCH-SHOP-1"


def _sample_spec() -> Any:
    spec = build_plan(3, seed=11, day=utc_now()).orders[2].spec
    return spec.__class__(**{**spec.__dict__, "shop_id": SHOP})


def _webhook_work(connector: WebhookConnector, simulator: Any, shop_id: str) -> Callable[[], object]:
    body: bytes = simulator.pending_delivery()
    request = WebhookRequest(headers=simulator.signed_push(body), query={}, body=body, received_at=utc_now())
    notification = connector.parse_notifications(request)[0]
    raw = connector.fetch_notified_order(notification)

    def once() -> object:
        connector.verify(request)
        connector.parse_notifications(request)
        return connector.normalise(raw, shop_id=shop_id, raw_ref=None)

    return once


def _polling_work(connector: PollingConnector, shop_id: str) -> Callable[[], object]:
    now = utc_now()
    page = connector.list_changed(shop_id, now - timedelta(minutes=30), now + timedelta(minutes=1), 1)
    raw = connector.fetch_order(shop_id, page.summaries[0])

    def once() -> object:
        return connector.normalise(raw, shop_id=shop_id, raw_ref=None)

    return once


def measure_connectors(iterations: int = 2000) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for channel, manifest in manifests().items():
        if manifest.simulator is None:
            continue
        simulator: PlatformSimulator = import_dotted(manifest.simulator)(
            app_key="bench-app", app_secret="bench-secret-0123456789", shop_tokens={SHOP: "bench-token"}
        )
        simulator.start()
        try:
            connector: Connector = import_dotted(manifest.connector_class)(simulator.credentials(), simulator.base_url)
            simulator.place_order(_sample_spec(), paid=True)
            if isinstance(connector, WebhookConnector):
                work, scope = _webhook_work(connector, simulator, SHOP), "verify + parse + normalise"
            elif isinstance(connector, PollingConnector):
                work, scope = _polling_work(connector, SHOP), "normalise (pulled over authenticated HTTPS)"
            else:
                continue
            for _ in range(50):  # warm-up
                work()
            started = time.process_time()
            for _ in range(iterations):
                work()
            elapsed = time.process_time() - started
            results[channel] = {"ms_per_order": elapsed / iterations * 1000, "scope": scope, "iterations": iterations}
        finally:
            simulator.stop()
    return results
