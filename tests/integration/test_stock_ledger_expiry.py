"""Holds expire: reservations carry `expires_at`, the sweeper finds due ones by Query and releases them."""

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from functions.stock import sweeper
from hubcore.adapters.inventory import InventoryTable, ReleaseReason, ReservationLine, ReservationStatus
from tests.workflows.harness import INVENTORY_TABLE, REGION, FakeContext

T0 = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def inventory(hub_aws) -> InventoryTable:
    hub_aws.seed_stock([("AC-1", "WH-HZ", 5)])
    return InventoryTable(hold=HOUR)


def available(inventory: InventoryTable) -> int:
    level = inventory.level("AC-1", "WH-HZ")
    assert level is not None
    return level.available


def expiry_items() -> list[dict]:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    items = dynamodb.scan(TableName=INVENTORY_TABLE)["Items"]
    return [i for i in items if i["pk"]["S"].startswith("EXPIRY#")]


def test_a_reservation_is_held_for_the_configured_time_and_indexed_by_hour(inventory):
    reservation = inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 2)], now=T0).reservation

    assert reservation is not None and reservation.expires_at == "2026-11-24T10:30:00+00:00"
    [index] = expiry_items()
    assert (index["pk"]["S"], index["sk"]["S"]) == ("EXPIRY#2026-11-24T10", "2026-11-24T10:30:00+00:00#o-1")
    longer = inventory.reserve("o-2", "WH-HZ", [ReservationLine("AC-1", 1)], now=T0, hold=timedelta(days=2))
    assert longer.reservation is not None and longer.reservation.expires_at == "2026-11-26T09:30:00+00:00"


def test_the_sweeper_releases_only_holds_past_their_expiry_once(inventory):
    inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 2)], now=T0)
    inventory.reserve("o-2", "WH-HZ", [ReservationLine("AC-1", 1)], now=T0 + 3 * HOUR)

    assert sweeper.sweep(T0 + HOUR - timedelta(seconds=1), inventory=inventory)["expired"] == 0
    assert sweeper.sweep(T0 + HOUR, inventory=inventory) == {"due": 1, "expired": 1, "failed": 0}
    assert sweeper.sweep(T0 + 2 * HOUR, inventory=inventory) == {"due": 0, "expired": 0, "failed": 0}

    released = inventory.reservation("o-1")
    assert released is not None and released.status == ReservationStatus.RELEASED
    assert released.release_reason == ReleaseReason.EXPIRED
    assert available(inventory) == 4  # o-2 still holds one
    assert [i["sk"]["S"] for i in expiry_items()] == ["2026-11-24T13:30:00+00:00#o-2"]


def test_the_sweep_queries_the_expiry_index_and_never_scans(inventory, monkeypatch):
    inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 1)], now=T0)
    real = boto3.client("dynamodb", region_name=REGION)
    calls: list[str] = []

    class Recording:
        def __getattr__(self, name):
            calls.append(name)
            return getattr(real, name)

    monkeypatch.setattr("hubcore.adapters.inventory.ledger.client", lambda service: Recording())
    assert sweeper.sweep(T0 + 2 * HOUR, lookback_hours=3, inventory=inventory)["expired"] == 1

    assert calls.count("query") == 4  # the hours 08, 09, 10 and 11
    assert "scan" not in calls and "get_paginator" not in calls


def test_extend_moves_the_expiry_later_idempotently_and_never_earlier(inventory):
    inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 1)], now=T0)

    assert inventory.extend("o-1", T0 + 5 * HOUR) is True
    assert inventory.extend("o-1", T0 + 5 * HOUR) is False  # a retry changes nothing
    assert inventory.extend("o-1", T0 + 2 * HOUR) is False  # never shortens
    reservation = inventory.reservation("o-1")
    assert reservation is not None and reservation.expires_at == "2026-11-24T14:30:00+00:00"
    assert [i["pk"]["S"] for i in expiry_items()] == ["EXPIRY#2026-11-24T14"]

    assert inventory.expire("o-1", now=T0 + 2 * HOUR) is False  # the old deadline no longer applies
    assert sweeper.sweep(T0 + 2 * HOUR, inventory=inventory)["expired"] == 0
    assert sweeper.sweep(T0 + 6 * HOUR, inventory=inventory)["expired"] == 1
    assert inventory.extend("o-1", T0 + 9 * HOUR) is False  # released holds are not revived
    assert available(inventory) == 5


def test_release_and_commit_remove_the_expiry_entry_so_the_sweeper_leaves_them(inventory):
    inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 1)], now=T0)
    inventory.reserve("o-2", "WH-HZ", [ReservationLine("AC-1", 2)], now=T0)
    inventory.release("o-1", now=T0)
    inventory.commit("o-2", now=T0)

    assert expiry_items() == []
    assert sweeper.sweep(T0 + 2 * HOUR, inventory=inventory)["due"] == 0
    committed = inventory.reservation("o-2")
    assert committed is not None and committed.status == ReservationStatus.COMMITTED
    released = inventory.reservation("o-1")
    assert released is not None and released.release_reason == ReleaseReason.CANCELLED


def test_the_scheduled_handler_sweeps_with_the_default_lookback(inventory, monkeypatch):
    inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 1)], now=datetime.now(UTC) - 2 * HOUR)

    result = sweeper.lambda_handler({"source": "aws.scheduler"}, FakeContext())

    assert result == {"due": 1, "expired": 1, "failed": 0}
    assert available(inventory) == 5
