"""What the conformance kit needs to know about JD 厂直 / 一件代发 (DPS) (platforms.md §3.5)."""

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from connectors.jd_dps.connector import JdDpsConnector
from connectors.jd_dps.simulator import JdDpsSimulator
from connectors.jd_dps.statuses import ORDER_STATE, REFUND_FLAG
from connectors.sdk.conformance import ConformanceProfile, SampleFacts
from connectors.sdk.contracts import Connector
from connectors.sdk.simulator import PlatformSimulator

VENDOR = "VC20001"
_SAMPLE = Path(__file__).parents[2] / "events" / "jd_dps" / "dps_searchsingleorder_response.json"


def _sample_order() -> Mapping[str, Any]:
    body: dict[str, Any] = json.loads(_SAMPLE.read_text(encoding="utf-8"))
    order: dict[str, Any] = body["jingdong_dropship_dps_searchsingleorder_responce"]["searchSingleResult"][
        "resultSingleDto"
    ]
    return order


def _with_status(raw: Mapping[str, Any], status: str) -> Mapping[str, Any]:
    changed = copy.deepcopy(dict(raw))
    changed["orderState"] = int(status) if status.isdigit() else status  # JD sends an integer
    return changed


class _KitDpsConnector(JdDpsConnector):
    page_size: ClassVar[int] = 4  # several pages from a dozen orders
    http_initial_backoff: ClassVar[float] = 0.01
    http_max_jitter: ClassVar[float] = 0.01


def _connector(sim: PlatformSimulator) -> Connector:
    assert isinstance(sim, JdDpsSimulator)
    return _KitDpsConnector(sim.credentials(), sim.router_url)


PROFILE = ConformanceProfile(
    channel="jd_dps",
    order_statuses=dict(ORDER_STATE),
    # The `orderState` values of the official JOS SDK field comment (7, 10, 16, 19, 22, 29).
    documented_order_statuses=frozenset(ORDER_STATE),
    after_sale_statuses=dict(REFUND_FLAG),
    documented_after_sale_statuses=frozenset({"0", "1"}),
    sample_order=_sample_order,
    with_status=_with_status,
    sample=SampleFacts(
        shop_id=VENDOR,
        channel_order_id="310000000451",
        goods_fen=321800,  # "3119.00" + 2 x "49.50"
        paid_fen=301890,  # pay "3018.90"
        freight_fen=0,  # totalCarriage "0.00"
        created_at=datetime(2024, 11, 10, 16, 0, 7, tzinfo=UTC),  # orderCreateDate "2024-11-11 00:00:07" GMT+8
        line_count=2,
    ),
    new_simulator=lambda: JdDpsSimulator(shop_tokens={VENDOR: "kit-token"}),
    connector_for=_connector,
    shop_id=VENDOR,
    notes=(
        "JD has no public push (platforms.md §12): no webhook checks apply.",
        "refundSourceFlag values (0 none, 1 pre-shipment refund) are inferred, not documented in our sources.",
        "An unpaid kit order is a 货到付款 order: JD 自营 releases only paid or COD orders to the vendor.",
    ),
)
