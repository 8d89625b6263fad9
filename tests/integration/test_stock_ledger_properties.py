"""Random reserve/release/commit/extend/expire/rebalance/stock-take sequences against moto keep the ledger's
invariants after every step and agree with a plain model of what each operation should do."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from functions.stock import sweeper
from functions.stock.invariants import check_ledger
from hubcore.adapters.inventory import (
    InvalidStockRequest,
    InventoryTable,
    ReservationNotHeld,
    ReservationStatus,
    ReserveOutcome,
)
from tests.workflows.harness import REGION

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
HOLD = timedelta(hours=2)
SKU_NODES = (("HOT", "WH-HZ"), ("HOT", "WH-SH"), ("COLD", "WH-HZ"))
ORDERS = [f"o-{n}" for n in range(8)]


@dataclass
class ModelOrder:
    lines: list[tuple[str, str, int]]
    status: ReservationStatus = ReservationStatus.HELD
    expires: datetime = T0


@dataclass
class Model:
    on_hand: dict[tuple[str, str], int] = field(default_factory=dict)
    orders: dict[str, ModelOrder] = field(default_factory=dict)

    def reserved(self, sku_node: tuple[str, str]) -> int:
        return sum(
            q
            for order in self.orders.values()
            if order.status == ReservationStatus.HELD
            for sku, node, q in order.lines
            if (sku, node) == sku_node
        )

    def available(self, sku_node: tuple[str, str]) -> int:
        return self.on_hand[sku_node] - self.reserved(sku_node)


allocations = st.lists(
    st.tuples(st.sampled_from(SKU_NODES), st.integers(1, 4)), min_size=1, max_size=3, unique_by=lambda a: a[0]
).map(lambda picked: [(sku, node, q) for (sku, node), q in picked])


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        name = f"prop-{uuid.uuid4().hex[:8]}"  # a fresh table per example: examples share nothing
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        self.table = InventoryTable(name, hold=HOLD)
        self.model = Model()
        self.now = T0
        for sku, node in SKU_NODES:
            self.table.set_on_hand(sku, node, 8, now=self.now)
            self.model.on_hand[(sku, node)] = 8
        self.table.set_sharding("HOT", "WH-HZ", 3, now=self.now)

    @rule(order=st.sampled_from(ORDERS), wanted=allocations)
    def reserve(self, order: str, wanted: list[tuple[str, str, int]]) -> None:
        result = self.table.reserve(order, allocations=wanted, now=self.now)
        if order in self.model.orders:
            assert result.outcome == ReserveOutcome.ALREADY_RESERVED
        elif any(q > self.model.available((sku, node)) for sku, node, q in wanted):
            assert result.outcome == ReserveOutcome.INSUFFICIENT
        else:
            assert result.outcome == ReserveOutcome.RESERVED
            self.model.orders[order] = ModelOrder(wanted, expires=self.now + HOLD)

    @rule(order=st.sampled_from(ORDERS))
    def release(self, order: str) -> None:
        held = order in self.model.orders and self.model.orders[order].status == ReservationStatus.HELD
        assert self.table.release(order, now=self.now) is held
        if held:
            self.model.orders[order].status = ReservationStatus.RELEASED

    @rule(order=st.sampled_from(ORDERS))
    def commit(self, order: str) -> None:
        known = self.model.orders.get(order)
        if known is None or known.status == ReservationStatus.RELEASED:
            with pytest.raises(ReservationNotHeld):
                self.table.commit(order, now=self.now)
            return
        assert self.table.commit(order, now=self.now) is (known.status == ReservationStatus.HELD)
        if known.status == ReservationStatus.HELD:
            known.status = ReservationStatus.COMMITTED
            for sku, node, q in known.lines:
                self.model.on_hand[(sku, node)] -= q

    @rule(order=st.sampled_from(ORDERS), hours=st.integers(1, 4))
    def extend(self, order: str, hours: int) -> None:
        until = self.now + timedelta(hours=hours)
        known = self.model.orders.get(order)
        changes = known is not None and known.status == ReservationStatus.HELD and until > known.expires
        assert self.table.extend(order, until) is changes
        if changes and known is not None:
            known.expires = until

    @rule(minutes=st.sampled_from([30, 90, 150]))
    def time_passes_and_the_sweeper_runs(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        due = [o for o in self.model.orders.values() if o.status == ReservationStatus.HELD and o.expires <= self.now]
        assert sweeper.sweep(self.now, lookback_hours=24, inventory=self.table)["expired"] == len(due)
        for order in due:
            order.status = ReservationStatus.RELEASED

    @rule(sku_node=st.sampled_from(SKU_NODES))
    def rebalance(self, sku_node: tuple[str, str]) -> None:
        self.table.rebalance(*sku_node, now=self.now)

    @rule(buckets=st.integers(1, 4))
    def reshard(self, buckets: int) -> None:
        self.table.set_sharding("HOT", "WH-HZ", buckets, now=self.now)

    @rule(sku_node=st.sampled_from(SKU_NODES), count=st.integers(0, 12))
    def stock_take(self, sku_node: tuple[str, str], count: int) -> None:
        if count < self.model.reserved(sku_node):
            with pytest.raises(InvalidStockRequest):
                self.table.set_on_hand(*sku_node, count, now=self.now)
            return
        self.table.set_on_hand(*sku_node, count, now=self.now)
        self.model.on_hand[sku_node] = count

    @invariant()
    def ledger_is_sound_and_matches_the_model(self) -> None:
        assert check_ledger(*self.table.ledger()) == []
        for sku, node in SKU_NODES:
            level = self.table.level(sku, node)
            assert level is not None
            expected = (self.model.on_hand[(sku, node)], self.model.reserved((sku, node)))
            assert (level.on_hand, level.reserved) == expected
            assert level.available == level.on_hand - level.reserved >= 0
        for order, known in self.model.orders.items():
            stored = self.table.reservation(order)
            assert stored is not None and stored.status == known.status


def test_random_ledger_histories_keep_the_invariants(hub_aws):
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            database=None,
        ),
    )
