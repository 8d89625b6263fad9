"""What the conformance kit needs to know about Xiaohongshu 小红书 (platforms.md §6)."""

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from connectors.sdk.conformance import ConformanceProfile, SampleFacts
from connectors.sdk.contracts import Connector, WebhookReply
from connectors.sdk.simulator import PlatformSimulator
from connectors.xiaohongshu.connector import REPLAY_WINDOW, SUCCESS_BODY, XiaohongshuConnector
from connectors.xiaohongshu.simulator import XiaohongshuSimulator
from connectors.xiaohongshu.statuses import AFTER_SALE_STATUS, ORDER_STATUS

SHOP = "60a1b2c3d4e5f60718293a4b"
_SAMPLE = Path(__file__).parents[2] / "events" / "xiaohongshu" / "order_detail_response.json"


def _sample_order() -> Mapping[str, Any]:
    detail: dict[str, Any] = json.loads(_SAMPLE.read_text(encoding="utf-8"))["data"]
    return detail


def _with_status(raw: Mapping[str, Any], status: str) -> Mapping[str, Any]:
    changed = copy.deepcopy(dict(raw))
    changed["orderStatus"] = int(status)
    return changed


class _KitConnector(XiaohongshuConnector):
    page_size: ClassVar[int] = 4  # several pages from a dozen orders
    http_initial_backoff: ClassVar[float] = 0.01
    http_max_jitter: ClassVar[float] = 0.01


def _connector(sim: PlatformSimulator) -> Connector:
    assert isinstance(sim, XiaohongshuSimulator)
    return _KitConnector(sim.credentials(), sim.api_url)


PROFILE = ConformanceProfile(
    channel="xiaohongshu",
    order_statuses={str(code): status for code, status in ORDER_STATUS.items()},
    documented_order_statuses=frozenset(str(code) for code in range(1, 11)),  # 1 已下单待付款 … 10 换货申请中
    after_sale_statuses={str(code): status for code, status in AFTER_SALE_STATUS.items()},
    documented_after_sale_statuses=frozenset(str(code) for code in range(1, 8)),  # 1 无售后 … 7 售后取消
    sample_order=_sample_order,
    with_status=_with_status,
    sample=SampleFacts(
        shop_id=SHOP,
        channel_order_id="P768291112062421411",
        goods_fen=329800,  # 319900 x 1 + 4950 x 2 (rawPricePerSku)
        paid_fen=300900,  # totalPayAmount: 299900 + 0 + freight 1000
        freight_fen=1000,  # totalShippingFree
        created_at=datetime(2024, 3, 1, 1, 15, 30, tzinfo=UTC),  # createdTime 1709255730000 ms = 09:15:30 GMT+8
        line_count=2,
    ),
    new_simulator=lambda: XiaohongshuSimulator(shop_tokens={SHOP: "kit-token"}),
    connector_for=_connector,
    shop_id=SHOP,
    success_reply=WebhookReply(status=200, body=SUCCESS_BODY),
    refusal_status=401,
    replay_window=REPLAY_WINDOW,
)
