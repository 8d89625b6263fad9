"""JD POP and DPS status maps: every documented value mapped, unknown ones refused."""

import pytest

from connectors.jd import statuses as pop
from connectors.jd_dps import statuses as dps
from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, OrderStatus


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("WAIT_SELLER_STOCK_OUT", OrderStatus.PAID),
        ("LOCKED", OrderStatus.PAID_FORBID_SHIPMENT),
        ("POP_ORDER_PAUSE", OrderStatus.PAID_FORBID_SHIPMENT),
        ("PAUSE", OrderStatus.PAID_FORBID_SHIPMENT),
        ("WAIT_GOODS_RECEIVE_CONFIRM", OrderStatus.SHIPPED),
        ("FINISHED_L", OrderStatus.COMPLETED),
        ("TRADE_CANCELED", OrderStatus.CANCELLED),
    ],
)
def test_pop_states(state: str, expected: OrderStatus) -> None:
    assert pop.order_status(state) is expected


@pytest.mark.parametrize("state", ["DELIVERY_RETURN", "wait_seller_stock_out", "", None])
def test_pop_unknown_states_are_refused(state: str | None) -> None:
    with pytest.raises(OrderInvalid):
        pop.order_status(state)


def test_pop_after_sale_only_applies_to_paid_orders() -> None:
    assert pop.after_sale_status("LOCKED", paid=True) is AfterSaleStatus.REQUESTED
    assert pop.after_sale_status("TRADE_CANCELED", paid=True) is AfterSaleStatus.REFUNDED
    assert pop.after_sale_status("TRADE_CANCELED", paid=False) is AfterSaleStatus.NONE
    assert pop.after_sale_status("WAIT_SELLER_STOCK_OUT", paid=True) is AfterSaleStatus.NONE


def test_pop_shipped_states_are_all_shipped_or_later() -> None:
    ranks = {pop.ORDER_STATE[s] for s in pop.SHIPPED_STATES}
    assert ranks <= {OrderStatus.SHIPPED, OrderStatus.COMPLETED}


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (7, OrderStatus.PAID),
        ("10", OrderStatus.PAID),
        (16, OrderStatus.SHIPPED),
        (19, OrderStatus.COMPLETED),
        (22, OrderStatus.PAID_FORBID_SHIPMENT),
        (29, OrderStatus.CANCELLED),
    ],
)
def test_dps_states(state: object, expected: OrderStatus) -> None:
    assert dps.order_status(state) is expected


def test_dps_unknown_values_are_refused() -> None:
    with pytest.raises(OrderInvalid):
        dps.order_status(8)
    with pytest.raises(OrderInvalid):
        dps.after_sale_status(2, state="7")


def test_dps_refund_flag() -> None:
    assert dps.after_sale_status(None, state="7") is AfterSaleStatus.NONE
    assert dps.after_sale_status(0, state="7") is AfterSaleStatus.NONE
    assert dps.after_sale_status(1, state="22") is AfterSaleStatus.REQUESTED
    assert dps.after_sale_status(1, state="29") is AfterSaleStatus.REFUNDED
