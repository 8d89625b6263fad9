"""Where units come from and go to among a SKU-node's slots: pure decisions, the ledger writes them.

- `plan_takes`: a reservation starts at the bucket its order key hashes to, so concurrent orders on a hot
  SKU touch different items, and takes the rest from the fullest other slots (fewest items in the transaction).
- `rebalance_moves`: spread the free units evenly over the active buckets (total unchanged).
- `stock_take_moves`: reach a counted on-hand total by adding to active slots or taking free units.
"""

import zlib
from collections.abc import Sequence

from hubcore.adapters.inventory.model import InvalidStockRequest, Slot


def split_evenly(total: int, parts: int) -> list[int]:
    """`total` as `parts` integers differing by at most one, the larger first."""
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def configured_buckets(slots: Sequence[Slot]) -> int:
    root = next((slot for slot in slots if slot.bucket is None), None)
    return root.buckets if root is not None else 1


def active_slots(slots: Sequence[Slot]) -> list[Slot]:
    """The slots that take new and rebalanced units: the root when unsharded, buckets 0..N-1 when sharded."""
    buckets = configured_buckets(slots)
    if buckets <= 1:
        return [slot for slot in slots if slot.bucket is None] or sorted(slots, key=lambda s: s.bucket or 0)[:1]
    return sorted((s for s in slots if s.bucket is not None and s.bucket < buckets), key=lambda s: s.bucket or 0)


def _bucket_of(order_key: str, sku: str, count: int) -> int:
    # crc32, not hash(): Python salts str hashes per process, and retries must prefer the same bucket.
    return zlib.crc32(f"{order_key}|{sku}".encode()) % count


def plan_takes(order_key: str, sku: str, quantity: int, slots: Sequence[Slot]) -> tuple[tuple[str, int], ...] | None:
    """(slot sort key, units) summing to `quantity`, or None when the slots hold fewer free units."""
    if sum(max(slot.available, 0) for slot in slots) < quantity:
        return None
    active = active_slots(slots)
    first = active[_bucket_of(order_key, sku, len(active))] if active else None
    others = sorted((s for s in slots if s is not first), key=lambda s: (-s.available, s.sk))
    takes: list[tuple[str, int]] = []
    remaining = quantity
    for slot in [first, *others] if first is not None else others:
        if remaining == 0:
            break
        units = min(max(slot.available, 0), remaining)
        if units:
            takes.append((slot.sk, units))
            remaining -= units
    return tuple(takes)


def after_takes(slots: Sequence[Slot], takes: Sequence[tuple[str, int]]) -> list[Slot]:
    """The slots as the reservation leaves them (for deciding whether to rebalance)."""
    taken = dict(takes)
    return [
        Slot(
            s.sku,
            s.node_id,
            s.bucket,
            s.on_hand,
            s.reserved + taken.get(s.sk, 0),
            s.available - taken.get(s.sk, 0),
            s.committed,
            s.received,
            s.buckets,
        )
        for s in slots
    ]


def needs_rebalance(slots: Sequence[Slot]) -> bool:
    """A sharded SKU-node whose active bucket ran dry while free units sit elsewhere."""
    if configured_buckets(slots) <= 1:
        return False
    active = active_slots(slots)
    free = sum(max(s.available, 0) for s in slots)
    stranded = any(s.available > 0 for s in slots if s not in active)
    return stranded or (any(s.available <= 0 for s in active) and free >= len(active))


def rebalance_moves(slots: Sequence[Slot]) -> dict[str, int]:
    """Per slot sort key, the change of its free (and on-hand) units; the changes sum to zero."""
    active = active_slots(slots)
    if not active:
        return {}
    targets = dict.fromkeys((s.sk for s in slots), 0)
    free = sum(max(s.available, 0) for s in slots)
    for slot, share in zip(active, split_evenly(free, len(active)), strict=True):
        targets[slot.sk] = share
    moves = {s.sk: targets[s.sk] - max(s.available, 0) for s in slots}
    return {sk: delta for sk, delta in moves.items() if delta}


def stock_take_moves(slots: Sequence[Slot], on_hand: int) -> dict[str, int]:
    """Per slot sort key, the change of on-hand (and free) units that makes the SKU-node's total `on_hand`."""
    if on_hand < 0:
        raise InvalidStockRequest("on_hand cannot be negative")
    reserved = sum(s.reserved for s in slots)
    if on_hand < reserved:
        raise InvalidStockRequest(f"on_hand {on_hand} is below the {reserved} units reserved")
    delta = on_hand - sum(s.on_hand for s in slots)
    moves: dict[str, int] = {}
    if delta > 0:
        active = active_slots(slots)
        for slot, share in zip(active, split_evenly(delta, len(active)), strict=True):
            if share:
                moves[slot.sk] = share
    elif delta < 0:
        remaining = -delta
        for slot in sorted(slots, key=lambda s: (-s.available, s.sk)):
            units = min(max(slot.available, 0), remaining)
            if units:
                moves[slot.sk] = -units
                remaining -= units
    return moves
