"""Pinduoduo status maps and the companion fields that refine them."""

import pytest

from connectors.pinduoduo import statuses
from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, OrderStatus


@pytest.mark.parametrize(
    ("code", "expected"), [(1, OrderStatus.PAID), (2, OrderStatus.SHIPPED), (3, OrderStatus.COMPLETED)]
)
def test_order_status(code: int, expected: OrderStatus) -> None:
    assert statuses.order_status(code) is expected and statuses.order_status(str(code)) is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (1, AfterSaleStatus.NONE),
        (2, AfterSaleStatus.REQUESTED),
        (3, AfterSaleStatus.IN_PROGRESS),
        (4, AfterSaleStatus.REFUNDED),
    ],
)
def test_refund_status(code: int, expected: AfterSaleStatus) -> None:
    assert statuses.refund_status(code) is expected


@pytest.mark.parametrize("value", [0, 4, 5, "x", True, 1.0])
def test_unknown_order_status_is_refused(value: object) -> None:
    with pytest.raises(OrderInvalid):
        statuses.order_status(value)


@pytest.mark.parametrize("value", [0, 5, False])
def test_unknown_refund_status_is_refused(value: object) -> None:
    with pytest.raises(OrderInvalid):
        statuses.refund_status(value)


def _hub(**changes: object) -> OrderStatus:
    fields: dict[str, object] = {"order": 1, "refund": 1, "confirm": 1, "group": 1, "risk": 0, "paid": True}
    fields.update(changes)
    return statuses.hub_status(**fields)  # type: ignore[arg-type]


def test_companion_fields_refine_the_status() -> None:
    assert _hub() is OrderStatus.PAID
    assert _hub(confirm=2) is OrderStatus.CANCELLED
    assert _hub(paid=False, confirm=0, group=0) is OrderStatus.PENDING_PAYMENT
    assert _hub(refund=4) is OrderStatus.CLOSED
    assert _hub(order=2, refund=4) is OrderStatus.SHIPPED  # returned after shipment: the after-sale says so
    assert _hub(group=0) is OrderStatus.PAID_FORBID_SHIPMENT
    assert _hub(risk=1) is OrderStatus.PAID_FORBID_SHIPMENT
    assert _hub(order=3, risk=1) is OrderStatus.COMPLETED
    with pytest.raises(OrderInvalid):
        _hub(order=9)
