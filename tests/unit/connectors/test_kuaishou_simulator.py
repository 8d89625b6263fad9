"""The Kuaishou simulator's own behaviour: scenario events, windows and paging rules, delivery idempotency."""

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from connectors.kuaishou.push import open_message
from connectors.kuaishou.signing import param_json, sign
from connectors.kuaishou.simulator import KuaishouSimulator
from connectors.sdk.simulator import LineSpec, OrderSpec, ReceiverSpec, SimRequest

SHOP = "2161524184"


def order_spec(created_at: datetime) -> OrderSpec:
    return OrderSpec(
        shop_id=SHOP,
        buyer_id="ks-buyer-1",
        lines=(LineSpec(sku="DW-X9", quantity=1, unit_price_fen=319900),),
        receiver=ReceiverSpec("王小明", "13912345678", "广东省", "深圳市", "南山区", "科技园路100号"),
        created_at=created_at,
    )


@pytest.fixture
def sim() -> KuaishouSimulator:
    return KuaishouSimulator(app_key="ks-app", app_secret="s", shop_tokens={SHOP: "tok"})


def call(sim: KuaishouSimulator, method: str, params: dict[str, Any], *, post: bool = False) -> dict[str, Any]:
    fields = {
        "appkey": "ks-app",
        "method": method,
        "access_token": "tok",
        "version": "1",
        "timestamp": str(int(time.time() * 1000)),
        "signMethod": "MD5",
        "param": param_json(params),
    }
    fields["sign"] = sign(fields, sim.sign_secret, "MD5")
    path = "/" + method.replace(".", "/")
    if post:
        request = SimRequest("POST", path, {}, {}, urlencode(fields).encode())
    else:
        request = SimRequest("GET", path, fields, {}, b"")
    answer: dict[str, Any] = json.loads(sim.handle(request).body)
    return answer


def events(sim: KuaishouSimulator) -> list[str]:
    return [m["event"] for m in sim.pending_messages()]


def test_scenarios_change_status_and_queue_kuaishou_events(sim: KuaishouSimulator) -> None:
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    order_id = sim.place_order(order_spec(created), paid=False)
    detail = call(sim, "open.order.detail", {"oid": int(order_id)})["data"]
    assert detail["orderBaseInfo"]["updateTime"] == int(created.timestamp() * 1000)  # unpaid: untouched
    sim.pay(order_id)
    sim.request_refund(order_id)
    sim.reject_refund(order_id)
    assert events(sim) == [
        "kwaishop_order_addOrder",
        "kwaishop_order_paySuccess",
        "kwaishop_aftersales_addRefund",
        "kwaishop_aftersales_updateRefund",
    ]
    refund = call(sim, "open.order.detail", {"oid": int(order_id)})["data"]["orderRefundList"][0]
    assert refund["status"] == 12
    sealed = sim.pending_delivery()
    assert open_message(sealed, msg_secret=sim.msg_secret, app_key="ks-app")["event"] == "kwaishop_order_addOrder"


def test_delivery_is_idempotent_for_the_same_express_no_only(sim: KuaishouSimulator) -> None:
    order_id = int(sim.place_order(order_spec(datetime.now(UTC) - timedelta(minutes=1))))
    params = {"orderId": order_id, "expressNo": "SF1", "expressCode": 4}
    assert call(sim, "open.seller.order.goods.deliver", params, post=True)["result"] == 1
    assert call(sim, "open.seller.order.goods.deliver", params, post=True)["result"] == 1
    other = call(sim, "open.seller.order.goods.deliver", {**params, "expressNo": "SF2"}, post=True)
    assert other["result"] != 1 and other["code"] == "ORDER_ALREADY_DELIVERED"
    assert len(sim.shipments()) == 1
    sim.sign_for(str(order_id))
    sim.complete(str(order_id))
    assert sim.order_status(str(order_id)) == 70


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"pageSize": 51}, "PARAM_INVALID"),
        ({"beginTime": 0}, "PARAM_INVALID"),  # older than 90 days and wider than 7
        ({"cursor": "!!not-a-cursor"}, "CURSOR_INVALID"),
    ],
)
def test_cursor_list_enforces_the_platform_rules(sim: KuaishouSimulator, change: dict[str, Any], code: str) -> None:
    now = int(time.time() * 1000)
    params = {"pageSize": 10, "queryType": 2, "beginTime": now - 60_000, "endTime": now, "cursor": "", **change}
    answer = call(sim, "open.order.cursor.list", params)
    assert answer["result"] != 1 and answer["code"] == code


def test_the_last_page_ends_with_nomore(sim: KuaishouSimulator) -> None:
    for minutes in (3, 2):
        sim.place_order(order_spec(datetime.now(UTC) - timedelta(minutes=minutes)))
    now = int(time.time() * 1000) + 1000
    params = {"pageSize": 1, "queryType": 2, "beginTime": now - 600_000, "endTime": now, "cursor": ""}
    first = call(sim, "open.order.cursor.list", params)["data"]
    second = call(sim, "open.order.cursor.list", {**params, "cursor": first["cursor"]})["data"]
    assert first["cursor"] != "nomore" and second["cursor"] == "nomore"
    assert len(first["orderList"]) == len(second["orderList"]) == 1


def test_a_bad_signature_is_refused(sim: KuaishouSimulator) -> None:
    request = SimRequest(
        "GET",
        "/open/order/detail",
        {
            "appkey": "ks-app",
            "method": "open.order.detail",
            "version": "1",
            "timestamp": str(int(time.time() * 1000)),
            "sign": "x",
        },
        {},
        b"",
    )
    assert json.loads(sim.handle(request).body)["code"] == "SIGN_INVALID"
