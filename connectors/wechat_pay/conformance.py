"""What the conformance kit needs to know about WeChat Pay mini-program orders (platforms.md §8)."""

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
from connectors.wechat_pay.connector import WechatPayConnector
from connectors.wechat_pay.simulator import DEFAULT_APPID, WechatPaySimulator
from connectors.wechat_pay.statuses import REFUND_STATUS, TRADE_STATE

SHOP = DEFAULT_APPID
_SAMPLE = Path(__file__).parents[2] / "events" / "wechat_pay" / "sample_order.json"


def sample_order() -> Mapping[str, Any]:
    raw: dict[str, Any] = json.loads(_SAMPLE.read_text(encoding="utf-8"))
    return raw


def _with_status(raw: Mapping[str, Any], status: str) -> Mapping[str, Any]:
    changed = copy.deepcopy(dict(raw))
    changed["transaction"]["trade_state"] = status
    return changed


def _simulator() -> WechatPaySimulator:
    return WechatPaySimulator(shop_tokens={SHOP: "kit-brand-token"})


def _connector(sim: PlatformSimulator) -> Connector:
    def fast() -> PlatformHttp:
        return PlatformHttp(sim.base_url, initial_backoff=0.01, max_jitter=0.01)

    return WechatPayConnector(sim.credentials(), sim.base_url, http=fast(), brand_http=fast())


PROFILE = ConformanceProfile(
    channel="wechat_pay",
    order_statuses=dict(TRADE_STATE),
    documented_order_statuses=frozenset({"SUCCESS", "REFUND", "NOTPAY", "CLOSED", "REVOKED", "USERPAYING", "PAYERROR"}),
    after_sale_statuses=dict(REFUND_STATUS),
    documented_after_sale_statuses=frozenset({"SUCCESS", "CLOSED", "ABNORMAL", "PROCESSING"}),
    sample_order=sample_order,
    with_status=_with_status,
    sample=SampleFacts(
        shop_id=SHOP,
        channel_order_id="MP2024060100000001",
        goods_fen=325897,  # 3199.00 × 1 + 19.99 × 3 from the brand's order lines
        paid_fen=307097,  # amount.total of the transaction = the brand order's total_fen
        freight_fen=1200,
        created_at=datetime(2024, 6, 1, 3, 50, tzinfo=UTC),  # 2024-06-01T11:50:00+08:00
        line_count=2,
    ),
    new_simulator=_simulator,
    connector_for=_connector,
    shop_id=SHOP,
    success_reply=WebhookReply(status=204, body="", content_type="text/plain"),  # §8.1: 200/204, no body
    refusal_status=401,  # any 4XX/5XX makes WeChat Pay retry; the error's own status is kept
    replay_window=timedelta(minutes=5),  # §8.1: |now − Wechatpay-Timestamp| ≥ 300 s is refused
    notes=(
        "not polled: WeChat Pay pushes; its query API needs merchant-key signing and is not wired",
        "the simulator pushes NOTPAY/CLOSED transactions (query-shaped) so the kit can drive unpaid orders",
    ),
)
