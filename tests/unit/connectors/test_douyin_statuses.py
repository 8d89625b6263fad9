"""Every Douyin order and after-sale status code, and the refusal of unknown codes."""

import pytest

from connectors.douyin import statuses
from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, OrderStatus


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (1, OrderStatus.PENDING_PAYMENT),
        (105, OrderStatus.PAID_FORBID_SHIPMENT),
        (2, OrderStatus.PAID),
        (101, OrderStatus.PARTIALLY_SHIPPED),
        (3, OrderStatus.SHIPPED),
        (4, OrderStatus.CANCELLED),
        (5, OrderStatus.COMPLETED),
    ],
)
def test_each_order_status_maps(code: int, expected: OrderStatus) -> None:
    # Given a Douyin order_status as a number and as the string form push data uses / Then the same status
    assert statuses.order_status(code) is expected
    assert statuses.order_status(str(code)) is expected


@pytest.mark.parametrize("code", [0, 6, 102, 999, -1, "abc", "", None, True, 2.0])
def test_an_unknown_order_status_is_refused(code: object) -> None:
    with pytest.raises(OrderInvalid):
        statuses.order_status(code)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (None, AfterSaleStatus.NONE),
        (0, AfterSaleStatus.NONE),
        (6, AfterSaleStatus.REQUESTED),
        (7, AfterSaleStatus.IN_PROGRESS),
        (8, AfterSaleStatus.IN_PROGRESS),
        (11, AfterSaleStatus.IN_PROGRESS),
        (13, AfterSaleStatus.IN_PROGRESS),
        (12, AfterSaleStatus.REFUNDED),
        (51, AfterSaleStatus.REFUNDED),
        (53, AfterSaleStatus.REFUNDED),
        (14, AfterSaleStatus.CLOSED),
        (28, AfterSaleStatus.CLOSED),
        (27, AfterSaleStatus.REJECTED),
        (29, AfterSaleStatus.REJECTED),
    ],
)
def test_each_after_sale_status_maps(code: int | None, expected: AfterSaleStatus) -> None:
    assert statuses.after_sale_status(code) is expected


@pytest.mark.parametrize("code", [1, 9, 30, "x", False])
def test_an_unknown_after_sale_status_is_refused(code: object) -> None:
    with pytest.raises(OrderInvalid):
        statuses.after_sale_status(code)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([], AfterSaleStatus.NONE),
        ([AfterSaleStatus.NONE, AfterSaleStatus.NONE], AfterSaleStatus.NONE),
        ([AfterSaleStatus.REFUNDED, AfterSaleStatus.REQUESTED], AfterSaleStatus.REQUESTED),
        ([AfterSaleStatus.CLOSED, AfterSaleStatus.IN_PROGRESS], AfterSaleStatus.IN_PROGRESS),
        ([AfterSaleStatus.NONE, AfterSaleStatus.REFUNDED], AfterSaleStatus.REFUNDED),
        ([AfterSaleStatus.CLOSED, AfterSaleStatus.REJECTED], AfterSaleStatus.REJECTED),
    ],
)
def test_the_order_level_after_sale_state_puts_open_cases_first(
    lines: list[AfterSaleStatus], expected: AfterSaleStatus
) -> None:
    assert statuses.order_after_sale(lines) is expected
