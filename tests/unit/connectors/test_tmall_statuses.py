"""Every TOP trade and refund status maps to the hub's vocabulary; an unknown one is refused."""

import pytest

from connectors.sdk.errors import OrderInvalid
from connectors.tmall.statuses import (
    REFUND_STATUS,
    TRADE_STATUS,
    after_sale_status,
    order_after_sale,
    order_status,
)
from schemas.order import AfterSaleStatus, OrderStatus

TRADE_CASES = {
    "TRADE_NO_CREATE_PAY": OrderStatus.PENDING_PAYMENT,
    "WAIT_BUYER_PAY": OrderStatus.PENDING_PAYMENT,
    "SELLER_CONSIGNED_PART": OrderStatus.PARTIALLY_SHIPPED,
    "WAIT_SELLER_SEND_GOODS": OrderStatus.PAID,
    "WAIT_BUYER_CONFIRM_GOODS": OrderStatus.SHIPPED,
    "TRADE_BUYER_SIGNED": OrderStatus.SHIPPED,
    "TRADE_FINISHED": OrderStatus.COMPLETED,
    "TRADE_CLOSED": OrderStatus.CLOSED,
    "TRADE_CLOSED_BY_TAOBAO": OrderStatus.CANCELLED,
    "PAY_PENDING": OrderStatus.PENDING_PAYMENT,
    "WAIT_PRE_AUTH_CONFIRM": OrderStatus.PENDING_PAYMENT,
    "PAID_FORBID_CONSIGN": OrderStatus.PAID_FORBID_SHIPMENT,
}
REFUND_CASES = {
    "WAIT_SELLER_AGREE": AfterSaleStatus.REQUESTED,
    "WAIT_BUYER_RETURN_GOODS": AfterSaleStatus.IN_PROGRESS,
    "WAIT_SELLER_CONFIRM_GOODS": AfterSaleStatus.IN_PROGRESS,
    "SELLER_REFUSE_BUYER": AfterSaleStatus.REJECTED,
    "CLOSED": AfterSaleStatus.CLOSED,
    "SUCCESS": AfterSaleStatus.REFUNDED,
    "NO_REFUND": AfterSaleStatus.NONE,
}


@pytest.mark.parametrize(("platform", "expected"), TRADE_CASES.items())
def test_trade_status(platform: str, expected: OrderStatus) -> None:
    # Given a TOP trade status, When mapped, Then it is the expected hub status
    assert order_status(platform) is expected


@pytest.mark.parametrize(("platform", "expected"), REFUND_CASES.items())
def test_refund_status(platform: str, expected: AfterSaleStatus) -> None:
    assert after_sale_status(platform) is expected


def test_the_tables_cover_exactly_the_documented_values() -> None:
    assert set(TRADE_STATUS) == set(TRADE_CASES)
    assert set(REFUND_STATUS) == set(REFUND_CASES)


@pytest.mark.parametrize("value", ["TRADE_SOMETHING_NEW", "", None, "wait_buyer_pay"])
def test_unknown_trade_status_is_invalid(value: str | None) -> None:
    with pytest.raises(OrderInvalid):
        order_status(value)


def test_unknown_refund_status_is_invalid_and_absent_means_none() -> None:
    with pytest.raises(OrderInvalid):
        after_sale_status("REFUND_SOMETHING_NEW")
    assert after_sale_status(None) is AfterSaleStatus.NONE
    assert after_sale_status("") is AfterSaleStatus.NONE


def test_the_order_after_sale_state_is_the_line_state_needing_attention_first() -> None:
    # Given lines in different after-sale states
    # Then a pending request outranks a finished refund, which outranks none
    assert order_after_sale([AfterSaleStatus.REFUNDED, AfterSaleStatus.REQUESTED]) is AfterSaleStatus.REQUESTED
    assert order_after_sale([AfterSaleStatus.NONE, AfterSaleStatus.REFUNDED]) is AfterSaleStatus.REFUNDED
    assert order_after_sale([AfterSaleStatus.NONE, AfterSaleStatus.NONE]) is AfterSaleStatus.NONE
