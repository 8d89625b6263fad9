"""A POS order (docs/pos-webhook.md) → the canonical `Order`.

- money arrives as integer fen; anything else (a float, a string, a boolean) is refused, and the totals must
  add up: goods = Σ unit price × quantity, paid = goods − discount + freight;
- times are RFC 3339 with an offset (a naive time is refused);
- `type` STORE_SALE → fulfilment STORE_SALE (nothing to ship), PICKUP → PICKUP at `pickup_store_id` (default:
  the selling store), DELIVERY → SHIP (needs a receiver);
- the receiver is plaintext from our own system: sealed here (`pii.py`), so the order holds ciphertext, masks,
  the region in clear and keyed tokens (`match_token` of the phone, `merge_key` of the whole receiver);
- `version` = make_version(updated_at, status, revision): the POS's `revision` rises with every change of the
  order, `updated_at` never goes back;
- the buyer is the member (`member:<id>`) or, for a walk-in sale, unique to the order so walk-ins are never
  grouped as one buyer.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.pos.pii import PiiSealer, mask_name, mask_phone
from connectors.pos.statuses import line_refund_status, order_after_sale, order_status, order_type
from connectors.sdk.errors import OrderInvalid
from schemas.order import FulfilmentMode, Order, OrderLine, RawPayloadRef, Receiver, make_version, order_key

CHANNEL = "pos"
MAX_REVISION = 999  # make_version keeps three digits for the tie-break


def _text(record: Mapping[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise OrderInvalid(f"{name} must be a string")
    return value.strip() or None


def _required_text(record: Mapping[str, Any], name: str, what: str) -> str:
    value = _text(record, name)
    if value is None:
        raise OrderInvalid(f"{what} has no {name}")
    return value


def _fen(record: Mapping[str, Any], name: str, what: str, *, default: int | None = None) -> int:
    value = record.get(name, default)
    if value is None:
        raise OrderInvalid(f"{what} has no {name}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise OrderInvalid(f"{what}.{name} must be an integer number of fen")
    if value < 0:
        raise OrderInvalid(f"{what}.{name} is negative")
    return value


def _time(record: Mapping[str, Any], name: str, what: str, *, required: bool = True) -> datetime | None:
    value = _text(record, name)
    if value is None:
        if required:
            raise OrderInvalid(f"{what} has no {name}")
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise OrderInvalid(f"{what}.{name} is not an RFC 3339 time") from exc
    if moment.tzinfo is None:
        raise OrderInvalid(f"{what}.{name} has no UTC offset")
    return moment


def _line(raw: object, index: int) -> OrderLine:
    if not isinstance(raw, Mapping):
        raise OrderInvalid(f"line {index} is not an object")
    what = f"line {index}"
    quantity = raw.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise OrderInvalid(f"{what}.quantity must be a positive integer")
    return OrderLine(
        line_id=_required_text(raw, "line_id", what),
        merchant_sku=_required_text(raw, "sku", what),
        channel_sku_id=_text(raw, "item_id"),
        title=_text(raw, "title") or "",
        quantity=quantity,
        unit_price=_fen(raw, "unit_price_fen", what),
        paid_amount=_fen(raw, "paid_fen", what),
        after_sale=line_refund_status(raw.get("refund_status")),
        is_gift=raw.get("is_gift") is True,
        parent_line_id=_text(raw, "parent_line_id"),
    )


def _receiver(raw: object, sealer: PiiSealer | None, key: str, pickup_store: str | None) -> tuple[Receiver, str | None]:
    """The sealed receiver and its merge key (None without a receiver)."""
    if raw is None:
        return Receiver(), None
    if not isinstance(raw, Mapping):
        raise OrderInvalid("receiver is not an object")
    if sealer is None:
        raise OrderInvalid("receiver given but no PII key is configured")
    name = _required_text(raw, "name", "receiver")
    phone = _required_text(raw, "phone", "receiver")
    address = _text(raw, "address")
    province, city, district = _text(raw, "province"), _text(raw, "city"), _text(raw, "district")
    region = "".join(part for part in (province, city, district) if part)
    digits = "".join(ch for ch in phone if ch.isdigit())
    receiver = Receiver(
        name_cipher=sealer.seal(name, context=key),
        name_masked=mask_name(name),
        phone_cipher=sealer.seal(phone, context=key),
        phone_masked=mask_phone(phone),
        address_cipher=sealer.seal(address, context=key) if address else None,
        address_masked=f"{region}****" if address else None,
        province=province,
        city=city,
        district=district,
        town=_text(raw, "town"),
        match_token=sealer.token("phone", digits),
    )
    return receiver, sealer.token("receiver", name, digits, address or "", pickup_store or "")


def normalise_order(
    raw: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None, sealer: PiiSealer | None
) -> Order:
    """Raises OrderInvalid (or pydantic's ValidationError) for an order the hub cannot take."""
    order_id = _required_text(raw, "order_id", "order")
    what = f"order {order_id}"
    store_id = _required_text(raw, "store_id", what)
    if store_id != shop_id:
        raise OrderInvalid(f"{what} belongs to store {store_id}, not to the signing store {shop_id}")
    if (raw.get("currency") or "CNY") != "CNY":
        raise OrderInvalid(f"{what} is not in CNY")
    channel_status = _required_text(raw, "status", what)
    status = order_status(channel_status)
    mode = order_type(raw.get("type"))
    revision = raw.get("revision")
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
        raise OrderInvalid(f"{what}.revision must be a non-negative integer")
    raw_lines = raw.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise OrderInvalid(f"{what} has no lines")
    lines = [_line(line, index) for index, line in enumerate(raw_lines)]
    goods, discount = _fen(raw, "goods_fen", what), _fen(raw, "discount_fen", what, default=0)
    freight, paid = _fen(raw, "freight_fen", what, default=0), _fen(raw, "paid_fen", what)
    if goods != sum(line.unit_price * line.quantity for line in lines):
        raise OrderInvalid(f"{what}.goods_fen is not the sum of unit_price_fen × quantity")
    if paid != goods - discount + freight:
        raise OrderInvalid(f"{what}.paid_fen is not goods_fen − discount_fen + freight_fen")
    pickup_store = (_text(raw, "pickup_store_id") or store_id) if mode is FulfilmentMode.PICKUP else None
    receiver, merge_key = _receiver(raw.get("receiver"), sealer, order_key(CHANNEL, shop_id, order_id), pickup_store)
    if mode is FulfilmentMode.SHIP and receiver.phone_cipher is None:
        raise OrderInvalid(f"{what} is a DELIVERY without a receiver")
    created_at = _time(raw, "created_at", what)
    updated_at = _time(raw, "updated_at", what)
    assert created_at is not None and updated_at is not None
    if updated_at < created_at:
        raise OrderInvalid(f"{what}.updated_at is before created_at")
    member = _text(raw, "member_id")
    coupons = raw.get("coupon_ids") or []
    if not isinstance(coupons, list) or not all(isinstance(c, str) for c in coupons):
        raise OrderInvalid(f"{what}.coupon_ids must be a list of strings")
    return Order(
        channel=CHANNEL,
        shop_id=shop_id,
        channel_order_id=order_id,
        channel_status=channel_status,
        status=status,
        after_sale=order_after_sale([line.after_sale for line in lines]),
        version=make_version(updated_at, status, min(revision, MAX_REVISION)),
        buyer_id=f"member:{member}" if member else f"walk-in:{store_id}:{order_id}",
        receiver=receiver,
        lines=lines,
        goods_amount=goods,
        freight_amount=freight,
        discount_amount=discount,
        paid_amount=paid,
        created_at=created_at,
        paid_at=_time(raw, "paid_at", what, required=False),
        updated_at=updated_at,
        invoice_requested=raw.get("invoice_requested") is True,
        buyer_message=_text(raw, "buyer_message"),
        seller_memo=_text(raw, "remark"),
        coupon_ids=list(coupons),
        merge_key=merge_key,
        fulfilment_mode=mode,
        pickup_store_id=pickup_store,
        raw_ref=raw_ref,
    )
