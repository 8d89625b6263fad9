"""What the conformance kit needs to know about Kuaishou 快手小店 (platforms.md §5, §11, §12)."""

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.kuaishou.connector import KuaishouConnector
from connectors.kuaishou.push import REPLAY_WINDOW
from connectors.kuaishou.simulator import KuaishouSimulator
from connectors.kuaishou.statuses import ORDER_STATUS, REFUND_STATUS
from connectors.sdk.conformance import ConformanceProfile, SampleFacts
from connectors.sdk.contracts import Connector, WebhookReply
from connectors.sdk.http import PlatformHttp
from connectors.sdk.simulator import PlatformSimulator

SHOP = "2161524184"  # a seller's Kuaishou user id (the `userId` of its pushes)
_SAMPLE = Path(__file__).parents[2] / "events" / "kuaishou" / "order_detail_response.json"


def _sample_order() -> Mapping[str, Any]:
    data: dict[str, Any] = json.loads(_SAMPLE.read_text(encoding="utf-8"))["data"]
    return data


def _with_status(raw: Mapping[str, Any], status: str) -> Mapping[str, Any]:
    changed = copy.deepcopy(dict(raw))
    changed["orderBaseInfo"]["status"] = int(status)
    return changed


def _simulator() -> KuaishouSimulator:
    return KuaishouSimulator(app_key="ks699183844582124027", app_secret="kit-app-secret", shop_tokens={SHOP: "kit-tok"})


def _connector(sim: PlatformSimulator) -> Connector:
    http = PlatformHttp(sim.base_url, initial_backoff=0.01, max_jitter=0.01)
    write_http = PlatformHttp(sim.base_url, max_attempts=1)
    return KuaishouConnector(sim.credentials(), sim.base_url, http=http, write_http=write_http, page_size=3)


PROFILE = ConformanceProfile(
    channel="kuaishou",
    order_statuses={str(code): status for code, status in ORDER_STATUS.items()},
    # §5.4 lists 0 未知 too: it is the platform saying the status is unknown, so it is refused (OrderInvalid)
    # like any unknown code rather than mapped to a guess — see `notes`.
    documented_order_statuses=frozenset({"10", "30", "40", "50", "70", "80"}),
    after_sale_statuses={str(code): status for code, status in REFUND_STATUS.items()},
    documented_after_sale_statuses=frozenset({"10", "12", "20", "30", "40", "45", "50", "60", "70"}),
    sample_order=_sample_order,
    with_status=_with_status,
    sample=SampleFacts(
        shop_id=SHOP,
        channel_order_id="2607602240240301",
        goods_fen=7797,  # originalPrice 25.99 × 3, integer fen as Kuaishou sends it
        paid_fen=6497,  # totalFee: 19.99 × 3 − 3.00 item discount + 8.00 freight
        freight_fen=800,
        created_at=datetime(2026, 3, 17, 12, 35, 42, 425000, tzinfo=UTC),  # 1773750942425 ms = 20:35:42.425 Shanghai
        line_count=1,  # a Kuaishou order is one SKU
    ),
    new_simulator=_simulator,
    connector_for=_connector,
    shop_id=SHOP,
    # [NOT FOUND] in the reference ("commonly {"result":1} + HTTP 200 — INFERRED"): the API envelope's success.
    success_reply=WebhookReply(status=200, body='{"result":1}'),
    refusal_status=401,
    replay_window=REPLAY_WINDOW,  # the decrypted message's createTime/updateTime (ms) is checked
    notes=(
        "Pushes carry no signature: 'forged' is a body sealed with another AES key; 'missing' is an empty body.",
        "Order status 0 (未知) is documented but refused as OrderInvalid instead of being mapped to a guess.",
        "Refund statuses come from the SDK mirrors of open.seller.order.refund.pcursor.list (not platforms.md).",
        "The simulator serves multi-line specs as a list in orderItemInfo; real Kuaishou orders are one SKU.",
    ),
)
