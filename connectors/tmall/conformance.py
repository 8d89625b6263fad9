"""What the conformance kit needs to know about Tmall / Taobao TOP (platforms.md §1)."""

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from connectors.sdk.conformance import ConformanceProfile, SampleFacts
from connectors.sdk.contracts import Connector
from connectors.sdk.simulator import PlatformSimulator
from connectors.tmall.connector import TmallConnector
from connectors.tmall.simulator import TmallSimulator
from connectors.tmall.statuses import REFUND_STATUS, TRADE_STATUS

SHOP = "2200000001"
_SAMPLE = Path(__file__).parents[2] / "events" / "tmall" / "trade_fullinfo_get_response.json"


def _sample_order() -> Mapping[str, Any]:
    trade: dict[str, Any] = json.loads(_SAMPLE.read_text(encoding="utf-8"))["trade_fullinfo_get_response"]["trade"]
    return trade


def _with_status(raw: Mapping[str, Any], status: str) -> Mapping[str, Any]:
    changed = copy.deepcopy(dict(raw))
    changed["status"] = status
    for line in changed["orders"]["order"]:
        line["status"] = status
    return changed


class _KitTmallConnector(TmallConnector):
    page_size: ClassVar[int] = 4  # several pages from a dozen orders
    http_initial_backoff: ClassVar[float] = 0.01
    http_max_jitter: ClassVar[float] = 0.01


def _connector(sim: PlatformSimulator) -> Connector:
    assert isinstance(sim, TmallSimulator)
    return _KitTmallConnector(sim.credentials(), sim.router_url)


PROFILE = ConformanceProfile(
    channel="tmall",
    order_statuses=dict(TRADE_STATUS),
    documented_order_statuses=frozenset(
        {
            "TRADE_NO_CREATE_PAY",
            "WAIT_BUYER_PAY",
            "SELLER_CONSIGNED_PART",
            "WAIT_SELLER_SEND_GOODS",
            "WAIT_BUYER_CONFIRM_GOODS",
            "TRADE_BUYER_SIGNED",
            "TRADE_FINISHED",
            "TRADE_CLOSED",
            "TRADE_CLOSED_BY_TAOBAO",
            "PAY_PENDING",
            "WAIT_PRE_AUTH_CONFIRM",
            "PAID_FORBID_CONSIGN",
        }
    ),
    after_sale_statuses=dict(REFUND_STATUS),
    documented_after_sale_statuses=frozenset(
        {
            "WAIT_SELLER_AGREE",
            "WAIT_BUYER_RETURN_GOODS",
            "WAIT_SELLER_CONFIRM_GOODS",
            "SELLER_REFUSE_BUYER",
            "CLOSED",
            "SUCCESS",
            "NO_REFUND",
        }
    ),
    sample_order=_sample_order,
    with_status=_with_status,
    sample=SampleFacts(
        shop_id=SHOP,
        channel_order_id="3905134567890123456",
        goods_fen=21007,  # "120.05" + 2 x "45.01"
        paid_fen=20007,  # "200.07"
        freight_fen=0,
        created_at=datetime(2024, 3, 1, 1, 15, 30, tzinfo=UTC),  # "2024-03-01 09:15:30" GMT+8
        line_count=2,
    ),
    new_simulator=lambda: TmallSimulator(shop_tokens={SHOP: "kit-session"}),
    connector_for=_connector,
    shop_id=SHOP,
)
