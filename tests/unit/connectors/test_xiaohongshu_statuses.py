"""Xiaohongshu status maps: every documented code, and refusal of what is not documented."""

import pytest

from connectors.sdk.errors import OrderInvalid
from connectors.xiaohongshu import statuses
from schemas.order import AfterSaleStatus, OrderStatus


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (1, OrderStatus.PENDING_PAYMENT),
        (2, OrderStatus.PAID_FORBID_SHIPMENT),
        (3, OrderStatus.PAID_FORBID_SHIPMENT),
        (4, OrderStatus.PAID),
        (5, OrderStatus.PARTIALLY_SHIPPED),
        (6, OrderStatus.SHIPPED),
        (7, OrderStatus.COMPLETED),
        (8, OrderStatus.CLOSED),
        (9, OrderStatus.CANCELLED),
        (10, OrderStatus.SHIPPED),
    ],
)
def test_order_statuses(code: int, expected: OrderStatus) -> None:
    assert statuses.order_status(code) is expected
    assert statuses.order_status(str(code)) is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (1, AfterSaleStatus.NONE),
        (2, AfterSaleStatus.REQUESTED),
        (3, AfterSaleStatus.REFUNDED),
        (4, AfterSaleStatus.REJECTED),
        (5, AfterSaleStatus.CLOSED),
        (6, AfterSaleStatus.IN_PROGRESS),
        (7, AfterSaleStatus.CLOSED),
    ],
)
def test_after_sale_statuses(code: int, expected: AfterSaleStatus) -> None:
    assert statuses.after_sale_status(code) is expected


def test_absent_after_sale_is_none() -> None:
    assert statuses.after_sale_status(None) is AfterSaleStatus.NONE


@pytest.mark.parametrize("value", [0, 11, "x", True, 4.0, None])
def test_unknown_order_status_is_refused(value: object) -> None:
    with pytest.raises(OrderInvalid):
        statuses.order_status(value)


@pytest.mark.parametrize("value", [0, 8, "2a", False])
def test_unknown_after_sale_is_refused(value: object) -> None:
    with pytest.raises(OrderInvalid):
        statuses.after_sale_status(value)
