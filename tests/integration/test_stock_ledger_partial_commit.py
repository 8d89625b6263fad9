"""Per-parcel commit of a split reservation (one node's lines at a time), and a release after it, in moto."""

from datetime import datetime, timedelta

import pytest

from functions.stock.invariants import check_ledger
from hubcore.adapters.inventory import (
    Allocation,
    InvalidStockRequest,
    InventoryTable,
    ReleaseReason,
    ReservationNotHeld,
    ReservationStatus,
)

SPLIT = [Allocation("AC-1", "WH-HZ", 2), Allocation("TV-55", "WH-SH", 1), Allocation("AC-1", "WH-SH", 1)]


@pytest.fixture
def inventory(hub_aws) -> InventoryTable:
    return hub_aws.seed_stock([("AC-1", "WH-HZ", 10), ("AC-1", "WH-SH", 3), ("TV-55", "WH-SH", 2)])


def counts(inventory: InventoryTable, sku: str, node_id: str) -> tuple[int, int, int]:
    level = inventory.level(sku, node_id)
    assert level is not None
    return level.on_hand, level.reserved, level.available


def line_statuses(inventory: InventoryTable, order_key: str) -> dict[tuple[str, str], ReservationStatus]:
    reservation = inventory.reservation(order_key)
    assert reservation is not None
    return {(line.sku, line.node_id): line.status for line in reservation.lines}


def stored_line_statuses(inventory: InventoryTable, order_key: str) -> dict[tuple[str, str], ReservationStatus]:
    """The line items themselves (what the invariant check reads), not the header's copy."""
    return {(line.sku, line.node_id): line.status for line in inventory.ledger()[1] if line.order_key == order_key}


def assert_ledger_clean(inventory: InventoryTable) -> None:
    assert check_ledger(*inventory.ledger()) == []


def test_committing_one_node_takes_only_its_lines_off_hand(inventory):
    inventory.reserve("o-1", allocations=SPLIT)

    assert inventory.commit("o-1", node_ids=["WH-SH"]) is True

    assert counts(inventory, "AC-1", "WH-SH") == (2, 0, 2)
    assert counts(inventory, "TV-55", "WH-SH") == (1, 0, 1)
    assert counts(inventory, "AC-1", "WH-HZ") == (10, 2, 8)  # the other parcel is still held
    expected = {
        ("AC-1", "WH-HZ"): ReservationStatus.HELD,
        ("TV-55", "WH-SH"): ReservationStatus.COMMITTED,
        ("AC-1", "WH-SH"): ReservationStatus.COMMITTED,
    }
    assert line_statuses(inventory, "o-1") == expected
    assert stored_line_statuses(inventory, "o-1") == expected
    reservation = inventory.reservation("o-1")
    assert reservation is not None and reservation.status == ReservationStatus.HELD  # a line is still held
    assert_ledger_clean(inventory)


def test_a_repeated_partial_commit_commits_nothing_twice(inventory):
    inventory.reserve("o-1", allocations=SPLIT)
    assert inventory.commit("o-1", node_ids=["WH-SH"]) is True

    assert inventory.commit("o-1", node_ids=["WH-SH"]) is False

    assert counts(inventory, "AC-1", "WH-SH") == (2, 0, 2)
    assert counts(inventory, "TV-55", "WH-SH") == (1, 0, 1)
    assert_ledger_clean(inventory)


def test_a_release_after_a_partial_commit_keeps_the_shipped_units_gone(inventory):
    inventory.reserve("o-1", allocations=SPLIT)
    inventory.commit("o-1", node_ids=["WH-SH"])

    assert inventory.release("o-1") is True
    assert inventory.release("o-1") is False  # a retry returns nothing twice

    assert counts(inventory, "AC-1", "WH-HZ") == (10, 0, 10)  # the unshipped parcel came back
    assert counts(inventory, "AC-1", "WH-SH") == (2, 0, 2)  # the shipped one did not
    assert counts(inventory, "TV-55", "WH-SH") == (1, 0, 1)
    reservation = inventory.reservation("o-1")
    assert reservation is not None
    # part of it shipped: the header says COMMITTED and records why the rest was released
    assert (reservation.status, reservation.release_reason) == (ReservationStatus.COMMITTED, ReleaseReason.CANCELLED)
    assert stored_line_statuses(inventory, "o-1")[("AC-1", "WH-HZ")] == ReservationStatus.RELEASED
    with pytest.raises(ReservationNotHeld):  # the released parcel cannot be committed any more
        inventory.commit("o-1", node_ids=["WH-HZ"])
    assert inventory.commit("o-1") is False  # the final commit finds nothing held
    assert_ledger_clean(inventory)


def test_the_final_commit_commits_only_what_is_still_held(inventory):
    inventory.reserve("o-1", allocations=SPLIT)
    inventory.commit("o-1", node_ids=["WH-SH"])

    assert inventory.commit("o-1") is True

    assert counts(inventory, "AC-1", "WH-HZ") == (8, 0, 8)
    assert counts(inventory, "AC-1", "WH-SH") == (2, 0, 2)  # not taken off hand a second time
    reservation = inventory.reservation("o-1")
    assert reservation is not None and reservation.status == ReservationStatus.COMMITTED
    assert reservation.release_reason is None
    assert inventory.release("o-1") is False
    assert_ledger_clean(inventory)


def test_committing_every_node_one_by_one_settles_the_header_and_the_expiry_item(inventory):
    held = inventory.reserve("o-1", allocations=SPLIT).reservation
    assert held is not None
    after_hold = datetime.fromisoformat(held.expires_at) + timedelta(minutes=1)

    assert inventory.commit("o-1", node_ids=["WH-HZ"]) is True
    assert inventory.due_for_expiry(after_hold) == ["o-1"]  # the other parcel is still held, and can expire
    assert inventory.commit("o-1", node_ids=["WH-SH"]) is True
    assert inventory.due_for_expiry(after_hold) == []

    reservation = inventory.reservation("o-1")
    assert reservation is not None and reservation.status == ReservationStatus.COMMITTED
    assert inventory.commit("o-1") is False
    assert_ledger_clean(inventory)


def test_a_sharded_sku_commits_and_releases_each_unit_at_the_bucket_it_came_from(inventory):
    inventory.set_sharding("AC-1", "WH-HZ", 4)
    inventory.set_sharding("AC-1", "WH-SH", 2)
    free_before = {slot.sk: slot.available for slot in inventory.slots("AC-1", "WH-SH")}
    result = inventory.reserve("o-1", allocations=[Allocation("AC-1", "WH-HZ", 7), Allocation("AC-1", "WH-SH", 2)])
    assert result.reservation is not None
    takes = {line.node_id: dict(line.takes) for line in result.reservation.lines}
    assert len(takes["WH-HZ"]) >= 2  # the shipped line drew on several buckets

    assert inventory.commit("o-1", node_ids=["WH-HZ"]) is True
    for slot in inventory.slots("AC-1", "WH-HZ"):
        assert (slot.committed, slot.reserved) == (takes["WH-HZ"].get(slot.sk, 0), 0)

    assert inventory.release("o-1") is True
    for slot in inventory.slots("AC-1", "WH-SH"):  # each unit went back to the bucket that gave it
        assert (slot.reserved, slot.available, slot.committed) == (0, free_before[slot.sk], 0)
    assert counts(inventory, "AC-1", "WH-HZ") == (3, 0, 3)
    assert_ledger_clean(inventory)


def test_a_node_id_string_is_refused_before_anything_is_written(inventory):
    inventory.reserve("o-1", allocations=SPLIT)

    with pytest.raises(InvalidStockRequest):
        inventory.commit("o-1", node_ids="WH-SH")

    assert counts(inventory, "AC-1", "WH-SH") == (3, 1, 2)
