"""A split order cancelled after one of its parcels shipped (the real workflow, each step the real handler):
the shipped parcel's units stay committed, the other node's units come back, and the ledger stays consistent."""

from functions.stock.invariants import check_ledger
from hubcore.adapters.inventory import InventoryTable, ReleaseReason, ReservationStatus
from schemas.order import OrderStatus
from tests.workflows.harness import wait_execution
from tests.workflows.test_routing_workflow import VACUUM_AT_WUHAN, parcels, requested, split_order, stock


def test_cancelling_after_the_first_parcel_shipped_releases_only_the_unshipped_node(workflow):
    workflow.aws.seed_stock(VACUUM_AT_WUHAN, nodes=())
    order = split_order("5101")
    workflow.deliver(order)
    workflow.wait_state(order, "FULFILMENT_REQUESTED")
    requested(workflow, order)
    first, second = parcels(workflow, order)
    assert (first["node_id"], second["node_id"]) == ("WH-HZ", "WH-WH")

    assert workflow.ship(first["fulfilment_id"], "SF0000005101")["statusCode"] == 200
    # the parcel left WH-HZ: its unit is off hand at once, the workflow still waits for the other parcel
    assert stock("AC-1P-INV", "WH-HZ") == (2, 0, 2)
    assert stock("VC-CORDLESS", "WH-WH") == (5, 1, 4)
    assert workflow.hub_state(order) == "FULFILMENT_REQUESTED"
    assert workflow.ship(first["fulfilment_id"], "SF0000005101")["statusCode"] == 200  # a replay commits nothing
    assert stock("AC-1P-INV", "WH-HZ") == (2, 0, 2)

    cancelled = split_order("5101", status=OrderStatus.CANCELLED, updated_at=order.updated_at.replace(hour=5))
    workflow.deliver(cancelled, previous=order)
    result = wait_execution(workflow.execution_arn(order))

    assert result["status"] == "SUCCEEDED" and workflow.hub_state(order) == "CANCELLED"
    assert stock("AC-1P-INV", "WH-HZ") == (2, 0, 2)  # shipped: not returned to available
    assert stock("VC-CORDLESS", "WH-WH") == (5, 0, 5)  # never shipped: released
    reservation = InventoryTable().reservation(order.order_key)
    assert reservation is not None
    assert {line.node_id: line.status for line in reservation.lines} == {
        "WH-HZ": ReservationStatus.COMMITTED,
        "WH-WH": ReservationStatus.RELEASED,
    }
    assert (reservation.status, reservation.release_reason) == (ReservationStatus.COMMITTED, ReleaseReason.CANCELLED)
    assert check_ledger(*InventoryTable().ledger()) == []
    assert workflow.ship(second["fulfilment_id"])["statusCode"] == 409  # the unshipped parcel was closed
