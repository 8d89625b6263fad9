"""The invariant check against moto: the adapter's read, the scheduled handler and the command."""

import json

import boto3
import pytest

from functions.stock import invariant_check
from hubcore.adapters.inventory import InventoryTable, ReservationLine
from localhub.ledger_cli import check_invariants_main
from tests.workflows.harness import INVENTORY_TABLE, REGION, FakeContext


@pytest.fixture
def inventory(hub_aws) -> InventoryTable:
    inventory = hub_aws.seed_stock([("AC-1", "WH-HZ", 6), ("TV-55", "WH-SH", 2)])
    inventory.set_sharding("AC-1", "WH-HZ", 2)
    inventory.reserve("o-1", "WH-HZ", [ReservationLine("AC-1", 4)])
    inventory.reserve("o-2", allocations=[("AC-1", "WH-HZ", 1), ("TV-55", "WH-SH", 2)])
    inventory.reserve("o-3", "WH-SH", [ReservationLine("TV-55", 1)])  # short: writes nothing
    inventory.commit("o-2")
    return inventory


def corrupt_reserved(sku: str, sk: str, reserved: int) -> None:
    """A write that bypasses the ledger: what the check exists to catch."""
    boto3.client("dynamodb", region_name=REGION).update_item(
        TableName=INVENTORY_TABLE,
        Key={"pk": {"S": f"SKU#{sku}"}, "sk": {"S": sk}},
        UpdateExpression="SET reserved = :r",
        ExpressionAttributeValues={":r": {"N": str(reserved)}},
    )


def test_the_ledger_read_finds_every_slot_and_line(inventory):
    slots, lines = inventory.ledger()

    assert sorted(s.sk for s in slots if s.sku == "AC-1") == ["NODE#WH-HZ", "NODE#WH-HZ#B#0", "NODE#WH-HZ#B#1"]
    assert sorted((line.order_key, line.sku, line.status) for line in lines) == [
        ("o-1", "AC-1", "HELD"),
        ("o-2", "AC-1", "COMMITTED"),
        ("o-2", "TV-55", "COMMITTED"),
    ]
    assert invariant_check.check(inventory, pause_seconds=0) == []


def test_a_counter_written_around_the_ledger_is_reported_with_sku_node_expected_and_actual(inventory):
    corrupt_reserved("TV-55", "NODE#WH-SH", 1)

    violations = invariant_check.check(inventory, pause_seconds=0)

    found = {(v.sku, v.node_id, v.rule, v.expected, v.actual) for v in violations}
    assert ("TV-55", "WH-SH", "reserved_matches_held_lines", 0, 1) in found
    assert ("TV-55", "WH-SH", "available_is_on_hand_minus_reserved", -1, 0) in found
    assert ("TV-55", "WH-SH", "reserved_within_on_hand", 0, 1) in found
    assert all(v.sku == "TV-55" for v in violations)


def test_the_scheduled_handler_returns_the_violations(inventory):
    assert invariant_check.lambda_handler({}, FakeContext()) == {"violations": []}
    corrupt_reserved("TV-55", "NODE#WH-SH", 1)
    result = invariant_check.lambda_handler({}, FakeContext())
    assert {v["rule"] for v in result["violations"]} >= {"reserved_matches_held_lines"}


def test_the_command_exits_zero_on_a_sound_ledger_and_one_with_violations(inventory, capsys):
    assert check_invariants_main(["--table", INVENTORY_TABLE, "--pause", "0"]) == 0
    assert "stock ledger sound: 4 stock items, 3 reservation lines" in capsys.readouterr().out

    corrupt_reserved("TV-55", "NODE#WH-SH", 1)
    assert check_invariants_main(["--table", INVENTORY_TABLE, "--pause", "0"]) == 1
    assert "TV-55 at WH-SH (NODE#WH-SH): reserved_matches_held_lines: expected 0, actual 1" in capsys.readouterr().out

    assert check_invariants_main(["--table", INVENTORY_TABLE, "--pause", "0", "--json"]) == 1
    reported = json.loads(capsys.readouterr().out)
    assert {"sku": "TV-55", "node_id": "WH-SH", "slot": "NODE#WH-SH"}.items() <= reported[0].items()
