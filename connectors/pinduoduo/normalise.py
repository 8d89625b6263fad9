"""A Pinduoduo order (`order_info` of `pdd.order.information.get`) as the canonical `Order`.

Facts (platforms.md §9.4): money is yuan as JSON doubles — the client hands them on as exact decimal text (or
Decimal), converted here with Decimal arithmetic only; a float is refused, never rounded. Times are text
`yyyy-MM-dd HH:mm:ss` in Beijing time [INFERRED format in the reference]; a value of digits only is read as
unix seconds (the safest reading if the format turns out to be numeric). Choices where the reference is silent:
- Lines: `item_list[]` (line id = `sku_id`, `#n` appended to a repeated SKU) and `gift_list[]` (is_gift, parent
  = the first main line). PDD gives no per-line paid amount: `pay_amount − postage` is spread over the main
  lines in proportion to list price × count (largest remainder, so lines add up to the fen); gifts pay 0.
- Merchant SKU: `outer_id` (SKU 商家编码), else `outer_goods_id`; neither → refused.
- Receiver: PDD ciphertext (`~…~`, [INFERRED shape]) is kept as cipher; any other non-empty value in a
  receiver field is dropped unread, so plaintext can never enter the Order. Masked forms from `*_mask`;
  region from province / city / town (区县 → district). Ciphertext is given only while 待发货 and not risk-
  flagged: a shippable order without it is marked undecryptable (audit holds it).
- buyer_id: PDD exposes no buyer id in the order [NOT FOUND]; `open_address_id` (合单 id, same receiver →
  same id) stands in, else `order:{order_sn}` (never one shared value that would merge strangers).
  `open_address_id` is also the merge key and the receiver's match token.
- discount_amount: `discount_amount`; is_presale: `trade_type` 1 (定金) or a `step_order_info`.
- version: make_version(updated_at, status, refund progress).
"""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.pinduoduo import statuses
from connectors.sdk import fields
from connectors.sdk.errors import OrderInvalid
from schemas.money import yuan_to_fen
from schemas.order import Order, OrderLine, OrderStatus, RawPayloadRef, Receiver, make_version
from schemas.timeutil import from_shanghai_text, from_unix_seconds

CHANNEL = "pinduoduo"
_DEPOSIT_TRADE = 1


def to_order(info: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
    """Normalise one `order_info`. Raises OrderInvalid or pydantic.ValidationError."""
    if not isinstance(info, Mapping):
        raise OrderInvalid("Pinduoduo order_info is not an object")
    order_sn = fields.text(info, "order_sn")
    if order_sn is None or ":" in order_sn:
        raise OrderInvalid("Pinduoduo order has no usable order_sn")
    order_code = statuses.code(info.get("order_status"), "order_status")
    refund_code = statuses.code(info.get("refund_status", 1), "refund_status")
    after_sale = statuses.refund_status(refund_code)
    paid_at = _optional_time(info, "pay_time", order_sn)
    status = statuses.hub_status(
        order=order_code,
        refund=refund_code,
        confirm=_optional_code(info, "confirm_status"),
        group=_optional_code(info, "group_status"),
        risk=_optional_code(info, "risk_control_status"),
        paid=paid_at is not None,
    )
    postage = _fen(info, "postage", order_sn, default=0)
    paid = _fen(info, "pay_amount", order_sn)
    lines = _lines(info, order_sn, max(paid - postage, 0))
    created_at = _time(info, "created_time", order_sn)
    updated_at = max(_time(info, "updated_at", order_sn), created_at)
    open_address_id = fields.text(info, "open_address_id")
    remark_tag = info.get("remark_tag")
    return Order(
        channel=CHANNEL,
        shop_id=shop_id,
        channel_order_id=order_sn,
        channel_status=f"{order_code}/{refund_code}",
        status=status,
        after_sale=after_sale,
        version=make_version(updated_at, status, statuses.REFUND_PROGRESS[refund_code]),
        buyer_id=open_address_id or f"order:{order_sn}",
        receiver=_receiver(info, status),
        lines=lines,
        goods_amount=sum(line.unit_price * line.quantity for line in lines),
        freight_amount=postage,
        discount_amount=_fen(info, "discount_amount", order_sn, default=0),
        paid_amount=paid,
        created_at=created_at,
        paid_at=paid_at,
        updated_at=updated_at,
        is_presale=info.get("trade_type") == _DEPOSIT_TRADE or bool(info.get("step_order_info")),
        buyer_message=fields.text(info, "buyer_memo"),
        seller_memo=fields.text(info, "remark"),
        seller_flag=str(remark_tag)
        if isinstance(remark_tag, int) and not isinstance(remark_tag, bool) and remark_tag > 0
        else None,
        merge_key=open_address_id,
        raw_ref=raw_ref,
    )


def _lines(info: Mapping[str, Any], order_sn: str, distributable: int) -> list[OrderLine]:
    items = info.get("item_list")
    if not isinstance(items, list) or not items:
        raise OrderInvalid(f"order {order_sn} has no item_list")
    gifts = info.get("gift_list") or []
    if not isinstance(gifts, list):
        raise OrderInvalid(f"order {order_sn} gift_list is not a list")
    parsed = [_item(order_sn, raw) for raw in items]
    weights = [unit * quantity for _, _, _, _, unit, quantity in parsed]
    shares = allocate(distributable, weights)
    lines: list[OrderLine] = []
    seen: dict[str, int] = {}
    for (sku_id, goods_id, merchant_sku, title, unit, quantity), share in zip(parsed, shares, strict=True):
        lines.append(_line(_line_id(sku_id, seen), sku_id, goods_id, merchant_sku, title, unit, quantity, share))
    for raw in gifts:
        sku_id, goods_id, merchant_sku, title, unit, quantity = _item(order_sn, raw)
        lines.append(
            _line(_line_id(sku_id, seen), sku_id, goods_id, merchant_sku, title, unit, quantity, 0).model_copy(
                update={"is_gift": True, "parent_line_id": lines[0].line_id}
            )
        )
    return lines


def _line(
    line_id: str, sku_id: str, goods_id: str | None, merchant_sku: str, title: str, unit: int, quantity: int, paid: int
) -> OrderLine:
    return OrderLine(
        line_id=line_id,
        merchant_sku=merchant_sku,
        channel_sku_id=sku_id,
        channel_product_id=goods_id,
        title=title,
        quantity=quantity,
        unit_price=unit,
        paid_amount=paid,
    )


def _item(order_sn: str, raw: object) -> tuple[str, str | None, str, str, int, int]:
    if not isinstance(raw, Mapping):
        raise OrderInvalid(f"order {order_sn} has an item that is not an object")
    sku_id = fields.optional_id(raw, "sku_id")
    if sku_id is None:
        raise OrderInvalid(f"order {order_sn} has an item without sku_id")
    merchant_sku = fields.text(raw, "outer_id") or fields.text(raw, "outer_goods_id")
    if merchant_sku is None:
        raise OrderInvalid(f"order {order_sn} sku {sku_id} has neither outer_id nor outer_goods_id (商家编码)")
    quantity = raw.get("goods_count")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise OrderInvalid(f"order {order_sn} sku {sku_id} goods_count is not a positive integer")
    unit = _fen(raw, "goods_price", order_sn)
    return (
        sku_id,
        fields.optional_id(raw, "goods_id"),
        merchant_sku,
        fields.text(raw, "goods_name") or "",
        unit,
        quantity,
    )


def _line_id(sku_id: str, seen: dict[str, int]) -> str:
    seen[sku_id] = seen.get(sku_id, 0) + 1
    return sku_id if seen[sku_id] == 1 else f"{sku_id}#{seen[sku_id]}"


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` fen over `weights` proportionally; the remainder goes to the largest fractions (ties: first)."""
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [total] + [0] * (len(weights) - 1)
    floors = [total * weight // weight_sum for weight in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % weight_sum), i))
    for index in remainders[: total - sum(floors)]:
        floors[index] += 1
    return floors


def _receiver(info: Mapping[str, Any], status: OrderStatus) -> Receiver:
    name, phone = _cipher(info, "receiver_name"), _cipher(info, "receiver_phone")
    address = _cipher(info, "receiver_address") or _cipher(info, "address")
    open_address_id = fields.text(info, "open_address_id")
    shippable = status is OrderStatus.PAID
    return Receiver(
        name_cipher=name,
        name_masked=fields.text(info, "receiver_name_mask"),
        phone_cipher=phone,
        phone_masked=fields.text(info, "receiver_phone_mask"),
        address_cipher=address,
        address_masked=fields.text(info, "receiver_address_mask") or fields.text(info, "address_mask"),
        province=fields.text(info, "province"),
        city=fields.text(info, "city"),
        district=fields.text(info, "town"),
        match_token=open_address_id,
        decryptable=not shippable or bool(name and phone and address),
    )


def _cipher(info: Mapping[str, Any], key: str) -> str | None:
    value = fields.text(info, key)
    if value is None or len(value) < 3 or not (value.startswith("~") and value.endswith("~")):
        return None  # not PDD ciphertext: possibly plaintext, never kept
    return value


def _fen(raw: Mapping[str, Any], key: str, order_sn: str, *, default: int | None = None) -> int:
    value = raw.get(key)
    if value is None and default is not None:
        return default
    if isinstance(value, float | bool) or not isinstance(value, int | str | Decimal):
        raise OrderInvalid(f"order {order_sn} field {key} is not an exact yuan amount (parse with Decimal)")
    try:
        fen = yuan_to_fen(value)
    except ValueError as exc:
        raise OrderInvalid(f"order {order_sn} field {key}: {exc}") from exc
    if fen < 0:
        raise OrderInvalid(f"order {order_sn} field {key} is negative")
    return fen


def _time(raw: Mapping[str, Any], key: str, order_sn: str) -> datetime:
    moment = _optional_time(raw, key, order_sn)
    if moment is None:
        raise OrderInvalid(f"order {order_sn} has no {key}")
    return moment


def _optional_time(raw: Mapping[str, Any], key: str, order_sn: str) -> datetime | None:
    value = raw.get(key)
    if value is None or value == "" or value == 0:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return from_unix_seconds(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return from_unix_seconds(text) if text.isdigit() else from_shanghai_text(text)
        except ValueError as exc:
            raise OrderInvalid(f"order {order_sn} field {key} is not yyyy-MM-dd HH:mm:ss") from exc
    raise OrderInvalid(f"order {order_sn} field {key} is not a time")


def _optional_code(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    return None if value is None else statuses.code(value, key)
