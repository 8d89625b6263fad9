import pytest

from connectors.sdk.errors import OrderInvalid
from connectors.tmall_fenxiao.conformance import DOCUMENTED_PURCHASE_STATUSES, DOCUMENTED_SUB_ORDER_STATUSES
from connectors.tmall_fenxiao.statuses import (
    CONSUMER_ORDER_AFTER_SALE,
    PURCHASE_STATUS,
    SUB_ORDER_AFTER_SALE,
    combine_line_statuses,
    daifa_order_status,
    daifa_refund_status,
    distribute_status,
    purchase_status,
    sub_order_after_sale,
)
from schemas.order import AfterSaleStatus, OrderStatus


def test_every_documented_value_is_mapped() -> None:
    assert set(PURCHASE_STATUS) >= DOCUMENTED_PURCHASE_STATUSES
    assert set(SUB_ORDER_AFTER_SALE) >= DOCUMENTED_SUB_ORDER_STATUSES
    consumer = {"WAIT_SELLER_SEND_GOODS", "WAIT_BUYER_CONFIRM_GOODS", "TRADE_CLOSED", "TRADE_REFUNDING"}
    assert consumer | {"TRADE_FINISHED", "TRADE_CLOSED_BY_TAOBAO"} == set(CONSUMER_ORDER_AFTER_SALE)


def test_close_before_payment_is_a_cancellation_and_after_it_a_refund() -> None:
    assert purchase_status("TRADE_CLOSED", paid=False, consigned=False) is OrderStatus.CANCELLED
    assert purchase_status("TRADE_CLOSED", paid=True, consigned=False) is OrderStatus.CLOSED


def test_a_refund_holds_shipping_unless_the_goods_left() -> None:
    assert purchase_status("TRADE_REFUNDING", paid=True, consigned=False) is OrderStatus.PAID_FORBID_SHIPMENT
    assert purchase_status("TRADE_REFUNDING", paid=True, consigned=True) is OrderStatus.SHIPPED


def test_offline_payment_awaiting_confirmation_is_not_shippable() -> None:
    assert purchase_status("WAIT_SELLER_CONFIRM_PAY", paid=True, consigned=False) is OrderStatus.PENDING_PAYMENT


def test_a_consumer_refund_marks_the_line_even_when_the_sub_order_looks_normal() -> None:
    assert sub_order_after_sale("WAIT_SELLER_SEND_GOODS", "TRADE_CLOSED") is AfterSaleStatus.REFUNDED
    assert sub_order_after_sale("TRADE_REFUNDING", "WAIT_SELLER_SEND_GOODS") is AfterSaleStatus.REQUESTED
    assert sub_order_after_sale(None, None) is AfterSaleStatus.NONE


@pytest.mark.parametrize(
    "call",
    [
        lambda: purchase_status("987654", paid=True, consigned=False),
        lambda: sub_order_after_sale("SOMETHING_NEW", None),
        lambda: sub_order_after_sale(None, "SOMETHING_NEW"),
        lambda: daifa_order_status("TRADE_CLOSED_BY_TAOBAO"),
        lambda: distribute_status("7"),
        lambda: daifa_refund_status("REFUND_SOMEHOW"),
    ],
)
def test_unknown_values_are_refused(call: object) -> None:
    with pytest.raises(OrderInvalid):
        call()  # type: ignore[operator]


def test_daifa_vocabularies() -> None:
    assert distribute_status("6") == distribute_status("CANCEL") == "CANCEL"
    assert distribute_status("5") == "CONSIGN"
    assert daifa_order_status("SELLER_CONSIGNED_PART") is OrderStatus.PARTIALLY_SHIPPED
    assert daifa_refund_status("NO_REFUND") is AfterSaleStatus.NONE
    assert daifa_refund_status("SUCCESS") is AfterSaleStatus.REFUNDED


def test_lines_that_moved_apart_make_a_partial_shipment() -> None:
    assert combine_line_statuses([OrderStatus.SHIPPED, OrderStatus.PAID]) is OrderStatus.PARTIALLY_SHIPPED
    assert combine_line_statuses([OrderStatus.PAID, OrderStatus.PAID]) is OrderStatus.PAID
    assert combine_line_statuses([OrderStatus.SHIPPED, OrderStatus.COMPLETED]) is OrderStatus.SHIPPED
