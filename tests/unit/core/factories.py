"""Builders of canonical orders for unit tests."""

from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.order import Order, OrderLine, OrderStatus, Receiver, make_version


def make_order(
    *,
    channel: str = "douyin",
    shop_id: str = "123456",
    order_id: str = "4900000000000000001",
    status: OrderStatus = OrderStatus.PAID,
    updated_at: datetime | None = None,
    **overrides: Any,
) -> Order:
    updated = updated_at or datetime(2024, 1, 1, 4, 0, tzinfo=UTC)
    fields: dict[str, Any] = {
        "channel": channel,
        "shop_id": shop_id,
        "channel_order_id": order_id,
        "channel_status": "2",
        "status": status,
        "version": make_version(updated, status),
        "buyer_id": "buyer-open-id-1",
        "receiver": Receiver(
            name_cipher="#cipher-name#",
            name_masked="张*",
            phone_cipher="#cipher-phone#",
            phone_masked="138****0000",
            address_cipher="#cipher-addr#",
            address_masked="浙江省杭州市西湖区****",
            province="浙江省",
            city="杭州市",
            district="西湖区",
        ),
        "lines": [
            OrderLine(
                line_id=f"{order_id}-1", merchant_sku="AC-1P-INV", quantity=1, unit_price=399900, paid_amount=369900
            )
        ],
        "goods_amount": 399900,
        "discount_amount": 30000,
        "paid_amount": 369900,
        "created_at": updated - timedelta(minutes=5),
        "paid_at": updated - timedelta(minutes=4),
        "updated_at": updated,
    }
    fields.update(overrides)
    return Order(**fields)
