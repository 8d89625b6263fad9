"""What the conformance kit needs to know about Pinduoduo 拼多多 (platforms.md §9)."""

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from connectors.pinduoduo.client import decimal_json
from connectors.pinduoduo.connector import PinduoduoConnector
from connectors.pinduoduo.simulator import PinduoduoSimulator
from connectors.pinduoduo.statuses import ORDER_STATUS, REFUND_STATUS
from connectors.sdk.conformance import ConformanceProfile, SampleFacts
from connectors.sdk.contracts import Connector
from connectors.sdk.simulator import PlatformSimulator

SHOP = "7788990"
_SAMPLE = Path(__file__).parents[2] / "events" / "pinduoduo" / "order_information_get_response.json"


def _sample_order() -> Mapping[str, Any]:
    # Parsed the client's way: yuan doubles arrive as exact decimal text, never floats.
    info: dict[str, Any] = decimal_json(_SAMPLE.read_bytes())["order_info_get_response"]["order_info"]
    return info


def _with_status(raw: Mapping[str, Any], status: str) -> Mapping[str, Any]:
    changed = copy.deepcopy(dict(raw))
    changed["order_status"] = int(status)
    return changed


class _KitConnector(PinduoduoConnector):
    page_size: ClassVar[int] = 4  # several pages from a dozen orders
    http_initial_backoff: ClassVar[float] = 0.01
    http_max_jitter: ClassVar[float] = 0.01


def _connector(sim: PlatformSimulator) -> Connector:
    assert isinstance(sim, PinduoduoSimulator)
    return _KitConnector(sim.credentials(), sim.router_url)


PROFILE = ConformanceProfile(
    channel="pinduoduo",
    order_statuses={str(code): status for code, status in ORDER_STATUS.items()},
    documented_order_statuses=frozenset({"1", "2", "3"}),  # 待发货, 已发货待签收, 已签收 (5 is the "all" filter)
    after_sale_statuses={str(code): status for code, status in REFUND_STATUS.items()},
    documented_after_sale_statuses=frozenset({"1", "2", "3", "4"}),  # refund_status (5 is the "all" filter)
    sample_order=_sample_order,
    with_status=_with_status,
    sample=SampleFacts(
        shop_id=SHOP,
        channel_order_id="240301-452750051",
        goods_fen=329800,  # 3199.0 x 1 + gift 49.5 x 2
        paid_fen=300900,  # pay_amount 3009.0
        freight_fen=1000,  # postage 10.0
        created_at=datetime(2024, 3, 1, 1, 15, 30, tzinfo=UTC),  # "2024-03-01 09:15:30" Beijing
        line_count=2,
    ),
    new_simulator=lambda: PinduoduoSimulator(shop_tokens={SHOP: "kit-token"}),
    connector_for=_connector,
    shop_id=SHOP,
    notes=("polling only: the PDD message service is a WebSocket a Lambda cannot hold (platforms.md §9.2)",),
)
