"""What the conformance kit checks the POS connector against: our own contract (docs/pos-webhook.md)."""

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from connectors.pos.connector import SUCCESS_BODY, PosConnector
from connectors.pos.replay import MemoryNonceStore
from connectors.pos.signing import REPLAY_WINDOW
from connectors.pos.simulator import PosSimulator
from connectors.pos.statuses import LINE_REFUND_STATUS, ORDER_STATUS
from connectors.sdk.conformance import ConformanceProfile, SampleFacts
from connectors.sdk.contracts import Connector, WebhookReply
from connectors.sdk.simulator import PlatformSimulator

STORE_ID = "S001"
SAMPLE = Path(__file__).parents[2] / "events" / "pos" / "pickup_order_delivery.json"


def sample_order() -> Mapping[str, Any]:
    order: Mapping[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))["order"]
    return order


def with_status(raw: Mapping[str, Any], status: str) -> Mapping[str, Any]:
    changed = copy.deepcopy(dict(raw))
    changed["status"] = status
    return changed


class _KitConnector(PosConnector):
    http_initial_backoff: ClassVar[float] = 0.01
    http_max_jitter: ClassVar[float] = 0.01


def connector_for(sim: PlatformSimulator) -> Connector:
    return _KitConnector(sim.credentials(), sim.base_url, nonces=MemoryNonceStore())


PROFILE = ConformanceProfile(
    channel="pos",
    order_statuses=ORDER_STATUS,
    documented_order_statuses=frozenset(ORDER_STATUS),  # the contract is ours: every status we define
    after_sale_statuses=LINE_REFUND_STATUS,
    documented_after_sale_statuses=frozenset(LINE_REFUND_STATUS),
    sample_order=sample_order,
    with_status=with_status,
    sample=SampleFacts(
        shop_id=STORE_ID,
        channel_order_id="S001-20240301-000123",
        goods_fen=319900 + 3 * 1999,
        paid_fen=299900 + 5997,
        freight_fen=0,
        created_at=datetime(2024, 3, 1, 1, 15, 30, tzinfo=UTC),  # 09:15:30 +08:00
        line_count=2,
    ),
    new_simulator=lambda: PosSimulator(stores=(STORE_ID, "S002")),
    connector_for=connector_for,
    shop_id=STORE_ID,
    success_reply=WebhookReply(status=200, body=SUCCESS_BODY),
    refusal_status=401,
    replay_window=REPLAY_WINDOW,
    notes=(
        "A byte-identical redelivery (same nonce and signature) is accepted and deduplicated by ingestion, as the "
        "kit's replay check requires; a nonce reused with another timestamp or body is refused (NONCE_REUSED), "
        "checked in tests/unit/connectors/test_pos_*.py.",
    ),
)
