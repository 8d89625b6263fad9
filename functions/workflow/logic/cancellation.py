"""What an incoming platform order update means for the hub: start, cancel, or just record.

- paid (PAID, PAID_FORBID_SHIPMENT) → start the workflow (a duplicate start is refused by name; the audit
  holds an order the platform forbids shipping);
- awaiting payment → record PENDING_PAYMENT while no workflow runs;
- cancelled, closed, or a refund requested / in progress / done, before shipment → cancel: the waiting
  workflow is failed with `OrderCancelled` (it releases stock), or without one the hub releases and marks;
- after shipment (by the hub or on the platform) → record only: returns are another process;
- an order first seen already shipped or completed was fulfilled elsewhere: record only, never ship it.
"""

from dataclasses import dataclass
from enum import StrEnum

from schemas.order import AfterSaleStatus, Order, OrderStatus


class Action(StrEnum):
    START = "START"
    RECORD_PENDING = "RECORD_PENDING"
    CANCEL = "CANCEL"
    RECORD_ONLY = "RECORD_ONLY"
    IGNORE = "IGNORE"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str


PAID_STATUSES = frozenset({OrderStatus.PAID, OrderStatus.PAID_FORBID_SHIPMENT})
SHIPPED_STATUSES = frozenset({OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.COMPLETED})
CANCELLED_STATUSES = frozenset({OrderStatus.CANCELLED, OrderStatus.CLOSED})
REFUND_PENDING = frozenset({AfterSaleStatus.REQUESTED, AfterSaleStatus.IN_PROGRESS, AfterSaleStatus.REFUNDED})

HUB_SHIPPED_STATES = frozenset({"SHIPPED", "DONE"})
HUB_NOT_STARTED_STATES = frozenset({"RECEIVED", "PENDING_PAYMENT"})


def refund_pending(order: Order) -> bool:
    return order.after_sale in REFUND_PENDING or any(line.after_sale in REFUND_PENDING for line in order.lines)


def decide(order: Order, hub_state: str) -> Decision:
    shipped = hub_state in HUB_SHIPPED_STATES or order.status in SHIPPED_STATUSES
    if order.status in CANCELLED_STATUSES or refund_pending(order):
        why = f"platform status {order.status.value}, after-sale {order.after_sale.value}"
        if shipped:
            return Decision(Action.RECORD_ONLY, f"{why} after shipment: recorded, returns are handled elsewhere")
        if hub_state == "CANCELLED":
            return Decision(Action.IGNORE, f"{why}: already cancelled")
        return Decision(Action.CANCEL, why)
    if order.status == OrderStatus.PENDING_PAYMENT:
        if hub_state in HUB_NOT_STARTED_STATES:
            return Decision(Action.RECORD_PENDING, "awaiting payment")
        return Decision(Action.IGNORE, f"awaiting payment reported while the hub is {hub_state}")
    if order.status in PAID_STATUSES:
        return Decision(Action.START, f"platform status {order.status.value}")
    return Decision(Action.RECORD_ONLY, f"platform status {order.status.value}: fulfilled outside the hub workflow")
