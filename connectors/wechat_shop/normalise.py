"""A WeChat 小店 order (with its after-sale cases) as the canonical `Order`.

Input: `{"order": <order/get order>, "aftersale_orders": [<getaftersaleorder after_sale_order>, …]}` — the
connector reads each case because the order itself lists only case ids.

Facts (platforms.md §7.3): ids strings, money integer fen, times unix seconds. Choices where it is silent:
- Lines: 小店 has no sub-order id; a line is one `product_infos[]` entry, keyed by its `sku_id` (`sku_id-2`, … if a
  SKU repeats). `merchant_sku` = `out_sku_id` [INFERRED presence] — no fallback: a line without it is refused.
  `unit_price` = `sale_price` (售卖单价); the line's paid amount = `real_price` [INFERRED: the line's total after
  discounts], else `sale_price × sku_cnt`.
- Money: `paid_amount` = `price_info.order_price`, freight `price_info.freight`, discount = `discounted_price +
  deduction_price + change_down_price` (the reference's formula for order_price).
- Receiver: `order/get` is called with `encode_sensitive_info`, so `address_info` holds masked text; only values
  that look masked (contain `*`) are kept, so a plaintext value that slipped through is dropped, never stored.
  WeChat gives no ciphertext and no matching token (full values come from `sensitiveinfo/decode` on demand).
- After-sale: a case belongs to the line whose `sku_id` it names; the order-level state is the first of
  open > refunded > rejected > closed. `updated_at` is the latest of the order's and its cases' `update_time`
  [INFERRED: a case's step may not bump the order's update_time], and the cases' progress is the version
  tie-break, so every after-sale step is a newer version.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from connectors.sdk import fields
from connectors.sdk.errors import OrderInvalid
from connectors.wechat_shop import statuses
from schemas.order import AfterSaleStatus, Order, OrderLine, RawPayloadRef, Receiver, make_version
from schemas.timeutil import from_unix_seconds

CHANNEL = "wechat_shop"


def to_order(raw: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
    """Normalise one order with its after-sale cases. Raises OrderInvalid or pydantic.ValidationError."""
    order = fields.mapping(raw, "order", "payload")
    order_id = _id(order, "order_id", "order")
    detail = fields.mapping(order, "order_detail", order_id)
    price = fields.mapping(detail, "price_info", order_id)
    status = statuses.order_status(order.get("status"))
    cases = [_case(case, order_id) for case in fields.array(raw, "aftersale_orders", order_id)]

    raw_lines = fields.array(detail, "product_infos", order_id)
    if not raw_lines:
        raise OrderInvalid(f"order {order_id} has no product_infos")
    lines = _lines(order_id, raw_lines, cases)
    case_states = [state for _, state, _ in cases]
    updated_at = max(
        [
            fields.time_field(order, "update_time", order_id, from_unix_seconds, blank_is_none=True),
            *(moment for _, _, moment in cases),
        ]
    )
    progress = sum(statuses.PROGRESS[state] for state in case_states)
    ext = fields.mapping(detail, "ext_info", order_id) or fields.mapping(order, "ext_info", order_id)
    coupon = fields.mapping(detail, "coupon_info", order_id)
    coupon_id = fields.text(coupon, "user_coupon_id")
    return Order(
        channel=CHANNEL,
        shop_id=shop_id,
        channel_order_id=order_id,
        channel_status=str(statuses.status_code(order.get("status"))),
        status=status,
        after_sale=statuses.order_after_sale(case_states),
        version=make_version(updated_at, status, min(progress, 999)),
        buyer_id=fields.required_text(order, "openid", order_id),
        receiver=_receiver(fields.mapping(fields.mapping(detail, "delivery_info", order_id), "address_info", order_id)),
        lines=lines,
        goods_amount=sum(line.unit_price * line.quantity for line in lines),
        freight_amount=fields.fen(price, "freight", order_id, default=0),
        discount_amount=sum(
            fields.fen(price, key, order_id, default=0)
            for key in ("discounted_price", "deduction_price", "change_down_price")
        ),
        paid_amount=fields.fen(price, "order_price", order_id),
        created_at=fields.time_field(order, "create_time", order_id, from_unix_seconds, blank_is_none=True),
        paid_at=fields.optional_time(
            fields.mapping(detail, "pay_info", order_id), "pay_time", order_id, from_unix_seconds, blank_is_none=True
        ),
        updated_at=updated_at,
        buyer_message=fields.text(ext, "customer_notes"),
        seller_memo=fields.text(ext, "merchant_notes"),
        coupon_ids=[coupon_id] if coupon_id else [],
        raw_ref=raw_ref,
    )


def _case(raw: object, order_id: str) -> tuple[str | None, AfterSaleStatus, datetime]:
    """(sku_id the case is about, its state, its update time)."""
    if not isinstance(raw, Mapping):
        raise OrderInvalid(f"order {order_id} has an after-sale case that is not an object")
    case_id = fields.optional_id(raw, "after_sale_order_id") or "?"
    product = fields.mapping(raw, "product_info", order_id)
    moment = fields.optional_time(
        raw, "update_time", order_id, from_unix_seconds, blank_is_none=True
    ) or fields.optional_time(raw, "create_time", order_id, from_unix_seconds, blank_is_none=True)
    if moment is None:
        raise OrderInvalid(f"order {order_id} after-sale {case_id} has no update_time")
    return fields.optional_id(product, "sku_id"), statuses.after_sale_status(raw.get("status")), moment


def _lines(
    order_id: str, raw_lines: list[Any], cases: Iterable[tuple[str | None, AfterSaleStatus, datetime]]
) -> list[OrderLine]:
    by_sku: dict[str, list[AfterSaleStatus]] = {}
    for sku_id, state, _ in cases:
        if sku_id:
            by_sku.setdefault(sku_id, []).append(state)
    lines: list[OrderLine] = []
    seen: dict[str, int] = {}
    for raw in raw_lines:
        if not isinstance(raw, Mapping):
            raise OrderInvalid(f"order {order_id} has a product_infos entry that is not an object")
        sku_id = _id(raw, "sku_id", order_id)
        seen[sku_id] = seen.get(sku_id, 0) + 1
        line_id = sku_id if seen[sku_id] == 1 else f"{sku_id}-{seen[sku_id]}"
        merchant_sku = fields.text(raw, "out_sku_id")
        if merchant_sku is None:
            raise OrderInvalid(f"order {order_id} line {line_id} has no out_sku_id (商家编码)")
        quantity = fields.integer(raw.get("sku_cnt"), "sku_cnt", order_id)
        unit_price = fields.fen(raw, "sale_price", order_id)
        paid = fields.fen(raw, "real_price", order_id, default=unit_price * quantity)
        lines.append(
            OrderLine(
                line_id=line_id,
                merchant_sku=merchant_sku,
                channel_sku_id=sku_id,
                channel_product_id=fields.optional_id(raw, "product_id"),
                title=fields.text(raw, "title") or "",
                quantity=quantity,
                unit_price=unit_price,
                paid_amount=paid,
                after_sale=statuses.order_after_sale(by_sku.get(sku_id, ())),
            )
        )
    return lines


def _receiver(address: Mapping[str, Any]) -> Receiver:
    return Receiver(
        name_masked=_masked(address, "user_name"),
        phone_masked=_masked(address, "tel_number"),
        address_masked=_masked(address, "detail_info"),
        province=fields.text(address, "province_name"),
        city=fields.text(address, "city_name"),
        district=fields.text(address, "county_name"),
    )


def _masked(raw: Mapping[str, Any], key: str) -> str | None:
    value = fields.text(raw, key)
    return value if value is not None and "*" in value else None


def _id(raw: Mapping[str, Any], key: str, order_id: str) -> str:
    value = fields.optional_id(raw, key)
    if value is None:
        raise OrderInvalid(f"WeChat 小店 {order_id}: no {key}")
    return value
