"""POS order statuses (our own contract, docs/pos-webhook.md) in the hub's vocabulary. Unknown → refused."""

from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, FulfilmentMode, OrderStatus

ORDER_STATUS: dict[str, OrderStatus] = {
    "PENDING_PAYMENT": OrderStatus.PENDING_PAYMENT,  # click-and-collect reserved, not paid yet
    "PAID": OrderStatus.PAID,
    "READY_FOR_PICKUP": OrderStatus.SHIPPED,  # staged at the pickup store: out of the hub's hands
    "DISPATCHED": OrderStatus.SHIPPED,  # a delivery handed to the carrier
    "COLLECTED": OrderStatus.COMPLETED,  # the customer collected it
    "COMPLETED": OrderStatus.COMPLETED,  # a till sale handed over, or a delivery received
    "CANCELLED": OrderStatus.CANCELLED,  # before handover (refunded if it was paid)
    "REFUNDED": OrderStatus.CLOSED,  # fully refunded after payment
    # Some lines refunded after handover (lines say which); before handover the POS amends the order instead.
    "PARTIALLY_REFUNDED": OrderStatus.COMPLETED,
}

LINE_REFUND_STATUS: dict[str, AfterSaleStatus] = {
    "NONE": AfterSaleStatus.NONE,
    "REQUESTED": AfterSaleStatus.REQUESTED,
    "REFUNDED": AfterSaleStatus.REFUNDED,
    "REJECTED": AfterSaleStatus.REJECTED,
}

ORDER_TYPE: dict[str, FulfilmentMode] = {
    "STORE_SALE": FulfilmentMode.STORE_SALE,  # sold and handed over at the till
    "PICKUP": FulfilmentMode.PICKUP,  # click-and-collect at `pickup_store_id`
    "DELIVERY": FulfilmentMode.SHIP,  # sold in store, delivered from a warehouse
}


def order_status(value: object) -> OrderStatus:
    try:
        return ORDER_STATUS[str(value)]
    except KeyError as exc:
        raise OrderInvalid(f"unknown POS order status {value!r}") from exc


def line_refund_status(value: object) -> AfterSaleStatus:
    if value is None:
        return AfterSaleStatus.NONE
    try:
        return LINE_REFUND_STATUS[str(value)]
    except KeyError as exc:
        raise OrderInvalid(f"unknown POS line refund_status {value!r}") from exc


def order_type(value: object) -> FulfilmentMode:
    try:
        return ORDER_TYPE[str(value)]
    except KeyError as exc:
        raise OrderInvalid(f"unknown POS order type {value!r}") from exc


_AFTER_SALE_PRIORITY = (
    AfterSaleStatus.REQUESTED,
    AfterSaleStatus.IN_PROGRESS,
    AfterSaleStatus.REFUNDED,
    AfterSaleStatus.REJECTED,
    AfterSaleStatus.CLOSED,
)


def order_after_sale(lines: list[AfterSaleStatus]) -> AfterSaleStatus:
    """The order-level after-sale state: what needs someone's attention first."""
    return next((state for state in _AFTER_SALE_PRIORITY if state in lines), AfterSaleStatus.NONE)
