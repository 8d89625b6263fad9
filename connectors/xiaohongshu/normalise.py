"""A Xiaohongshu order (the `data` of `order.getOrderDetail`) as the canonical `Order`.

Facts (platforms.md §6.4, getOrderDetail spec): money is integer fen, times are unix milliseconds, `skuList`
aggregates equal SKUs ("相同sku聚合", amounts are line totals), so a SKU id is unique in an order and is the
line id. Choices where the reference is silent:
- Receiver: getOrderDetail returns only the region; name/phone/address come from `order.getOrderReceiverInfo`
  whose documented examples are plaintext, so the hub does not call it at ingest (no plaintext may reach the
  Order): the label step resolves the receiver by `openAddressId` just before shipping. `openAddressId`
  ("computed from name + phone + address") is both the merge key and the receiver match token.
- Merchant SKU: `erpcode`; a combo (组合品) has none, and is expanded into its `skuDetailList` children (each
  with its own `erpCode`), line id `{skuId}/{child skuId}` [INFERRED: a child's `quantity` is its total count
  in the order]. A line with no merchant code at all is refused (stock is keyed by it).
- Unit list price: `rawPricePerSku` of the line's own detail entry, else `pricePerSku`, else (paid + merchant
  and platform discounts) / quantity when that divides exactly; otherwise the order is refused.
- discount_amount = totalMerchantDiscount + totalRedDiscount; paid_amount = totalPayAmount (incl. freight
  and deposit); is_presale: orderType 2/3/4; a pending cancellation (`cancelStatus` 1) with no other
  after-sale case reads as REQUESTED (the buyer asked to cancel: do not ship).
- version: make_version(updateTime, status, after-sale progress).
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.sdk.errors import OrderInvalid
from connectors.xiaohongshu import statuses
from schemas.order import AfterSaleStatus, Order, OrderLine, RawPayloadRef, Receiver, make_version
from schemas.timeutil import from_unix_millis

CHANNEL = "xiaohongshu"
_PRESALE_TYPES = frozenset({2, 3, 4})  # 定金预售, 全款预售(废弃), 全款预售(新)
_GIFT_TAG = 1
_CANCEL_PENDING = 1


def to_order(detail: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
    """Normalise one getOrderDetail `data`. Raises OrderInvalid or pydantic.ValidationError."""
    if not isinstance(detail, Mapping):
        raise OrderInvalid("Xiaohongshu order detail is not an object")
    order_id = _required_text(detail, "orderId", "?")
    status_code = statuses.status_code(detail.get("orderStatus"), "orderStatus")
    status = statuses.order_status(status_code)
    raw_lines = detail.get("skuList")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise OrderInvalid(f"order {order_id} has no skuList")
    lines = [line for raw in raw_lines for line in _lines(order_id, raw)]
    after_sale = statuses.after_sale_status(detail.get("orderAfterSalesStatus"))
    if after_sale is AfterSaleStatus.NONE and detail.get("cancelStatus") == _CANCEL_PENDING:
        after_sale = AfterSaleStatus.REQUESTED
    updated_at = _time(detail, "updateTime", order_id)
    created_at = _time(detail, "createdTime", order_id)
    open_address_id = _text(detail, "openAddressId")
    flag = detail.get("sellerRemarkFlag")
    return Order(
        channel=CHANNEL,
        shop_id=shop_id,
        channel_order_id=order_id,
        channel_status=str(status_code),
        status=status,
        after_sale=after_sale,
        version=make_version(updated_at, status, statuses.AFTER_SALE_PROGRESS[after_sale]),
        buyer_id=_required_text(detail, "userId", order_id),
        receiver=Receiver(
            province=_text(detail, "receiverProvinceName"),
            city=_text(detail, "receiverCityName"),
            district=_text(detail, "receiverDistrictName"),
            match_token=open_address_id,
        ),
        lines=lines,
        goods_amount=sum(line.unit_price * line.quantity for line in lines),
        freight_amount=_fen(detail, "totalShippingFree", order_id, default=0),
        discount_amount=_fen(detail, "totalMerchantDiscount", order_id, default=0)
        + _fen(detail, "totalRedDiscount", order_id, default=0),
        paid_amount=_fen(detail, "totalPayAmount", order_id),
        created_at=created_at,
        paid_at=_optional_time(detail, "paidTime", order_id),
        updated_at=max(updated_at, created_at),
        is_presale=detail.get("orderType") in _PRESALE_TYPES,
        buyer_message=_text(detail, "customerRemark"),
        seller_memo=_text(detail, "sellerRemark"),
        seller_flag=str(flag) if isinstance(flag, int) and not isinstance(flag, bool) and flag > 0 else None,
        merge_key=open_address_id,
        raw_ref=raw_ref,
    )


def _lines(order_id: str, raw: object) -> list[OrderLine]:
    if not isinstance(raw, Mapping):
        raise OrderInvalid(f"order {order_id} has a skuList entry that is not an object")
    sku_id = _required_text(raw, "skuId", order_id)
    details = [d for d in (raw.get("skuDetailList") or []) if isinstance(d, Mapping)]
    after_sale = statuses.after_sale_status(raw.get("skuAfterSaleStatus"), "skuAfterSaleStatus")
    is_gift = raw.get("skuTag") == _GIFT_TAG
    item_id = _text(raw, "itemId")
    erpcode = _text(raw, "erpcode")
    if erpcode is None:
        children = [d for d in details if _text(d, "erpCode")]
        if not children:
            raise OrderInvalid(f"order {order_id} sku {sku_id} has no erpcode (商家编码)")
        return [_child_line(order_id, sku_id, child, after_sale, is_gift, item_id) for child in children]
    quantity = _count(raw.get("skuQuantity"), "skuQuantity", order_id)
    paid = _fen(raw, "totalPaidAmount", order_id)
    own = next((d for d in details if _text(d, "skuId") == sku_id), details[0] if len(details) == 1 else None)
    unit_price = _unit_price(raw, own, quantity, paid, order_id, sku_id)
    return [
        OrderLine(
            line_id=sku_id,
            merchant_sku=erpcode,
            channel_sku_id=sku_id,
            channel_product_id=item_id,
            title=_text(raw, "skuName") or "",
            quantity=quantity,
            unit_price=unit_price,
            paid_amount=paid,
            after_sale=after_sale,
            is_gift=is_gift,
        )
    ]


def _child_line(
    order_id: str,
    parent_sku: str,
    child: Mapping[str, Any],
    after_sale: AfterSaleStatus,
    is_gift: bool,
    item_id: str | None,
) -> OrderLine:
    child_sku = _required_text(child, "skuId", order_id)
    quantity = _count(child.get("quantity"), "skuDetailList.quantity", order_id)
    unit = child.get("rawPricePerSku") if child.get("rawPricePerSku") is not None else child.get("pricePerSku")
    return OrderLine(
        line_id=f"{parent_sku}/{child_sku}",
        merchant_sku=_required_text(child, "erpCode", order_id),
        channel_sku_id=child_sku,
        channel_product_id=item_id,
        title=_text(child, "skuName") or "",
        quantity=quantity,
        unit_price=_fen_value(unit, "rawPricePerSku", order_id),
        paid_amount=_fen_value(child.get("paidAmountPerSku", 0), "paidAmountPerSku", order_id) * quantity,
        after_sale=after_sale,
        is_gift=is_gift,
    )


def _unit_price(
    raw: Mapping[str, Any], own: Mapping[str, Any] | None, quantity: int, paid: int, order_id: str, sku_id: str
) -> int:
    if own is not None:
        for key in ("rawPricePerSku", "pricePerSku"):
            if own.get(key) is not None:
                return _fen_value(own.get(key), key, order_id)
    listed = paid + _fen(raw, "totalMerchantDiscount", order_id, default=0)
    listed += _fen(raw, "totalRedDiscount", order_id, default=0)
    if listed % quantity:
        raise OrderInvalid(f"order {order_id} sku {sku_id}: no unit price and {listed} fen / {quantity} is not whole")
    return listed // quantity


def _fen_value(value: object, key: str, order_id: str) -> int:
    # Xiaohongshu money is integer fen; a float or text here means the payload is not what we think it is.
    if not isinstance(value, int) or isinstance(value, bool):
        raise OrderInvalid(f"order {order_id} field {key} is not integer fen")
    if value < 0:
        raise OrderInvalid(f"order {order_id} field {key} is negative")
    return value


def _fen(raw: Mapping[str, Any], key: str, order_id: str, *, default: int | None = None) -> int:
    value = raw.get(key)
    if value is None and default is not None:
        return default
    return _fen_value(value, key, order_id)


def _count(value: object, key: str, order_id: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise OrderInvalid(f"order {order_id} field {key} is not a positive integer")
    return value


def _time(raw: Mapping[str, Any], key: str, order_id: str) -> datetime:
    moment = _optional_time(raw, key, order_id)
    if moment is None:
        raise OrderInvalid(f"order {order_id} has no {key}")
    return moment


def _optional_time(raw: Mapping[str, Any], key: str, order_id: str) -> datetime | None:
    value = raw.get(key)
    if value is None or value == 0:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise OrderInvalid(f"order {order_id} field {key} is not unix milliseconds")
    return from_unix_millis(value)


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if isinstance(value, str) and value.strip() and value.strip() != "null":
        return value.strip()
    return None


def _required_text(raw: Mapping[str, Any], key: str, order_id: str) -> str:
    value = _text(raw, key)
    if value is None:
        raise OrderInvalid(f"Xiaohongshu order {order_id} has no {key}")
    return value
