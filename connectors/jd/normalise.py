"""A JD POP order (`OrderSearchInfo` from `enGet` / `enSearch`) → the canonical `Order`.

Platform facts used (platforms.md §3.3):
- ids: `orderId` (a number that may exceed 2^53 in JSON: taken as text);
- money: yuan decimal strings (`orderTotalPrice`, `orderPayment`, `freightPrice`, `balanceUsed`, `jdPrice`)
  → integer fen through Decimal (never float);
- times: `orderStartTime`, `paymentConfirmTime`, `modified` as `yyyy-MM-dd HH:mm:ss` in GMT+8 → aware UTC;
- buyer: `open_id_buyer` (or `open_id`), never `pin` (an account name, personal);
- receiver: `consigneeInfo` name/phone/address encrypted with `enSearch`/`enGet`, `desen_mobile` masked,
  region names in clear;
- lines: `itemInfoList[]`, merchant SKU `outerSkuId`, JD ids `skuId` / `wareId`, quantity `itemTotal`.

[INFERRED] choices, the safest found:
- JD has no sub-order id: a line is keyed by `skuId` (suffixed `#2`, `#3`… when a SKU repeats in one order);
- what the buyer paid is `orderPayment` plus `balanceUsed` (JD balance is the buyer's money); the goods part of
  it (paid − freight) is spread over lines by list value (`connectors.jd.allocation`);
- `payType` starting with "1" (1-货到付款) is COD; an order is paid when `paymentConfirmTime` is set or it is COD;
- an invoice is requested unless `invoiceInfo` is absent or says 不需要开具发票;
- coupons: the distinct `couponType` texts of `couponDetailList` (JD gives no coupon ids);
- a line priced 0.00 is a gift (JD gives no parent line for it).
"""

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from connectors.jd.allocation import allocate
from connectors.jd.receiver import build_receiver, first_text, text
from connectors.jd.statuses import after_sale_status, order_status
from connectors.sdk.errors import OrderInvalid
from connectors.sdk.fields import required_shanghai_time, shanghai_time, yuan
from schemas.order import Order, OrderLine, RawPayloadRef, make_version

CHANNEL = "jd"
NO_INVOICE = "不需要开具发票"


def line_ids(sku_ids: list[str]) -> list[str]:
    """One id per line: the SKU id, suffixed when the same SKU appears again in the order."""
    seen: dict[str, int] = {}
    ids = []
    for sku_id in sku_ids:
        seen[sku_id] = seen.get(sku_id, 0) + 1
        ids.append(sku_id if seen[sku_id] == 1 else f"{sku_id}#{seen[sku_id]}")
    return ids


def _items(order: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = order.get("itemInfoList")
    if not isinstance(items, list) or not items:
        raise OrderInvalid("order has no itemInfoList")
    return [item for item in items if isinstance(item, Mapping)]


def _quantity(item: Mapping[str, Any], sku_id: str) -> int:
    try:
        return int(str(item.get("itemTotal", "")).strip())
    except ValueError as exc:
        raise OrderInvalid(f"item {sku_id} has no itemTotal") from exc


def _lines(order: Mapping[str, Any], goods_paid: int) -> list[OrderLine]:
    items = _items(order)
    sku_ids = [text(item.get("skuId")) or "" for item in items]
    if not all(sku_ids):
        raise OrderInvalid("an item has no skuId")
    quantities = [_quantity(item, sku_id) for item, sku_id in zip(items, sku_ids, strict=True)]
    prices = [yuan(item, "jdPrice") for item in items]
    shares = allocate(goods_paid, [p * q for p, q in zip(prices, quantities, strict=True)])
    lines = []
    for item, line_id, price, quantity, share in zip(items, line_ids(sku_ids), prices, quantities, shares, strict=True):
        merchant_sku = text(item.get("outerSkuId"))
        if merchant_sku is None:
            raise OrderInvalid(f"item {line_id} has no outerSkuId (merchant SKU code)")
        lines.append(
            OrderLine(
                line_id=line_id,
                merchant_sku=merchant_sku,
                channel_sku_id=text(item.get("skuId")),
                channel_product_id=text(item.get("wareId")),
                title=text(item.get("skuName")) or "",
                quantity=quantity,
                unit_price=price,
                paid_amount=share,
                is_gift=price == 0,
            )
        )
    return lines


def _coupons(order: Mapping[str, Any]) -> list[str]:
    coupons = order.get("couponDetailList")
    if not isinstance(coupons, list):
        return []
    kinds = (text(c.get("couponType")) for c in coupons if isinstance(c, Mapping))
    return sorted({kind for kind in kinds if kind})


def _invoice_requested(order: Mapping[str, Any]) -> bool:
    info = text(order.get("invoiceInfo"))
    return info is not None and NO_INVOICE not in info


def normalise_order(order: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
    """Raises OrderInvalid for an order the hub cannot represent, ValidationError when the model refuses it."""
    try:
        return _normalise(order, shop_id=shop_id, raw_ref=raw_ref)
    except ValidationError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise OrderInvalid(f"JD order cannot be normalised: {type(exc).__name__}") from exc


def _normalise(order: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
    order_id = text(order.get("orderId"))
    if order_id is None:
        raise OrderInvalid("JD order has no orderId")
    state = text(order.get("orderState"))
    if state is None:
        raise OrderInvalid(f"JD order {order_id} has no orderState")
    status = order_status(state)
    buyer_id = first_text(order, "open_id_buyer", "open_id")
    if buyer_id is None:
        raise OrderInvalid(f"JD order {order_id} has no open_id_buyer")
    is_cod = (text(order.get("payType")) or "").startswith("1")
    paid_at = shanghai_time(order, "paymentConfirmTime")
    freight = yuan(order, "freightPrice", default="0")
    paid = yuan(order, "orderPayment") + yuan(order, "balanceUsed", default="0")
    lines = _lines(order, max(paid - freight, 0))
    goods = sum(line.unit_price * line.quantity for line in lines)
    modified = required_shanghai_time(order, "modified")
    consignee: Any = order.get("consigneeInfo")
    consignee = consignee if isinstance(consignee, Mapping) else {}
    receiver = build_receiver(
        name=text(consignee.get("fullname")),
        phone=first_text(consignee, "mobile", "telephone"),
        phone_masked=first_text(consignee, "desen_mobile", "desen_telephone"),
        address=text(consignee.get("fullAddress")),
        province=text(consignee.get("province")),
        city=text(consignee.get("city")),
        district=text(consignee.get("county")),
        town=text(consignee.get("town")),
    )
    return Order(
        channel=CHANNEL,
        shop_id=shop_id,
        channel_order_id=order_id,
        channel_status=state,
        status=status,
        after_sale=after_sale_status(state, paid=paid_at is not None),
        version=make_version(modified, status),
        buyer_id=buyer_id,
        receiver=receiver,
        lines=lines,
        goods_amount=goods,
        freight_amount=freight,
        discount_amount=max(goods + freight - paid, 0),
        paid_amount=paid,
        created_at=required_shanghai_time(order, "orderStartTime"),
        paid_at=paid_at,
        updated_at=modified,
        is_cod=is_cod,
        invoice_requested=_invoice_requested(order),
        buyer_message=text(order.get("orderRemark")),
        seller_memo=text(order.get("venderRemark")),
        coupon_ids=_coupons(order),
        raw_ref=raw_ref,
    )
