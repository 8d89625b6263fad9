"""WeChat Pay `trade_state` and `refund_status` in the hub's vocabulary. Unknown values are refused.

`trade_state` (platforms.md §8.1 [SRC-3P enums]): SUCCESS → PAID; NOTPAY 未支付, USERPAYING 用户支付中 and
PAYERROR 支付失败 (the buyer may pay again) → PENDING_PAYMENT; CLOSED 已关闭 and REVOKED 已撤销 → CANCELLED;
REFUND 转入退款 → PAID_FORBID_SHIPMENT: money went back but the transaction does not say how much, so nothing
ships until a refund notification tells (a full refund then closes the order, see `normalise`).

`refund_status` of refund notifications (REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED [INFERRED event names
per §8.1]): PROCESSING → IN_PROGRESS; SUCCESS → REFUNDED; ABNORMAL 退款异常 (money not back, needs a person) →
IN_PROGRESS; CLOSED 退款关闭 → CLOSED.
"""

from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, OrderStatus

TRADE_STATE: dict[str, OrderStatus] = {
    "SUCCESS": OrderStatus.PAID,
    "REFUND": OrderStatus.PAID_FORBID_SHIPMENT,
    "NOTPAY": OrderStatus.PENDING_PAYMENT,
    "USERPAYING": OrderStatus.PENDING_PAYMENT,
    "PAYERROR": OrderStatus.PENDING_PAYMENT,
    "CLOSED": OrderStatus.CANCELLED,
    "REVOKED": OrderStatus.CANCELLED,
}
PAID_STATES = frozenset({"SUCCESS", "REFUND"})

REFUND_STATUS: dict[str, AfterSaleStatus] = {
    "PROCESSING": AfterSaleStatus.IN_PROGRESS,
    "SUCCESS": AfterSaleStatus.REFUNDED,
    "ABNORMAL": AfterSaleStatus.IN_PROGRESS,
    "CLOSED": AfterSaleStatus.CLOSED,
}

PROGRESS: dict[AfterSaleStatus, int] = {
    AfterSaleStatus.NONE: 0,
    AfterSaleStatus.REQUESTED: 1,
    AfterSaleStatus.IN_PROGRESS: 2,
    AfterSaleStatus.REJECTED: 3,
    AfterSaleStatus.REFUNDED: 3,
    AfterSaleStatus.CLOSED: 3,
}


def trade_state(value: object) -> OrderStatus:
    if not isinstance(value, str):
        raise OrderInvalid(f"WeChat Pay trade_state is not text: {value!r}")
    try:
        return TRADE_STATE[value]
    except KeyError as exc:
        raise OrderInvalid(f"unknown WeChat Pay trade_state {value!r}") from exc


def refund_status(value: object) -> AfterSaleStatus:
    if not isinstance(value, str):
        raise OrderInvalid(f"WeChat Pay refund_status is not text: {value!r}")
    try:
        return REFUND_STATUS[value]
    except KeyError as exc:
        raise OrderInvalid(f"unknown WeChat Pay refund_status {value!r}") from exc
