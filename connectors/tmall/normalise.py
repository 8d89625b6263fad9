"""A `taobao.trade.fullinfo.get` trade → the canonical `Order`.

Platform facts used (reference/platforms.md §1.5):
- ids: `tid_str` / `oid_str` (numbers exceed 2^53; the numeric forms are only a fallback);
- money: yuan strings with 2 decimals → integer fen (`yuan_to_fen`, never float);
- times: `yyyy-MM-dd HH:mm:ss` in GMT+8 → aware UTC;
- buyer: `buyer_open_uid` (the nick is legacy and personal);
- receiver: name/mobile/phone/address come encrypted or masked; region fields in clear; `oaid` is the
  token for matching and decryption;
- lines: `orders[]`, merchant SKU `outer_sku_id`, falling back to the item's `outer_iid`; paid per line is
  `divide_order_fee` (after allocation of order-level discounts), falling back to `payment`.

[INFERRED] choices, the safest found:
- a receiver value wrapped in `~…~` is TOP ciphertext; one containing `*` is masked; anything else is
  treated as plaintext and only a mask computed here is kept, so plaintext never reaches the store;
- the order's discount is what the list prices and freight exceed the payment by (0 if the seller raised
  the price), so goods + freight − discount = paid always holds;
- an invoice is requested when `invoice_name` (the title) or `invoice_kind` is present.
"""

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from connectors.sdk.errors import OrderInvalid
from connectors.sdk.fields import required_shanghai_time, shanghai_time, yuan
from connectors.tmall.statuses import after_sale_status, order_after_sale, order_status
from schemas.order import Order, OrderLine, RawPayloadRef, Receiver, make_version

CHANNEL = "tmall"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _id(record: Mapping[str, Any], name: str) -> str:
    value = _text(record.get(f"{name}_str")) or _text(record.get(name))
    if value is None:
        raise OrderInvalid(f"trade has no {name}")
    return value


def _is_cipher(value: str) -> bool:
    return len(value) > 2 and value.startswith("~") and value.endswith("~")


def _split(value: str | None, mask: Any) -> tuple[str | None, str | None]:
    """(ciphertext, masked) for one receiver field."""
    if value is None:
        return None, None
    if _is_cipher(value):
        return value, None
    if "*" in value:
        return None, value
    return None, mask(value)


def _mask_name(value: str) -> str:
    return value[0] + "*" * max(len(value) - 1, 1)


def _mask_phone(value: str) -> str:
    digits = value.strip()
    return "*" * max(len(digits) - 4, 3) + digits[-4:] if len(digits) > 4 else "****"


def _receiver(trade: Mapping[str, Any]) -> Receiver:
    province = _text(trade.get("receiver_state"))
    city = _text(trade.get("receiver_city"))
    district = _text(trade.get("receiver_district"))
    region = "".join(p for p in (province, city, district) if p)

    def mask_address(_: str) -> str:
        return f"{region}****"

    name_cipher, name_masked = _split(_text(trade.get("receiver_name")), _mask_name)
    phone = _text(trade.get("receiver_mobile")) or _text(trade.get("receiver_phone"))
    phone_cipher, phone_masked = _split(phone, _mask_phone)
    address_cipher, address_masked = _split(_text(trade.get("receiver_address")), mask_address)
    return Receiver(
        name_cipher=name_cipher,
        name_masked=name_masked,
        phone_cipher=phone_cipher,
        phone_masked=phone_masked,
        address_cipher=address_cipher,
        address_masked=address_masked,
        province=province,
        city=city,
        district=district,
        town=_text(trade.get("receiver_town")),
        match_token=_text(trade.get("oaid")),
    )


def _sub_orders(trade: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """`orders` is `{"order": [...]}` in the standard response and a plain list with `simplify=true`."""
    orders = trade.get("orders")
    if isinstance(orders, Mapping):
        orders = orders.get("order")
    if not isinstance(orders, list) or not orders:
        raise OrderInvalid("trade has no sub-orders")
    return [o for o in orders if isinstance(o, Mapping)]


def _line(sub: Mapping[str, Any]) -> OrderLine:
    oid = _id(sub, "oid")
    sku = _text(sub.get("outer_sku_id")) or _text(sub.get("outer_iid"))
    if sku is None:
        raise OrderInvalid(f"sub-order {oid} has neither outer_sku_id nor outer_iid (merchant SKU code)")
    try:
        quantity = int(str(sub.get("num", "")).strip())
    except ValueError as exc:
        raise OrderInvalid(f"sub-order {oid} has no quantity") from exc
    paid_field = "divide_order_fee" if _text(sub.get("divide_order_fee")) else "payment"
    return OrderLine(
        line_id=oid,
        merchant_sku=sku,
        channel_sku_id=_text(sub.get("sku_id")),
        channel_product_id=_text(sub.get("num_iid")),
        title=_text(sub.get("title")) or "",
        quantity=quantity,
        unit_price=yuan(sub, "price"),
        paid_amount=yuan(sub, paid_field),
        after_sale=after_sale_status(_text(sub.get("refund_status"))),
    )


def normalise_trade(trade: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
    """Raises OrderInvalid for a trade the hub cannot represent, ValidationError when the model refuses it."""
    try:
        return _normalise(trade, shop_id=shop_id, raw_ref=raw_ref)
    except ValidationError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise OrderInvalid(f"trade cannot be normalised: {type(exc).__name__}") from exc


def _normalise(trade: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
    tid = _id(trade, "tid")
    channel_status = _text(trade.get("status"))
    if channel_status is None:
        raise OrderInvalid(f"trade {tid} has no status")
    status = order_status(channel_status)
    buyer_id = _text(trade.get("buyer_open_uid"))
    if buyer_id is None:
        raise OrderInvalid(f"trade {tid} has no buyer_open_uid")
    modified = required_shanghai_time(trade, "modified")
    lines = [_line(sub) for sub in _sub_orders(trade)]
    goods = sum(line.unit_price * line.quantity for line in lines)
    freight = yuan(trade, "post_fee", default="0")
    paid = yuan(trade, "payment")
    trade_type = _text(trade.get("type")) or ""
    return Order(
        channel=CHANNEL,
        shop_id=shop_id,
        channel_order_id=tid,
        channel_status=channel_status,
        status=status,
        after_sale=order_after_sale([line.after_sale for line in lines]),
        version=make_version(modified, status),
        buyer_id=buyer_id,
        receiver=_receiver(trade),
        lines=lines,
        goods_amount=goods,
        freight_amount=freight,
        discount_amount=max(goods + freight - paid, 0),
        paid_amount=paid,
        created_at=required_shanghai_time(trade, "created"),
        paid_at=shanghai_time(trade, "pay_time"),
        updated_at=modified,
        is_presale=trade_type == "step" or _text(trade.get("step_trade_status")) is not None,
        is_cod=trade_type == "cod",
        invoice_requested=_text(trade.get("invoice_name")) is not None or _text(trade.get("invoice_kind")) is not None,
        buyer_message=_text(trade.get("buyer_message")),
        seller_memo=_text(trade.get("seller_memo")),
        raw_ref=raw_ref,
    )
