"""What the conformance kit needs to know about JD POP / JOS (platforms.md §3.1–3.4)."""

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from connectors.jd.connector import JdConnector
from connectors.jd.simulator import JdSimulator
from connectors.jd.statuses import AFTER_SALE_BY_STATE, ORDER_STATE
from connectors.sdk.conformance import ConformanceProfile, SampleFacts
from connectors.sdk.contracts import Connector
from connectors.sdk.simulator import PlatformSimulator

SHOP = "10086001"
_SAMPLE = Path(__file__).parents[2] / "events" / "jd" / "pop_order_en_get_response.json"


def _sample_order() -> Mapping[str, Any]:
    body: dict[str, Any] = json.loads(_SAMPLE.read_text(encoding="utf-8"))
    order: dict[str, Any] = body["jingdong_pop_order_enGet_responce"]["orderDetailInfo"]["orderInfo"]
    return order


def _with_status(raw: Mapping[str, Any], status: str) -> Mapping[str, Any]:
    changed = copy.deepcopy(dict(raw))
    changed["orderState"] = status
    return changed


class _KitJdConnector(JdConnector):
    page_size: ClassVar[int] = 4  # several pages from a dozen orders
    http_initial_backoff: ClassVar[float] = 0.01
    http_max_jitter: ClassVar[float] = 0.01


def _connector(sim: PlatformSimulator) -> Connector:
    assert isinstance(sim, JdSimulator)
    return _KitJdConnector(sim.credentials(), sim.router_url)


PROFILE = ConformanceProfile(
    channel="jd",
    order_statuses=dict(ORDER_STATE),
    # §3.2's eight `order_state` values, plus the states the OrderSearchInfo field comment lists.
    documented_order_statuses=frozenset(
        {
            "WAIT_SELLER_STOCK_OUT",
            "WAIT_GOODS_RECEIVE_CONFIRM",
            "WAIT_SELLER_DELIVERY",
            "PAUSE",
            "FINISHED_L",
            "TRADE_CANCELED",
            "LOCKED",
            "POP_ORDER_PAUSE",
            "WAIT_SEND_CODE",
            "SEND_TO_DISTRIBUTION_CENER",
            "DISTRIBUTION_CENTER_RECEIVED",
            "RECEIPTS_CONFIRM",
        }
    ),
    after_sale_statuses=dict(AFTER_SALE_BY_STATE),
    documented_after_sale_statuses=frozenset({"LOCKED", "TRADE_CANCELED"}),
    sample_order=_sample_order,
    with_status=_with_status,
    sample=SampleFacts(
        shop_id=SHOP,
        channel_order_id="290000000123",
        goods_fen=329800,  # "3199.00" + 2 x "49.50"
        paid_fen=300990,  # orderPayment "3000.10" + balanceUsed "9.80"
        freight_fen=1000,  # "10.00"
        created_at=datetime(2024, 6, 17, 16, 5, 12, tzinfo=UTC),  # "2024-06-18 00:05:12" GMT+8
        line_count=2,
    ),
    new_simulator=lambda: JdSimulator(shop_tokens={SHOP: "kit-token"}),
    connector_for=_connector,
    shop_id=SHOP,
    notes=(
        "JD POP has no public push (platforms.md §12): no webhook checks apply.",
        "After-sale comes from the order state (LOCKED / TRADE_CANCELED on a paid order); JD's AFS refund APIs "
        "are not wired.",
        "An unpaid kit order is a COD order: JD shows online-payment orders only once paid.",
    ),
)
