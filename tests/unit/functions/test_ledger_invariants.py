"""The invariant check over ledger items: each rule caught with SKU, node, expected and actual."""

import pytest

from functions.stock.invariants import Violation, check_ledger, confirmed_violations
from hubcore.adapters.inventory import LedgerLine, ReservationStatus, Slot

HELD, COMMITTED, RELEASED = ReservationStatus.HELD, ReservationStatus.COMMITTED, ReservationStatus.RELEASED


def slot(on_hand: int, reserved: int, available: int | None = None, *, bucket=None, committed=0, received=None):
    return Slot(
        sku="AC-1",
        node_id="WH-HZ",
        bucket=bucket,
        on_hand=on_hand,
        reserved=reserved,
        available=on_hand - reserved if available is None else available,
        committed=committed,
        received=on_hand + committed if received is None else received,
    )


def line(order: str, quantity: int, status=HELD, takes=None) -> LedgerLine:
    return LedgerLine(order, "AC-1", "WH-HZ", quantity, status, takes or (("NODE#WH-HZ", quantity),))


def rules(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


def test_a_consistent_ledger_has_no_violations():
    slots = [slot(8, 3, committed=2), slot(5, 1, bucket=0)]
    lines = [
        line("o-1", 2),
        line("o-2", 2, takes=(("NODE#WH-HZ", 1), ("NODE#WH-HZ#B#0", 1))),
        line("o-3", 2, COMMITTED),
        line("o-4", 9, RELEASED),
    ]
    assert check_ledger(slots, lines) == []


@pytest.mark.parametrize(
    ("item", "rule", "expected", "actual"),
    [
        (slot(2, 3, -1), "reserved_within_on_hand", 2, 3),
        (slot(2, 0, 3), "available_is_on_hand_minus_reserved", 2, 3),
        (slot(-1, 0, -1, received=-1), "on_hand_not_negative", 0, -1),
        (slot(4, 0, 4, committed=0, received=6), "on_hand_is_received_minus_committed", 6, 4),
    ],
)
def test_each_counter_rule_is_reported_with_expected_and_actual(item, rule, expected, actual):
    found = [v for v in check_ledger([item], []) if v.rule == rule]

    assert found == [Violation("AC-1", "WH-HZ", rule, expected, actual, "NODE#WH-HZ")]
    assert f"expected {expected}, actual {actual}" in found[0].describe()


def test_reserved_must_equal_the_held_lines_per_slot_and_per_node():
    violations = check_ledger([slot(10, 3)], [line("o-1", 2), line("o-2", 5, RELEASED)])

    assert Violation("AC-1", "WH-HZ", "reserved_matches_held_lines", 2, 3, "NODE#WH-HZ") in violations
    assert Violation("AC-1", "WH-HZ", "node_reserved_matches_held_lines", 2, 3) in violations


def test_committed_units_must_match_the_committed_lines():
    violations = check_ledger([slot(8, 0, committed=1)], [line("o-1", 2, COMMITTED)])

    assert Violation("AC-1", "WH-HZ", "committed_matches_committed_lines", 2, 1, "NODE#WH-HZ") in violations


def test_held_lines_on_a_missing_slot_and_takes_not_adding_up_are_reported():
    violations = check_ledger([], [line("o-1", 3, takes=(("NODE#WH-HZ#B#7", 2),))])

    assert rules(violations) == {
        "line_takes_sum_to_quantity",
        "line_takes_from_a_known_slot",
        "node_reserved_matches_held_lines",
    }


def test_a_mismatch_seen_once_is_not_reported_but_a_lasting_one_is():
    broken = ([slot(10, 3)], [line("o-1", 2)])
    clean = ([slot(10, 2)], [line("o-1", 2)])
    readings = iter([broken, clean])
    assert confirmed_violations(lambda: next(readings), pause_seconds=0) == []

    readings = iter([broken, broken])
    assert rules(confirmed_violations(lambda: next(readings), pause_seconds=0)) == {
        "reserved_matches_held_lines",
        "node_reserved_matches_held_lines",
    }


def test_a_sound_first_reading_is_not_read_again():
    readings = iter([([slot(1, 0)], [])])
    assert confirmed_violations(lambda: next(readings), pause_seconds=0) == []  # a second read would raise
