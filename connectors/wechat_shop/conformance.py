"""What the conformance kit needs to know about WeChat 微信小店 (platforms.md §7)."""

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.sdk.conformance import ConformanceProfile, SampleFacts
from connectors.sdk.contracts import Connector, WebhookReply
from connectors.sdk.http import PlatformHttp
from connectors.sdk.simulator import PlatformSimulator
from connectors.wechat_shop.connector import WechatShopConnector
from connectors.wechat_shop.simulator import WechatShopSimulator
from connectors.wechat_shop.statuses import AFTER_SALE_STATUS, ORDER_STATUS

SHOP = "gh_3f1a2b4c5d6e"
_SAMPLE = Path(__file__).parents[2] / "events" / "wechat_shop" / "order_get_response.json"


def sample_order() -> Mapping[str, Any]:
    order = json.loads(_SAMPLE.read_text(encoding="utf-8"))["order"]
    return {"order": order, "aftersale_orders": []}


def _with_status(raw: Mapping[str, Any], status: str) -> Mapping[str, Any]:
    changed = copy.deepcopy(dict(raw))
    changed["order"]["status"] = int(status)
    return changed


def _simulator() -> WechatShopSimulator:
    return WechatShopSimulator(shop_tokens={SHOP: "wx5c8f3a9b1d2e4f60"})


def _connector(sim: PlatformSimulator) -> Connector:
    http = PlatformHttp(sim.base_url, initial_backoff=0.01, max_jitter=0.01)
    return WechatShopConnector(sim.credentials(), sim.base_url, http=http, page_size=4)


PROFILE = ConformanceProfile(
    channel="wechat_shop",
    order_statuses={str(code): status for code, status in ORDER_STATUS.items()},
    documented_order_statuses=frozenset({"10", "12", "13", "20", "21", "30", "100", "190", "200", "250"}),
    after_sale_statuses=dict(AFTER_SALE_STATUS),
    documented_after_sale_statuses=frozenset(
        {
            "USER_CANCELD",
            "MERCHANT_PROCESSING",
            "MERCHANT_REJECT_REFUND",
            "MERCHANT_REJECT_RETURN",
            "USER_WAIT_RETURN",
            "RETURN_CLOSED",
            "MERCHANT_WAIT_RECEIPT",
            "MERCHANT_OVERDUE_REFUND",
            "MERCHANT_REFUND_SUCCESS",
            "MERCHANT_RETURN_SUCCESS",
            "PLATFORM_REFUNDING",
            "PLATFORM_REFUND_FAIL",
            "USER_WAIT_CONFIRM",
            "MERCHANT_REFUND_RETRY_FAIL",
            "MERCHANT_FAIL",
            "USER_WAIT_CONFIRM_UPDATE",
            "USER_WAIT_HANDLE_MERCHANT_AFTER_SALE",
        }
    ),
    sample_order=sample_order,
    with_status=_with_status,
    sample=SampleFacts(
        shop_id=SHOP,
        channel_order_id="3705115058471208928",
        goods_fen=325897,  # 3199.00 × 1 + 19.99 × 3 = 3258.97 yuan, sale prices in fen as WeChat sends them
        paid_fen=307097,  # 3258.97 + 12.00 freight − 200.00 discount
        freight_fen=1200,
        created_at=datetime(2024, 1, 1, 3, 50, tzinfo=UTC),  # create_time 1704081000 = 11:50 in Shanghai
        line_count=2,
    ),
    new_simulator=_simulator,
    connector_for=_connector,
    shop_id=SHOP,
    success_reply=WebhookReply(status=200, body="success", content_type="text/plain"),  # platforms.md §7.4
    refusal_status=401,
    replay_window=timedelta(minutes=5),  # [INFERRED] WeChat signs the timestamp but documents no window
    notes=(
        "after-sale statuses come from SRC-3P ERP code: the reference lists none for 小店",
        "order/list/get pages forwards with a cursor (page_backwards False); see the connector docstring",
    ),
)
