"""Hot SKUs sharded into buckets, and split reservations over several nodes, in moto."""

import boto3
import pytest

from functions.stock.invariants import check_ledger
from hubcore.adapters.inventory import (
    Allocation,
    InvalidStockRequest,
    InventoryTable,
    ReservationLine,
    ReservationStatus,
    ReserveOutcome,
)
from tests.workflows.harness import REGION


@pytest.fixture
def inventory(hub_aws) -> InventoryTable:
    return hub_aws.seed_stock([("AC-1", "WH-HZ", 10), ("AC-1", "WH-SH", 3), ("TV-55", "WH-SH", 2)])


def free_by_slot(inventory: InventoryTable, sku: str = "AC-1", node: str = "WH-HZ") -> dict[str, int]:
    return {slot.sk: slot.available for slot in inventory.slots(sku, node)}


def assert_ledger_clean(inventory: InventoryTable) -> None:
    assert check_ledger(*inventory.ledger()) == []


def test_sharding_spreads_the_free_units_over_the_buckets(inventory):
    level = inventory.set_sharding("AC-1", "WH-HZ", 4)

    assert (level.on_hand, level.reserved, level.available, level.buckets) == (10, 0, 10, 4)
    assert free_by_slot(inventory) == {
        "NODE#WH-HZ": 0,
        "NODE#WH-HZ#B#0": 3,
        "NODE#WH-HZ#B#1": 3,
        "NODE#WH-HZ#B#2": 2,
        "NODE#WH-HZ#B#3": 2,
    }
    assert [s.buckets for s in inventory.stock("AC-1") if s.node_id == "WH-SH"] == [1]  # other nodes untouched
    assert_ledger_clean(inventory)


def test_orders_start_at_the_bucket_their_key_hashes_to(inventory):
    inventory.set_sharding("AC-1", "WH-HZ", 4)
    first_buckets = set()
    for n in range(8):
        result = inventory.reserve(f"o-{n}", "WH-HZ", [ReservationLine("AC-1", 1)])
        assert result.reservation is not None
        [(sk, units)] = result.reservation.lines[0].takes
        first_buckets.add(sk)
        assert "#B#" in sk and units == 1
    assert len(first_buckets) > 1  # different orders hit different items
    assert_ledger_clean(inventory)


def test_one_reservation_takes_from_several_buckets_and_gives_each_unit_back_where_it_came_from(inventory):
    inventory.set_sharding("AC-1", "WH-HZ", 4)
    before = free_by_slot(inventory)

    result = inventory.reserve("big", "WH-HZ", [ReservationLine("AC-1", 7)])

    assert result.outcome == ReserveOutcome.RESERVED and result.reservation is not None
    takes = dict(result.reservation.lines[0].takes)
    assert sum(takes.values()) == 7 and len(takes) >= 3
    level = inventory.level("AC-1", "WH-HZ")
    assert level is not None and (level.reserved, level.available) == (7, 3)
    assert inventory.release("big") is True
    reserved = {slot.sk: slot.reserved for slot in inventory.slots("AC-1", "WH-HZ")}
    assert set(reserved.values()) == {0}
    assert sum(free_by_slot(inventory).values()) == sum(before.values())
    assert_ledger_clean(inventory)


def test_commit_takes_the_units_off_the_buckets_they_were_held_in(inventory):
    inventory.set_sharding("AC-1", "WH-HZ", 2)
    result = inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 6)])
    assert result.reservation is not None
    takes = dict(result.reservation.lines[0].takes)

    assert inventory.commit("o-1") is True

    for slot in inventory.slots("AC-1", "WH-HZ"):
        assert slot.committed == takes.get(slot.sk, 0)
        assert slot.reserved == 0
    level = inventory.level("AC-1", "WH-HZ")
    assert level is not None and (level.on_hand, level.available) == (4, 4)
    assert_ledger_clean(inventory)


def test_a_dry_bucket_is_refilled_from_the_others_total_unchanged(inventory):
    inventory.set_sharding("AC-1", "WH-HZ", 2)  # 5 + 5
    result = inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 5)])
    assert result.reservation is not None
    [(drained, _)] = result.reservation.lines[0].takes

    free = free_by_slot(inventory)  # rebalanced after the reservation ran its bucket dry
    assert sum(free.values()) == 5
    assert free[drained] >= 2 and max(free.values()) - min(v for k, v in free.items() if "#B#" in k) <= 1
    assert inventory.rebalance("AC-1", "WH-HZ") is False  # already even: nothing moves
    assert_ledger_clean(inventory)


def test_resharding_keeps_existing_holds_in_place(inventory):
    inventory.reserve("early", "WH-HZ", [ReservationLine("AC-1", 2)])  # held on the unsharded root

    inventory.set_sharding("AC-1", "WH-HZ", 4)
    root = next(s for s in inventory.slots("AC-1", "WH-HZ") if s.bucket is None)
    assert (root.on_hand, root.reserved, root.available) == (2, 2, 0)
    assert_ledger_clean(inventory)

    inventory.release("early")  # the units return to the root, then belong in the buckets
    assert inventory.rebalance("AC-1", "WH-HZ") is True
    assert free_by_slot(inventory)["NODE#WH-HZ"] == 0
    assert sum(free_by_slot(inventory).values()) == 10

    inventory.set_sharding("AC-1", "WH-HZ", 2)  # fewer buckets: the retired ones give up their free units
    free = free_by_slot(inventory)
    assert free["NODE#WH-HZ#B#2"] == free["NODE#WH-HZ#B#3"] == 0 and sum(free.values()) == 10
    inventory.set_sharding("AC-1", "WH-HZ", 1)  # back to one item
    assert free_by_slot(inventory)["NODE#WH-HZ"] == 10
    assert_ledger_clean(inventory)


def test_a_stock_take_on_a_sharded_sku_spreads_or_takes_free_units(inventory):
    inventory.set_sharding("AC-1", "WH-HZ", 3)
    inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 4)])

    more = inventory.set_on_hand("AC-1", "WH-HZ", 16)
    assert (more.on_hand, more.reserved, more.available) == (16, 4, 12)
    fewer = inventory.set_on_hand("AC-1", "WH-HZ", 5)
    assert (fewer.on_hand, fewer.reserved, fewer.available) == (5, 4, 1)
    with pytest.raises(InvalidStockRequest, match="below"):
        inventory.set_on_hand("AC-1", "WH-HZ", 3)
    assert_ledger_clean(inventory)


def test_sharding_requests_that_cannot_be_right_are_refused(inventory):
    with pytest.raises(InvalidStockRequest):
        inventory.set_sharding("AC-1", "WH-HZ", 0)
    with pytest.raises(InvalidStockRequest):
        inventory.set_sharding("AC-1", "WH-HZ", 33)
    with pytest.raises(InvalidStockRequest, match="no stock"):
        inventory.set_sharding("NOPE", "WH-HZ", 2)


# --- split reservations (several nodes per order) ---


def test_one_order_reserves_at_several_nodes_in_one_transaction(inventory, monkeypatch):
    real = boto3.client("dynamodb", region_name=REGION)
    writes: list[int] = []

    class Counting:
        def __getattr__(self, name):
            return getattr(real, name)

        def transact_write_items(self, **kwargs):
            writes.append(len(kwargs["TransactItems"]))
            return real.transact_write_items(**kwargs)

    monkeypatch.setattr("hubcore.adapters.inventory.ledger.client", lambda service: Counting())
    allocations = [Allocation("AC-1", "WH-HZ", 4), ("AC-1", "WH-SH", 3), Allocation("TV-55", "WH-SH", 1)]

    result = inventory.reserve("split", allocations=allocations)

    assert result.outcome == ReserveOutcome.RESERVED and result.reservation is not None
    assert writes == [8]  # 3 stock updates + 3 lines + header + expiry index, one transaction
    assert result.reservation.node_ids == ("WH-HZ", "WH-SH")
    assert inventory.reservation("split") == result.reservation
    assert [(s.node_id, s.reserved) for s in sorted(inventory.stock("AC-1"), key=lambda s: s.node_id)] == [
        ("WH-HZ", 4),
        ("WH-SH", 3),
    ]
    assert inventory.reserve("split", "WH-HZ", [ReservationLine("AC-1", 1)]).outcome == ReserveOutcome.ALREADY_RESERVED
    assert inventory.release("split") is True
    assert all(level.reserved == 0 for level in inventory.stock("AC-1") + inventory.stock("TV-55"))
    assert_ledger_clean(inventory)


def test_a_split_reservation_is_all_or_nothing(inventory):
    result = inventory.reserve("split", allocations=[("AC-1", "WH-HZ", 2), ("AC-1", "WH-SH", 4)])

    assert result.outcome == ReserveOutcome.INSUFFICIENT
    assert result.shortages == (("AC-1", 4, 3),)
    assert all(level.reserved == 0 for level in inventory.stock("AC-1"))
    assert inventory.reservation("split") is None


def test_a_split_reservation_commits_every_node(inventory):
    inventory.reserve("split", allocations=[("AC-1", "WH-HZ", 1), ("AC-1", "WH-SH", 1)])

    assert inventory.commit("split") is True

    reservation = inventory.reservation("split")
    assert reservation is not None and reservation.status == ReservationStatus.COMMITTED
    assert sorted((s.node_id, s.on_hand) for s in inventory.stock("AC-1")) == [("WH-HZ", 9), ("WH-SH", 2)]
    assert_ledger_clean(inventory)


@pytest.mark.parametrize(
    "request_args",
    [
        {"allocations": [("AC-1", "WH-HZ", 1), ("AC-1", "WH-HZ", 2)]},  # the same SKU and node twice
        {"allocations": [("AC-1", "WH-HZ", 0)]},
        {"node_id": "WH-HZ", "lines": [ReservationLine("AC-1", -1)]},
        {"node_id": "WH-HZ", "lines": [ReservationLine("AC-1", 1)], "allocations": [("AC-1", "WH-HZ", 1)]},
        {},
    ],
)
def test_malformed_reservations_are_refused_and_write_nothing(inventory, request_args):
    with pytest.raises(InvalidStockRequest):
        inventory.reserve("bad", **request_args)
    assert inventory.reservation("bad") is None
    assert all(level.reserved == 0 for level in inventory.stock("AC-1"))
