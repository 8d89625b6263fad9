"""`OrdersTable.record_platform_order` against moto: a duplicate or older version writes nothing, and is refused
without a transaction (a cancelled transaction still costs write capacity)."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hubcore import aws
from hubcore.adapters.orders_table import OrdersTable
from tests.unit.core.factories import make_order

T0 = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)


@pytest.fixture
def calls(hub_aws: Any) -> Any:
    seen: Counter[str] = Counter()

    def observe(model: Any, **_: Any) -> None:
        seen[model.name] += 1

    aws.CALL_OBSERVERS.append(observe)
    aws.reset_clients()
    yield seen
    aws.CALL_OBSERVERS.remove(observe)
    aws.reset_clients()


def test_a_new_then_newer_version_is_written_each_time(calls: Counter[str]) -> None:
    table = OrdersTable()
    older, newer = make_order(updated_at=T0), make_order(updated_at=T0 + timedelta(minutes=5))
    first = table.record_platform_order(older)
    second = table.record_platform_order(newer)
    assert first.applied and first.previous is None
    assert second.applied and second.previous is not None and second.previous.version == older.version
    assert calls["TransactWriteItems"] == 2
    stored = table.get(newer.order_key)
    assert stored is not None and stored.version == newer.version


@pytest.mark.parametrize("offset", [timedelta(0), -timedelta(minutes=5)], ids=["duplicate", "older"])
def test_a_duplicate_or_older_version_is_refused_without_a_transaction(calls: Counter[str], offset: timedelta) -> None:
    table = OrdersTable()
    table.record_platform_order(make_order(updated_at=T0))
    calls.clear()
    again = table.record_platform_order(make_order(updated_at=T0 + offset))
    assert not again.applied
    assert again.previous is not None and again.previous.version == make_order(updated_at=T0).version
    assert calls["TransactWriteItems"] == 0 and calls["GetItem"] == 1
    stored = table.get(make_order(updated_at=T0).order_key)
    assert stored is not None and stored.version == make_order(updated_at=T0).version
