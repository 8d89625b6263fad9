"""What the audit knows about other orders: the risk facts of recent orders sharing an address, device or buyer.

Pure data. The risk ledger (`hubcore.adapters.risk_ledger`) records every audited order's facts and reads them
back for the window rules; a caller without a ledger passes no history and those rules do not fire.
Every key is a sha256 from `subject_hash`, never the platform value itself.
"""

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.order import Order

HistoryKey = Literal["address", "device", "buyer"]
HISTORY_KEYS: tuple[HistoryKey, ...] = ("address", "device", "buyer")


def subject_hash(channel: str, value: str) -> str:
    """The form blacklists and the risk ledger store: sha256 of `{channel}:{value}`."""
    return hashlib.sha256(f"{channel}:{value}".encode()).hexdigest()


class RiskKeys(BaseModel):
    """The hashed keys an order's facts are filed under; None when the platform gave no such value."""

    model_config = ConfigDict(frozen=True)

    buyer: str
    # The platform's receiver key: `merge_key` (same receiver in the shop), else the receiver `match_token`.
    # Receiver ciphertext is not comparable, so an order with neither has no address key.
    address: str | None = None
    device: str | None = None

    def of(self, key: HistoryKey) -> str | None:
        return {"address": self.address, "device": self.device, "buyer": self.buyer}[key]


class PastOrder(BaseModel):
    """One recorded order as the window rules see it: who, when, on which channel, which SKUs and how many."""

    model_config = ConfigDict(frozen=True)

    order_key: str
    channel: str
    buyer: str = Field(description="subject_hash of the buyer id")
    at: AwareDatetime
    skus: Mapping[str, int] = Field(default_factory=dict)


class AuditHistory(BaseModel):
    """Recent orders sharing this order's address key, device key and buyer key (the order itself may be among them)."""

    model_config = ConfigDict(frozen=True)

    by_address: tuple[PastOrder, ...] = ()
    by_device: tuple[PastOrder, ...] = ()
    by_buyer: tuple[PastOrder, ...] = ()

    def of(self, key: HistoryKey) -> tuple[PastOrder, ...]:
        return {"address": self.by_address, "device": self.by_device, "buyer": self.by_buyer}[key]


def risk_keys(order: Order) -> RiskKeys:
    """Buyer accounts belong to one channel, so their key is channel-scoped. Receiver and device tokens are
    hashed without the channel: platforms of one family share them (Taobao and Tmall share the OAID), and that
    is what lets the scalping rules see one address or device buying across channels."""
    receiver_key = order.merge_key or order.receiver.match_token
    return RiskKeys(
        buyer=subject_hash(order.channel, order.buyer_id),
        address=subject_hash("address", receiver_key) if receiver_key else None,
        device=subject_hash("device", order.device_id) if order.device_id else None,
    )


def order_time(order: Order) -> datetime:
    """The instant windows are measured from: when the buyer placed the order (stable across updates)."""
    return order.created_at


def sku_quantities(order: Order) -> dict[str, int]:
    """Units per merchant SKU over the order's paid lines (gifts left out)."""
    totals: dict[str, int] = {}
    for line in order.lines:
        if not line.is_gift:
            totals[line.merchant_sku] = totals.get(line.merchant_sku, 0) + line.quantity
    return totals


def past_order(order: Order, keys: RiskKeys | None = None) -> PastOrder:
    """This order as the ledger records it."""
    return PastOrder(
        order_key=order.order_key,
        channel=order.channel,
        buyer=(keys or risk_keys(order)).buyer,
        at=order_time(order),
        skus=sku_quantities(order),
    )


def within(entries: tuple[PastOrder, ...], at: datetime, window: timedelta, *, exclude: str) -> list[PastOrder]:
    """Entries placed within `window` either side of `at`, other than the order `exclude`.

    Either side: an audit may run after a later order's (retries, out-of-order events), and two orders an hour
    apart are as suspicious whichever was audited first.
    """
    return [entry for entry in entries if entry.order_key != exclude and abs(entry.at - at) <= window]


def history_among(order: Order, others: Iterable[Order]) -> AuditHistory:
    """The history the risk ledger would give `order` had `others` been recorded (replays, tests, the benchmark).

    No window is applied here: the rules apply their own.
    """
    keys = risk_keys(order)
    found: dict[HistoryKey, list[PastOrder]] = {key: [] for key in HISTORY_KEYS}
    for other in others:
        other_keys = risk_keys(other)
        fact: PastOrder | None = None
        for key in HISTORY_KEYS:
            value = keys.of(key)
            if value is not None and other_keys.of(key) == value:
                fact = fact or past_order(other, other_keys)
                found[key].append(fact)
    return AuditHistory(
        by_address=tuple(found["address"]), by_device=tuple(found["device"]), by_buyer=tuple(found["buyer"])
    )
