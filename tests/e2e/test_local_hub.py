"""The local hub over HTTP, as a platform, a warehouse and an operator see it."""

import time
from datetime import timedelta

import httpx
import pytest

from localhub.demo import Platform
from localhub.scenario import build_plan
from schemas.timeutil import utc_now

pytestmark = pytest.mark.xdist_group("localhub")


def _wait_state(hub_url: str, key: str, wanted: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        response = httpx.get(f"{hub_url}/orders/{key}")
        if response.status_code == 200:
            body = response.json()
            if body["hub_state"] == wanted:
                return body
        time.sleep(0.2)
    raise AssertionError(f"{key} did not reach {wanted}: {body.get('hub_state')}")


def _spec(platform: Platform, index: int, channel: str = "douyin"):
    # Created within the last hour whatever the time of day (a day-long plan would put some orders in the future).
    plan = build_plan(6, seed=100 + index, day=utc_now() - timedelta(hours=1), shops=platform.shops, spread_seconds=600)
    return next(o.spec for o in plan.orders if o.channel == channel)


def _push(platform: Platform, channel: str, order_id: str, *, forge: bool = False) -> int:
    """What the platform does: POST its signed push about the order to the hub's webhook."""
    request = platform.simulators[channel].push_request(order_id, forge=forge)
    response = httpx.post(f"{platform.hub.url}/webhooks/{channel}", headers=dict(request.headers), content=request.body)
    return response.status_code


def test_a_douyin_push_travels_to_a_written_back_shipment(platform: Platform) -> None:
    # Given a paid order on Douyin and its signed push
    douyin = platform.simulators["douyin"]
    order_id = douyin.place_order(_spec(platform, 1), paid=True)
    key = f"douyin:{platform.shops['douyin']}:{order_id}"
    # When Douyin delivers the push to the hub's webhook over HTTP
    assert _push(platform, "douyin", order_id) == 200
    # Then the order is audited, reserved, shipped by the warehouse and written back to Douyin
    order = _wait_state(platform.hub.url, key, "DONE")
    states = [entry["state"] for entry in order["history"]]
    assert states[0] == "PAID" and "RESERVED" in states and states[-1] == "DONE"
    assert order["audit"]["outcome"] == "PASS"
    assert any(s["order_id"] == order_id for s in douyin.shipments())
    # And the stock API shows the shipped units gone from on-hand at the node that shipped them
    line = order["order"]["lines"][0]
    stock = httpx.get(f"{platform.hub.url}/stock/{line['merchant_sku']}").json()
    assert sum(node["on_hand"] for node in stock["nodes"]) <= len(stock["nodes"]) * 400 - line["quantity"]
    assert all(node["available"] == node["on_hand"] - node["reserved"] for node in stock["nodes"])


def test_a_tmall_order_is_polled_and_fulfilled(platform: Platform) -> None:
    tmall = platform.simulators["tmall"]
    order_id = tmall.place_order(_spec(platform, 2, "tmall"), paid=True)
    key = f"tmall:{platform.shops['tmall']}:{order_id}"
    # When the scheduled poller runs
    platform.hub.fire_schedules()
    # Then the order reaches DONE and the shipment is sent back with offline.send
    _wait_state(platform.hub.url, key, "DONE")
    assert any(s["order_id"] == order_id for s in tmall.shipments())


def test_a_forged_push_is_refused_and_records_nothing(platform: Platform) -> None:
    douyin = platform.simulators["douyin"]
    order_id = douyin.place_order(_spec(platform, 3), paid=True)
    assert _push(platform, "douyin", order_id, forge=True) == 401
    response = httpx.get(f"{platform.hub.url}/orders/douyin:{platform.shops['douyin']}:{order_id}")
    assert response.status_code == 404


def test_unknown_channel_and_oversized_bodies_get_clear_errors(platform: Platform) -> None:
    unknown = httpx.post(f"{platform.hub.url}/webhooks/nosuchmall", content=b"[]")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "UNKNOWN_CHANNEL"
    huge = httpx.post(f"{platform.hub.url}/webhooks/douyin", content=b"[" + b" " * (1024 * 1024 + 10) + b"]")
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    malformed = httpx.post(f"{platform.hub.url}/orders/no-such-order")
    assert malformed.status_code == 404
