"""The Douyin simulator's scenario behaviour: state changes, pushes, stale reads, opaque receiver data."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from connectors.douyin.connector import parse_delivery
from connectors.douyin.normalise import search_index
from connectors.douyin.simulator import DouyinSimulator
from connectors.sdk.simulator import LineSpec, OrderSpec, ReceiverSpec, SimRequest

SHOP = "DY-SHOP-88"
RECEIVER = ReceiverSpec("王小明", "13912345678", "广东省", "深圳市", "南山区", "科技园路100号")


def order_spec() -> OrderSpec:
    return OrderSpec(
        shop_id=SHOP,
        buyer_id="dy-buyer-0001",
        lines=(LineSpec(sku="DW-X9-13", quantity=2, unit_price_fen=100000, paid_fen=180000),),
        receiver=RECEIVER,
        created_at=datetime.now(UTC) - timedelta(minutes=5),
        freight_fen=1000,
    )


@pytest.fixture
def sim() -> Iterator[DouyinSimulator]:
    # Not started: scenario methods and `handle` work without the HTTP server.
    yield DouyinSimulator(app_key="7000000000000000000", app_secret="s", shop_tokens={SHOP: "tok"})


def tags(sim: DouyinSimulator) -> list[str]:
    return [m["tag"] for m in sim.pending_messages()]


def detail(sim: DouyinSimulator, order_id: str) -> dict[str, object]:
    return sim._order_detail(SHOP, {"shop_order_id": order_id})["shop_order_detail"]


def test_scenario_methods_change_status_and_queue_the_right_tags(sim: DouyinSimulator) -> None:
    order_id = sim.place_order(order_spec(), paid=False)
    assert (sim.order_status(order_id), tags(sim)) == (1, ["100"])
    sim.pay(order_id)
    assert (sim.order_status(order_id), tags(sim)) == (2, ["100", "101"])
    sim.request_refund(order_id)
    assert tags(sim)[-1] == "200"
    sim.cancel(order_id)
    assert (sim.order_status(order_id), tags(sim)[-1]) == (4, "106")
    # And every change moved update_time forward
    times = [s["update_time"] for s in sim._orders[order_id].snapshots]
    assert times == sorted(times) and len(set(times)) == len(times)


def test_amounts_are_fen_integers_and_times_unix_seconds(sim: DouyinSimulator) -> None:
    order_id = sim.place_order(order_spec())
    shown = detail(sim, order_id)
    assert (shown["pay_amount"], shown["post_amount"], shown["promotion_amount"]) == (181000, 1000, 20000)
    assert isinstance(shown["create_time"], int) and shown["pay_time"] >= shown["create_time"]  # type: ignore[operator]


def test_receiver_is_opaque_with_a_stable_search_index(sim: DouyinSimulator) -> None:
    first, second = sim.place_order(order_spec()), sim.place_order(order_spec())
    a, b = detail(sim, first), detail(sim, second)
    text = json.dumps([a, b], ensure_ascii=False)
    for plaintext in (RECEIVER.name, RECEIVER.phone, RECEIVER.detail):
        assert plaintext not in text
    # The ciphertexts differ per order, their search index does not
    assert a["encrypt_post_tel"] != b["encrypt_post_tel"]
    assert search_index(a["encrypt_post_tel"]) == search_index(b["encrypt_post_tel"]) is not None  # type: ignore[arg-type]
    assert a["mask_post_tel"] == "139****5678"


def test_serve_stale_once_answers_the_previous_snapshot_once(sim: DouyinSimulator) -> None:
    order_id = sim.place_order(order_spec(), paid=False)
    sim.pay(order_id)
    sim.serve_stale_once(order_id)
    assert detail(sim, order_id)["order_status"] == 1
    assert detail(sim, order_id)["order_status"] == 2


def test_replay_last_message_requeues_the_same_message(sim: DouyinSimulator) -> None:
    order_id = sim.place_order(order_spec())
    last = sim.pending_messages()[-1]
    sim.discard_pending()
    sim.replay_last_message(order_id)
    assert sim.pending_messages() == [last]
    assert [n.channel_order_id for n in parse_delivery(sim.pending_delivery())] == [order_id]


def test_a_request_with_a_wrong_signature_gets_a_douyin_error_envelope(sim: DouyinSimulator) -> None:
    query = {
        "method": "order.orderDetail",
        "app_key": "7000000000000000000",
        "v": "2",
        "timestamp": str(int(datetime.now(UTC).timestamp())),
        "sign_method": "hmac-sha256",
        "sign": "0" * 64,
        "access_token": "tok",
    }
    request = SimRequest(method="POST", path="/order/orderDetail", query=query, headers={}, body=b"{}")
    answer = json.loads(sim.handle(request).body)
    assert answer["code"] == 40004 and answer["sub_code"] == "isv.sign-check-failure"


def test_deliver_pending_without_a_target_is_an_error(sim: DouyinSimulator) -> None:
    sim.place_order(order_spec())
    with pytest.raises(RuntimeError):
        sim.deliver_pending()
