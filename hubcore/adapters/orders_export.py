"""Read-only export of stored orders (the orders table's `ORDER#…`/`META` items) as JSON Lines of canonical orders,
the input of `omnihub replay`. The table has no index by time or channel, so this is a paginated Scan filtered
to order META items (and, when asked, to a channel and to orders updated since a time); only `Scan` is called.

The file holds what the table holds: receiver ciphertext and masked text, never plaintext. Treat it as
confidential and delete it after the replay.
"""

import argparse
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from hubcore.adapters.orders_table import META
from hubcore.aws import client, reset_clients
from hubcore.settings import settings
from schemas.order import Order

ORDER_PREFIX = "ORDER#"


@dataclass
class ExportResult:
    written: int = 0
    unreadable: list[str] = field(default_factory=list)  # order items whose stored JSON no longer validates


class OrdersExport:
    def __init__(self, table_name: str | None = None, *, page_size: int = 500) -> None:
        self._table = table_name or settings().orders_table
        self._page_size = page_size

    def _items(self, channel: str | None, since: datetime | None) -> Iterator[dict[str, Any]]:
        # Every attribute by placeholder: ORDER (and others) are DynamoDB reserved words.
        conditions = ["#sk = :meta", "begins_with(#pk, :order)"]
        values: dict[str, Any] = {":meta": {"S": META}, ":order": {"S": ORDER_PREFIX}}
        names = {"#pk": "pk", "#sk": "sk", "#order": "order"}
        if channel:
            names["#channel"] = "channel"
            conditions.append("#channel = :channel")
            values[":channel"] = {"S": channel}
        if since:
            # A coarse pre-filter on the stored update time (an order created since `since` was updated since
            # then too; both are UTC ISO strings, which compare in time order); created_at is checked exactly below.
            names["#updated"] = "platform_updated_at"
            conditions.append("#updated >= :since")
            values[":since"] = {"S": since.astimezone(UTC).isoformat()}
        pages = (
            client("dynamodb")
            .get_paginator("scan")
            .paginate(
                TableName=self._table,
                FilterExpression=" AND ".join(conditions),
                ProjectionExpression="#pk, #order",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                PaginationConfig={"PageSize": self._page_size},
            )
        )
        for page in pages:
            yield from page.get("Items", [])

    def orders(
        self, *, channel: str | None = None, since: datetime | None = None, result: ExportResult | None = None
    ) -> Iterator[Order]:
        """Every stored order (of `channel`, created at or after `since`), in scan order."""
        for item in self._items(channel, since):
            try:
                order = Order.model_validate_json(item["order"]["S"])
            except (KeyError, ValidationError):
                if result is not None:
                    result.unreadable.append(item["pk"]["S"].removeprefix(ORDER_PREFIX))
                continue
            if since is None or order.created_at >= since:
                yield order

    def write_jsonl(self, stream: TextIO, *, channel: str | None = None, since: datetime | None = None) -> ExportResult:
        result = ExportResult()
        for order in self.orders(channel=channel, since=since, result=result):
            stream.write(order.model_dump_json() + "\n")
            result.written += 1
        return result


def _since(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no timezone (e.g. 2026-11-23T00:00:00+08:00)")
    return moment


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="omnihub export-orders", description="export stored orders as JSON Lines for omnihub replay (read-only)"
    )
    parser.add_argument("--out", required=True, help="JSON Lines file to write")
    parser.add_argument("--channel", help="only this channel, e.g. douyin")
    parser.add_argument("--since", type=_since, help="only orders created at or after this ISO time (with timezone)")
    parser.add_argument("--table", help="orders table (default: OMNIHUB_ORDERS_TABLE)")
    parser.add_argument("--endpoint", help="AWS endpoint, e.g. the moto port `omnihub local` prints")
    return parser


def export_main(argv: list[str] | None = None) -> int:
    """`omnihub export-orders`: 0 when exported, 1 when some stored orders could not be read (the rest is written),
    2 when the output cannot be written."""
    args = _parser().parse_args(argv)
    if args.endpoint:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
            os.environ.setdefault(name, value)  # moto accepts any credentials; boto3 needs some
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        reset_clients()
    exporter = OrdersExport(args.table)
    try:
        with Path(args.out).open("w", encoding="utf-8") as stream:
            result = exporter.write_jsonl(stream, channel=args.channel, since=args.since)
    except OSError as exc:
        print(f"omnihub export-orders: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"exported {result.written} orders to {args.out}")
    for order_key in result.unreadable:
        print(f"  skipped {order_key}: the stored order does not validate", file=sys.stderr)
    return 1 if result.unreadable else 0


if __name__ == "__main__":
    sys.exit(export_main())
