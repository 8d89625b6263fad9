"""The routing engine inside the real workflow: split reservations and shipments, the stored decision, till
sales and pickups (the ASL executed by moto, each step the real handler)."""

import json

from connectors.douyin.connector import PartialShipmentUnsupported
from functions.ops_api.handler import lambda_handler as ops_api
from hubcore.adapters.inventory import InventoryTable, ReservationStatus
from hubcore.adapters.orders_table import FULFILMENT_CANCELLED, FulfilmentStore
from schemas.order import FulfilmentMode, OrderLine, OrderStatus
from tests.unit.core.factories import make_order
from tests.workflows.harness import (
    FakeContext,
    RecordingConnector,
    api_event,
    entered_states,
    wait_execution,
    wait_for,
)

VACUUM_AT_WUHAN = [("VC-CORDLESS", "WH-WH", 5)]  # the air conditioner is at WH-HZ only (conftest STOCK)


def stock(sku: str, node_id: str) -> tuple[int, int, int]:
    level = next(s for s in InventoryTable().stock(sku) if s.node_id == node_id)
    return level.on_hand, level.reserved, level.available


def split_order(order_id: str, **overrides):
    lines = [
        OrderLine(line_id=f"{order_id}-1", merchant_sku="AC-1P-INV", quantity=1, unit_price=399900, paid_amount=369900),
        OrderLine(
            line_id=f"{order_id}-2", merchant_sku="VC-CORDLESS", quantity=1, unit_price=199900, paid_amount=199900
        ),
    ]
    fields = {"goods_amount": 599800, "discount_amount": 30000, "paid_amount": 569800, **overrides}
    return make_order(order_id=order_id, lines=lines, **fields)


def decision(order_key: str) -> tuple[int, dict]:
    path = f"/orders/{order_key}/decision"
    response = ops_api(api_event("GET", "/orders/{order_key}/decision", path, {"order_key": order_key}), FakeContext())
    return response["statusCode"], json.loads(response["body"])


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


def parcels(workflow, order) -> list[dict]:
    return json.loads(workflow.aws.stored(order.order_key).attributes["parcels"])


def test_an_order_no_single_node_can_ship_splits_into_two_parcels_and_ends_done(workflow):
    workflow.aws.seed_stock(VACUUM_AT_WUHAN, nodes=())
    order = split_order("5001")

    workflow.deliver(order)
    workflow.wait_state(order, "FULFILMENT_REQUESTED")
    events = requested(workflow, order)

    # one reservation over both nodes, one fulfilment per parcel
    assert stock("AC-1P-INV", "WH-HZ") == (3, 1, 2)
    assert stock("VC-CORDLESS", "WH-WH") == (5, 1, 4)
    reservation = InventoryTable().reservation(order.order_key)
    assert reservation is not None and set(reservation.node_ids) == {"WH-HZ", "WH-WH"}
    first, second = parcels(workflow, order)
    assert (first["node_id"], [x["sku"] for x in first["lines"]]) == ("WH-HZ", ["AC-1P-INV"])
    assert (second["node_id"], [x["sku"] for x in second["lines"]]) == ("WH-WH", ["VC-CORDLESS"])
    assert first["fulfilment_id"] != second["fulfilment_id"]
    assert sorted((e["detail"]["data"]["node_id"], e["detail"]["data"]["parcel"]) for e in events) == [
        ("WH-HZ", 1),
        ("WH-WH", 2),
    ]
    assert {e["detail"]["data"]["parcels"] for e in events} == {2}

    # the first parcel alone does not resume the workflow
    assert workflow.ship(first["fulfilment_id"], "SF0000000001")["statusCode"] == 200
    assert workflow.hub_state(order) == "FULFILMENT_REQUESTED"
    assert entered_states(workflow.execution_arn(order))[-1] == "RequestFulfilment"

    # the second one does: every parcel committed, each written back with its own lines and tracking number
    assert workflow.ship(second["fulfilment_id"], "ZTO0000000002", carrier="ZTO")["statusCode"] == 200
    result = wait_execution(workflow.execution_arn(order))
    assert result["status"] == "SUCCEEDED"
    assert workflow.hub_state(order) == "DONE"
    assert stock("AC-1P-INV", "WH-HZ") == (2, 0, 2)
    assert stock("VC-CORDLESS", "WH-WH") == (4, 0, 4)
    reservation = InventoryTable().reservation(order.order_key)
    assert reservation is not None and reservation.status == ReservationStatus.COMMITTED
    written = sorted((s.tracking_no, tuple(s.line_ids)) for _, s in workflow.connector.calls)
    assert written == [("SF0000000001", ("5001-1",)), ("ZTO0000000002", ("5001-2",))]
    assert len(workflow.aws.events("ShipmentConfirmed")) == 2
    history = [h["state"] for h in FulfilmentStore().history(order.order_key)]
    assert history.count("PARCEL_SHIPPED") == 2


def test_a_channel_that_refuses_partial_write_back_gets_the_whole_order_once(workflow, monkeypatch):
    class WholeOrdersOnly(RecordingConnector):
        def confirm_shipment(self, order, shipment):
            if set(shipment.line_ids) != {line.line_id for line in order.lines}:
                raise PartialShipmentUnsupported("partial shipment write-back is not supported")
            super().confirm_shipment(order, shipment)

    connector = WholeOrdersOnly()
    monkeypatch.setattr("connectors.sdk.runtime.load_connector", connector.loader())
    workflow.aws.seed_stock(VACUUM_AT_WUHAN, nodes=())
    order = split_order("5002")
    workflow.deliver(order)
    workflow.wait_state(order, "FULFILMENT_REQUESTED")
    requested(workflow, order)
    first, second = parcels(workflow, order)

    workflow.ship(first["fulfilment_id"], "SF0000000011")
    workflow.ship(second["fulfilment_id"], "ZTO0000000012", carrier="ZTO")
    result = wait_execution(workflow.execution_arn(order))

    assert result["status"] == "SUCCEEDED" and workflow.hub_state(order) == "DONE"
    [(key, shipment)] = connector.calls
    assert (key, shipment.tracking_no, sorted(shipment.line_ids)) == (
        order.order_key,
        "SF0000000011",
        ["5002-1", "5002-2"],
    )


def test_cancelling_a_split_order_releases_both_nodes_and_closes_its_fulfilments(workflow):
    workflow.aws.seed_stock(VACUUM_AT_WUHAN, nodes=())
    order = split_order("5003")
    workflow.deliver(order)
    workflow.wait_state(order, "FULFILMENT_REQUESTED")
    requested(workflow, order)
    assert stock("VC-CORDLESS", "WH-WH") == (5, 1, 4)

    cancelled = split_order("5003", status=OrderStatus.CANCELLED, updated_at=order.updated_at.replace(hour=5))
    workflow.deliver(cancelled, previous=order)
    result = wait_execution(workflow.execution_arn(order))

    assert result["status"] == "SUCCEEDED" and workflow.hub_state(order) == "CANCELLED"
    assert stock("AC-1P-INV", "WH-HZ") == (3, 0, 3)
    assert stock("VC-CORDLESS", "WH-WH") == (5, 0, 5)
    reservation = InventoryTable().reservation(order.order_key)
    assert reservation is not None and reservation.status == ReservationStatus.RELEASED
    for parcel in parcels(workflow, order):
        found = FulfilmentStore().fulfilment(parcel["fulfilment_id"])
        assert found is not None and found.status == FULFILMENT_CANCELLED
        assert workflow.ship(parcel["fulfilment_id"])["statusCode"] == 409  # a late confirmation is refused


def test_the_decision_is_stored_and_explains_the_chosen_nodes(workflow):
    workflow.aws.seed_stock(VACUUM_AT_WUHAN, nodes=())
    single, split = make_order(order_id="5004"), split_order("5005")
    workflow.deliver(single)
    workflow.wait_state(single, "FULFILMENT_REQUESTED")
    requested(workflow, single)
    workflow.deliver(split)  # after the first: both take an air conditioner from WH-HZ
    workflow.wait_state(split, "FULFILMENT_REQUESTED")
    requested(workflow, split)

    status, body = decision(single.order_key)
    assert status == 200
    assert body["outcome"] == "ROUTED" and body["policy_checksum"] and body["network_checksum"]
    assert [p["node_id"] for p in body["decision"]["chosen"]["parcels"]] == ["WH-HZ"]
    assert "ships in one parcel from WH-HZ" in body["explanation"]
    assert body["decision"]["stock_seen"]["AC-1P-INV"]["WH-HZ"] == 3  # the snapshot it decided on

    status, body = decision(split.order_key)
    assert status == 200 and body["outcome"] == "SPLIT"
    assert [p["node_id"] for p in body["decision"]["chosen"]["parcels"]] == ["WH-HZ", "WH-WH"]
    assert "split into 2 parcels" in body["explanation"] and "WH-WH" in body["explanation"]
    assert [f["node_id"] for f in body["fulfilments"]] == ["WH-HZ", "WH-WH"]
    assert "#cipher" not in json.dumps(body, ensure_ascii=False)


def test_an_unroutable_order_is_backordered_with_its_decision_readable(workflow):
    line = OrderLine(line_id="l1", merchant_sku="FR-500L-FD", quantity=1, unit_price=100, paid_amount=100)
    order = make_order(order_id="5006", lines=[line], goods_amount=100, paid_amount=100, discount_amount=0)

    workflow.deliver(order)
    result = wait_execution(workflow.execution_arn(order))

    assert result["status"] == "SUCCEEDED" and workflow.hub_state(order) == "BACKORDERED"
    assert InventoryTable().reservation(order.order_key) is None
    status, body = decision(order.order_key)
    assert status == 200 and body["outcome"] == "UNROUTABLE" and body["decision"]["chosen"] is None
    assert "no plan passes the filters" in body["explanation"]
    [failed] = workflow.aws.events("ReservationFailed")
    assert failed["detail"]["data"]["shortages"] == [{"sku": "FR-500L-FD", "requested": 1, "available": 0}]


def test_a_till_sale_takes_the_units_off_the_store_and_ends_done_without_shipping(workflow):
    workflow.aws.seed_stock([("KT-17L", "ST-SH-01", 4)], nodes=())
    line = OrderLine(line_id="l1", merchant_sku="KT-17L", quantity=2, unit_price=100, paid_amount=200)
    order = make_order(
        channel="pos",
        shop_id="ST-SH-01",
        order_id="5007",
        lines=[line],
        goods_amount=200,
        paid_amount=200,
        discount_amount=0,
        fulfilment_mode=FulfilmentMode.STORE_SALE,
    )

    workflow.deliver(order)
    result = wait_execution(workflow.execution_arn(order))

    assert result["status"] == "SUCCEEDED" and workflow.hub_state(order) == "DONE"
    assert entered_states(result["executionArn"])[-2:] == ["ReservationOutcome", "MarkSoldAtTill"]
    assert stock("KT-17L", "ST-SH-01") == (2, 0, 2)
    reservation = InventoryTable().reservation(order.order_key)
    assert reservation is not None and reservation.status == ReservationStatus.COMMITTED
    assert workflow.aws.events("FulfilmentRequested") == [] and workflow.connector.calls == []
    assert decision(order.order_key)[1]["outcome"] == "NOT_REQUIRED"


def test_a_pickup_order_is_reserved_at_its_pickup_store(workflow):
    workflow.aws.seed_stock([("KT-17L", "ST-SH-01", 4), ("KT-17L", "WH-HZ", 50)], nodes=())
    line = OrderLine(line_id="l1", merchant_sku="KT-17L", quantity=1, unit_price=100, paid_amount=100)
    order = make_order(
        order_id="5008",
        lines=[line],
        goods_amount=100,
        paid_amount=100,
        discount_amount=0,
        fulfilment_mode=FulfilmentMode.PICKUP,
        pickup_store_id="ST-SH-01",
    )

    workflow.deliver(order)
    workflow.wait_state(order, "FULFILMENT_REQUESTED")

    assert stock("KT-17L", "ST-SH-01") == (4, 1, 3)
    assert stock("KT-17L", "WH-HZ") == (50, 0, 50)
    [event] = requested(workflow, order)
    assert event["detail"]["data"]["node_id"] == "ST-SH-01"
