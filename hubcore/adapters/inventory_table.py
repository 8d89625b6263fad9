"""The stock ledger: warehouse nodes, stock per SKU per node, and per-order reservations.

Items (table `OMNIHUB_INVENTORY_TABLE`, keys `pk`/`sk`):
- node        `NODE` / `NODE#{node_id}`: name, province, priority (lower first), active
- stock       `SKU#{sku}` / `NODE#{node_id}`: on_hand, reserved, available (= on_hand - reserved)
- res. line   `RES#{order_key}` / `LINE#{sku}#NODE#{node_id}`: quantity, status HELD/COMMITTED/RELEASED
- res. header `RES#{order_key}` / `HEADER`: node_id, lines, status

A reservation is ONE TransactWriteItems: per line an Update of the stock item conditioned on
`available >= :q` and a Put of the line conditioned on `attribute_not_exists(pk)`, plus the header Put
(also `attribute_not_exists(pk)`: one reservation per order, the duplicate guard). A cancelled transaction
applies nothing, so a retry never reserves twice and no condition failure can oversell. Release and commit
are transactions conditioned on the header and lines being HELD, which makes them idempotent.
Invariant per stock item: 0 <= reserved <= on_hand and available = on_hand - reserved.
"""

import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from hubcore.aws import client
from hubcore.errors import HubError
from hubcore.settings import settings
from schemas.timeutil import utc_now

MAX_LINES_PER_RESERVATION = 49  # 2 actions per line + the header, under DynamoDB's 100 actions per transaction
_CONFLICT_ATTEMPTS = 5


class ReservationConflict(HubError):
    """DynamoDB kept cancelling the transaction for a concurrent write: transient, retry later."""

    code = "RESERVATION_CONFLICT"
    http_status = 503


class ReservationNotHeld(HubError):
    """A commit found no HELD reservation to commit (none, or already released)."""

    code = "RESERVATION_NOT_HELD"
    http_status = 409


class ReservationStatus(StrEnum):
    HELD = "HELD"
    COMMITTED = "COMMITTED"
    RELEASED = "RELEASED"


class ReserveOutcome(StrEnum):
    RESERVED = "RESERVED"
    ALREADY_RESERVED = "ALREADY_RESERVED"
    INSUFFICIENT = "INSUFFICIENT"  # the node cannot fill every line


@dataclass(frozen=True)
class Node:
    node_id: str
    name: str
    province: str
    priority: int = 100  # lower is tried first among nodes of the same province rank
    city: str | None = None
    active: bool = True


@dataclass(frozen=True)
class StockLevel:
    sku: str
    node_id: str
    on_hand: int
    reserved: int
    available: int


@dataclass(frozen=True)
class ReservationLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Reservation:
    order_key: str
    node_id: str
    lines: tuple[ReservationLine, ...]
    status: ReservationStatus
    created_at: str


@dataclass(frozen=True)
class ReserveResult:
    outcome: ReserveOutcome
    reservation: Reservation | None = None
    shortages: tuple[tuple[str, int, int], ...] = ()  # (sku, requested, available at the node)


def node_key(node_id: str) -> dict[str, Any]:
    return {"pk": {"S": "NODE"}, "sk": {"S": f"NODE#{node_id}"}}


def stock_key(sku: str, node_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"SKU#{sku}"}, "sk": {"S": f"NODE#{node_id}"}}


def reservation_pk(order_key: str) -> str:
    return f"RES#{order_key}"


_DESERIALIZER = TypeDeserializer()


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _DESERIALIZER.deserialize(v) for k, v in item.items()}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _reasons(exc: ClientError) -> list[dict[str, Any]]:
    if exc.response["Error"]["Code"] != "TransactionCanceledException":
        raise exc
    reasons: list[dict[str, Any]] = exc.response.get("CancellationReasons", [])
    return reasons


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.05 * 2**attempt))  # full jitter


class InventoryTable:
    def __init__(self, table_name: str | None = None) -> None:
        self._table = table_name or settings().inventory_table

    # --- master data and seeding ---

    def put_node(
        self,
        node_id: str,
        *,
        name: str,
        province: str,
        city: str | None = None,
        priority: int = 100,
        active: bool = True,
    ) -> Node:
        """Create or replace a warehouse node's master data."""
        item: dict[str, Any] = {
            **node_key(node_id),
            "node_id": {"S": node_id},
            "name": {"S": name},
            "province": {"S": province},
            "priority": _n(priority),
            "active": {"BOOL": active},
        }
        if city:
            item["city"] = {"S": city}
        client("dynamodb").put_item(TableName=self._table, Item=item)
        return Node(node_id, name, province, priority, city, active)

    def nodes(self) -> list[Node]:
        response = client("dynamodb").query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "NODE"}},
            ConsistentRead=True,
        )
        return [
            Node(
                node_id=str(item["node_id"]),
                name=str(item["name"]),
                province=str(item["province"]),
                priority=int(item["priority"]),
                city=str(item["city"]) if item.get("city") else None,
                active=bool(item.get("active", True)),
            )
            for item in map(_plain, response.get("Items", []))
        ]

    def set_on_hand(self, sku: str, node_id: str, on_hand: int, *, now: datetime | None = None) -> StockLevel:
        """Set the physical count (a stock take or the demo's seed). Refused if it would drop below `reserved`."""
        if on_hand < 0:
            raise ValueError("on_hand cannot be negative")
        now = now or utc_now()
        for _ in range(_CONFLICT_ATTEMPTS):
            found = client("dynamodb").get_item(TableName=self._table, Key=stock_key(sku, node_id), ConsistentRead=True)
            reserved = int(found["Item"]["reserved"]["N"]) if "Item" in found else 0
            if on_hand < reserved:
                raise ValueError(f"on_hand {on_hand} is below the {reserved} units reserved")
            condition = "attribute_not_exists(pk)" if "Item" not in found else "reserved = :r"
            values = {":r": _n(reserved)} if "Item" in found else {}
            try:
                client("dynamodb").put_item(
                    TableName=self._table,
                    Item={
                        **stock_key(sku, node_id),
                        "sku": {"S": sku},
                        "node_id": {"S": node_id},
                        "on_hand": _n(on_hand),
                        "reserved": _n(reserved),
                        "available": _n(on_hand - reserved),
                        "updated_at": {"S": now.isoformat()},
                    },
                    ConditionExpression=condition,
                    **({"ExpressionAttributeValues": values} if values else {}),
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                continue  # a reservation moved the counters in between: read again
            return StockLevel(sku, node_id, on_hand, reserved, on_hand - reserved)
        raise ReservationConflict(f"stock of {sku} at {node_id} kept changing while being set")

    def seed(self, nodes: Iterable[Node], stock: Iterable[tuple[str, str, int]]) -> None:
        """Nodes, then `(sku, node_id, on_hand)` counts: what the local hub's demo starts from."""
        for node in nodes:
            self.put_node(
                node.node_id,
                name=node.name,
                province=node.province,
                city=node.city,
                priority=node.priority,
                active=node.active,
            )
        for sku, node_id, on_hand in stock:
            self.set_on_hand(sku, node_id, on_hand)

    def stock(self, sku: str) -> list[StockLevel]:
        response = client("dynamodb").query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :node)",
            ExpressionAttributeValues={":pk": {"S": f"SKU#{sku}"}, ":node": {"S": "NODE#"}},
            ConsistentRead=True,
        )
        return [
            StockLevel(
                sku=sku,
                node_id=str(item["sk"]).removeprefix("NODE#"),
                on_hand=int(item.get("on_hand", 0)),
                reserved=int(item.get("reserved", 0)),
                available=int(item.get("available", 0)),
            )
            for item in map(_plain, response.get("Items", []))
        ]

    def reservation_counts(self) -> dict[str, int]:
        """Reservation lines per status (HELD/COMMITTED/RELEASED). A full Scan: for the local demo and ops
        checks on small tables, never on a request path."""
        counts: dict[str, int] = {}
        paginator = client("dynamodb").get_paginator("scan")
        pages = paginator.paginate(
            TableName=self._table,
            FilterExpression="begins_with(pk, :res) AND begins_with(sk, :line)",
            ExpressionAttributeValues={":res": {"S": "RES#"}, ":line": {"S": "LINE#"}},
            ProjectionExpression="#s",
            ExpressionAttributeNames={"#s": "status"},
        )
        for page in pages:
            for item in page.get("Items", []):
                status = str(item["status"]["S"])
                counts[status] = counts.get(status, 0) + 1
        return counts

    # --- reservations ---

    def reservation(self, order_key: str) -> Reservation | None:
        response = client("dynamodb").get_item(
            TableName=self._table,
            Key={"pk": {"S": reservation_pk(order_key)}, "sk": {"S": "HEADER"}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        if not item:
            return None
        plain = _plain(item)
        return Reservation(
            order_key=order_key,
            node_id=str(plain["node_id"]),
            lines=tuple(ReservationLine(str(line["sku"]), int(line["quantity"])) for line in plain["lines"]),
            status=ReservationStatus(str(plain["status"])),
            created_at=str(plain["created_at"]),
        )

    def reserve(
        self, order_key: str, node_id: str, lines: Sequence[ReservationLine], *, now: datetime | None = None
    ) -> ReserveResult:
        """Reserve every line at one node, all or nothing. Idempotent per order key."""
        if not lines or len({line.sku for line in lines}) != len(lines):
            raise ValueError("a reservation needs at least one line and one line per SKU")
        if len(lines) > MAX_LINES_PER_RESERVATION:
            raise ValueError(f"more than {MAX_LINES_PER_RESERVATION} SKUs in one reservation")
        existing = self.reservation(order_key)
        if existing is not None:
            return ReserveResult(ReserveOutcome.ALREADY_RESERVED, existing)
        now = now or utc_now()
        pk = reservation_pk(order_key)
        items: list[dict[str, Any]] = []
        for line in lines:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": stock_key(line.sku, node_id),
                        "UpdateExpression": (
                            "SET available = available - :q, reserved = reserved + :q, updated_at = :now"
                        ),
                        "ConditionExpression": "available >= :q",
                        "ExpressionAttributeValues": {":q": _n(line.quantity), ":now": {"S": now.isoformat()}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            )
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            "pk": {"S": pk},
                            "sk": {"S": f"LINE#{line.sku}#NODE#{node_id}"},
                            "sku": {"S": line.sku},
                            "node_id": {"S": node_id},
                            "quantity": _n(line.quantity),
                            "status": {"S": ReservationStatus.HELD},
                            "created_at": {"S": now.isoformat()},
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        items.append(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "pk": {"S": pk},
                        "sk": {"S": "HEADER"},
                        "order_key": {"S": order_key},
                        "node_id": {"S": node_id},
                        "lines": {"L": [{"M": {"sku": {"S": x.sku}, "quantity": _n(x.quantity)}} for x in lines]},
                        "status": {"S": ReservationStatus.HELD},
                        "created_at": {"S": now.isoformat()},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        )
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                client("dynamodb").transact_write_items(TransactItems=items)
            except ClientError as exc:
                reasons = _reasons(exc)
                guards = [r for i, r in enumerate(reasons) if i % 2 == 1 or i == len(reasons) - 1]
                if any(r.get("Code") == "ConditionalCheckFailed" for r in guards):
                    found = self.reservation(order_key)
                    if found is not None:
                        return ReserveResult(ReserveOutcome.ALREADY_RESERVED, found)
                shortages = tuple(
                    (line.sku, line.quantity, int(reasons[2 * i].get("Item", {}).get("available", {}).get("N", 0)))
                    for i, line in enumerate(lines)
                    if reasons[2 * i].get("Code") == "ConditionalCheckFailed"
                )
                if shortages:
                    return ReserveResult(ReserveOutcome.INSUFFICIENT, shortages=shortages)
                if any(r.get("Code") == "TransactionConflict" for r in reasons):
                    _backoff(attempt)
                    continue
                raise
            else:
                reservation = Reservation(
                    order_key, node_id, tuple(lines), ReservationStatus.HELD, created_at=now.isoformat()
                )
                return ReserveResult(ReserveOutcome.RESERVED, reservation)
        raise ReservationConflict(f"reservation kept conflicting after {_CONFLICT_ATTEMPTS} attempts")

    def release(self, order_key: str, *, now: datetime | None = None) -> bool:
        """Return a HELD reservation's stock (HELD -> RELEASED). False when there was nothing to release."""
        return self._settle(order_key, ReservationStatus.RELEASED, now=now)

    def commit(self, order_key: str, *, now: datetime | None = None) -> bool:
        """At shipment: HELD -> COMMITTED, on_hand and reserved both decrease. False if already committed."""
        existing = self.reservation(order_key)
        if existing is None or existing.status == ReservationStatus.RELEASED:
            raise ReservationNotHeld(f"no held reservation to commit for {order_key}")
        return self._settle(order_key, ReservationStatus.COMMITTED, now=now)

    def _settle(self, order_key: str, target: ReservationStatus, *, now: datetime | None) -> bool:
        now = now or utc_now()
        for attempt in range(_CONFLICT_ATTEMPTS):
            reservation = self.reservation(order_key)
            if reservation is None or reservation.status != ReservationStatus.HELD:
                return False
            try:
                client("dynamodb").transact_write_items(TransactItems=self._settle_items(reservation, target, now))
            except ClientError as exc:
                reasons = _reasons(exc)
                if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                    return False  # settled concurrently by someone else
                if any(r.get("Code") == "TransactionConflict" for r in reasons):
                    _backoff(attempt)
                    continue
                raise
            return True
        raise ReservationConflict(f"settling the reservation kept conflicting after {_CONFLICT_ATTEMPTS} attempts")

    def _settle_items(self, reservation: Reservation, target: ReservationStatus, now: datetime) -> list[dict[str, Any]]:
        pk = reservation_pk(reservation.order_key)
        status_update = {
            "UpdateExpression": "SET #s = :target, settled_at = :now",
            "ConditionExpression": "#s = :held",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {
                ":target": {"S": target},
                ":held": {"S": ReservationStatus.HELD},
                ":now": {"S": now.isoformat()},
            },
        }
        items: list[dict[str, Any]] = [
            {"Update": {"TableName": self._table, "Key": {"pk": {"S": pk}, "sk": {"S": "HEADER"}}, **status_update}}
        ]
        if target == ReservationStatus.RELEASED:
            stock_expression = "SET available = available + :q, reserved = reserved - :q, updated_at = :now"
            stock_condition = "reserved >= :q"
        else:
            stock_expression = "SET on_hand = on_hand - :q, reserved = reserved - :q, updated_at = :now"
            stock_condition = "reserved >= :q AND on_hand >= :q"
        for line in reservation.lines:
            line_key = {"pk": {"S": pk}, "sk": {"S": f"LINE#{line.sku}#NODE#{reservation.node_id}"}}
            items.append({"Update": {"TableName": self._table, "Key": line_key, **status_update}})
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": stock_key(line.sku, reservation.node_id),
                        "UpdateExpression": stock_expression,
                        "ConditionExpression": stock_condition,
                        "ExpressionAttributeValues": {":q": _n(line.quantity), ":now": {"S": now.isoformat()}},
                    }
                }
            )
        return items
