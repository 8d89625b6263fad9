"""What the conformance kit needs to know about Douyin 抖店 (platforms.md §4)."""

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.douyin.connector import DouyinConnector
from connectors.douyin.simulator import DouyinSimulator
from connectors.douyin.statuses import AFTER_SALE_STATUS, ORDER_STATUS
from connectors.sdk.conformance import ConformanceProfile, SampleFacts
from connectors.sdk.contracts import Connector, WebhookReply
from connectors.sdk.http import PlatformHttp
from connectors.sdk.simulator import PlatformSimulator

SHOP = "123456"
_SAMPLE = Path(__file__).parents[2] / "events" / "douyin" / "order_detail_response.json"


def _sample_order() -> Mapping[str, Any]:
    detail: dict[str, Any] = json.loads(_SAMPLE.read_text(encoding="utf-8"))["data"]["shop_order_detail"]
    return detail


def _with_status(raw: Mapping[str, Any], status: str) -> Mapping[str, Any]:
    changed = copy.deepcopy(dict(raw))
    code = int(status)
    changed["order_status"] = changed["main_status"] = code
    for line in changed["sku_order_list"]:
        line["order_status"] = code
    return changed


def _simulator() -> DouyinSimulator:
    return DouyinSimulator(app_key="7000000000000000000", app_secret="kit-douyin-secret", shop_tokens={SHOP: "kit-tok"})


def _connector(sim: PlatformSimulator) -> Connector:
    http = PlatformHttp(sim.base_url, initial_backoff=0.01, max_jitter=0.01)
    return DouyinConnector(sim.credentials(), sim.base_url, http=http)


PROFILE = ConformanceProfile(
    channel="douyin",
    order_statuses={str(code): status for code, status in ORDER_STATUS.items()},
    documented_order_statuses=frozenset({"1", "105", "2", "101", "3", "4", "5"}),
    after_sale_statuses={str(code): status for code, status in AFTER_SALE_STATUS.items()},
    documented_after_sale_statuses=frozenset({"0", "6", "7", "8", "11", "12", "13", "14", "27", "28", "29"}),
    sample_order=_sample_order,
    with_status=_with_status,
    sample=SampleFacts(
        shop_id=SHOP,
        channel_order_id="4900000000000000001",
        goods_fen=329800,  # 3199.00 + 99.00 list, fen ints as Douyin sends them
        paid_fen=299900,
        freight_fen=0,
        created_at=datetime(2024, 1, 1, 3, 50, tzinfo=UTC),  # create_time 1704081000 = 11:50 in Shanghai
        line_count=2,
    ),
    new_simulator=_simulator,
    connector_for=_connector,
    shop_id=SHOP,
    success_reply=WebhookReply(status=200, body='{"code":0,"msg":"success"}'),  # platforms.md §4.3
    refusal_status=401,
    replay_window=None,  # Douyin's event-sign covers no timestamp; replays are deduplicated by order version
)
