"""A 供销 purchase order or a Taobao order's 代发单 → the canonical drop-ship `Order`.

供销 (`taobao.fenxiao.orders.get` purchase order, platforms.md §2.1)
- the hub's order id is `fenxiao_id` (the 分销流水号 that `taobao.logistics.offline.send` takes as `tid`);
- money is what the distributor owes the brand, from yuan strings via Decimal: lines at the purchase price
  `price` × `num`, paid = `distributor_payment` (falling back to `total_fee` + `post_fee`), freight
  `post_fee`, the discount is what list prices and freight exceed the payment by (never negative);
  `settlement_amount` = the distributor's payment;
- `Distributor(distributor_id=distributor_username, purchase_order_id=fenxiao_id, source_order_id=tc_order_id)`;
- line after-sale merges the sub-order `status` and the consumer order's `order_200_status`;
- only 代销 (`trade_type` AGENT) purchase orders are drop-shipped; any other mode is refused.

代发 (`taobao.daifa.supplier.order.query`, §2.2)
- one hub order per Taobao order assigned to the brand: id `DF` + `parent_id`, one line per 代发单
  (`line_id = scp_order_id`, the id `…order.consign` takes); `source_order_id = parent_id`,
  `purchase_order_id` = the live 代发单 ids, comma-separated;
- the model carries no money: amounts are 0 and `settlement_amount` stays unknown (None);
- a 代发单 whose assignment was cancelled (`distribute_status` CANCEL) is left out of the lines so it is never
  shipped; when every one is cancelled the order is CANCELLED with its lines kept for the record;
- `product_type` 1 marks a gift, attached (`parent_line_id`) to the first main line;
- there is no modified time: `updated_at` is the latest of distribute/pay/consign times and the version's
  tie-break counts how far each 代发单 has moved (assignment and refund progress) [INFERRED; a refund case
  re-opened after it closed keeps the older version — the next consign or close moves it on].

Receiver fields arrive masked (脱敏) or as `~…~` ciphertext: ciphertext is kept, masked text is kept, and
anything else is treated as plaintext of which only a mask computed here survives. `oaid` is both the
match token and the merge key (equal OAIDs = same receiver).
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from connectors.sdk.errors import OrderInvalid
from connectors.sdk.fields import shanghai_time, yuan
from connectors.tmall_fenxiao.statuses import (
    AFTER_SALE_PROGRESS,
    DISTRIBUTE_CANCELLED,
    DISTRIBUTE_CONSIGNED,
    combine_line_statuses,
    daifa_order_status,
    daifa_refund_status,
    distribute_status,
    order_after_sale,
    purchase_status,
    sub_order_after_sale,
)
from schemas.order import (
    Distributor,
    FulfilmentMode,
    Order,
    OrderLine,
    OrderStatus,
    RawPayloadRef,
    Receiver,
    make_version,
)

CHANNEL = "tmall_fenxiao"
DAIFA_PREFIX = "DF"
AGENT = "AGENT"
_DISTRIBUTE_PROGRESS = {DISTRIBUTE_CONSIGNED: 5, DISTRIBUTE_CANCELLED: 10}


def is_daifa_order_id(channel_order_id: str) -> bool:
    return channel_order_id.startswith(DAIFA_PREFIX)


def daifa_order_id(parent_id: str) -> str:
    return f"{DAIFA_PREFIX}{parent_id}"


def daifa_parent_id(channel_order_id: str) -> str:
    return channel_order_id.removeprefix(DAIFA_PREFIX)


# --- field helpers --------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _required(record: Mapping[str, Any], name: str, what: str) -> str:
    value = _text(record.get(name))
    if value is None:
        raise OrderInvalid(f"{what} has no {name}")
    return value


def _required_time(record: Mapping[str, Any], name: str, what: str) -> datetime:
    moment = shanghai_time(record, name)
    if moment is None:
        raise OrderInvalid(f"{what} has no {name}")
    return moment


def _quantity(value: Any, what: str) -> int:
    try:
        quantity = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise OrderInvalid(f"{what} has no quantity") from exc
    if quantity <= 0:
        raise OrderInvalid(f"{what} has quantity {quantity}")
    return quantity


def _sub_list(container: object) -> list[Mapping[str, Any]]:
    if isinstance(container, Mapping):
        container = next((value for value in container.values() if isinstance(value, list)), None)
    return [item for item in container if isinstance(item, Mapping)] if isinstance(container, list) else []


# --- receiver -------------------------------------------------------------------------------------------


def _is_cipher(value: str) -> bool:
    return len(value) > 2 and value.startswith("~") and value.endswith("~")


def _mask_name(value: str) -> str:
    return value[0] + "*" * max(len(value) - 1, 1)


def _mask_phone(value: str) -> str:
    return "*" * max(len(value) - 4, 3) + value[-4:] if len(value) > 4 else "****"


def _kept(value: str | None, mask: Any) -> tuple[str | None, str | None]:
    """(ciphertext, masked) for one receiver field: plaintext never survives."""
    if value is None:
        return None, None
    if _is_cipher(value):
        return value, None
    if "*" in value:
        return None, value
    return None, str(mask(value))


def receiver_from(
    *, name: Any, phone: Any, address: Any, province: Any, city: Any, district: Any, town: Any, oaid: Any
) -> Receiver:
    region = "".join(part for part in (_text(province), _text(city), _text(district)) if part)
    name_cipher, name_masked = _kept(_text(name), _mask_name)
    phone_cipher, phone_masked = _kept(_text(phone), _mask_phone)
    address_cipher, address_masked = _kept(_text(address), lambda _: f"{region}****")
    return Receiver(
        name_cipher=name_cipher,
        name_masked=name_masked,
        phone_cipher=phone_cipher,
        phone_masked=phone_masked,
        address_cipher=address_cipher,
        address_masked=address_masked,
        province=_text(province),
        city=_text(city),
        district=_text(district),
        town=_text(town),
        match_token=_text(oaid),
    )


# --- entry point ----------------------------------------------------------------------------------------


def normalise(raw: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
    """Either origin's raw order. Raises OrderInvalid, or ValidationError when the model refuses it."""
    try:
        if "scp_order_models" in raw:
            return _daifa(raw, shop_id=shop_id, raw_ref=raw_ref)
        return _purchase_order(raw, shop_id=shop_id, raw_ref=raw_ref)
    except (ValidationError, OrderInvalid):
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise OrderInvalid(f"distribution order cannot be normalised: {type(exc).__name__}") from exc


# --- 供销 -----------------------------------------------------------------------------------------------


def _purchase_line(sub: Mapping[str, Any], fenxiao_id: str) -> OrderLine:
    line_id = _text(sub.get("fenxiao_id")) or _text(sub.get("id"))
    if line_id is None:
        raise OrderInvalid(f"a sub-purchase-order of {fenxiao_id} has no fenxiao_id")
    sku = _text(sub.get("sku_outer_id")) or _text(sub.get("item_outer_id"))
    if sku is None:
        raise OrderInvalid(f"sub-purchase-order {line_id} has neither sku_outer_id nor item_outer_id")
    paid_field = "distributor_payment" if _text(sub.get("distributor_payment")) else "total_fee"
    return OrderLine(
        line_id=line_id,
        merchant_sku=sku,
        channel_sku_id=_text(sub.get("sku_id")),
        channel_product_id=_text(sub.get("item_id")),
        title=_text(sub.get("title")) or "",
        quantity=_quantity(sub.get("num"), f"sub-purchase-order {line_id}"),
        unit_price=yuan(sub, "price"),
        paid_amount=yuan(sub, paid_field),
        after_sale=sub_order_after_sale(_text(sub.get("status")), _text(sub.get("order_200_status"))),
    )


def _purchase_order(po: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
    fenxiao_id = _required(po, "fenxiao_id", "purchase order")
    what = f"purchase order {fenxiao_id}"
    trade_type = _text(po.get("trade_type"))
    if trade_type is not None and trade_type != AGENT:
        raise OrderInvalid(f"{what} is {trade_type}, not a 代销 (AGENT) drop-ship purchase order")
    channel_status = _required(po, "status", what)
    paid_at = shanghai_time(po, "pay_time")
    consigned_at = shanghai_time(po, "consign_time")
    status = purchase_status(channel_status, paid=paid_at is not None, consigned=consigned_at is not None)
    lines = [_purchase_line(sub, fenxiao_id) for sub in _sub_list(po.get("sub_purchase_orders"))]
    if not lines:
        raise OrderInvalid(f"{what} has no sub-purchase-orders")
    goods = sum(line.unit_price * line.quantity for line in lines)
    freight = yuan(po, "post_fee", default="0")
    has_payment = _text(po.get("distributor_payment")) is not None
    paid = yuan(po, "distributor_payment") if has_payment else yuan(po, "total_fee") + freight
    modified = _required_time(po, "modified", what)
    distributor_name = _required(po, "distributor_username", what)
    receiver_raw: Mapping[str, Any] = po["receiver"] if isinstance(po.get("receiver"), Mapping) else {}
    receiver = receiver_from(
        name=receiver_raw.get("name"),
        phone=receiver_raw.get("mobile_phone") or receiver_raw.get("phone"),
        address=receiver_raw.get("address"),
        province=receiver_raw.get("state"),
        city=receiver_raw.get("city"),
        district=receiver_raw.get("district"),
        town=receiver_raw.get("town"),
        oaid=receiver_raw.get("oaid"),
    )
    buyer_id = _text(po.get("open_buyer_uid")) or _text(po.get("buyer_taobao_id")) or f"distributor:{distributor_name}"
    return Order(
        channel=CHANNEL,
        shop_id=shop_id,
        channel_order_id=fenxiao_id,
        channel_status=channel_status,
        status=status,
        after_sale=order_after_sale([line.after_sale for line in lines]),
        version=make_version(modified, status),
        buyer_id=buyer_id,
        receiver=receiver,
        lines=lines,
        goods_amount=goods,
        freight_amount=freight,
        discount_amount=max(goods + freight - paid, 0),
        paid_amount=paid,
        created_at=_required_time(po, "created", what),
        paid_at=paid_at,
        updated_at=modified,
        buyer_message=_text(po.get("memo")),
        seller_memo=_text(po.get("supplier_memo")),
        seller_flag=_text(po.get("supplier_flag")),
        merge_key=receiver.match_token,
        fulfilment_mode=FulfilmentMode.DROP_SHIP,
        distributor=Distributor(
            distributor_id=distributor_name,
            name=distributor_name,
            purchase_order_id=fenxiao_id,
            source_order_id=_text(po.get("tc_order_id")),
            settlement_amount=paid,
        ),
        raw_ref=raw_ref,
    )


# --- 代发 -----------------------------------------------------------------------------------------------


def _daifa_line(model: Mapping[str, Any], parent_line_id: str | None) -> OrderLine:
    scp_id = _required(model, "scp_order_id", "代发单")
    sku = _text(model.get("out_sku_id"))
    if sku is None:
        raise OrderInvalid(f"代发单 {scp_id} has no out_sku_id (merchant SKU code)")
    is_gift = _text(model.get("product_type")) == "1"
    return OrderLine(
        line_id=scp_id,
        merchant_sku=sku,
        channel_sku_id=_text(model.get("product_sku_id")),
        channel_product_id=_text(model.get("product_id")),
        title=_text(model.get("product_name")) or _text(model.get("auction_name")) or "",
        quantity=_quantity(model.get("product_count") or model.get("quality"), f"代发单 {scp_id}"),
        unit_price=0,
        paid_amount=0,
        after_sale=daifa_refund_status(_text(model.get("refund_status"))),
        is_gift=is_gift,
        parent_line_id=parent_line_id if is_gift and parent_line_id != scp_id else None,
    )


def _daifa_line_status(model: Mapping[str, Any], assignment: str) -> OrderStatus:
    if assignment == DISTRIBUTE_CANCELLED:
        return OrderStatus.CANCELLED
    trade = daifa_order_status(_required(model, "order_status", "代发单"))
    if assignment == DISTRIBUTE_CONSIGNED and trade in (OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED):
        return OrderStatus.SHIPPED  # this 代发单's waybill is back; the Taobao order may still wait for others
    return trade


def _daifa(raw: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
    models = _sub_list(raw.get("scp_order_models"))
    if not models:
        raise OrderInvalid("代发 order has no scp_order_models")
    parents = {_required(model, "parent_id", "代发单") for model in models}
    if len(parents) != 1:
        raise OrderInvalid(f"代发单s of several Taobao orders in one order: {sorted(parents)}")
    (parent_id,) = parents
    models = sorted(models, key=lambda model: str(model.get("scp_order_id")))
    assignments = [distribute_status(_required(model, "distribute_status", "代发单")) for model in models]
    live = [(m, a) for m, a in zip(models, assignments, strict=True) if a != DISTRIBUTE_CANCELLED]
    kept = live or list(zip(models, assignments, strict=True))
    main_line = next((_text(m.get("scp_order_id")) for m, _ in kept if _text(m.get("product_type")) != "1"), None)
    lines = [_daifa_line(model, main_line) for model, _ in kept]
    statuses = [_daifa_line_status(model, assignment) for model, assignment in kept]
    status = combine_line_statuses(statuses)
    stamps = ("distribute_time", "pay_time", "consign_time")
    moments = [t for m in models for t in (shanghai_time(m, name) for name in stamps) if t]
    distributed = [t for t in (shanghai_time(m, "distribute_time") for m in models) if t]
    if not distributed:
        raise OrderInvalid(f"代发 order {parent_id} has no distribute_time")
    progress = sum(
        AFTER_SALE_PROGRESS[line.after_sale] + _DISTRIBUTE_PROGRESS.get(assignment, 0)
        for line, (_, assignment) in zip(lines, kept, strict=True)
    ) + sum(_DISTRIBUTE_PROGRESS[DISTRIBUTE_CANCELLED] for _ in range(len(models) - len(kept)))
    updated_at = max(moments)
    address: Mapping[str, Any] = next((m["address_do"] for m in models if isinstance(m.get("address_do"), Mapping)), {})
    receiver = receiver_from(
        name=address.get("receiver_name"),
        phone=address.get("receiver_mobile") or address.get("receiver_phone"),
        address=address.get("receiver_address"),
        province=address.get("prov"),
        city=address.get("city"),
        district=address.get("area"),
        town=address.get("town"),
        oaid=address.get("oaid"),
    )
    distributor_id = _required(models[0], "distributor_id", f"代发 order {parent_id}")
    pay_times = [t for t in (shanghai_time(m, "pay_time") for m in models) if t]
    channel_status = ",".join(
        sorted({f"{_text(m.get('order_status'))}/{a}" for m, a in zip(models, assignments, strict=True)})
    )
    return Order(
        channel=CHANNEL,
        shop_id=shop_id,
        channel_order_id=daifa_order_id(parent_id),
        channel_status=channel_status,
        status=status,
        after_sale=order_after_sale([line.after_sale for line in lines]),
        version=make_version(updated_at, status, min(progress, 999)),
        buyer_id=f"distributor:{distributor_id}",
        receiver=receiver,
        lines=lines,
        goods_amount=0,
        paid_amount=0,
        created_at=min(distributed),
        paid_at=min(pay_times) if pay_times else None,
        updated_at=updated_at,
        seller_memo=_text(models[0].get("remark")),
        merge_key=receiver.match_token,
        fulfilment_mode=FulfilmentMode.DROP_SHIP,
        distributor=Distributor(
            distributor_id=distributor_id,
            purchase_order_id=",".join(line.line_id for line in lines),
            source_order_id=parent_id,
        ),
        raw_ref=raw_ref,
    )


def live_scp_order_ids(raw_models: Sequence[Mapping[str, Any]]) -> list[str]:
    """The 代发单 ids of a query answer whose assignment is not cancelled."""
    return sorted(
        str(m["scp_order_id"])
        for m in raw_models
        if m.get("scp_order_id") is not None
        and distribute_status(str(m.get("distribute_status"))) != DISTRIBUTE_CANCELLED
    )
