"""The stock ledger's invariants, checked over its items (pure: the reads live in the adapter).

Per stock slot (root or bucket): counters never negative, `reserved <= on_hand`,
`available = on_hand - reserved`, `on_hand = received - committed` (a commit took its units off hand), and the
ledger sums: `reserved` = units of HELD lines taken from the slot, `committed` = units of COMMITTED lines.
Per SKU-node: `reserved` summed over its slots = quantities of its HELD lines. Per line: its takes add up
to its quantity and name slots that exist.
"""

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hubcore.adapters.inventory import LedgerLine, ReservationStatus, Slot

LedgerRead = Callable[[], tuple[list[Slot], list[LedgerLine]]]


@dataclass(frozen=True)
class Violation:
    sku: str
    node_id: str
    rule: str
    expected: int
    actual: int
    slot: str | None = None  # the stock item's sort key, when the rule is about one slot

    @property
    def key(self) -> tuple[str, str, str, str | None]:
        return self.sku, self.node_id, self.rule, self.slot

    def describe(self) -> str:
        where = f"{self.sku} at {self.node_id}" + (f" ({self.slot})" if self.slot else "")
        return f"{where}: {self.rule}: expected {self.expected}, actual {self.actual}"


def _slot_rules(slot: Slot) -> list[tuple[str, int, int]]:
    """(rule, expected, actual) for every rule the slot breaks on its own."""
    broken = []
    for name, value in (("on_hand", slot.on_hand), ("reserved", slot.reserved), ("available", slot.available)):
        if value < 0:
            broken.append((f"{name}_not_negative", 0, value))
    if slot.reserved > slot.on_hand:
        broken.append(("reserved_within_on_hand", slot.on_hand, slot.reserved))
    if slot.available != slot.on_hand - slot.reserved:
        broken.append(("available_is_on_hand_minus_reserved", slot.on_hand - slot.reserved, slot.available))
    if slot.received is not None and slot.on_hand != slot.received - slot.committed:
        broken.append(("on_hand_is_received_minus_committed", slot.received - slot.committed, slot.on_hand))
    return broken


def check_ledger(slots: Iterable[Slot], lines: Iterable[LedgerLine]) -> list[Violation]:
    """Every violation in one reading of the ledger."""
    slots, lines = list(slots), list(lines)
    found: list[Violation] = []
    held_on_slot: dict[tuple[str, str], int] = defaultdict(int)
    committed_on_slot: dict[tuple[str, str], int] = defaultdict(int)
    held_at_node: dict[tuple[str, str], int] = defaultdict(int)
    known = {(slot.sku, slot.sk) for slot in slots}
    for line in lines:
        taken = sum(units for _, units in line.takes)
        if taken != line.quantity:
            found.append(Violation(line.sku, line.node_id, "line_takes_sum_to_quantity", line.quantity, taken))
        for sk, units in line.takes:
            if line.status == ReservationStatus.HELD:
                held_on_slot[(line.sku, sk)] += units
            elif line.status == ReservationStatus.COMMITTED:
                committed_on_slot[(line.sku, sk)] += units
            if (line.sku, sk) not in known and line.status != ReservationStatus.RELEASED:
                found.append(Violation(line.sku, line.node_id, "line_takes_from_a_known_slot", 0, units, sk))
        if line.status == ReservationStatus.HELD:
            held_at_node[(line.sku, line.node_id)] += line.quantity
    reserved_at_node: dict[tuple[str, str], int] = defaultdict(int)
    for slot in slots:
        for rule, expected, actual in _slot_rules(slot):
            found.append(Violation(slot.sku, slot.node_id, rule, expected, actual, slot.sk))
        held = held_on_slot.get((slot.sku, slot.sk), 0)
        if slot.reserved != held:
            found.append(Violation(slot.sku, slot.node_id, "reserved_matches_held_lines", held, slot.reserved, slot.sk))
        committed = committed_on_slot.get((slot.sku, slot.sk), 0)
        if slot.committed != committed:
            rule = "committed_matches_committed_lines"
            found.append(Violation(slot.sku, slot.node_id, rule, committed, slot.committed, slot.sk))
        reserved_at_node[(slot.sku, slot.node_id)] += slot.reserved
    for sku, node_id in sorted(set(reserved_at_node) | set(held_at_node)):
        held, reserved = held_at_node.get((sku, node_id), 0), reserved_at_node.get((sku, node_id), 0)
        if held != reserved:
            found.append(Violation(sku, node_id, "node_reserved_matches_held_lines", held, reserved))
    return found


def confirmed_violations(read: LedgerRead, *, pause_seconds: float = 0.25) -> list[Violation]:
    """Violations seen in two readings. A Scan is no snapshot: a reservation committing between reading its
    stock item and its line looks like a mismatch once; a real fault is still there when read again."""
    first = check_ledger(*read())
    if not first:
        return []
    time.sleep(pause_seconds)
    suspects = {violation.key for violation in first}
    return [violation for violation in check_ledger(*read()) if violation.key in suspects]
