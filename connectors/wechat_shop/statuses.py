"""WeChat 小店 order and after-sale statuses in the hub's vocabulary. Unknown values are refused, never guessed.

Order `status` (platforms.md §7.3; WXJAVA-CH `WxOrderStatus`): 10 待付款 → PENDING_PAYMENT; 12 礼物待收下 and
13 凑单买凑团中 → PAID_FORBID_SHIPMENT (paid, but the receiver is unknown until the gift is accepted / the group
forms: nothing may ship yet); 20 待发货 → PAID; 21 部分发货 → PARTIALLY_SHIPPED; 30 待收货 → SHIPPED;
100 完成 → COMPLETED; 190 商品超卖商家取消 and 200 全部商品售后之后订单取消 → CLOSED (both end a paid order with
the money returned); 250 未付款取消 → CANCELLED.

After-sale `status` of `aftersale/getaftersaleorder` [SRC-3P: ERP connector code (QH-SDK family) and community
enums; the reference names no list]: MERCHANT_PROCESSING 商家受理中 and USER_WAIT_HANDLE_MERCHANT_AFTER_SALE (the
merchant opened it for the buyer) → REQUESTED; USER_WAIT_RETURN, MERCHANT_WAIT_RECEIPT, MERCHANT_OVERDUE_REFUND,
PLATFORM_REFUNDING, PLATFORM_REFUND_FAIL (money not out yet: still open), USER_WAIT_CONFIRM,
USER_WAIT_CONFIRM_UPDATE → IN_PROGRESS; MERCHANT_REFUND_SUCCESS, MERCHANT_RETURN_SUCCESS → REFUNDED;
MERCHANT_REJECT_REFUND, MERCHANT_REJECT_RETURN → REJECTED; USER_CANCELD (the platform's spelling), RETURN_CLOSED,
MERCHANT_FAIL, MERCHANT_REFUND_RETRY_FAIL (客服关闭售后), MERCHANT_EXCHANGE_SUCCESS (exchange, no money back) →
CLOSED.
"""

from collections.abc import Iterable

from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, OrderStatus

ORDER_STATUS: dict[int, OrderStatus] = {
    10: OrderStatus.PENDING_PAYMENT,
    12: OrderStatus.PAID_FORBID_SHIPMENT,
    13: OrderStatus.PAID_FORBID_SHIPMENT,
    20: OrderStatus.PAID,
    21: OrderStatus.PARTIALLY_SHIPPED,
    30: OrderStatus.SHIPPED,
    100: OrderStatus.COMPLETED,
    190: OrderStatus.CLOSED,
    200: OrderStatus.CLOSED,
    250: OrderStatus.CANCELLED,
}

AFTER_SALE_STATUS: dict[str, AfterSaleStatus] = {
    "MERCHANT_PROCESSING": AfterSaleStatus.REQUESTED,
    "USER_WAIT_HANDLE_MERCHANT_AFTER_SALE": AfterSaleStatus.REQUESTED,
    "USER_WAIT_RETURN": AfterSaleStatus.IN_PROGRESS,
    "MERCHANT_WAIT_RECEIPT": AfterSaleStatus.IN_PROGRESS,
    "MERCHANT_OVERDUE_REFUND": AfterSaleStatus.IN_PROGRESS,
    "PLATFORM_REFUNDING": AfterSaleStatus.IN_PROGRESS,
    "PLATFORM_REFUND_FAIL": AfterSaleStatus.IN_PROGRESS,
    "USER_WAIT_CONFIRM": AfterSaleStatus.IN_PROGRESS,
    "USER_WAIT_CONFIRM_UPDATE": AfterSaleStatus.IN_PROGRESS,
    "MERCHANT_REFUND_SUCCESS": AfterSaleStatus.REFUNDED,
    "MERCHANT_RETURN_SUCCESS": AfterSaleStatus.REFUNDED,
    "MERCHANT_REJECT_REFUND": AfterSaleStatus.REJECTED,
    "MERCHANT_REJECT_RETURN": AfterSaleStatus.REJECTED,
    "USER_CANCELD": AfterSaleStatus.CLOSED,
    "RETURN_CLOSED": AfterSaleStatus.CLOSED,
    "MERCHANT_FAIL": AfterSaleStatus.CLOSED,
    "MERCHANT_REFUND_RETRY_FAIL": AfterSaleStatus.CLOSED,
    "MERCHANT_EXCHANGE_SUCCESS": AfterSaleStatus.CLOSED,
}

# Open cases speak for the order first (they need action), then the outcomes.
_PRECEDENCE: tuple[AfterSaleStatus, ...] = (
    AfterSaleStatus.REQUESTED,
    AfterSaleStatus.IN_PROGRESS,
    AfterSaleStatus.REFUNDED,
    AfterSaleStatus.REJECTED,
    AfterSaleStatus.CLOSED,
)

# A case's progress: the version tie-break of two updates within one second.
PROGRESS: dict[AfterSaleStatus, int] = {
    AfterSaleStatus.NONE: 0,
    AfterSaleStatus.REQUESTED: 1,
    AfterSaleStatus.IN_PROGRESS: 2,
    AfterSaleStatus.REJECTED: 3,
    AfterSaleStatus.REFUNDED: 3,
    AfterSaleStatus.CLOSED: 3,
}


def status_code(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise OrderInvalid(f"WeChat 小店 order status is not a code: {value!r}")


def order_status(value: object) -> OrderStatus:
    code = status_code(value)
    try:
        return ORDER_STATUS[code]
    except KeyError as exc:
        raise OrderInvalid(f"unknown WeChat 小店 order status {code}") from exc


def after_sale_status(value: object) -> AfterSaleStatus:
    if not isinstance(value, str):
        raise OrderInvalid(f"WeChat 小店 after-sale status is not text: {value!r}")
    try:
        return AFTER_SALE_STATUS[value.strip()]
    except KeyError as exc:
        raise OrderInvalid(f"unknown WeChat 小店 after-sale status {value!r}") from exc


def order_after_sale(statuses: Iterable[AfterSaleStatus]) -> AfterSaleStatus:
    present = set(statuses)
    return next((status for status in _PRECEDENCE if status in present), AfterSaleStatus.NONE)
