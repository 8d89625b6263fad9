"""Kuaishou order and refund statuses in the hub's vocabulary. An unknown code is refused, never guessed.

Order `orderBaseInfo.status` (platforms.md §5.4): 0 未知, 10 待付款, 30 已付款, 40 已发货, 50 已签收,
70 订单成功, 80 订单失败 (a cancellation turns the order into 80).
- 0 (未知) is the platform saying it does not know: refused as OrderInvalid like any unknown code (the
  order stays archived; the next push or poll brings a real status).
- 50 已签收 → SHIPPED: the parcel arrived but the deal is not closed (that is 70); nothing else to do.
- 80 → CANCELLED whether or not it was paid (one code for both, like Douyin's 4); money back shows in the
  refund list.
- 30 with a non-zero `riskCode` → PAID_FORBID_SHIPMENT [SRC-3P: Kuaishou refuses delivery while riskCode or
  disableDeliveryReasonCode is set]; see `normalise`.

Refund `status` (open.seller.order.refund.pcursor.list / detail; [SRC-3P] the Go and Python SDKs' enum, not
in platforms.md): 10 买家已经申请退款，等待卖家同意 → REQUESTED; 12 卖家已拒绝，等待买家处理 → REJECTED;
20 协商纠纷，等待平台处理 → REQUESTED (undecided: the platform arbitrates); 30 卖家已经同意退款，等待买家退货,
40 买家已经退货，等待卖家确认收货, 45 卖家已经发货，等待买家确认收货 (exchange/resend), 50 卖家已经同意退款，
等待系统执行退款 → IN_PROGRESS; 60 退款成功 → REFUNDED, except for exchange / resend / repair cases
(`handlingWay` 3 / 4 / 5) whose success returns no money → CLOSED; 70 退款关闭 → CLOSED.
"""

from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, OrderStatus

ORDER_STATUS: dict[int, OrderStatus] = {
    10: OrderStatus.PENDING_PAYMENT,
    30: OrderStatus.PAID,
    40: OrderStatus.SHIPPED,
    50: OrderStatus.SHIPPED,
    70: OrderStatus.COMPLETED,
    80: OrderStatus.CANCELLED,
}
UNKNOWN_ORDER_STATUS = 0  # documented as 未知: refused
SHIPPED_CODES = frozenset({40, 50, 70})
PAID_CODE = 30

REFUND_STATUS: dict[int, AfterSaleStatus] = {
    10: AfterSaleStatus.REQUESTED,
    12: AfterSaleStatus.REJECTED,
    20: AfterSaleStatus.REQUESTED,
    30: AfterSaleStatus.IN_PROGRESS,
    40: AfterSaleStatus.IN_PROGRESS,
    45: AfterSaleStatus.IN_PROGRESS,
    50: AfterSaleStatus.IN_PROGRESS,
    60: AfterSaleStatus.REFUNDED,
    70: AfterSaleStatus.CLOSED,
}
REFUND_SUCCESS = 60
# handlingWay: 1 退货退款, 10 仅退款, 3 换货, 4 补寄, 5 维修 [SRC-3P message docs]; the last three move no money.
NO_MONEY_HANDLING_WAYS = frozenset({3, 4, 5})

# Progress of a refund case, the version tie-break of two updates in the same millisecond.
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
        raise OrderInvalid(f"Kuaishou {what} is not a status code: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise OrderInvalid(f"Kuaishou {what} is not a status code: {value!r}")


def order_status(value: object) -> OrderStatus:
    """Map `orderBaseInfo.status`. 0 (未知) and unknown codes raise OrderInvalid."""
    code = status_code(value, "order status")
    try:
        return ORDER_STATUS[code]
    except KeyError as exc:
        raise OrderInvalid(f"unknown or undetermined Kuaishou order status {code}") from exc


def refund_status(value: object, handling_way: object = None) -> AfterSaleStatus:
    """Map a refund's `status` (with its `handlingWay`). Unknown codes raise OrderInvalid."""
    code = status_code(value, "refund status")
    try:
        mapped = REFUND_STATUS[code]
    except KeyError as exc:
        raise OrderInvalid(f"unknown Kuaishou refund status {code}") from exc
    no_money = handling_way is not None and status_code(handling_way, "refund handlingWay") in NO_MONEY_HANDLING_WAYS
    if code == REFUND_SUCCESS and no_money:
        return AfterSaleStatus.CLOSED
    return mapped
