"""Merged shipments in the real workflow: a receiver's second order joins the first one's open fulfilment at
the same node, ships once with it, and each order is written back to its own channel order."""

import json
from datetime import timedelta

from functions.ops_api.handler import lambda_handler as ops_api
from hubcore.adapters.inventory import InventoryTable, ReservationStatus
from hubcore.adapters.orders_table import FulfilmentStore
from schemas.order import OrderLine, OrderStatus
from tests.unit.core.factories import make_order
from tests.workflows.harness import FakeContext, api_event, wait_execution, wait_for


def stock(sku: str, node_id: str) -> tuple[int, int, int]:
    level = next(s for s in InventoryTable().stock(sku) if s.node_id == node_id)
    return level.on_hand, level.reserved, level.available


def receivers_order(order_id: str, merge_key: str = "receiver-key-1", **overrides):
    """An air conditioner to the same receiver (the shop's merge key)."""
    return make_order(order_id=order_id, merge_key=merge_key, **overrides)


def kettle_order(order_id: str, merge_key: str = "receiver-key-1", **overrides):
    """The receiver's next order: a kettle (the same SKUs again would be held by the duplicate-order audit)."""
    line = OrderLine(line_id=f"{order_id}-1", merchant_sku="KT-17L", quantity=1, unit_price=19900, paid_amount=19900)
    fields = {"lines": [line], "goods_amount": 19900, "discount_amount": 0, "paid_amount": 19900, **overrides}
    return make_order(order_id=order_id, merge_key=merge_key, **fields)


def seed_kettles(workflow) -> None:
    workflow.aws.seed_stock([("KT-17L", "WH-HZ", 10)], nodes=())


def requested(workflow, order) -> list[dict]:
    """The order's FulfilmentRequested events, once every parcel's was published (the last thing the step does:
    the order shows FULFILMENT_REQUESTED before its fulfilments are opened or joined)."""

    def published() -> list[dict]:
        stored = workflow.aws.stored(order.order_key)
        count = len(json.loads(stored.attributes.get("parcels", "[]")))
        mine = [
            e for e in workflow.aws.events("FulfilmentRequested") if e["detail"]["data"]["order_key"] == order.order_key
        ]
        return mine if count and len(mine) == count else []

    events: list[dict] = wait_for(published)
    return events


def fulfilment_of(workflow, order) -> str:
    [event] = requested(workflow, order)
    return str(event["detail"]["data"]["fulfilment_id"])


def test_two_orders_of_one_receiver_ship_once_and_both_end_done(workflow):
    seed_kettles(workflow)
    first, second = receivers_order("6001"), kettle_order("6002")
    workflow.deliver(first)
    workflow.wait_state(first, "FULFILMENT_REQUESTED")
    shared = fulfilment_of(workflow, first)  # opened, not shipped: the warehouse has not confirmed it

    workflow.deliver(second)
    workflow.wait_state(second, "FULFILMENT_REQUESTED")

    assert fulfilment_of(workflow, second) == shared
    found = FulfilmentStore().fulfilment(shared)
    assert found is not None and found.order_keys == (first.order_key, second.order_key)
    assert "same platform merge key" in found.merges[second.order_key]
    assert stock("AC-1P-INV", "WH-HZ") == (3, 1, 2)  # each order holds its own reservation
    assert stock("KT-17L", "WH-HZ") == (10, 1, 9)

    # one confirmation resumes both workflows
    response = workflow.ship(shared, "SF0000006001")
    assert response["statusCode"] == 200
    assert sorted(json.loads(response["body"])["resumed"]) == [first.order_key, second.order_key]
    for order in (first, second):
        assert wait_execution(workflow.execution_arn(order))["status"] == "SUCCEEDED"
        assert workflow.hub_state(order) == "DONE"
        reservation = InventoryTable().reservation(order.order_key)
        assert reservation is not None and reservation.status == ReservationStatus.COMMITTED
    assert stock("AC-1P-INV", "WH-HZ") == (2, 0, 2)
    assert stock("KT-17L", "WH-HZ") == (9, 0, 9)
    # each order written back to its own channel order, with the shared tracking number
    assert sorted((key, s.tracking_no) for key, s in workflow.connector.calls) == [
        (first.order_key, "SF0000006001"),
        (second.order_key, "SF0000006001"),
    ]
    # the merge is in both orders' history and in the decision view
    for order in (first, second):
        assert "MERGED" in [h["state"] for h in FulfilmentStore().history(order.order_key)]
    path = f"/orders/{second.order_key}/decision"
    event = api_event("GET", "/orders/{order_key}/decision", path, {"order_key": second.order_key})
    body = json.loads(ops_api(event, FakeContext())["body"])
    [view] = body["fulfilments"]
    assert view["merged"] is True and view["order_keys"] == [first.order_key, second.order_key]
    assert f"together with {first.order_key}" in body["explanation"]


def test_an_order_never_joins_a_fulfilment_that_already_shipped(workflow):
    seed_kettles(workflow)
    first, second = receivers_order("6003"), kettle_order("6004")
    workflow.deliver(first)
    workflow.wait_state(first, "FULFILMENT_REQUESTED")
    shipped = fulfilment_of(workflow, first)
    workflow.ship(shipped, "SF0000006003")
    workflow.wait_state(first, "DONE")

    workflow.deliver(second)
    workflow.wait_state(second, "FULFILMENT_REQUESTED")

    own = fulfilment_of(workflow, second)
    assert own != shipped
    found = FulfilmentStore().fulfilment(shipped)
    assert found is not None and found.order_keys == (first.order_key,)


def test_orders_outside_the_merge_window_or_of_another_receiver_ship_apart(workflow):
    seed_kettles(workflow)
    first = receivers_order("6005")
    late = kettle_order("6006", updated_at=first.updated_at + timedelta(minutes=45))  # window: 30 min
    stranger = kettle_order("6007", merge_key="receiver-key-2", buyer_id="buyer-open-id-2")
    workflow.deliver(first)
    workflow.wait_state(first, "FULFILMENT_REQUESTED")
    fulfilment_of(workflow, first)

    for order in (late, stranger):
        workflow.deliver(order)
        workflow.wait_state(order, "FULFILMENT_REQUESTED")

    ids = {fulfilment_of(workflow, order) for order in (first, late, stranger)}
    assert len(ids) == 3


def test_a_cancelled_order_leaves_the_merged_fulfilment_which_ships_for_the_other(workflow):
    seed_kettles(workflow)
    first, second = receivers_order("6008"), kettle_order("6009")
    workflow.deliver(first)
    workflow.wait_state(first, "FULFILMENT_REQUESTED")
    shared = fulfilment_of(workflow, first)
    workflow.deliver(second)
    workflow.wait_state(second, "FULFILMENT_REQUESTED")
    assert fulfilment_of(workflow, second) == shared

    cancelled = kettle_order("6009", status=OrderStatus.CANCELLED, updated_at=second.updated_at.replace(hour=5))
    workflow.deliver(cancelled, previous=second)
    assert wait_execution(workflow.execution_arn(second))["status"] == "SUCCEEDED"
    assert workflow.hub_state(second) == "CANCELLED"
    found = FulfilmentStore().fulfilment(shared)
    assert found is not None and found.order_keys == (first.order_key,)

    assert workflow.ship(shared, "SF0000006008")["statusCode"] == 200
    assert wait_execution(workflow.execution_arn(first))["status"] == "SUCCEEDED"
    assert workflow.hub_state(first) == "DONE"
    assert [key for key, _ in workflow.connector.calls] == [first.order_key]
    assert stock("AC-1P-INV", "WH-HZ") == (2, 0, 2)
    assert stock("KT-17L", "WH-HZ") == (10, 0, 10)  # the cancelled order's kettle went back


def test_the_join_is_conditional_on_the_fulfilment_still_being_open(hub_aws):
    store = FulfilmentStore()
    opened = store.open_fulfilment("F-OPEN", "shop:1:a", "WH-HZ", merge_group="MG-1")
    assert store.open_in_group("MG-1", "WH-HZ") == ["F-OPEN"]

    # another node or another group never joins
    assert not store.join_fulfilment("F-OPEN", "shop:1:b", node_id="WH-GZ", merge_group="MG-1", why="test")
    assert not store.join_fulfilment("F-OPEN", "shop:1:b", node_id="WH-HZ", merge_group="MG-2", why="test")
    assert store.join_fulfilment("F-OPEN", "shop:1:b", node_id="WH-HZ", merge_group="MG-1", why="same receiver")

    assert store.ship_fulfilment(opened, {"tracking_no": "SF1"})
    assert not store.ship_fulfilment(opened, {"tracking_no": "SF2"})  # shipped once
    assert not store.join_fulfilment("F-OPEN", "shop:1:c", node_id="WH-HZ", merge_group="MG-1", why="too late")
    assert not store.leave_fulfilment("F-OPEN", "shop:1:b")  # nobody leaves a shipped one either
    shipped = store.fulfilment("F-OPEN")
    assert shipped is not None and shipped.order_keys == ("shop:1:a", "shop:1:b")
    assert shipped.shipment == {"tracking_no": "SF1"} and shipped.merges == {"shop:1:b": "same receiver"}
    assert store.open_in_group("MG-1", "WH-HZ") == []  # no longer offered for merging
