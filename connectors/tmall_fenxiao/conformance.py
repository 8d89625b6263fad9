"""What the conformance kit checks the distribution connector against (statuses quoted from platforms.md §2.1
and the `taobao.fenxiao.orders.get` field descriptions it cites)."""

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from connectors.sdk.conformance import ConformanceProfile, SampleFacts
from connectors.sdk.contracts import Connector
from connectors.sdk.simulator import PlatformSimulator
from connectors.tmall_fenxiao.connector import TmallFenxiaoConnector
from connectors.tmall_fenxiao.simulator import FenxiaoSimulator
from connectors.tmall_fenxiao.statuses import PURCHASE_STATUS, SUB_ORDER_AFTER_SALE

SHOP_ID = "2200000101"
SAMPLE = Path(__file__).parents[2] / "events" / "tmall_fenxiao" / "fenxiao_orders_get_response.json"

# Supplier-view query statuses, the purchase order's own `status` values, the distributor's TRADE_FOR_PAY and
# the sub-order's TRADE_REFUNDED (which a header may carry too).
DOCUMENTED_PURCHASE_STATUSES = frozenset(
    {
        "WAIT_SELLER_SEND_GOODS",
        "WAIT_SELLER_CONFIRM_PAY",
        "WAIT_BUYER_PAY",
        "WAIT_BUYER_CONFIRM_GOODS",
        "TRADE_REFUNDING",
        "TRADE_FINISHED",
        "TRADE_CLOSED",
        "PAID_FORBID_CONSIGN",
        "WAIT_BUYER_CONFIRM_GOODS_ACOUNTED",
        "PAY_ACOUNTED_GOODS_CONFIRM",
        "PAY_WAIT_ACOUNT_GOODS_CONFIRM",
        "TRADE_FOR_PAY",
        "TRADE_REFUNDED",
    }
)
DOCUMENTED_SUB_ORDER_STATUSES = frozenset(
    {
        "WAIT_BUYER_PAY",
        "WAIT_SELLER_CONFIRM",
        "WAIT_SELLER_SEND_GOODS",
        "WAIT_BUYER_CONFIRM_GOODS",
        "TRADE_FINISHED",
        "TRADE_CLOSED",
        "TRADE_REFUNDING",
        "TRADE_REFUNDED",
        "PAID_FORBID_CONSIGN",
        "WAIT_BUYER_CONFIRM_GOODS_ACOUNTED",
        "PAY_ACOUNTED_GOODS_CONFIRM",
        "PAY_WAIT_ACOUNT_GOODS_CONFIRM",
    }
)


def sample_order() -> Mapping[str, Any]:
    body = json.loads(SAMPLE.read_text(encoding="utf-8"))
    order: Mapping[str, Any] = body["fenxiao_orders_get_response"]["purchase_orders"]["purchase_order"][0]
    return order


def with_status(raw: Mapping[str, Any], status: str) -> Mapping[str, Any]:
    changed = copy.deepcopy(dict(raw))
    changed["status"] = status
    return changed


class _KitConnector(TmallFenxiaoConnector):
    page_size: ClassVar[int] = 3
    daifa_page_size: ClassVar[int] = 3
    http_initial_backoff: ClassVar[float] = 0.01
    http_max_jitter: ClassVar[float] = 0.01


def connector_for(sim: PlatformSimulator) -> Connector:
    return _KitConnector(sim.credentials(), f"{sim.base_url}/router/rest")


PROFILE = ConformanceProfile(
    channel="tmall_fenxiao",
    order_statuses=PURCHASE_STATUS,
    documented_order_statuses=DOCUMENTED_PURCHASE_STATUSES,
    after_sale_statuses=SUB_ORDER_AFTER_SALE,
    documented_after_sale_statuses=DOCUMENTED_SUB_ORDER_STATUSES,
    sample_order=sample_order,
    with_status=with_status,
    sample=SampleFacts(
        shop_id=SHOP_ID,
        channel_order_id="61000000120",
        goods_fen=299900 + 3 * 1999,  # purchase prices: 2999.00 × 1 + 19.99 × 3
        paid_fen=296897,  # distributor_payment 2968.97
        freight_fen=1000,  # post_fee 10.00
        created_at=datetime(2024, 3, 1, 1, 15, 30, tzinfo=UTC),  # 09:15:30 GMT+8
        line_count=2,
    ),
    new_simulator=lambda: FenxiaoSimulator(shop_tokens={SHOP_ID: "sim-supplier-1"}),
    connector_for=connector_for,
    shop_id=SHOP_ID,
    notes=(
        "The status table is the purchase order's; TRADE_CLOSED is CANCELLED and TRADE_REFUNDING SHIPPED when the "
        "order was never paid / already consigned (the sample is paid and unshipped). 代发 statuses, which the "
        "sample cannot carry, are checked in tests/unit/connectors/test_tmall_fenxiao_*.py.",
    ),
)
