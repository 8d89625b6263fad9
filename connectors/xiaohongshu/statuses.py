"""Xiaohongshu order and after-sale statuses in the hub's vocabulary. An unknown code is refused, never guessed.

`orderStatus` (platforms.md §6.4; getOrderDetail spec): 1 已下单待付款, 2 已支付处理中, 3 清关中, 4 待发货,
5 部分发货, 6 待收货, 7 已完成, 8 已关闭, 9 已取消, 10 换货申请中.
- 2 → PAID_FORBID_SHIPMENT: paid but still in Xiaohongshu's risk control ("订单触发风控"); only 4 is the
  "waiting for the seller" state. 3 (cross-border customs clearance) → PAID_FORBID_SHIPMENT likewise.
- 8 → CLOSED (after-sale finished, order closed after payment); 9 → CANCELLED.
- 10 → SHIPPED [INFERRED]: the goods are with the buyer and an exchange is open; the exchange itself shows in
  the after-sale status, and a reissue comes as its own order (orderType 5).

`orderAfterSalesStatus` / `skuAfterSaleStatus`: 1 无售后 → NONE, 2 售后处理中 → REQUESTED (the seller must
act; the safe side for shipping), 3 售后完成 → REFUNDED [INFERRED: "completed" is read as money returned],
4 售后拒绝 → REJECTED, 5 售后关闭 → CLOSED, 6 平台介入中 → IN_PROGRESS, 7 售后取消 → CLOSED.
"""

from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, OrderStatus

ORDER_STATUS: dict[int, OrderStatus] = {
    1: OrderStatus.PENDING_PAYMENT,
    2: OrderStatus.PAID_FORBID_SHIPMENT,
    3: OrderStatus.PAID_FORBID_SHIPMENT,
    4: OrderStatus.PAID,
    5: OrderStatus.PARTIALLY_SHIPPED,
    6: OrderStatus.SHIPPED,
    7: OrderStatus.COMPLETED,
    8: OrderStatus.CLOSED,
    9: OrderStatus.CANCELLED,
    10: OrderStatus.SHIPPED,
}

AFTER_SALE_STATUS: dict[int, AfterSaleStatus] = {
    1: AfterSaleStatus.NONE,
    2: AfterSaleStatus.REQUESTED,
    3: AfterSaleStatus.REFUNDED,
    4: AfterSaleStatus.REJECTED,
    5: AfterSaleStatus.CLOSED,
    6: AfterSaleStatus.IN_PROGRESS,
    7: AfterSaleStatus.CLOSED,
}

# Statuses in which the parcel has left (a repeated orderDeliver is then success).
SHIPPED_CODES = frozenset({5, 6, 7, 10})

# Progress of an after-sale case: the version tie-break of two updates in the same millisecond.
AFTER_SALE_PROGRESS: dict[AfterSaleStatus, int] = {
    AfterSaleStatus.NONE: 0,
    AfterSaleStatus.REQUESTED: 1,
    AfterSaleStatus.IN_PROGRESS: 2,
    AfterSaleStatus.REJECTED: 3,
    AfterSaleStatus.REFUNDED: 3,
    AfterSaleStatus.CLOSED: 3,
}


def status_code(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise OrderInvalid(f"Xiaohongshu {what} is not a status code: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise OrderInvalid(f"Xiaohongshu {what} is not a status code: {value!r}")


def order_status(value: object) -> OrderStatus:
    code = status_code(value, "orderStatus")
    try:
        return ORDER_STATUS[code]
    except KeyError as exc:
        raise OrderInvalid(f"unknown Xiaohongshu orderStatus {code}") from exc


def after_sale_status(value: object, what: str = "orderAfterSalesStatus") -> AfterSaleStatus:
    """Map an after-sale code; absent (None) is NONE. Unknown codes raise OrderInvalid."""
    if value is None:
        return AfterSaleStatus.NONE
    code = status_code(value, what)
    try:
        return AFTER_SALE_STATUS[code]
    except KeyError as exc:
        raise OrderInvalid(f"unknown Xiaohongshu {what} {code}") from exc
