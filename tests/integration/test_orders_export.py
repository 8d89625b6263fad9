"""`omnihub export-orders` against moto: only order META items, filtered by channel and creation time, every page
read, unreadable items reported, and nothing but Scan called (the export is read-only)."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from hubcore.adapters.orders_export import OrdersExport, export_main
from hubcore.adapters.orders_table import OrdersTable
from hubcore.aws import client
from schemas.order import Order
from tests.unit.core.factories import make_order
from tests.workflows.harness import ORDERS_TABLE, REGION

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _orders() -> list[Order]:
    orders = []
    for n in range(7):
        channel = "douyin" if n % 2 == 0 else "tmall"
        updated = T0 + timedelta(hours=n)
        orders.append(make_order(channel=channel, order_id=f"49000000000000000{n:02d}", updated_at=updated))
    return orders


def _seed(orders: list[Order]) -> None:
    table = OrdersTable()
    for order in orders:
        table.record_platform_order(order, now=order.updated_at)  # META plus a HIST item each
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    # items of the same table that are not orders
    dynamodb.put_item(TableName=ORDERS_TABLE, Item={"pk": {"S": "FULFILMENT#F-1"}, "sk": {"S": "LOOKUP"}})
    dynamodb.put_item(TableName=ORDERS_TABLE, Item={"pk": {"S": "RISK#BUYER#abc"}, "sk": {"S": "2026#x"}})


def _read(path: Path) -> list[Order]:
    return [Order.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_exports_every_stored_order_and_nothing_else(hub_aws: Any, tmp_path: Path) -> None:
    orders = _orders()
    _seed(orders)
    out = tmp_path / "orders.jsonl"

    assert export_main(["--out", str(out), "--table", ORDERS_TABLE]) == 0

    exported = _read(out)
    assert sorted(o.order_key for o in exported) == sorted(o.order_key for o in orders)
    assert {o.order_key: o for o in exported} == {o.order_key: o for o in orders}


def test_every_page_is_read(hub_aws: Any) -> None:
    orders = _orders()
    _seed(orders)
    found = list(OrdersExport(ORDERS_TABLE, page_size=2).orders())
    assert len(found) == len(orders)


def test_channel_and_since_filter(hub_aws: Any, tmp_path: Path) -> None:
    orders = _orders()
    _seed(orders)
    since = orders[3].created_at
    out = tmp_path / "douyin.jsonl"

    assert export_main(["--out", str(out), "--channel", "douyin", "--since", since.isoformat()]) == 0

    expected = {o.order_key for o in orders if o.channel == "douyin" and o.created_at >= since}
    assert {o.order_key for o in _read(out)} == expected
    assert expected  # the filter kept something, and dropped the rest
    assert len(expected) < len(orders)


def test_since_needs_a_timezone(hub_aws: Any, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as raised:
        export_main(["--out", str(tmp_path / "x.jsonl"), "--since", "2026-11-23T00:00:00"])
    assert raised.value.code == 2


def test_an_unreadable_stored_order_is_reported_and_the_rest_exported(
    hub_aws: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = _orders()
    _seed(orders)
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName=ORDERS_TABLE,
        Item={"pk": {"S": "ORDER#douyin:1:broken"}, "sk": {"S": "META"}, "order": {"S": '{"channel": "douyin"}'}},
    )
    out = tmp_path / "orders.jsonl"

    assert export_main(["--out", str(out)]) == 1

    assert len(_read(out)) == len(orders)
    assert "douyin:1:broken" in capsys.readouterr().err


def test_the_export_only_reads(hub_aws: Any, tmp_path: Path) -> None:
    _seed(_orders())
    before = boto3.client("dynamodb", region_name=REGION).scan(TableName=ORDERS_TABLE)["Items"]
    calls: list[str] = []

    def observe(**kwargs: Any) -> None:
        calls.append(kwargs["model"].name)

    events = client("dynamodb").meta.events
    events.register("before-call.dynamodb.*", observe)
    try:
        assert export_main(["--out", str(tmp_path / "orders.jsonl")]) == 0
    finally:
        events.unregister("before-call.dynamodb.*", observe)

    assert calls and set(calls) == {"Scan"}
    after = boto3.client("dynamodb", region_name=REGION).scan(TableName=ORDERS_TABLE)["Items"]
    assert sorted(json.dumps(i, sort_keys=True) for i in after) == sorted(json.dumps(i, sort_keys=True) for i in before)


def test_an_unwritable_output_is_exit_2(hub_aws: Any, tmp_path: Path) -> None:
    assert export_main(["--out", str(tmp_path / "missing-dir" / "orders.jsonl")]) == 2
