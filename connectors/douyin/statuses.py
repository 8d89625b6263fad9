"""Douyin order and after-sale statuses in the hub's vocabulary. An unknown code is refused, never guessed.

Order `order_status` (platforms.md §4.5; DD-GO `order_orderDetail` response): 1 待确认/待支付, 105 已支付,
2 备货中, 101 部分发货, 3 已发货, 4 已取消, 5 已完成.
- 105 → PAID_FORBID_SHIPMENT [INFERRED]: paid but not yet released to 备货中 (2), the state in which Douyin
  lets a seller ship. Holding shipment until 2 is the safe side.
- 4 → CANCELLED: Douyin uses one code for cancellation before and after payment; refunds show per line
  through `after_sale_info`.

After-sale `after_sale_info.after_sale_status` (§4.5 list; DD-GO `order_orderDetail` AfterSaleInfo comment):
6 申请 → REQUESTED; 7 退货中, 8 待商家发货, 11 买家已寄回/待商家二次同意, 13 换货补寄待收货 → IN_PROGRESS;
12 售后成功 → REFUNDED; 14 换货/补寄用户已收货 → CLOSED (case ends without money back); 27 / 29 拒绝 →
REJECTED; 28 售后失败 (incl. buyer withdrew) → CLOSED; 51 订单取消成功, 53 逆向交易已完成 → REFUNDED
(both listed only in the SDK comment); 0 / absent → NONE.
"""

from collections.abc import Iterable

from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, OrderStatus

ORDER_STATUS: dict[int, OrderStatus] = {
    1: OrderStatus.PENDING_PAYMENT,
    105: OrderStatus.PAID_FORBID_SHIPMENT,
    2: OrderStatus.PAID,
    101: OrderStatus.PARTIALLY_SHIPPED,
    3: OrderStatus.SHIPPED,
    4: OrderStatus.CANCELLED,
    5: OrderStatus.COMPLETED,
}

AFTER_SALE_STATUS: dict[int, AfterSaleStatus] = {
    0: AfterSaleStatus.NONE,
    6: AfterSaleStatus.REQUESTED,
    7: AfterSaleStatus.IN_PROGRESS,
    8: AfterSaleStatus.IN_PROGRESS,
    11: AfterSaleStatus.IN_PROGRESS,
    13: AfterSaleStatus.IN_PROGRESS,
    12: AfterSaleStatus.REFUNDED,
    51: AfterSaleStatus.REFUNDED,
    53: AfterSaleStatus.REFUNDED,
    14: AfterSaleStatus.CLOSED,
    28: AfterSaleStatus.CLOSED,
    27: AfterSaleStatus.REJECTED,
    29: AfterSaleStatus.REJECTED,
}

# Which after-sale state speaks for the whole order when lines differ: open cases first (they need action).
_ORDER_LEVEL_PRECEDENCE: tuple[AfterSaleStatus, ...] = (
    AfterSaleStatus.REQUESTED,
    AfterSaleStatus.IN_PROGRESS,
    AfterSaleStatus.REFUNDED,
    AfterSaleStatus.REJECTED,
    AfterSaleStatus.CLOSED,
)

# Progress of one line's case, used as the version tie-break of two updates in the same second.
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
        raise OrderInvalid(f"Douyin {what} is not a status code: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise OrderInvalid(f"Douyin {what} is not a status code: {value!r}")


def order_status(value: object) -> OrderStatus:
    """Map `order_status` (int, or its decimal string as in push data). Unknown codes raise OrderInvalid."""
    code = status_code(value, "order_status")
    try:
        return ORDER_STATUS[code]
    except KeyError as exc:
        raise OrderInvalid(f"unknown Douyin order_status {code}") from exc


def after_sale_status(value: object) -> AfterSaleStatus:
    """Map `after_sale_status`; None (no after-sale info) is NONE. Unknown codes raise OrderInvalid."""
    if value is None:
        return AfterSaleStatus.NONE
    code = status_code(value, "after_sale_status")
    try:
        return AFTER_SALE_STATUS[code]
    except KeyError as exc:
        raise OrderInvalid(f"unknown Douyin after_sale_status {code}") from exc


def order_after_sale(line_statuses: Iterable[AfterSaleStatus]) -> AfterSaleStatus:
    """The order-level after-sale state: the first of open > refunded > rejected > closed found on any line."""
    present = set(line_statuses)
    for status in _ORDER_LEVEL_PRECEDENCE:
        if status in present:
            return status
    return AfterSaleStatus.NONE
