"""供销 purchase-order and 代发 statuses in the hub's vocabulary. An unknown value is refused, never guessed.

Sources: `taobao.fenxiao.orders.get` field descriptions (TOP-META; platforms.md §2.1) for the purchase order,
sub-purchase-order and consumer-order (`order_200_status`) values; the 代发 order model (TOP PHP SDK domain
`TaobaoDaifaSupplierOrderQueryDaifaScpOrderModel`, §2.2) for `order_status`, `distribute_status` and
`refund_status`.
"""

from collections.abc import Mapping
from typing import TypeVar

from connectors.sdk.errors import OrderInvalid
from connectors.tmall.statuses import REFUND_STATUS
from schemas.order import STATUS_RANK, AfterSaleStatus, OrderStatus

T = TypeVar("T")

# The purchase order (采购单) as the supplier sees it: the union of the supplier-view query statuses and the
# documented `status` values of a purchase order. The distributor-only TRADE_FOR_PAY is mapped too.
PURCHASE_STATUS: dict[str, OrderStatus] = {
    "WAIT_BUYER_PAY": OrderStatus.PENDING_PAYMENT,  # the distributor has not paid the purchase order
    # Paid offline (transfer) and waiting for the supplier to confirm the money: not shippable yet.
    "WAIT_SELLER_CONFIRM_PAY": OrderStatus.PENDING_PAYMENT,
    "TRADE_FOR_PAY": OrderStatus.PAID,  # distributor view of "paid"
    "WAIT_SELLER_SEND_GOODS": OrderStatus.PAID,
    "PAID_FORBID_CONSIGN": OrderStatus.PAID_FORBID_SHIPMENT,  # FMCG shipping control
    # A refund is open on the purchase order: hold shipping (refined to SHIPPED when it was consigned).
    "TRADE_REFUNDING": OrderStatus.PAID_FORBID_SHIPMENT,
    "WAIT_BUYER_CONFIRM_GOODS": OrderStatus.SHIPPED,
    "WAIT_BUYER_CONFIRM_GOODS_ACOUNTED": OrderStatus.SHIPPED,  # shipped, payment already split (分账)
    "PAY_WAIT_ACOUNT_GOODS_CONFIRM": OrderStatus.COMPLETED,  # receipt confirmed, split pending
    "PAY_ACOUNTED_GOODS_CONFIRM": OrderStatus.COMPLETED,  # receipt confirmed, split done
    "TRADE_FINISHED": OrderStatus.COMPLETED,
    # Closed: after payment it is a full refund (CLOSED); refined to CANCELLED when it was never paid.
    "TRADE_CLOSED": OrderStatus.CLOSED,
    "TRADE_REFUNDED": OrderStatus.CLOSED,  # sub-order vocabulary, accepted on the header too
}

# A sub-purchase-order's `status` says whether that line is under refund.
SUB_ORDER_AFTER_SALE: dict[str, AfterSaleStatus] = {
    "WAIT_BUYER_PAY": AfterSaleStatus.NONE,
    "WAIT_SELLER_CONFIRM": AfterSaleStatus.NONE,  # payment information to be confirmed
    "WAIT_SELLER_CONFIRM_PAY": AfterSaleStatus.NONE,
    "WAIT_SELLER_SEND_GOODS": AfterSaleStatus.NONE,
    "WAIT_BUYER_CONFIRM_GOODS": AfterSaleStatus.NONE,
    "WAIT_BUYER_CONFIRM_GOODS_ACOUNTED": AfterSaleStatus.NONE,
    "PAY_WAIT_ACOUNT_GOODS_CONFIRM": AfterSaleStatus.NONE,
    "PAY_ACOUNTED_GOODS_CONFIRM": AfterSaleStatus.NONE,
    "PAID_FORBID_CONSIGN": AfterSaleStatus.NONE,
    "TRADE_FINISHED": AfterSaleStatus.NONE,
    "TRADE_CLOSED": AfterSaleStatus.NONE,  # the order-level status says closed; the line itself has no case
    "TRADE_REFUNDING": AfterSaleStatus.REQUESTED,
    "TRADE_REFUNDED": AfterSaleStatus.REFUNDED,
}

# The consumer's own order behind a 代销 line (`order_200_status`): a refund there stops the drop-ship too.
CONSUMER_ORDER_AFTER_SALE: dict[str, AfterSaleStatus] = {
    "WAIT_SELLER_SEND_GOODS": AfterSaleStatus.NONE,
    "WAIT_BUYER_CONFIRM_GOODS": AfterSaleStatus.NONE,
    "TRADE_FINISHED": AfterSaleStatus.NONE,
    "TRADE_REFUNDING": AfterSaleStatus.REQUESTED,
    "TRADE_CLOSED": AfterSaleStatus.REFUNDED,  # documented as "已退款成功"
    # [INFERRED] closed by Taobao after the purchase order existed: the consumer's money went back.
    "TRADE_CLOSED_BY_TAOBAO": AfterSaleStatus.REFUNDED,
}

# 代发: the consumer order's trade status as the supplier sees it.
DAIFA_ORDER_STATUS: dict[str, OrderStatus] = {
    "WAIT_SELLER_SEND_GOODS": OrderStatus.PAID,
    "SELLER_CONSIGNED_PART": OrderStatus.PARTIALLY_SHIPPED,
    "WAIT_BUYER_CONFIRM_GOODS": OrderStatus.SHIPPED,
    "TRADE_FINISHED": OrderStatus.COMPLETED,
    "TRADE_CLOSED": OrderStatus.CLOSED,
}

# 代发: the assignment (分单) itself; documented as NAME(code, meaning), both forms accepted.
DISTRIBUTE_ASSIGNED, DISTRIBUTE_CONSIGNED, DISTRIBUTE_CANCELLED = "DISTRIBUTE", "CONSIGN", "CANCEL"
DISTRIBUTE_STATUS: dict[str, str] = {
    "DISTRIBUTE": DISTRIBUTE_ASSIGNED,
    "1": DISTRIBUTE_ASSIGNED,
    "CONSIGN": DISTRIBUTE_CONSIGNED,  # the supplier's waybill was sent back: this line is shipped
    "5": DISTRIBUTE_CONSIGNED,
    "CANCEL": DISTRIBUTE_CANCELLED,  # the distributor withdrew the assignment: never ship it
    "6": DISTRIBUTE_CANCELLED,
}

# 代发 `refund_status` is Taobao's refund vocabulary (NO_REFUND … SUCCESS): the Tmall table, reused.
DAIFA_REFUND_STATUS: dict[str, AfterSaleStatus] = dict(REFUND_STATUS)

# How far an after-sale case has gone; 代发 has no modified time, so this orders two reads of one status.
AFTER_SALE_PROGRESS: dict[AfterSaleStatus, int] = {
    AfterSaleStatus.NONE: 0,
    AfterSaleStatus.REQUESTED: 1,
    AfterSaleStatus.IN_PROGRESS: 2,
    AfterSaleStatus.REJECTED: 3,
    AfterSaleStatus.CLOSED: 3,
    AfterSaleStatus.REFUNDED: 4,
}

_AFTER_SALE_PRIORITY: tuple[AfterSaleStatus, ...] = (
    AfterSaleStatus.REQUESTED,
    AfterSaleStatus.IN_PROGRESS,
    AfterSaleStatus.REFUNDED,
    AfterSaleStatus.REJECTED,
    AfterSaleStatus.CLOSED,
)


def _lookup(table: Mapping[str, T], value: str, what: str) -> T:
    try:
        return table[value]
    except KeyError as exc:
        raise OrderInvalid(f"unknown {what} {value!r}") from exc


def purchase_status(value: str, *, paid: bool, consigned: bool) -> OrderStatus:
    """The purchase order's status; a close before payment is a cancellation, a refund after consignment
    leaves the goods shipped."""
    status = _lookup(PURCHASE_STATUS, value, "供销 purchase order status")
    if status is OrderStatus.CLOSED and not paid:
        return OrderStatus.CANCELLED
    if value == "TRADE_REFUNDING" and consigned:
        return OrderStatus.SHIPPED
    return status


def sub_order_after_sale(status: str | None, consumer_status: str | None) -> AfterSaleStatus:
    own = AfterSaleStatus.NONE if not status else _lookup(SUB_ORDER_AFTER_SALE, status, "供销 sub-order status")
    consumer = (
        AfterSaleStatus.NONE
        if not consumer_status
        else _lookup(CONSUMER_ORDER_AFTER_SALE, consumer_status, "consumer order status (order_200_status)")
    )
    return order_after_sale([own, consumer])


def daifa_order_status(value: str) -> OrderStatus:
    return _lookup(DAIFA_ORDER_STATUS, value, "代发 order status")


def distribute_status(value: str) -> str:
    return _lookup(DISTRIBUTE_STATUS, value, "代发 distribute status")


def daifa_refund_status(value: str | None) -> AfterSaleStatus:
    if not value:
        return AfterSaleStatus.NONE
    return _lookup(DAIFA_REFUND_STATUS, value, "代发 refund status")


def order_after_sale(lines: list[AfterSaleStatus]) -> AfterSaleStatus:
    """The after-sale state that speaks for several: what needs someone's attention first."""
    for candidate in _AFTER_SALE_PRIORITY:
        if candidate in lines:
            return candidate
    return AfterSaleStatus.NONE


def combine_line_statuses(statuses: list[OrderStatus]) -> OrderStatus:
    """One order status for lines of one Taobao order that may have moved apart (代发 ships per 代发单)."""
    distinct = set(statuses)
    if len(distinct) == 1:
        return statuses[0]
    shipped = {OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.PARTIALLY_SHIPPED}
    if distinct & shipped and distinct - shipped - {OrderStatus.CLOSED}:
        return OrderStatus.PARTIALLY_SHIPPED
    return min(distinct, key=lambda status: STATUS_RANK[status])
