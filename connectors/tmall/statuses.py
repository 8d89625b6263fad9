"""TOP trade and refund statuses in the hub's vocabulary. An unknown value is refused, never guessed."""

from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, OrderStatus

TRADE_STATUS: dict[str, OrderStatus] = {
    "TRADE_NO_CREATE_PAY": OrderStatus.PENDING_PAYMENT,  # no Alipay trade created yet
    "WAIT_BUYER_PAY": OrderStatus.PENDING_PAYMENT,  # also a presale with only the deposit paid
    "PAY_PENDING": OrderStatus.PENDING_PAYMENT,  # payment being processed (foreign cards)
    "WAIT_PRE_AUTH_CONFIRM": OrderStatus.PENDING_PAYMENT,  # 0-yuan purchase awaiting pre-authorisation
    "PAID_FORBID_CONSIGN": OrderStatus.PAID_FORBID_SHIPMENT,  # paid, shipping forbidden (group buy, control)
    "WAIT_SELLER_SEND_GOODS": OrderStatus.PAID,  # paid, to be shipped
    "SELLER_CONSIGNED_PART": OrderStatus.PARTIALLY_SHIPPED,
    "WAIT_BUYER_CONFIRM_GOODS": OrderStatus.SHIPPED,
    "TRADE_BUYER_SIGNED": OrderStatus.SHIPPED,  # COD: the buyer signed for the parcel
    "TRADE_FINISHED": OrderStatus.COMPLETED,
    "TRADE_CLOSED": OrderStatus.CLOSED,  # closed after payment: refunded in full
    "TRADE_CLOSED_BY_TAOBAO": OrderStatus.CANCELLED,  # closed before payment — never ship
}

# `NO_REFUND` is not in the published enumeration but is seen in practice [INFERRED]: it means none.
REFUND_STATUS: dict[str, AfterSaleStatus] = {
    "NO_REFUND": AfterSaleStatus.NONE,
    "WAIT_SELLER_AGREE": AfterSaleStatus.REQUESTED,
    "WAIT_BUYER_RETURN_GOODS": AfterSaleStatus.IN_PROGRESS,
    "WAIT_SELLER_CONFIRM_GOODS": AfterSaleStatus.IN_PROGRESS,
    "SELLER_REFUSE_BUYER": AfterSaleStatus.REJECTED,
    "CLOSED": AfterSaleStatus.CLOSED,
    "SUCCESS": AfterSaleStatus.REFUNDED,
}

# Which line state speaks for the whole order: what needs someone's attention first.
_AFTER_SALE_PRIORITY: tuple[AfterSaleStatus, ...] = (
    AfterSaleStatus.REQUESTED,
    AfterSaleStatus.IN_PROGRESS,
    AfterSaleStatus.REFUNDED,
    AfterSaleStatus.REJECTED,
    AfterSaleStatus.CLOSED,
)


def order_status(value: str | None) -> OrderStatus:
    try:
        return TRADE_STATUS[str(value)]
    except KeyError as exc:
        raise OrderInvalid(f"unknown Taobao trade status {value!r}") from exc


def after_sale_status(value: str | None) -> AfterSaleStatus:
    if value is None or value == "":
        return AfterSaleStatus.NONE
    try:
        return REFUND_STATUS[value]
    except KeyError as exc:
        raise OrderInvalid(f"unknown Taobao refund status {value!r}") from exc


def order_after_sale(lines: list[AfterSaleStatus]) -> AfterSaleStatus:
    """The order-level after-sale state summarising its lines."""
    for candidate in _AFTER_SALE_PRIORITY:
        if candidate in lines:
            return candidate
    return AfterSaleStatus.NONE
