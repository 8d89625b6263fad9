"""Kuaishou order and refund statuses: every documented code mapped, unknown ones refused."""

import pytest

from connectors.kuaishou.statuses import order_status, refund_status
from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, OrderStatus


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (10, OrderStatus.PENDING_PAYMENT),
        (30, OrderStatus.PAID),
        (40, OrderStatus.SHIPPED),
        (50, OrderStatus.SHIPPED),
        (70, OrderStatus.COMPLETED),
        (80, OrderStatus.CANCELLED),
        ("30", OrderStatus.PAID),
    ],
)
def test_order_statuses(code: object, expected: OrderStatus) -> None:
    assert order_status(code) is expected


@pytest.mark.parametrize("code", [0, "0", 20, 60, 987654, None, True, "paid", 30.0])
def test_unknown_or_undetermined_order_status_is_refused(code: object) -> None:
    with pytest.raises(OrderInvalid):
        order_status(code)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (10, AfterSaleStatus.REQUESTED),
        (12, AfterSaleStatus.REJECTED),
        (20, AfterSaleStatus.REQUESTED),
        (30, AfterSaleStatus.IN_PROGRESS),
        (40, AfterSaleStatus.IN_PROGRESS),
        (45, AfterSaleStatus.IN_PROGRESS),
        (50, AfterSaleStatus.IN_PROGRESS),
        (60, AfterSaleStatus.REFUNDED),
        (70, AfterSaleStatus.CLOSED),
    ],
)
def test_refund_statuses(code: int, expected: AfterSaleStatus) -> None:
    assert refund_status(code, 10) is expected


@pytest.mark.parametrize("handling_way", [3, 4, 5])
def test_a_successful_exchange_resend_or_repair_is_not_a_refund(handling_way: int) -> None:
    assert refund_status(60, handling_way) is AfterSaleStatus.CLOSED
    assert refund_status(30, handling_way) is AfterSaleStatus.IN_PROGRESS


def test_refund_only_and_return_refund_success_is_refunded() -> None:
    assert refund_status(60, 1) is refund_status(60, 10) is refund_status(60) is AfterSaleStatus.REFUNDED


@pytest.mark.parametrize("code", [0, 11, 100, None])
def test_unknown_refund_status_is_refused(code: object) -> None:
    with pytest.raises(OrderInvalid):
        refund_status(code)
