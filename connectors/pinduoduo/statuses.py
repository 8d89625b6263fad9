"""Pinduoduo order and after-sale statuses in the hub's vocabulary. An unknown code is refused, never guessed.

`order_status` (platforms.md §9.3/§9.4): 1 待发货 → PAID, 2 已发货待签收 → SHIPPED, 3 已签收 → COMPLETED.
(5 = 全部 is a query filter, never an order's status.) PDD lists only paid orders; the finer states come from
companion fields, applied in this order [INFERRED values of the companion fields, from PDD's field docs]:
`confirm_status` 2 (已取消) → CANCELLED; no `pay_time` → PENDING_PAYMENT; an unshipped order with
`refund_status` 4 (退款成功) → CLOSED; an unshipped order still 拼团中 (`group_status` 0) or in risk review
(`risk_control_status` 1, "do not ship") → PAID_FORBID_SHIPMENT.

`refund_status`: 1 无售后或售后关闭 → NONE, 2 售后处理中 → REQUESTED, 3 退款中 → IN_PROGRESS, 4 退款成功 →
REFUNDED. (`after_sales_status` 0–10 is only partly documented in the reference and is not used.)
"""

from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, OrderStatus

ORDER_STATUS: dict[int, OrderStatus] = {
    1: OrderStatus.PAID,
    2: OrderStatus.SHIPPED,
    3: OrderStatus.COMPLETED,
}

REFUND_STATUS: dict[int, AfterSaleStatus] = {
    1: AfterSaleStatus.NONE,
    2: AfterSaleStatus.REQUESTED,
    3: AfterSaleStatus.IN_PROGRESS,
    4: AfterSaleStatus.REFUNDED,
}

WAIT_SHIP = 1
SHIPPED_CODES = frozenset({2, 3})
REFUNDED = 4
CONFIRM_CANCELLED = 2
GROUP_FORMING = 0
RISK_REVIEW = 1

REFUND_PROGRESS: dict[int, int] = {1: 0, 2: 1, 3: 2, 4: 3}  # version tie-break within one second


def code(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise OrderInvalid(f"Pinduoduo {what} is not a status code: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise OrderInvalid(f"Pinduoduo {what} is not a status code: {value!r}")


def order_status(value: object) -> OrderStatus:
    status = code(value, "order_status")
    try:
        return ORDER_STATUS[status]
    except KeyError as exc:
        raise OrderInvalid(f"unknown Pinduoduo order_status {status}") from exc


def refund_status(value: object) -> AfterSaleStatus:
    """Map `refund_status`; absent is NONE. Unknown codes raise OrderInvalid."""
    if value is None:
        return AfterSaleStatus.NONE
    status = code(value, "refund_status")
    try:
        return REFUND_STATUS[status]
    except KeyError as exc:
        raise OrderInvalid(f"unknown Pinduoduo refund_status {status}") from exc


def hub_status(
    *, order: int, refund: int, confirm: int | None, group: int | None, risk: int | None, paid: bool
) -> OrderStatus:
    """The hub status of an order from `order_status` and its companion fields (see the module docstring)."""
    base = order_status(order)
    if confirm == CONFIRM_CANCELLED:
        return OrderStatus.CANCELLED
    if not paid:
        return OrderStatus.PENDING_PAYMENT
    if order == WAIT_SHIP and refund == REFUNDED:
        return OrderStatus.CLOSED
    if order == WAIT_SHIP and (group == GROUP_FORMING or risk == RISK_REVIEW):
        return OrderStatus.PAID_FORBID_SHIPMENT
    return base
