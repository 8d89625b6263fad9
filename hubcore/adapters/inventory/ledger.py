"""The stock ledger in DynamoDB (`OMNIHUB_INVENTORY_TABLE`): nodes, stock slots, reservations, expiry index.

Items (keys `pk` / `sk`; docs/stock-ledger.md has the full layout and every transaction's conditions):
- node          `NODE` / `NODE#{node_id}`: name, province, city, priority, active
- stock root    `SKU#{sku}` / `NODE#{node_id}`: on_hand, reserved, available, committed, received, buckets
- stock bucket  `SKU#{sku}` / `NODE#{node_id}#B#{k}`: the same counters (a sharded SKU-node)
- res. header   `RES#{order_key}` / `HEADER`: lines (sku, node_id, quantity, takes), status, expires_at
- res. line     `RES#{order_key}` / `LINE#{sku}#NODE#{node_id}`: quantity, takes, status
- expiry index  `EXPIRY#{yyyy-mm-ddThh}` / `{expires_at}#{order_key}`: one per HELD reservation, deleted when
  it is settled, moved by `extend` (sparse: the sweeper Queries an hour and finds only live holds)

A reservation is ONE TransactWriteItems: per take an Update of a stock slot conditioned on `available >= :q`,
per line a Put conditioned on `attribute_not_exists(pk)`, the header Put (the one-reservation-per-order
guard) and the expiry index Put. A cancelled transaction applies nothing: a retry never reserves twice and no
failed condition can oversell. Release, commit and expiry are transactions conditioned on the header and
lines being HELD (expiry also on `expires_at <= now`), so each is idempotent and they exclude each other.
Lines settle per node: a shipped parcel commits its node's lines at once (`commit(order_key, node_ids=...)`),
a later release returns only the lines still HELD, and the header settles with its last HELD line.
"""

import random
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from hubcore.adapters.inventory.model import (
    MAX_BUCKETS,
    MAX_TRANSACTION_ACTIONS,
    Allocation,
    InvalidStockRequest,
    LedgerLine,
    Node,
    ReleaseReason,
    Reservation,
    ReservationConflict,
    ReservationLine,
    ReservationNotHeld,
    ReservationStatus,
    ReservedLine,
    ReserveOutcome,
    ReserveResult,
    Slot,
    StockLevel,
    expiry_pk,
    expiry_sk,
    line_sk,
    parse_slot_sk,
    reservation_pk,
    slot_sk,
    stock_pk,
    timestamp,
)
from hubcore.adapters.inventory.planning import (
    after_takes,
    needs_rebalance,
    plan_takes,
    rebalance_moves,
    stock_take_moves,
)
from hubcore.aws import client
from hubcore.observability import logger
from hubcore.settings import settings
from schemas.timeutil import utc_now

MAX_LINES_PER_RESERVATION = 49  # one take + one line each, plus header and expiry item: DynamoDB's 100 actions
# The shipment wait (infra_cdk config, 3 days) plus a day: a hold must outlive the workflow that owns it.
DEFAULT_HOLD = timedelta(days=4)
DEFAULT_SWEEP_LOOKBACK_HOURS = 48
_ATTEMPTS = 8

_DESERIALIZER = TypeDeserializer()


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _DESERIALIZER.deserialize(v) for k, v in item.items()}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": _s(pk), "sk": _s(sk)}


def node_key(node_id: str) -> dict[str, Any]:
    return _key("NODE", f"NODE#{node_id}")


def stock_key(sku: str, node_id: str, bucket: int | None = None) -> dict[str, Any]:
    return _key(stock_pk(sku), slot_sk(node_id, bucket))


def _reasons(exc: ClientError) -> list[dict[str, Any]]:
    if exc.response["Error"]["Code"] != "TransactionCanceledException":
        raise exc
    reasons: list[dict[str, Any]] = exc.response.get("CancellationReasons", [])
    return reasons


def _failed(reasons: list[dict[str, Any]], indexes: Iterable[int]) -> bool:
    return any(i < len(reasons) and reasons[i].get("Code") == "ConditionalCheckFailed" for i in indexes)


def _conflicted(reasons: list[dict[str, Any]]) -> bool:
    return any(r.get("Code") == "TransactionConflict" for r in reasons)


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, min(0.02 * 2**attempt, 1.0)))  # full jitter, capped


def _slot(item: dict[str, Any]) -> Slot:
    node_id, bucket = parse_slot_sk(str(item["sk"]))
    return Slot(
        sku=str(item["pk"]).removeprefix("SKU#"),
        node_id=node_id,
        bucket=bucket,
        on_hand=int(item.get("on_hand", 0)),
        reserved=int(item.get("reserved", 0)),
        available=int(item.get("available", 0)),
        committed=int(item.get("committed", 0)),
        received=int(item["received"]) if "received" in item else None,
        buckets=int(item.get("buckets", 1)),
    )


def _takes(value: Any, fallback_sk: str, quantity: int) -> tuple[tuple[str, int], ...]:
    if not value:  # written before takes were recorded: the units came from the root
        return ((fallback_sk, quantity),)
    return tuple(sorted((str(sk), int(units)) for sk, units in value.items()))


def _takes_attribute(takes: Sequence[tuple[str, int]]) -> dict[str, Any]:
    return {"M": {sk: _n(units) for sk, units in takes}}


def _allocations(
    node_id: str | None, lines: Sequence[ReservationLine], allocations: Sequence[Allocation | tuple[str, str, int]]
) -> list[Allocation]:
    if (node_id is None) == (not allocations):
        raise InvalidStockRequest("give either a node with lines or per-line allocations")
    wanted = (
        [Allocation(*allocation) for allocation in allocations]
        if allocations
        else [Allocation(line.sku, node_id or "", line.quantity) for line in lines]
    )
    if not wanted:
        raise InvalidStockRequest("a reservation needs at least one line")
    if len({(a.sku, a.node_id) for a in wanted}) != len(wanted):
        raise InvalidStockRequest("one line per SKU and node")
    if len(wanted) > MAX_LINES_PER_RESERVATION:
        raise InvalidStockRequest(f"more than {MAX_LINES_PER_RESERVATION} lines in one reservation")
    if any(a.quantity <= 0 or not a.sku or not a.node_id for a in wanted):
        raise InvalidStockRequest("every line needs a SKU, a node and a positive quantity")
    return wanted


class InventoryTable:
    def __init__(self, table_name: str | None = None, *, hold: timedelta = DEFAULT_HOLD) -> None:
        self._table = table_name or settings().inventory_table
        self._hold = hold

    # --- master data ---------------------------------------------------------------------------------

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
            "node_id": _s(node_id),
            "name": _s(name),
            "province": _s(province),
            "priority": _n(priority),
            "active": {"BOOL": active},
        }
        if city:
            item["city"] = _s(city)
        client("dynamodb").put_item(TableName=self._table, Item=item)
        return Node(node_id, name, province, priority, city, active)

    def nodes(self) -> list[Node]:
        return [
            Node(
                node_id=str(item["node_id"]),
                name=str(item["name"]),
                province=str(item["province"]),
                priority=int(item["priority"]),
                city=str(item["city"]) if item.get("city") else None,
                active=bool(item.get("active", True)),
            )
            for item in self._query("NODE")
        ]

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

    # --- stock -----------------------------------------------------------------------------------------

    def slots(self, sku: str, node_id: str | None = None) -> list[Slot]:
        """Every stock item of a SKU (at one node if given), root and buckets."""
        found = [_slot(item) for item in self._query(stock_pk(sku), "NODE#")]
        return [slot for slot in found if node_id is None or slot.node_id == node_id]

    def stock(self, sku: str) -> list[StockLevel]:
        """Per node, the sum over its slots."""
        by_node: dict[str, list[Slot]] = defaultdict(list)
        for slot in self.slots(sku):
            by_node[slot.node_id].append(slot)
        return [
            StockLevel(
                sku=sku,
                node_id=node_id,
                on_hand=sum(s.on_hand for s in slots),
                reserved=sum(s.reserved for s in slots),
                available=sum(s.available for s in slots),
                buckets=next((s.buckets for s in slots if s.bucket is None), 1),
            )
            for node_id, slots in by_node.items()
        ]

    def level(self, sku: str, node_id: str) -> StockLevel | None:
        return next((level for level in self.stock(sku) if level.node_id == node_id), None)

    def set_on_hand(self, sku: str, node_id: str, on_hand: int, *, now: datetime | None = None) -> StockLevel:
        """Set the physical count (a stock take or the demo's seed). Refused if it would drop below `reserved`.
        A sharded SKU-node gets the difference spread over its buckets (more) or taken from free units (less)."""
        if on_hand < 0:
            raise InvalidStockRequest("on_hand cannot be negative")
        stamp = timestamp(now or utc_now())
        for attempt in range(_ATTEMPTS):
            slots = self.slots(sku, node_id)
            if not slots:
                if self._create_root(sku, node_id, on_hand, stamp):
                    break
                continue
            moves = stock_take_moves(slots, on_hand)
            if not moves:
                break
            actions = [self._counter_move(s, moves[s.sk], stamp, exact=True) for s in slots if s.sk in moves]
            actions += [self._unchanged(s) for s in slots if s.sk not in moves]
            if not self._transact_or_retry(actions, attempt):
                continue
            break
        else:
            raise ReservationConflict(f"stock of {sku} at {node_id} kept changing while being set")
        level = self.level(sku, node_id)
        assert level is not None
        return level

    def set_sharding(self, sku: str, node_id: str, buckets: int, *, now: datetime | None = None) -> StockLevel:
        """Split a SKU-node's stock into `buckets` items (1 = unsharded) and spread its free units over them.
        Reserved units stay where they were taken and go back there; only free units move."""
        if not 1 <= buckets <= MAX_BUCKETS:
            raise InvalidStockRequest(f"buckets must be between 1 and {MAX_BUCKETS}")
        stamp = timestamp(now or utc_now())
        slots = self.slots(sku, node_id)
        if not any(slot.bucket is None for slot in slots):
            raise InvalidStockRequest(f"no stock is recorded for {sku} at {node_id}")
        existing = {slot.bucket for slot in slots}
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": stock_key(sku, node_id),
                    "UpdateExpression": "SET buckets = :n, updated_at = :now",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":n": _n(buckets), ":now": _s(stamp)},
                }
            }
        ]
        for bucket in range(buckets if buckets > 1 else 0):
            if bucket not in existing:
                actions.append(
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": self._slot_item(sku, node_id, bucket, on_hand=0, stamp=stamp),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    }
                )
        client("dynamodb").transact_write_items(TransactItems=actions)
        self.rebalance(sku, node_id, now=now)
        level = self.level(sku, node_id)
        assert level is not None
        return level

    def rebalance(self, sku: str, node_id: str, *, now: datetime | None = None) -> bool:
        """Spread the free units of a SKU-node evenly over its active buckets in one transaction; the total is
        preserved (every unit taken from one slot is added to another). False if nothing moved."""
        stamp = timestamp(now or utc_now())
        for attempt in range(_ATTEMPTS):
            slots = self.slots(sku, node_id)
            moves = rebalance_moves(slots)
            if not moves:
                return False
            actions = [self._counter_move(s, moves[s.sk], stamp, exact=False) for s in slots if s.sk in moves]
            if self._transact_or_retry(actions, attempt):
                return True
        return False

    # --- reservations ------------------------------------------------------------------------------------

    def reservation(self, order_key: str) -> Reservation | None:
        response = client("dynamodb").get_item(
            TableName=self._table, Key=_key(reservation_pk(order_key), "HEADER"), ConsistentRead=True
        )
        item = response.get("Item")
        if not item:
            return None
        plain = _plain(item)
        status = ReservationStatus(str(plain["status"]))
        header_node = str(plain.get("node_id", ""))
        lines = []
        for line in plain["lines"]:
            node_id = str(line.get("node_id") or header_node)
            quantity = int(line["quantity"])
            takes = _takes(line.get("takes"), slot_sk(node_id, None), quantity)
            # a header written before lines settled per node has no line status: its lines share the header's
            line_status = ReservationStatus(str(line.get("status") or status))
            lines.append(ReservedLine(str(line["sku"]), node_id, quantity, takes, line_status))
        return Reservation(
            order_key=order_key,
            lines=tuple(lines),
            status=status,
            created_at=str(plain["created_at"]),
            expires_at=str(plain.get("expires_at", "")),
            release_reason=str(plain["release_reason"]) if plain.get("release_reason") else None,
        )

    def reserve(
        self,
        order_key: str,
        node_id: str | None = None,
        lines: Sequence[ReservationLine] = (),
        *,
        allocations: Sequence[Allocation | tuple[str, str, int]] = (),
        now: datetime | None = None,
        hold: timedelta | None = None,
    ) -> ReserveResult:
        """Reserve every line, all or nothing, in one transaction. Either `node_id` with `lines` (one node), or
        `allocations` of (sku, node_id, quantity), several nodes per order. Idempotent per order key."""
        wanted = _allocations(node_id, lines, allocations)
        existing = self.reservation(order_key)
        if existing is not None:
            return ReserveResult(ReserveOutcome.ALREADY_RESERVED, existing)
        now = now or utc_now()
        created, expires = timestamp(now), timestamp(now + (hold or self._hold))
        for attempt in range(_ATTEMPTS):
            slots = self._slots_of(wanted)
            planned: list[ReservedLine] = []
            shortages = []
            for a in wanted:
                takes = plan_takes(order_key, a.sku, a.quantity, slots[(a.sku, a.node_id)])
                if takes is None:
                    free = sum(max(s.available, 0) for s in slots[(a.sku, a.node_id)])
                    shortages.append((a.sku, a.quantity, free))
                else:
                    planned.append(ReservedLine(a.sku, a.node_id, a.quantity, takes))
            if shortages:
                return ReserveResult(ReserveOutcome.INSUFFICIENT, shortages=tuple(shortages))
            reservation = Reservation(order_key, tuple(planned), ReservationStatus.HELD, created, expires)
            actions, take_indexes = self._reserve_actions(reservation)
            try:
                client("dynamodb").transact_write_items(TransactItems=actions)
            except ClientError as exc:
                reasons = _reasons(exc)
                guards = [i for i in range(len(actions)) if i not in take_indexes]
                if _failed(reasons, guards):
                    found = self.reservation(order_key)
                    if found is not None:
                        return ReserveResult(ReserveOutcome.ALREADY_RESERVED, found)
                if _failed(reasons, take_indexes) or _conflicted(reasons):
                    _backoff(attempt)  # another order took units since our read: plan again from a fresh read
                    continue
                raise
            self._rebalance_dry_buckets(reservation, slots)
            return ReserveResult(ReserveOutcome.RESERVED, reservation)
        raise ReservationConflict(f"reservation kept conflicting after {_ATTEMPTS} attempts")

    def extend(self, order_key: str, until: datetime) -> bool:
        """Hold a HELD reservation until `until` (never shortens). False when there was nothing to change:
        no held reservation, or it is already held that long. Retrying is harmless."""
        target = timestamp(until)
        for attempt in range(_ATTEMPTS):
            reservation = self.reservation(order_key)
            if reservation is None or reservation.status != ReservationStatus.HELD:
                return False
            if reservation.expires_at >= target:
                return False
            actions: list[dict[str, Any]] = [
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _key(reservation_pk(order_key), "HEADER"),
                        "UpdateExpression": "SET expires_at = :until",
                        "ConditionExpression": "#s = :held AND expires_at = :old",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {
                            ":until": _s(target),
                            ":held": _s(ReservationStatus.HELD),
                            ":old": _s(reservation.expires_at),
                        },
                    }
                },
                *self._expiry_delete(reservation),
                self._expiry_put(order_key, target),
            ]
            if self._transact_or_retry(actions, attempt):
                return True
        raise ReservationConflict(f"extending the hold of {order_key} kept conflicting")

    def release(self, order_key: str, *, now: datetime | None = None) -> bool:
        """Return the stock of a reservation's HELD lines (HELD -> RELEASED); lines already committed (parcels
        that shipped) stay committed. False when there was nothing to release."""
        return self._settle(order_key, ReservationStatus.RELEASED, ReleaseReason.CANCELLED, now=now)

    def expire(self, order_key: str, *, now: datetime | None = None) -> bool:
        """Release the HELD lines of a reservation whose hold has run out. False if none is held or it was
        extended."""
        return self._settle(order_key, ReservationStatus.RELEASED, ReleaseReason.EXPIRED, now=now)

    def commit(self, order_key: str, *, node_ids: Collection[str] | None = None, now: datetime | None = None) -> bool:
        """At shipment: the HELD lines at `node_ids` (every HELD line if None) -> COMMITTED, on_hand and reserved
        both decrease. A parcel commits its node when it ships; the header turns COMMITTED with the last HELD
        line. False if those lines were already committed (a retry). Raises `ReservationNotHeld` when there is
        no reservation, it was released, or every line at `node_ids` was released."""
        if isinstance(node_ids, str):
            raise InvalidStockRequest("node_ids is a collection of node ids, not one id")
        existing = self.reservation(order_key)
        if existing is None or existing.status == ReservationStatus.RELEASED:
            raise ReservationNotHeld(f"no held reservation to commit for {order_key}")
        wanted = [line for line in existing.lines if node_ids is None or line.node_id in node_ids]
        if wanted and all(line.status == ReservationStatus.RELEASED for line in wanted):
            raise ReservationNotHeld(f"the lines of {order_key} at {sorted(node_ids or [])} were released")
        return self._settle(order_key, ReservationStatus.COMMITTED, None, now=now, node_ids=node_ids)

    def due_for_expiry(self, now: datetime, *, lookback_hours: int = DEFAULT_SWEEP_LOOKBACK_HOURS) -> list[str]:
        """Order keys of HELD reservations whose hold ended at or before `now`, from the expiry index:
        one Query per hour from `lookback_hours` ago to now."""
        # `$` sorts right after `#`: every `{expires_at}#{order_key}` with expires_at <= now is below it.
        upper = f"{timestamp(now)}$"
        due: list[str] = []
        for hours_ago in range(lookback_hours, -1, -1):
            partition = expiry_pk(now - timedelta(hours=hours_ago))
            for item in self._query(partition, below=upper):
                due.append(str(item["order_key"]))
        return due

    # --- whole-ledger reads (ops) -------------------------------------------------------------------------

    def ledger(self) -> tuple[list[Slot], list[LedgerLine]]:
        """Every stock slot and reservation line: a Scan, for the invariant check and small tables only."""
        slots: list[Slot] = []
        lines: list[LedgerLine] = []
        for item in self._scan():
            pk, sk = str(item["pk"]), str(item["sk"])
            if pk.startswith("SKU#") and sk.startswith("NODE#"):
                slots.append(_slot(item))
            elif pk.startswith("RES#") and sk.startswith("LINE#"):
                quantity = int(item["quantity"])
                node_id = str(item["node_id"])
                lines.append(
                    LedgerLine(
                        order_key=pk.removeprefix("RES#"),
                        sku=str(item["sku"]),
                        node_id=node_id,
                        quantity=quantity,
                        status=ReservationStatus(str(item["status"])),
                        takes=_takes(item.get("takes"), slot_sk(node_id, None), quantity),
                    )
                )
        return slots, lines

    def reservation_counts(self) -> dict[str, int]:
        """Reservation lines per status (HELD/COMMITTED/RELEASED). A full Scan: for the local demo and ops
        checks on small tables, never on a request path."""
        counts: dict[str, int] = {}
        for line in self.ledger()[1]:
            counts[line.status] = counts.get(line.status, 0) + 1
        return counts

    # --- internals -------------------------------------------------------------------------------------------

    def _query(self, pk: str, prefix: str | None = None, *, below: str | None = None) -> list[dict[str, Any]]:
        condition, values = "pk = :pk", {":pk": _s(pk)}
        if prefix is not None:
            condition += " AND begins_with(sk, :prefix)"
            values[":prefix"] = _s(prefix)
        if below is not None:
            condition += " AND sk < :below"
            values[":below"] = _s(below)
        found: list[dict[str, Any]] = []
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
        }
        while True:
            response = client("dynamodb").query(**args)
            found.extend(map(_plain, response.get("Items", [])))
            if "LastEvaluatedKey" not in response:
                return found
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _scan(self) -> Iterable[dict[str, Any]]:
        paginator = client("dynamodb").get_paginator("scan")
        for page in paginator.paginate(TableName=self._table, ConsistentRead=True):
            yield from map(_plain, page.get("Items", []))

    def _slots_of(self, wanted: Sequence[Allocation]) -> dict[tuple[str, str], list[Slot]]:
        by_key: dict[tuple[str, str], list[Slot]] = {(a.sku, a.node_id): [] for a in wanted}
        for sku in dict.fromkeys(a.sku for a in wanted):
            for slot in self.slots(sku):
                if (sku, slot.node_id) in by_key:
                    by_key[(sku, slot.node_id)].append(slot)
        return by_key

    def _slot_item(self, sku: str, node_id: str, bucket: int | None, *, on_hand: int, stamp: str) -> dict[str, Any]:
        return {
            **stock_key(sku, node_id, bucket),
            "sku": _s(sku),
            "node_id": _s(node_id),
            "on_hand": _n(on_hand),
            "reserved": _n(0),
            "available": _n(on_hand),
            "committed": _n(0),
            "received": _n(on_hand),
            "updated_at": _s(stamp),
            **({"buckets": _n(1)} if bucket is None else {"bucket": _n(bucket)}),
        }

    def _create_root(self, sku: str, node_id: str, on_hand: int, stamp: str) -> bool:
        try:
            client("dynamodb").put_item(
                TableName=self._table,
                Item=self._slot_item(sku, node_id, None, on_hand=on_hand, stamp=stamp),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False  # created concurrently: read again
        return True

    def _counter_move(self, slot: Slot, delta: int, stamp: str, *, exact: bool) -> dict[str, Any]:
        """Add `delta` units to a slot's on-hand and free counts (a stock take or a rebalance)."""
        conditions = ["attribute_exists(pk)"]
        values: dict[str, Any] = {
            ":d": _n(delta),
            ":now": _s(stamp),
            # `received` predates no slot written here, but a root written by an older ledger lacks it
            ":base": _n(slot.received if slot.received is not None else slot.on_hand + slot.committed),
        }
        if exact:  # a stock take sets a count: nothing may have shipped or moved since the read
            conditions.append("on_hand = :seen")
            values[":seen"] = _n(slot.on_hand)
        if delta < 0:
            conditions.append("available >= :m")
            values[":m"] = _n(-delta)
        return {
            "Update": {
                "TableName": self._table,
                "Key": _key(stock_pk(slot.sku), slot.sk),
                "UpdateExpression": (
                    "SET on_hand = on_hand + :d, available = available + :d, "
                    "received = if_not_exists(received, :base) + :d, updated_at = :now"
                ),
                "ConditionExpression": " AND ".join(conditions),
                "ExpressionAttributeValues": values,
            }
        }

    def _unchanged(self, slot: Slot) -> dict[str, Any]:
        return {
            "ConditionCheck": {
                "TableName": self._table,
                "Key": _key(stock_pk(slot.sku), slot.sk),
                "ConditionExpression": "on_hand = :seen",
                "ExpressionAttributeValues": {":seen": _n(slot.on_hand)},
            }
        }

    def _transact_or_retry(self, actions: list[dict[str, Any]], attempt: int) -> bool:
        """True if applied; False (after a backoff) if a condition or a concurrent write cancelled it."""
        try:
            client("dynamodb").transact_write_items(TransactItems=actions)
        except ClientError as exc:
            reasons = _reasons(exc)
            if _failed(reasons, range(len(reasons))) or _conflicted(reasons):
                _backoff(attempt)
                return False
            raise
        return True

    def _expiry_put(self, order_key: str, expires_at: str) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": {
                    **_key(expiry_pk(datetime.fromisoformat(expires_at)), expiry_sk(expires_at, order_key)),
                    "order_key": _s(order_key),
                    "expires_at": _s(expires_at),
                },
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _expiry_delete(self, reservation: Reservation) -> list[dict[str, Any]]:
        if not reservation.expires_at:  # held before expiry existed: no index item
            return []
        at = reservation.expires_at
        key = _key(expiry_pk(datetime.fromisoformat(at)), expiry_sk(at, reservation.order_key))
        return [{"Delete": {"TableName": self._table, "Key": key}}]

    def _reserve_actions(self, reservation: Reservation) -> tuple[list[dict[str, Any]], set[int]]:
        """The reservation's transaction, and the positions of its stock updates (the rest are guards)."""
        pk, stamp = reservation_pk(reservation.order_key), reservation.created_at
        held = _s(ReservationStatus.HELD)
        actions: list[dict[str, Any]] = []
        take_indexes: set[int] = set()
        for line in reservation.lines:
            for sk, units in line.takes:
                take_indexes.add(len(actions))
                actions.append(
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _key(stock_pk(line.sku), sk),
                            "UpdateExpression": (
                                "SET available = available - :q, reserved = reserved + :q, updated_at = :now"
                            ),
                            "ConditionExpression": "available >= :q",
                            "ExpressionAttributeValues": {":q": _n(units), ":now": _s(stamp)},
                        }
                    }
                )
            actions.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **_key(pk, line_sk(line.sku, line.node_id)),
                            "sku": _s(line.sku),
                            "node_id": _s(line.node_id),
                            "quantity": _n(line.quantity),
                            "takes": _takes_attribute(line.takes),
                            "status": held,
                            "created_at": _s(stamp),
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        header_lines = [
            {
                "M": {
                    "sku": _s(line.sku),
                    "node_id": _s(line.node_id),
                    "quantity": _n(line.quantity),
                    "takes": _takes_attribute(line.takes),
                    "status": held,  # mirrors the line item's status, so one GetItem reads the whole state
                }
            }
            for line in reservation.lines
        ]
        actions.append(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **_key(pk, "HEADER"),
                        "order_key": _s(reservation.order_key),
                        "node_id": _s(reservation.node_id),
                        "lines": {"L": header_lines},
                        "status": held,
                        "created_at": _s(stamp),
                        "expires_at": _s(reservation.expires_at),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        )
        actions.append(self._expiry_put(reservation.order_key, reservation.expires_at))
        if len(actions) > MAX_TRANSACTION_ACTIONS:
            raise InvalidStockRequest(
                f"the reservation needs {len(actions)} writes, over DynamoDB's {MAX_TRANSACTION_ACTIONS}: split it"
            )
        return actions, take_indexes

    def _rebalance_dry_buckets(self, reservation: Reservation, before: dict[tuple[str, str], list[Slot]]) -> None:
        for line in reservation.lines:
            if needs_rebalance(after_takes(before[(line.sku, line.node_id)], line.takes)):
                try:  # best effort: the reservation stands whether or not the units move now
                    self.rebalance(line.sku, line.node_id)
                except ClientError:
                    logger.warning("rebalance after a reservation failed", sku=line.sku, node_id=line.node_id)

    def _settle(
        self,
        order_key: str,
        target: ReservationStatus,
        reason: ReleaseReason | None,
        *,
        now: datetime | None,
        node_ids: Collection[str] | None = None,
    ) -> bool:
        """Settle the HELD lines (at `node_ids`, or all) to `target` in one transaction, retried from a fresh
        read when a concurrent settle or extension cancelled it. False when no such line is HELD."""
        stamp = timestamp(now or utc_now())
        for attempt in range(_ATTEMPTS):
            reservation = self.reservation(order_key)
            if reservation is None or reservation.status != ReservationStatus.HELD:
                return False
            if reason is ReleaseReason.EXPIRED and not (reservation.expires_at and reservation.expires_at <= stamp):
                return False
            settling = [line for line in reservation.held_lines if node_ids is None or line.node_id in node_ids]
            if not settling:
                return False
            actions = self._settle_actions(reservation, settling, target, reason, stamp)
            if self._transact_or_retry(actions, attempt):
                return True
        raise ReservationConflict(f"settling the reservation kept conflicting after {_ATTEMPTS} attempts")

    def _settle_actions(
        self,
        reservation: Reservation,
        settling: Sequence[ReservedLine],
        target: ReservationStatus,
        reason: ReleaseReason | None,
        stamp: str,
    ) -> list[dict[str, Any]]:
        """Header, the settling lines and their takes (each unit back to or off the slot it came from). When HELD
        lines remain, a ConditionCheck on each keeps them HELD: of two concurrent partial settles, the second
        is cancelled and, re-read, finds itself the last one, so the header never stays HELD with no HELD line."""
        pk = reservation_pk(reservation.order_key)
        values = {":target": _s(target), ":held": _s(ReservationStatus.HELD), ":now": _s(stamp)}
        remaining = [line for line in reservation.held_lines if line not in settling]
        header_values = dict(values)
        # the header's copy of each settling line's status, updated with the line item
        parts = [f"#lines[{i}].#s = :target" for i, line in enumerate(reservation.lines) if line in settling]
        parts.append("updated_at = :now")
        if not remaining:
            shipped = target == ReservationStatus.COMMITTED or any(
                line.status == ReservationStatus.COMMITTED for line in reservation.lines
            )
            header_values[":header"] = _s(ReservationStatus.COMMITTED if shipped else ReservationStatus.RELEASED)
            parts += ["#s = :header", "settled_at = :now"]
            if reason is not None:
                parts.append("release_reason = :reason")
                header_values[":reason"] = _s(reason)
        header_set = "SET " + ", ".join(parts)
        header_condition = "#s = :held"
        if reason is ReleaseReason.EXPIRED:  # an extension that won the race keeps the hold
            header_condition += " AND expires_at <= :now"
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _key(pk, "HEADER"),
                    "UpdateExpression": header_set,
                    "ConditionExpression": header_condition,
                    "ExpressionAttributeNames": {"#s": "status", "#lines": "lines"},
                    "ExpressionAttributeValues": header_values,
                }
            }
        ]
        if target == ReservationStatus.RELEASED:
            stock_expression = "SET available = available + :q, reserved = reserved - :q, updated_at = :now"
            stock_condition = "reserved >= :q"
        else:
            stock_expression = (
                "SET on_hand = on_hand - :q, reserved = reserved - :q, updated_at = :now ADD committed :q"
            )
            stock_condition = "reserved >= :q AND on_hand >= :q"
        for line in settling:
            actions.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _key(pk, line_sk(line.sku, line.node_id)),
                        "UpdateExpression": "SET #s = :target, settled_at = :now",
                        "ConditionExpression": "#s = :held",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": values,
                    }
                }
            )
            for sk, units in line.takes:
                actions.append(
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _key(stock_pk(line.sku), sk),
                            "UpdateExpression": stock_expression,
                            "ConditionExpression": stock_condition,
                            "ExpressionAttributeValues": {":q": _n(units), ":now": _s(stamp)},
                        }
                    }
                )
        for line in remaining:
            actions.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": _key(pk, line_sk(line.sku, line.node_id)),
                        "ConditionExpression": "#s = :held",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {":held": _s(ReservationStatus.HELD)},
                    }
                }
            )
        if not remaining:
            actions.extend(self._expiry_delete(reservation))
        return actions
