"""The stock ledger in moto: reservations never oversell, and reserve/release/commit are idempotent."""

from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError

from hubcore.adapters.inventory import (
    InventoryTable,
    ReservationConflict,
    ReservationLine,
    ReservationNotHeld,
    ReservationStatus,
    ReserveOutcome,
)
from tests.workflows.harness import INVENTORY_TABLE, NODES, REGION


def level(inventory: InventoryTable, sku: str, node_id: str):
    return next(s for s in inventory.stock(sku) if s.node_id == node_id)


def assert_invariants(inventory: InventoryTable, *skus: str) -> None:
    for sku in skus:
        for s in inventory.stock(sku):
            assert 0 <= s.reserved <= s.on_hand, s
            assert s.available == s.on_hand - s.reserved, s


@pytest.fixture
def inventory(hub_aws) -> InventoryTable:
    return hub_aws.seed_stock([("AC-1", "WH-HZ", 5), ("AC-1", "WH-SH", 2), ("TV-55", "WH-HZ", 1)])


def test_seeding_creates_nodes_and_stock(inventory):
    assert {n.node_id for n in inventory.nodes()} == {n.node_id for n in NODES}
    assert level(inventory, "AC-1", "WH-HZ").available == 5
    assert inventory.stock("UNKNOWN") == []


def test_reserve_moves_available_to_reserved_for_every_line_at_once(inventory):
    result = inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 2), ReservationLine("TV-55", 1)])

    assert result.outcome == ReserveOutcome.RESERVED
    assert (level(inventory, "AC-1", "WH-HZ").reserved, level(inventory, "AC-1", "WH-HZ").available) == (2, 3)
    assert level(inventory, "TV-55", "WH-HZ").available == 0
    reservation = inventory.reservation("o-1")
    assert reservation is not None and reservation.status == ReservationStatus.HELD
    assert_invariants(inventory, "AC-1", "TV-55")


def test_reserve_is_all_or_nothing_when_one_line_is_short(inventory):
    result = inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 1), ReservationLine("TV-55", 2)])

    assert result.outcome == ReserveOutcome.INSUFFICIENT
    assert result.shortages == (("TV-55", 2, 1),)
    assert level(inventory, "AC-1", "WH-HZ").reserved == 0  # the AC line was not applied either
    assert inventory.reservation("o-1") is None


def test_reserve_at_a_node_without_the_sku_is_insufficient(inventory):
    result = inventory.reserve("o-1", "WH-GZ", [ReservationLine("AC-1", 1)])
    assert result.outcome == ReserveOutcome.INSUFFICIENT
    assert result.shortages == (("AC-1", 1, 0),)


def test_reserve_is_idempotent_on_retry(inventory):
    lines = [ReservationLine("AC-1", 2)]
    first = inventory.reserve("o-1", "WH-HZ", lines)
    again = inventory.reserve("o-1", "WH-HZ", lines)
    elsewhere = inventory.reserve("o-1", "WH-SH", lines)  # a retry that ranked another node first

    assert first.outcome == ReserveOutcome.RESERVED
    assert again.outcome == elsewhere.outcome == ReserveOutcome.ALREADY_RESERVED
    assert again.reservation == first.reservation
    assert level(inventory, "AC-1", "WH-HZ").reserved == 2
    assert level(inventory, "AC-1", "WH-SH").reserved == 0


def test_duplicate_guard_holds_when_the_header_read_misses_a_concurrent_reservation(inventory):
    lines = [ReservationLine("AC-1", 1)]
    inventory.reserve("o-1", "WH-HZ", lines)
    with mock.patch.object(InventoryTable, "reservation", side_effect=[None, inventory.reservation("o-1")]):
        result = inventory.reserve("o-1", "WH-HZ", lines)

    assert result.outcome == ReserveOutcome.ALREADY_RESERVED
    assert level(inventory, "AC-1", "WH-HZ").reserved == 1


def test_competing_orders_never_oversell_the_last_units(inventory):
    outcomes = [inventory.reserve(f"o-{n}", "WH-SH", [ReservationLine("AC-1", 1)]).outcome for n in range(5)]

    assert outcomes.count(ReserveOutcome.RESERVED) == 2
    assert outcomes.count(ReserveOutcome.INSUFFICIENT) == 3
    stock = level(inventory, "AC-1", "WH-SH")
    assert (stock.on_hand, stock.reserved, stock.available) == (2, 2, 0)
    assert_invariants(inventory, "AC-1")


def test_release_returns_stock_once(inventory):
    inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 3)])

    assert inventory.release("o-1") is True
    assert inventory.release("o-1") is False  # idempotent
    stock = level(inventory, "AC-1", "WH-HZ")
    assert (stock.on_hand, stock.reserved, stock.available) == (5, 0, 5)
    reservation = inventory.reservation("o-1")
    assert reservation is not None and reservation.status == ReservationStatus.RELEASED
    assert inventory.release("never-reserved") is False


def test_a_released_order_is_not_reserved_again(inventory):
    inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 1)])
    inventory.release("o-1")

    again = inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 1)])
    assert again.outcome == ReserveOutcome.ALREADY_RESERVED
    assert again.reservation is not None and again.reservation.status == ReservationStatus.RELEASED
    assert level(inventory, "AC-1", "WH-HZ").reserved == 0


def test_commit_at_shipment_takes_the_units_off_hand(inventory):
    inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 2), ReservationLine("TV-55", 1)])

    assert inventory.commit("o-1") is True
    assert inventory.commit("o-1") is False  # idempotent
    assert inventory.release("o-1") is False  # a committed reservation is never released
    ac = level(inventory, "AC-1", "WH-HZ")
    assert (ac.on_hand, ac.reserved, ac.available) == (3, 0, 3)
    tv = level(inventory, "TV-55", "WH-HZ")
    assert (tv.on_hand, tv.reserved, tv.available) == (0, 0, 0)
    assert_invariants(inventory, "AC-1", "TV-55")


def test_commit_without_a_held_reservation_is_refused(inventory):
    with pytest.raises(ReservationNotHeld):
        inventory.commit("never-reserved")
    inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 1)])
    inventory.release("o-1")
    with pytest.raises(ReservationNotHeld):
        inventory.commit("o-1")


def test_stock_take_keeps_reservations_and_refuses_to_go_below_them(inventory):
    inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 3)])

    updated = inventory.set_on_hand("AC-1", "WH-HZ", 10)
    assert (updated.on_hand, updated.reserved, updated.available) == (10, 3, 7)
    with pytest.raises(ValueError, match="below"):
        inventory.set_on_hand("AC-1", "WH-HZ", 2)
    assert_invariants(inventory, "AC-1")


def test_reservation_lines_and_header_are_stored_as_documented(inventory):
    inventory.reserve("douyin:1:2", "WH-HZ", [ReservationLine("AC-1", 1)])
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    items = dynamodb.query(
        TableName=INVENTORY_TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "RES#douyin:1:2"}},
    )["Items"]

    assert sorted(i["sk"]["S"] for i in items) == ["HEADER", "LINE#AC-1#NODE#WH-HZ"]
    line = next(i for i in items if i["sk"]["S"].startswith("LINE#"))
    assert (line["quantity"]["N"], line["status"]["S"]) == ("1", "HELD")


def test_transaction_conflicts_are_retried_then_reported_as_transient(inventory, monkeypatch):
    conflict = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
            "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}, {"Code": "None"}],
        },
        "TransactWriteItems",
    )
    real = boto3.client("dynamodb", region_name=REGION)
    calls = {"n": 0}

    class Flaky:
        def __getattr__(self, name):
            return getattr(real, name)

        def transact_write_items(self, **kwargs):
            calls["n"] += 1
            if calls["n"] <= 2:
                raise conflict
            return real.transact_write_items(**kwargs)

    monkeypatch.setattr("hubcore.adapters.inventory.ledger.client", lambda service: Flaky())
    monkeypatch.setattr("hubcore.adapters.inventory.ledger._backoff", lambda attempt: None)

    assert inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 1)]).outcome == ReserveOutcome.RESERVED
    assert calls["n"] == 3

    calls["n"] = -100  # always conflicting from now on
    with pytest.raises(ReservationConflict):
        inventory.reserve("o-2", "WH-HZ", [ReservationLine("AC-1", 1)])


def test_nodes_keep_their_city_and_reservation_lines_are_counted_per_status(inventory):
    inventory.put_node("WH-NB", name="Ningbo DC", province="浙江省", city="宁波市", priority=5)
    inventory.set_on_hand("AC-1", "WH-NB", 4)
    for n in range(3):
        inventory.reserve(f"o-{n}", "WH-NB", [ReservationLine("AC-1", 1)])
    inventory.release("o-0")
    inventory.commit("o-1")

    assert next(n for n in inventory.nodes() if n.node_id == "WH-NB").city == "宁波市"
    assert inventory.reservation_counts() == {"RELEASED": 1, "COMMITTED": 1, "HELD": 1}
