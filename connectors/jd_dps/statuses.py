"""JD 厂直 (DPS) order and refund states in the hub's vocabulary. An unknown value is refused, never guessed.

`orderState` (official JOS Java SDK field comment of `QueryAllOrdersForJosResult`): 7 新订单, 10 等待发货,
16 等待确认收货, 19 订单完成, 22 锁定, 29 删除.
- 7 → PAID: JD 自营 has sold and released the order to the vendor (paid, or 货到付款 — `paymentCategory` COD);
  the vendor's next step is 出库 (outbound), which the hub does as part of the shipment write-back;
- 10 → PAID: outbound done, the carrier and tracking number are still to be reported;
- 16 → SHIPPED; 19 → COMPLETED;
- 22 → PAID_FORBID_SHIPMENT: JD locked the order (a pre-shipment refund or a cancellation is being decided);
- 29 → CANCELLED: JD deleted the order (cancelled before shipment).

`refundSourceFlag` (退款标识) [INFERRED: values not documented in our sources]: 0 or absent → NONE; 1 → a
pre-shipment refund (JD's `prerefund` list) is open → REQUESTED, or REFUNDED once the order is deleted (29).
"""

from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, OrderStatus

ORDER_STATE: dict[str, OrderStatus] = {
    "7": OrderStatus.PAID,
    "10": OrderStatus.PAID,
    "16": OrderStatus.SHIPPED,
    "19": OrderStatus.COMPLETED,
    "22": OrderStatus.PAID_FORBID_SHIPMENT,
    "29": OrderStatus.CANCELLED,
}

REFUND_FLAG: dict[str, AfterSaleStatus] = {
    "0": AfterSaleStatus.NONE,
    "1": AfterSaleStatus.REQUESTED,
}

NEW = "7"
OUTBOUND_DONE = "10"
DELETED = "29"
SHIPPED_STATES = frozenset({"16", "19"})


def order_status(value: object) -> OrderStatus:
    try:
        return ORDER_STATE[str(value).strip()]
    except KeyError as exc:
        raise OrderInvalid(f"unknown JD DPS orderState {value!r}") from exc


def after_sale_status(flag: object, *, state: str) -> AfterSaleStatus:
    if flag is None or str(flag).strip() == "":
        return AfterSaleStatus.NONE
    try:
        status = REFUND_FLAG[str(flag).strip()]
    except KeyError as exc:
        raise OrderInvalid(f"unknown JD DPS refundSourceFlag {flag!r}") from exc
    if status is AfterSaleStatus.REQUESTED and state == DELETED:
        return AfterSaleStatus.REFUNDED
    return status
