"""A JD 厂直 (DPS) customer order (`QueryAllOrdersForJosResult` / `searchsingleorder`) → the canonical `Order`.

The brand ships, as a JD 自营 vendor, an order JD sold on its own store: the order is a drop-ship order with
JD 自营 as the distributor (`fulfilment_mode=DROP_SHIP`, `Distributor(name="京东自营")`).

Platform facts used (platforms.md §3.5 and the JOS SDK classes): `customOrderId`; `pay` (what the customer
paid), `totalCarriage` (freight), lines in `orderDetailList[]` (`sku` JD's SKU, `upc`, `wareName`, `wareNum`,
`jdPrice`, `cost`, `poId` the purchase order); `orderCreateDate`; `updateDate` (epoch ms); consignee
`consigneeName`, `phone`, `telephone`, `address` (encrypted), `desen_phone`, `desen_telephone` (masked),
region names in clear, `oaid`; `open_id_buyer`; `orderRemark`; `memoByVendor`; `paymentCategory` COD/NON_COD.

[INFERRED] choices, the safest found:
- merchant SKU = the line's `upc`: a JD 自营 SKU is JD's id, and the vendor registers its goods in VC by UPC;
  a line without `upc` is refused (stock would otherwise be reserved against JD's id);
- a line is keyed by JD's `sku` (suffixed when repeated); an old single-line order without `orderDetailList`
  uses the top-level `sku`/`upc`/`commodityName`/`commodityNum`/`jdPrice`/`cost`;
- the goods part of `pay` (pay − freight) is spread over lines by list value (`connectors.jd.allocation`);
- settlement (what JD pays the vendor) = Σ `cost` × quantity, `cost` being the unit purchase price; left out
  when any line has no cost; the purchase order is the lines' `poId` (comma-joined when several);
- Dates come as `yyyy-MM-dd HH:mm:ss` (GMT+8) or epoch milliseconds; both are accepted;
- `oaid` is the receiver token: it is both the match token and the merge key.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from connectors.jd.allocation import allocate
from connectors.jd.normalise import line_ids
from connectors.jd.receiver import build_receiver, first_text, text
from connectors.jd_dps.statuses import after_sale_status, order_status
from connectors.sdk.errors import OrderInvalid
from connectors.sdk.fields import yuan
from schemas.order import Distributor, FulfilmentMode, Order, OrderLine, RawPayloadRef, make_version
from schemas.timeutil import from_shanghai_text, from_unix_millis

CHANNEL = "jd_dps"
JD_SELF_OPERATED_ID = "JD_SELF_OPERATED"
JD_SELF_OPERATED_NAME = "京东自营"


def _time(record: Mapping[str, Any], name: str) -> datetime | None:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, int) and not isinstance(value, bool):
            return from_unix_millis(value)
        raw = str(value).strip()
        return from_unix_millis(raw) if raw.isdigit() else from_shanghai_text(raw)
    except (ValueError, OverflowError) as exc:
        raise OrderInvalid(f"time {name} is neither yyyy-MM-dd HH:mm:ss nor epoch milliseconds") from exc


def _required_time(record: Mapping[str, Any], name: str) -> datetime:
    moment = _time(record, name)
    if moment is None:
        raise OrderInvalid(f"missing time {name}")
    return moment


def _details(order: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    details = order.get("orderDetailList")
    if isinstance(details, list) and details:
        return [d for d in details if isinstance(d, Mapping)]
    if text(order.get("sku")) is None:
        raise OrderInvalid("DPS order has neither orderDetailList nor sku")
    return [
        {
            "sku": order.get("sku"),
            "upc": order.get("upc"),
            "wareName": order.get("commodityName"),
            "wareNum": order.get("commodityNum"),
            "jdPrice": order.get("jdPrice"),
            "cost": order.get("cost"),
        }
    ]


def _quantity(detail: Mapping[str, Any], sku: str) -> int:
    try:
        return int(str(detail.get("wareNum", "")).strip())
    except ValueError as exc:
        raise OrderInvalid(f"DPS line {sku} has no wareNum") from exc


def _lines(details: list[Mapping[str, Any]], goods_paid: int) -> list[OrderLine]:
    skus = [text(d.get("sku")) or "" for d in details]
    if not all(skus):
        raise OrderInvalid("a DPS line has no sku")
    quantities = [_quantity(d, sku) for d, sku in zip(details, skus, strict=True)]
    prices = [yuan(d, "jdPrice") for d in details]
    shares = allocate(goods_paid, [p * q for p, q in zip(prices, quantities, strict=True)])
    lines = []
    for detail, line_id, sku, price, quantity, share in zip(
        details, line_ids(skus), skus, prices, quantities, shares, strict=True
    ):
        upc = text(detail.get("upc"))
        if upc is None:
            raise OrderInvalid(f"DPS line {line_id} has no upc (the vendor's code for JD sku {sku})")
        lines.append(
            OrderLine(
                line_id=line_id,
                merchant_sku=upc,
                channel_sku_id=sku,
                title=text(detail.get("wareName")) or "",
                quantity=quantity,
                unit_price=price,
                paid_amount=share,
                is_gift=price == 0,
            )
        )
    return lines


def _distributor(order_id: str, details: list[Mapping[str, Any]], lines: list[OrderLine]) -> Distributor:
    purchase_orders = sorted({po for po in (text(d.get("poId")) for d in details) if po})
    costs = [text(d.get("cost")) for d in details]
    settlement = None
    if all(costs):
        settlement = sum(yuan(d, "cost") * line.quantity for d, line in zip(details, lines, strict=True))
    return Distributor(
        distributor_id=JD_SELF_OPERATED_ID,
        name=JD_SELF_OPERATED_NAME,
        purchase_order_id=",".join(purchase_orders) or None,
        source_order_id=order_id,
        settlement_amount=settlement,
    )


def normalise_order(order: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
    """Raises OrderInvalid for an order the hub cannot represent, ValidationError when the model refuses it."""
    try:
        return _normalise(order, shop_id=shop_id, raw_ref=raw_ref)
    except ValidationError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise OrderInvalid(f"JD DPS order cannot be normalised: {type(exc).__name__}") from exc


def _normalise(order: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
    order_id = text(order.get("customOrderId"))
    if order_id is None:
        raise OrderInvalid("DPS order has no customOrderId")
    state = text(order.get("orderState"))
    if state is None:
        raise OrderInvalid(f"DPS order {order_id} has no orderState")
    status = order_status(state)
    buyer_id = first_text(order, "open_id_buyer", "xid_buyer")
    if buyer_id is None:
        raise OrderInvalid(f"DPS order {order_id} has no open_id_buyer")
    freight = yuan(order, "totalCarriage", default="0")
    paid = yuan(order, "pay")
    details = _details(order)
    lines = _lines(details, max(paid - freight, 0))
    goods = sum(line.unit_price * line.quantity for line in lines)
    updated = _required_time(order, "updateDate")
    oaid = text(order.get("oaid"))
    receiver = build_receiver(
        name=text(order.get("consigneeName")),
        phone=first_text(order, "phone", "telephone"),
        phone_masked=first_text(order, "desen_phone", "desen_telephone"),
        address=text(order.get("address")),
        province=text(order.get("provinceName")),
        city=text(order.get("cityName")),
        district=text(order.get("countyName")),
        town=text(order.get("townName")),
        match_token=oaid,
    )
    return Order(
        channel=CHANNEL,
        shop_id=shop_id,
        channel_order_id=order_id,
        channel_status=state,
        status=status,
        after_sale=after_sale_status(order.get("refundSourceFlag"), state=state),
        version=make_version(updated, status),
        buyer_id=buyer_id,
        receiver=receiver,
        lines=lines,
        goods_amount=goods,
        freight_amount=freight,
        discount_amount=max(goods + freight - paid, 0),
        paid_amount=paid,
        created_at=_required_time(order, "orderCreateDate"),
        updated_at=updated,
        is_cod=text(order.get("paymentCategory")) == "COD",
        buyer_message=text(order.get("orderRemark")),
        seller_memo=text(order.get("memoByVendor")),
        merge_key=oaid,
        fulfilment_mode=FulfilmentMode.DROP_SHIP,
        distributor=_distributor(order_id, details, lines),
        raw_ref=raw_ref,
    )
