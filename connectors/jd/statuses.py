"""JD POP order states in the hub's vocabulary. An unknown state is refused, never guessed.

`orderState` (platforms.md §3.2 and the OrderSearchInfo field comment of the JOS SDKs):
- WAIT_SELLER_STOCK_OUT 等待出库 → PAID (also a 货到付款 order: `payType` says COD);
- WAIT_SELLER_DELIVERY 等待境内发货 (海外购) → PAID;
- PAUSE 暂停 (before stock-out; LOC orders), POP_ORDER_PAUSE POP业务暂停, LOCKED 已锁定 (a cancellation or
  risk review holds it) → PAID_FORBID_SHIPMENT: paid, but shipping now would be wrong;
- WAIT_SEND_CODE 等待发码 (LOC virtual goods, nothing to ship) → PAID_FORBID_SHIPMENT [INFERRED safest];
- SEND_TO_DISTRIBUTION_CENER / DISTRIBUTION_CENTER_RECEIVED (LBP/SOPL: handed to JD's distribution centre),
  WAIT_GOODS_RECEIVE_CONFIRM 等待确认收货 → SHIPPED;
- RECEIPTS_CONFIRM 收款确认 (LBP/SOPL service completed), FINISHED_L 完成 → COMPLETED;
- TRADE_CANCELED 取消 → CANCELLED (JD uses one state before and after payment; a paid one shows REFUNDED).

After-sale: POP orders carry no refund state of their own (refunds live in JD's separate AFS/退款审核单 APIs,
not wired here [NOT FOUND in the reference]). What the order itself says is used: LOCKED on a paid order means
the buyer asked to cancel (REQUESTED, JD locks it until the refund is decided); TRADE_CANCELED on a paid order
means the money went back (REFUNDED). Unpaid or COD orders have no after-sale.
"""

from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, OrderStatus

ORDER_STATE: dict[str, OrderStatus] = {
    "WAIT_SELLER_STOCK_OUT": OrderStatus.PAID,
    "WAIT_SELLER_DELIVERY": OrderStatus.PAID,
    "PAUSE": OrderStatus.PAID_FORBID_SHIPMENT,
    "POP_ORDER_PAUSE": OrderStatus.PAID_FORBID_SHIPMENT,
    "LOCKED": OrderStatus.PAID_FORBID_SHIPMENT,
    "WAIT_SEND_CODE": OrderStatus.PAID_FORBID_SHIPMENT,
    "SEND_TO_DISTRIBUTION_CENER": OrderStatus.SHIPPED,  # JD's own spelling
    "DISTRIBUTION_CENTER_RECEIVED": OrderStatus.SHIPPED,
    "WAIT_GOODS_RECEIVE_CONFIRM": OrderStatus.SHIPPED,
    "RECEIPTS_CONFIRM": OrderStatus.COMPLETED,
    "FINISHED_L": OrderStatus.COMPLETED,
    "TRADE_CANCELED": OrderStatus.CANCELLED,
}

# The after-sale state an order state implies for a paid order (anything else: none).
AFTER_SALE_BY_STATE: dict[str, AfterSaleStatus] = {
    "LOCKED": AfterSaleStatus.REQUESTED,
    "TRADE_CANCELED": AfterSaleStatus.REFUNDED,
}

# States in which the parcel has left: a repeated shipment write-back is then success.
SHIPPED_STATES = frozenset(
    {
        "SEND_TO_DISTRIBUTION_CENER",
        "DISTRIBUTION_CENTER_RECEIVED",
        "WAIT_GOODS_RECEIVE_CONFIRM",
        "RECEIPTS_CONFIRM",
        "FINISHED_L",
    }
)


def order_status(value: str | None) -> OrderStatus:
    try:
        return ORDER_STATE[str(value)]
    except KeyError as exc:
        raise OrderInvalid(f"unknown JD order state {value!r}") from exc


def after_sale_status(state: str, *, paid: bool) -> AfterSaleStatus:
    return AFTER_SALE_BY_STATE.get(state, AfterSaleStatus.NONE) if paid else AfterSaleStatus.NONE
