"""Where a reservation takes its units from, and how rebalances and stock takes move them (pure)."""

import pytest

from hubcore.adapters.inventory import InvalidStockRequest, Slot
from hubcore.adapters.inventory.planning import (
    needs_rebalance,
    plan_takes,
    rebalance_moves,
    split_evenly,
    stock_take_moves,
)


def sharded(*free: int, root_free: int = 0, buckets: int | None = None) -> list[Slot]:
    root = Slot("AC-1", "WH-HZ", None, root_free, 0, root_free, buckets=buckets or len(free))
    return [root, *(Slot("AC-1", "WH-HZ", k, units, 0, units) for k, units in enumerate(free))]


def test_split_evenly_differs_by_at_most_one_and_keeps_the_total():
    assert split_evenly(10, 4) == [3, 3, 2, 2]
    assert split_evenly(0, 3) == [0, 0, 0]


def test_an_order_starts_at_its_hashed_bucket_every_time():
    slots = sharded(5, 5, 5, 5)
    firsts = {plan_takes(f"o-{n}", "AC-1", 1, slots) for n in range(20)}

    assert len(firsts) > 1
    assert plan_takes("o-1", "AC-1", 1, slots) == plan_takes("o-1", "AC-1", 1, slots)


def test_a_short_first_bucket_spills_into_the_fullest_others():
    slots = sharded(1, 4, 2, 0)
    takes = plan_takes("o-1", "AC-1", 6, slots)

    assert takes is not None and sum(units for _, units in takes) == 6
    assert dict(takes)["NODE#WH-HZ#B#1"] == 4
    assert plan_takes("o-1", "AC-1", 8, slots) is None


def test_unsharded_stock_is_one_slot():
    root = [Slot("AC-1", "WH-HZ", None, 3, 1, 2)]
    assert plan_takes("o-1", "AC-1", 2, root) == (("NODE#WH-HZ", 2),)
    assert plan_takes("o-1", "AC-1", 3, root) is None
    assert not needs_rebalance(root)


def test_rebalance_spreads_free_units_over_active_buckets_and_preserves_the_total():
    slots = sharded(0, 7, 1, root_free=4)
    moves = rebalance_moves(slots)

    assert sum(moves.values()) == 0
    after = {s.sk: s.available + moves.get(s.sk, 0) for s in slots}
    assert after == {"NODE#WH-HZ": 0, "NODE#WH-HZ#B#0": 4, "NODE#WH-HZ#B#1": 4, "NODE#WH-HZ#B#2": 4}
    assert needs_rebalance(slots)
    assert not needs_rebalance(sharded(4, 4, 4))


def test_lowering_the_bucket_count_retires_the_upper_buckets():
    moves = rebalance_moves(sharded(2, 2, 3, 3, buckets=2))
    assert moves == {"NODE#WH-HZ#B#0": 3, "NODE#WH-HZ#B#1": 3, "NODE#WH-HZ#B#2": -3, "NODE#WH-HZ#B#3": -3}


def test_a_stock_take_adds_to_active_buckets_or_takes_free_units_but_never_reserved_ones():
    slots = [
        Slot("AC-1", "WH-HZ", None, 2, 2, 0, buckets=2),
        Slot("AC-1", "WH-HZ", 0, 3, 1, 2),
        Slot("AC-1", "WH-HZ", 1, 4, 0, 4),
    ]
    assert stock_take_moves(slots, 12) == {"NODE#WH-HZ#B#0": 2, "NODE#WH-HZ#B#1": 1}
    assert stock_take_moves(slots, 5) == {"NODE#WH-HZ#B#1": -4}
    assert stock_take_moves(slots, 9) == {}
    with pytest.raises(InvalidStockRequest, match="below the 3 units reserved"):
        stock_take_moves(slots, 2)
