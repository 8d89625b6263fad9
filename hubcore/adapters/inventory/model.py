"""The stock ledger's vocabulary: item keys, stock slots, reservations and the ledger's errors (no boto3).

A SKU at a node keeps its stock in one or more *slots*. Unsharded: the root item `SKU#{sku}` / `NODE#{node}`.
Sharded into N buckets: bucket items `SKU#{sku}` / `NODE#{node}#B#{k}` (k < N) take the traffic; the root
item records N and keeps only units that were reserved on it before the split (they return to it). A bucket
k >= N (left over after N was lowered) is *retired* the same way: it holds no free units after a rebalance.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple

from hubcore.errors import HubError

MAX_TRANSACTION_ACTIONS = 100  # DynamoDB's limit per TransactWriteItems
MAX_BUCKETS = 32
BUCKET_MARK = "#B#"


class ReservationConflict(HubError):
    """DynamoDB kept cancelling the transaction for a concurrent write: transient, retry later."""

    code = "RESERVATION_CONFLICT"
    http_status = 503


class ReservationNotHeld(HubError):
    """A commit found no HELD reservation to commit (none, or already released)."""

    code = "RESERVATION_NOT_HELD"
    http_status = 409


class InvalidStockRequest(HubError, ValueError):
    """A reservation, stock take or sharding request that cannot be right; nothing was written."""

    code = "INVALID_STOCK_REQUEST"
    http_status = 400


class ReservationStatus(StrEnum):
    HELD = "HELD"
    COMMITTED = "COMMITTED"
    RELEASED = "RELEASED"


class ReleaseReason(StrEnum):
    CANCELLED = "CANCELLED"  # cancellation, refund, a failed or timed-out workflow
    EXPIRED = "EXPIRED"  # the hold ran out (the sweeper)


class ReserveOutcome(StrEnum):
    RESERVED = "RESERVED"
    ALREADY_RESERVED = "ALREADY_RESERVED"
    INSUFFICIENT = "INSUFFICIENT"  # some allocation cannot be filled at its node


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
    """One SKU at one node: the sum over its slots."""

    sku: str
    node_id: str
    on_hand: int
    reserved: int
    available: int
    buckets: int = 1


class Allocation(NamedTuple):
    """Units of one SKU to reserve at one node; an order may have several nodes (split shipment)."""

    sku: str
    node_id: str
    quantity: int


@dataclass(frozen=True)
class ReservationLine:
    """A single-node request line: `reserve(order_key, node_id, lines)`."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class ReservedLine:
    """A reservation line as stored: its units and the slot (stock item sort key) each unit came from."""

    sku: str
    node_id: str
    quantity: int
    takes: tuple[tuple[str, int], ...]  # (slot sort key, units), returned to that slot on release/commit
    status: ReservationStatus = ReservationStatus.HELD  # lines settle one node at a time (partial commit)


@dataclass(frozen=True)
class Reservation:
    """One order's reservation. Its lines settle per node (a parcel's lines commit when it ships); the header
    `status` stays HELD while any line is HELD, then is COMMITTED if any line was committed (a partly shipped
    order whose other lines were released keeps a `release_reason`), else RELEASED."""

    order_key: str
    lines: tuple[ReservedLine, ...]
    status: ReservationStatus
    created_at: str
    expires_at: str
    release_reason: str | None = None

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(line.node_id for line in self.lines))

    @property
    def node_id(self) -> str:
        """The node of a single-node reservation (for a split one, its first node: use `node_ids`)."""
        return self.lines[0].node_id

    @property
    def held_lines(self) -> tuple[ReservedLine, ...]:
        return tuple(line for line in self.lines if line.status == ReservationStatus.HELD)


@dataclass(frozen=True)
class ReserveResult:
    outcome: ReserveOutcome
    reservation: Reservation | None = None
    shortages: tuple[tuple[str, int, int], ...] = ()  # per short allocation: (sku, requested, available at node)


@dataclass(frozen=True)
class Slot:
    """One stock item: the root of a SKU-node (`bucket` None) or one of its buckets."""

    sku: str
    node_id: str
    bucket: int | None
    on_hand: int
    reserved: int
    available: int
    committed: int = 0  # units shipped from this slot, ever
    received: int | None = None  # on_hand + committed as set by stock takes; None on items that predate it
    buckets: int = 1  # on the root: the configured bucket count

    @property
    def sk(self) -> str:
        return slot_sk(self.node_id, self.bucket)


@dataclass(frozen=True)
class LedgerLine:
    """A stored reservation line, as the invariant check reads it."""

    order_key: str
    sku: str
    node_id: str
    quantity: int
    status: ReservationStatus
    takes: tuple[tuple[str, int], ...]


def slot_sk(node_id: str, bucket: int | None) -> str:
    return f"NODE#{node_id}" if bucket is None else f"NODE#{node_id}{BUCKET_MARK}{bucket}"


def parse_slot_sk(sk: str) -> tuple[str, int | None]:
    """`NODE#WH-1` -> ("WH-1", None); `NODE#WH-1#B#3` -> ("WH-1", 3)."""
    body = sk.removeprefix("NODE#")
    head, mark, tail = body.rpartition(BUCKET_MARK)
    if mark and tail.isdigit():
        return head, int(tail)
    return body, None


def stock_pk(sku: str) -> str:
    return f"SKU#{sku}"


def reservation_pk(order_key: str) -> str:
    return f"RES#{order_key}"


def line_sk(sku: str, node_id: str) -> str:
    return f"LINE#{sku}#NODE#{node_id}"


def timestamp(moment: datetime) -> str:
    """UTC, second precision, one fixed width: these strings sort like the instants they name."""
    if moment.tzinfo is None:
        raise InvalidStockRequest("times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def expiry_pk(expires_at: datetime) -> str:
    """The sparse expiry index: one partition per UTC hour, so the sweeper Queries hours, never Scans."""
    return f"EXPIRY#{expires_at.astimezone(UTC):%Y-%m-%dT%H}"


def expiry_sk(expires_at: str, order_key: str) -> str:
    return f"{expires_at}#{order_key}"
