"""A Kuaishou order (the `data` of `open.order.detail`, same shape as an `open.order.cursor.list` entry) as
the canonical `Order`.

Facts (platforms.md §5.4, KS-GO `core/result/order.go`): ids are JSON integers (`oid`), money is integer
fen, times are unix **milliseconds**. A Kuaishou order is one SKU: `orderItemInfo` is one object (a cart
checkout becomes several orders). Choices where the reference is silent [INFERRED]:
- `orderItemInfo` given as a list of such objects is read as several lines (the simulator uses it for the
  hub's platform-neutral multi-line test orders); one object is one line.
- Line money: `originalPrice` (list price, falling back to `price`) is the unit price; the line paid amount is
  `price × num − orderItemInfo.discountFee`. Order: `totalFee` is what the buyer paid (freight included),
  `expressFee` the freight, `orderBaseInfo.discountFee` the discount.
- Merchant SKU code: `skuNick` (SKU 编码), else `goodsCode` [INFERRED mapping, §11]; an item with neither
  is refused (stock is keyed by it).
- Receiver: only `encrypted*` ciphertext and `desensitise*` masked text are kept, region names in clear;
  the plaintext fields `consignee` / `mobile` / `address` are never read. Kuaishou's ciphertext format and
  its search index (`open.order.search.index.batch`) are not in the reference, so no match_token/merge_key.
- Refunds: `orderRefundList` entries are read like the refund list API's entries (`status`, `handlingWay`,
  `updateTime`, `skuId`) [INFERRED: field names from `open.seller.order.refund.pcursor.list`]. The detail
  carries only the latest case per order [SRC-3P]; a case naming a `skuId` applies to that line, else to all.
- `updated_at` (and the version's time) is the latest of `orderBaseInfo.updateTime` and the refunds'
  `updateTime`, so a refund step is newer even if the order's own updateTime did not move; the version's
  tie-break is the refund cases' progress.
- 30 with a non-zero `riskCode` → PAID_FORBID_SHIPMENT (Kuaishou refuses delivery while it is set).
- `preSale` non-zero → presale; `remark` → buyer_message; `orderNote.sellerNote` → seller_memo;
  `orderFlag.flag` → seller_flag. COD is not in the reference [NOT FOUND]: is_cod stays False. CPS
  (`orderCpsInfo`, 达人分销) is promotion commission, not drop-ship: the brand still ships, no distributor.
"""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.kuaishou import statuses
from connectors.sdk import fields
from connectors.sdk.errors import OrderInvalid
from schemas.order import AfterSaleStatus, Order, OrderLine, OrderStatus, RawPayloadRef, Receiver, make_version

CHANNEL = "kuaishou"


def from_millis(millis: int) -> datetime:
    """Unix milliseconds as an aware UTC datetime, exactly (no float division)."""
    return datetime.fromtimestamp(millis // 1000, tz=UTC) + timedelta(milliseconds=millis % 1000)


def to_order(raw: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
    """Normalise one Kuaishou order. Raises OrderInvalid or pydantic.ValidationError."""
    if not isinstance(raw, Mapping):
        raise OrderInvalid("Kuaishou order is not an object")
    base = _mapping(raw, "orderBaseInfo", "?")
    order_id = _id(base, "oid", "?")
    code = statuses.status_code(base.get("status"), "order status")
    status = statuses.order_status(code)
    if status is OrderStatus.PAID and _int(base.get("riskCode", 0), "riskCode", order_id, allow_none=True):
        status = OrderStatus.PAID_FORBID_SHIPMENT

    refunds = _refunds(raw, order_id)
    lines = [_line(order_id, item, refunds) for item in _items(raw, order_id)]
    after_sale = _order_after_sale(refunds)
    progress = sum(statuses.AFTER_SALE_PROGRESS[case_status] for case_status, _, _ in refunds)
    updated_at = max(
        [fields.time_field(base, "updateTime", order_id, from_millis, to_integer=_int)]
        + [moment for _, _, moment in refunds if moment]
    )

    return Order(
        channel=CHANNEL,
        shop_id=shop_id,
        channel_order_id=order_id,
        channel_status=str(code),
        status=status,
        after_sale=after_sale,
        version=make_version(updated_at, status, min(progress, 999)),
        buyer_id=fields.required_text(base, "buyerOpenId", order_id),
        receiver=_receiver(_mapping(raw, "orderAddress", order_id, required=False)),
        lines=lines,
        goods_amount=sum(line.unit_price * line.quantity for line in lines),
        freight_amount=fields.fen(base, "expressFee", order_id, default=0, to_integer=_int),
        discount_amount=fields.fen(base, "discountFee", order_id, default=0, to_integer=_int),
        paid_amount=fields.fen(base, "totalFee", order_id, to_integer=_int),
        created_at=fields.time_field(base, "createTime", order_id, from_millis, to_integer=_int),
        paid_at=fields.optional_time(base, "payTime", order_id, from_millis, to_integer=_int),
        updated_at=updated_at,
        is_presale=bool(_int(base.get("preSale", 0), "preSale", order_id, allow_none=True)),
        is_cod=False,
        buyer_message=fields.text(base, "remark"),
        seller_memo=_seller_memo(raw),
        seller_flag=_seller_flag(raw),
        raw_ref=raw_ref,
    )


def _items(raw: Mapping[str, Any], order_id: str) -> list[Mapping[str, Any]]:
    value = raw.get("orderItemInfo")
    candidates: list[object] = list(value) if isinstance(value, list) else [value]
    items = [item for item in candidates if isinstance(item, Mapping)]
    if not items or len(items) != len(candidates):
        raise OrderInvalid(f"order {order_id} has no orderItemInfo object")
    return items


def _line(order_id: str, item: Mapping[str, Any], refunds: list[tuple[AfterSaleStatus, str | None, Any]]) -> OrderLine:
    line_id = _id(item, "orderItemId", order_id)
    merchant_sku = fields.text(item, "skuNick") or fields.text(item, "goodsCode")
    if merchant_sku is None:
        raise OrderInvalid(f"order {order_id} item {line_id} has neither skuNick (SKU 编码) nor goodsCode")
    quantity = _int(item.get("num"), "num", order_id)
    price = fields.fen(item, "price", order_id, to_integer=_int)
    unit_price = fields.fen(item, "originalPrice", order_id, default=0, to_integer=_int) or price
    paid = price * quantity - fields.fen(item, "discountFee", order_id, default=0, to_integer=_int)
    if paid < 0:
        raise OrderInvalid(f"order {order_id} item {line_id} has a discount larger than its price")
    sku_id = _optional_id(item, "skuId")
    mine = [case for case, case_sku, _ in refunds if case_sku is None or case_sku == sku_id]
    return OrderLine(
        line_id=line_id,
        merchant_sku=merchant_sku,
        channel_sku_id=sku_id,
        channel_product_id=_optional_id(item, "itemId"),
        title=fields.text(item, "itemTitle") or "",
        quantity=quantity,
        unit_price=unit_price,
        paid_amount=paid,
        after_sale=_order_after_sale([(case, None, None) for case in mine]),
    )


def _refunds(raw: Mapping[str, Any], order_id: str) -> list[tuple[AfterSaleStatus, str | None, datetime | None]]:
    """(mapped status, skuId or None, updateTime) of each refund case on the order."""
    value = raw.get("orderRefundList")
    if value is None:
        return []
    if not isinstance(value, list):
        raise OrderInvalid(f"order {order_id} orderRefundList is not a list")
    cases = []
    for entry in value:
        if not isinstance(entry, Mapping):
            raise OrderInvalid(f"order {order_id} has a refund entry that is not an object")
        mapped = statuses.refund_status(entry.get("status"), entry.get("handlingWay"))
        cases.append(
            (
                mapped,
                _optional_id(entry, "skuId"),
                fields.optional_time(entry, "updateTime", order_id, from_millis, to_integer=_int),
            )
        )
    return cases


# The order-level after-sale state when cases differ: open cases first (they need action).
_PRECEDENCE = (
    AfterSaleStatus.REQUESTED,
    AfterSaleStatus.IN_PROGRESS,
    AfterSaleStatus.REFUNDED,
    AfterSaleStatus.REJECTED,
    AfterSaleStatus.CLOSED,
)


def _order_after_sale(cases: list[tuple[AfterSaleStatus, Any, Any]]) -> AfterSaleStatus:
    present = {case for case, _, _ in cases}
    return next((status for status in _PRECEDENCE if status in present), AfterSaleStatus.NONE)


def _receiver(address: Mapping[str, Any]) -> Receiver:
    return Receiver(
        name_cipher=fields.text(address, "encryptedConsignee"),
        name_masked=fields.text(address, "desensitiseConsignee"),
        phone_cipher=fields.text(address, "encryptedMobile"),
        phone_masked=fields.text(address, "desensitiseMobile"),
        address_cipher=fields.text(address, "encryptedAddress"),
        address_masked=fields.text(address, "desensitiseAddress"),
        province=fields.text(address, "province"),
        city=fields.text(address, "city"),
        district=fields.text(address, "district"),
        town=fields.text(address, "town"),
    )


def _seller_memo(raw: Mapping[str, Any]) -> str | None:
    note = raw.get("orderNote")
    notes = note.get("sellerNote") if isinstance(note, Mapping) else None
    if not isinstance(notes, list):
        return None
    texts = [n.strip() if isinstance(n, str) else str(n.get("note") or "").strip() for n in notes if n]
    joined = "; ".join(text for text in texts if text)
    return joined or None


def _seller_flag(raw: Mapping[str, Any]) -> str | None:
    flag = raw.get("orderFlag")
    flags = flag.get("flag") if isinstance(flag, Mapping) else None
    if not isinstance(flags, list):
        return None
    return ",".join(str(f) for f in flags if str(f).strip()) or None


def _mapping(raw: Mapping[str, Any], key: str, order_id: str, *, required: bool = True) -> Mapping[str, Any]:
    value = raw.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        raise OrderInvalid(f"Kuaishou order {order_id} has no {key} object")
    return value


def _int(value: object, key: str, order_id: str, *, allow_none: bool = False) -> int:
    # Money, counts and times are integers on Kuaishou; a float means the payload is not what we think.
    if value is None and allow_none:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise OrderInvalid(f"order {order_id} field {key} is not an integer: {value!r}")


def _optional_id(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value > 0 else None
    return fields.text(raw, key)


def _id(raw: Mapping[str, Any], key: str, order_id: str) -> str:
    value = _optional_id(raw, key)
    if value is None:
        raise OrderInvalid(f"Kuaishou order {order_id} has no {key}")
    return value
