"""A mini-program order — WeChat Pay's payment or refund facts plus the brand's order — as the canonical `Order`.

Input (what `fetch_notified_order` builds): `{"notification": {id, create_time, event_type, summary},
"transaction": <decrypted transaction> | "refund": <decrypted refund>, "order": <brand order, receiver sealed>}`.

- Status and version follow WeChat Pay's own facts and clock: `trade_state` of a transaction; for a refund, a
  SUCCESS refund of the whole `amount.total` closes the order (CLOSED), any other SUCCESS or PROCESSING /
  ABNORMAL refund holds it (PAID_FORBID_SHIPMENT: money is, or is about to be, returned), a CLOSED refund
  leaves it PAID. `updated_at` = the latest of `success_time` and the notification's `create_time`; the
  after-sale progress is the same-second tie-break.
- Money: integer fen. A paid transaction's `amount.total` must equal the brand order's `total_fen`, else the
  order is refused (422, archived): an order is never shipped against a payment that does not cover it.
- Lines, receiver, freight, discount, coupons, notes and pickup come from the brand order (its contract is in
  `client`); a receiver still in plaintext is sealed here, so the Order only ever holds ciphertext + masks.
- Times: RFC 3339 with offset (WeChat Pay speaks +08:00); a time without offset is refused.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.sdk import fields
from connectors.sdk.errors import OrderInvalid
from connectors.wechat_pay import pii, statuses
from schemas.order import (
    AfterSaleStatus,
    FulfilmentMode,
    Order,
    OrderLine,
    OrderStatus,
    RawPayloadRef,
    Receiver,
    make_version,
)

CHANNEL = "wechat_pay"
_RECEIVER_FIELDS = tuple(Receiver.model_fields)


def to_order(raw: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None, pii_key: bytes) -> Order:
    order = fields.mapping(raw, "order", "payload")
    order_id = _text(order, "out_trade_no", "payload")
    notification = fields.mapping(raw, "notification", order_id)
    transaction, refund = raw.get("transaction"), raw.get("refund")
    moments = [_optional_time(notification, "create_time", order_id)]
    total = fields.fen(order, "total_fen", order_id, to_integer=_int)
    after_sale, paid_at = AfterSaleStatus.NONE, _optional_time(order, "paid_at", order_id)
    buyer = order.get("openid")
    if isinstance(transaction, Mapping):
        state = transaction.get("trade_state")
        status, channel_status = statuses.trade_state(state), str(state)
        _same_order(transaction, order_id)
        if state in statuses.PAID_STATES:
            paid = fields.fen(fields.mapping(transaction, "amount", order_id), "total", order_id, to_integer=_int)
            if paid != total:
                raise OrderInvalid(f"order {order_id}: paid {paid} fen but the order is {total} fen")
            paid_at = _optional_time(transaction, "success_time", order_id) or paid_at
            after_sale = AfterSaleStatus.REFUNDED if state == "REFUND" else AfterSaleStatus.NONE
        moments.append(_optional_time(transaction, "success_time", order_id))
        buyer = fields.mapping(transaction, "payer", order_id).get("openid") or buyer
    elif isinstance(refund, Mapping):
        _same_order(refund, order_id)
        refund_state = refund.get("refund_status")
        after_sale, channel_status = statuses.refund_status(refund_state), f"REFUND.{refund_state}"
        amount = fields.mapping(refund, "amount", order_id)
        whole = fields.fen(amount, "refund", order_id, to_integer=_int) >= fields.fen(
            amount, "total", order_id, to_integer=_int
        )
        if refund_state == "SUCCESS" and whole:
            status = OrderStatus.CLOSED
        elif refund_state == "CLOSED":
            status = OrderStatus.PAID
        else:
            status = statuses.TRADE_STATE["REFUND"]
        moments.append(_optional_time(refund, "success_time", order_id))
    else:
        raise OrderInvalid(f"order {order_id}: neither a transaction nor a refund")

    created_at = _time(order, "created_at", order_id)
    updated_at = max([created_at, *(m for m in moments if m is not None)])
    lines = [_line(raw_line, order_id) for raw_line in fields.array(order, "lines", order_id)]
    fulfilment = fields.mapping(order, "fulfilment", order_id)
    mode = FulfilmentMode.PICKUP if fulfilment.get("mode") == "PICKUP" else FulfilmentMode.SHIP
    receiver = fields.mapping(order, "receiver", order_id)
    if not pii.is_sealed(receiver):
        receiver = pii.seal_receiver(receiver, pii_key)
    if not isinstance(buyer, str) or not buyer:
        raise OrderInvalid(f"order {order_id} has no payer openid")
    return Order(
        channel=CHANNEL,
        shop_id=shop_id,
        channel_order_id=order_id,
        channel_status=channel_status,
        status=status,
        after_sale=after_sale,
        version=make_version(updated_at, status, statuses.PROGRESS[after_sale]),
        buyer_id=buyer,
        receiver=Receiver(**{k: receiver.get(k) for k in _RECEIVER_FIELDS if receiver.get(k) is not None}),
        merge_key=receiver.get("merge_key"),
        lines=lines,
        goods_amount=sum(line.unit_price * line.quantity for line in lines),
        freight_amount=fields.fen(order, "freight_fen", order_id, default=0, to_integer=_int),
        discount_amount=fields.fen(order, "discount_fen", order_id, default=0, to_integer=_int),
        paid_amount=total,
        created_at=created_at,
        paid_at=paid_at,
        updated_at=updated_at,
        buyer_message=_optional_text(order, "buyer_message"),
        seller_memo=_optional_text(order, "seller_memo"),
        coupon_ids=[str(c) for c in fields.array(order, "coupon_ids", order_id)],
        fulfilment_mode=mode,
        pickup_store_id=_optional_text(fulfilment, "store_id") if mode is FulfilmentMode.PICKUP else None,
        raw_ref=raw_ref,
    )


def _same_order(payment: Mapping[str, Any], order_id: str) -> None:
    if payment.get("out_trade_no") != order_id:
        raise OrderInvalid(f"WeChat Pay facts are about {payment.get('out_trade_no')!r}, not order {order_id}")


def _line(raw: object, order_id: str) -> OrderLine:
    if not isinstance(raw, Mapping):
        raise OrderInvalid(f"order {order_id} has a line that is not an object")
    line_id = _text(raw, "line_id", order_id)
    return OrderLine(
        line_id=line_id,
        merchant_sku=_text(raw, "sku_code", order_id),
        channel_sku_id=_optional_text(raw, "sku_id"),
        channel_product_id=_optional_text(raw, "product_id"),
        title=_optional_text(raw, "title") or "",
        quantity=_int(raw.get("quantity"), "quantity", order_id),
        unit_price=fields.fen(raw, "unit_price_fen", order_id, to_integer=_int),
        paid_amount=fields.fen(raw, "paid_fen", order_id, to_integer=_int),
        is_gift=raw.get("is_gift") is True,
        parent_line_id=_optional_text(raw, "parent_line_id"),
    )


def _int(value: object, key: str, order_id: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise OrderInvalid(f"order {order_id} field {key} is not an integer")


def _time(raw: Mapping[str, Any], key: str, order_id: str) -> datetime:
    moment = _optional_time(raw, key, order_id)
    if moment is None:
        raise OrderInvalid(f"order {order_id} has no {key}")
    return moment


def _optional_time(raw: Mapping[str, Any], key: str, order_id: str) -> datetime | None:
    value = raw.get(key)
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise OrderInvalid(f"order {order_id} field {key} is not RFC 3339") from exc
    if moment.tzinfo is None:
        raise OrderInvalid(f"order {order_id} field {key} has no UTC offset")
    return moment


def _optional_text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _text(raw: Mapping[str, Any], key: str, order_id: str) -> str:
    value = _optional_text(raw, key)
    if value is None:
        raise OrderInvalid(f"order {order_id}: no {key}")
    return value
