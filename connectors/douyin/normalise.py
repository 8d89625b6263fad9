"""A Douyin `shop_order_detail` (from `order.orderDetail`) as the canonical `Order`.

Facts (platforms.md §4.5, DD-GO `order_orderDetail` response): ids are strings, money integer fen, times unix
seconds. Choices where the reference is silent:
- Receiver: only the `encrypt_*` ciphertext and the `mask_*` forms are kept; the legacy plaintext fields
  (`post_receiver`, `post_tel`, `post_addr.detail`) are ignored even when filled. Douyin's region levels are
  province / city / town (区县) / street (街道), stored as province / city / district / town.
- match_token [SRC-3P ERP code; format INFERRED]: Douyin ciphertexts look like `$index$cipher$…$` (phone),
  `#index#cipher#…#` (address), `~index~cipher~…~` (name); the first segment is a search index that is the
  same for the same plaintext. The phone's index is the token; any other shape gives no token (never a
  fallback to something derived from the plaintext).
- is_cod: `pay_type == 0` (货到付款) [SRC DD-GO], trusted once the order has left status 1 (where 0 may be a
  mere default). is_presale: a line with `pre_sale_type` 1/2 or `trade_type` 2 (定金预售), or a non-empty
  `order_phase_list`. invoice_requested: no invoice field in orderDetail [NOT FOUND]; stays False (invoices
  come from Douyin's invoice API).
- version: `make_version(update_time, status, sequence)` where the sequence is the lines' after-sale progress,
  so an after-sale step in the same second as the previous update still counts as newer.
"""

from collections.abc import Mapping
from typing import Any

from connectors.douyin import statuses
from connectors.sdk import fields
from connectors.sdk.errors import OrderInvalid
from schemas.order import Order, OrderLine, OrderStatus, RawPayloadRef, Receiver, make_version
from schemas.timeutil import from_unix_seconds

CHANNEL = "douyin"
_CIPHER_SEPARATORS = "#$~"
_PRESALE_TYPES = frozenset({1, 2})  # 1 全款预售, 2 阶梯发货 (0 现货)
_TRADE_TYPE_DEPOSIT_PRESALE = 2  # 定金预售
_PAY_TYPE_COD = 0  # 货到付款
_GIFT = "FREE"


def search_index(cipher: str | None) -> str | None:
    """The stable search-index segment of a Douyin ciphertext, or None when it has no such segment."""
    if not cipher or cipher[0] not in _CIPHER_SEPARATORS:
        return None
    parts = cipher[1:].split(cipher[0])
    if len(parts) < 3 or not parts[0] or not parts[1]:
        return None
    return parts[0]


def to_order(detail: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
    """Normalise one `shop_order_detail`. Raises OrderInvalid or pydantic.ValidationError."""
    if not isinstance(detail, Mapping):
        raise OrderInvalid("Douyin shop_order_detail is not an object")
    order_id = _id(detail, "order_id")
    payload_shop = fields.optional_id(detail, "shop_id")
    if payload_shop is not None and payload_shop != shop_id:
        raise OrderInvalid(f"order {order_id} belongs to shop {payload_shop}, not to shop {shop_id}")

    status = statuses.order_status(detail.get("order_status"))
    raw_lines = detail.get("sku_order_list")
    if not isinstance(raw_lines, list):
        raise OrderInvalid(f"order {order_id} has no sku_order_list")
    lines = [_line(order_id, raw) for raw in raw_lines]
    after_sale = statuses.order_after_sale(line.after_sale for line in lines)
    progress = sum(statuses.AFTER_SALE_PROGRESS[line.after_sale] for line in lines)

    updated_at = fields.time_field(detail, "update_time", order_id, from_unix_seconds)
    pay_type = detail.get("pay_type")
    return Order(
        channel=CHANNEL,
        shop_id=shop_id,
        channel_order_id=order_id,
        channel_status=str(statuses.status_code(detail.get("order_status"), "order_status")),
        status=status,
        after_sale=after_sale,
        version=make_version(updated_at, status, min(progress, 999)),
        buyer_id=fields.required_text(detail, "doudian_open_id", order_id),
        receiver=_receiver(detail, order_id),
        lines=lines,
        goods_amount=sum(line.unit_price * line.quantity for line in lines),
        freight_amount=fields.fen(detail, "post_amount", order_id, default=0),
        discount_amount=fields.fen(detail, "promotion_amount", order_id, default=0),
        paid_amount=fields.fen(detail, "pay_amount", order_id),
        created_at=fields.time_field(detail, "create_time", order_id, from_unix_seconds),
        paid_at=fields.optional_time(detail, "pay_time", order_id, from_unix_seconds),
        updated_at=updated_at,
        is_presale=_is_presale(detail, raw_lines),
        is_cod=_is_cod(pay_type, status, order_id),
        invoice_requested=False,
        buyer_message=fields.text(detail, "buyer_words"),
        seller_memo=fields.text(detail, "seller_words"),
        raw_ref=raw_ref,
    )


def _line(order_id: str, raw: object) -> OrderLine:
    if not isinstance(raw, Mapping):
        raise OrderInvalid(f"order {order_id} has a sku order that is not an object")
    line_id = _id(raw, "order_id")
    merchant_sku = fields.text(raw, "code") or fields.text(raw, "out_sku_id")
    if merchant_sku is None:
        raise OrderInvalid(f"order {order_id} line {line_id} has neither code (商家编码) nor out_sku_id")
    after_sale_info = raw.get("after_sale_info")
    if after_sale_info is not None and not isinstance(after_sale_info, Mapping):
        raise OrderInvalid(f"order {order_id} line {line_id} has a malformed after_sale_info")
    return OrderLine(
        line_id=line_id,
        merchant_sku=merchant_sku,
        channel_sku_id=fields.optional_id(raw, "sku_id"),
        channel_product_id=fields.optional_id(raw, "product_id_str") or fields.optional_id(raw, "product_id"),
        title=fields.text(raw, "product_name") or "",
        quantity=fields.integer(raw.get("item_num"), "item_num", order_id),
        unit_price=fields.fen(raw, "origin_amount", order_id),
        paid_amount=fields.fen(raw, "pay_amount", order_id),
        after_sale=statuses.after_sale_status((after_sale_info or {}).get("after_sale_status")),
        is_gift=raw.get("given_product_type") == _GIFT,
    )


def _receiver(detail: Mapping[str, Any], order_id: str) -> Receiver:
    addr = fields.mapping(detail, "post_addr", order_id)
    masked_addr = fields.mapping(detail, "mask_post_addr", order_id)
    phone_cipher = fields.text(detail, "encrypt_post_tel")
    return Receiver(
        name_cipher=fields.text(detail, "encrypt_post_receiver"),
        name_masked=fields.text(detail, "mask_post_receiver"),
        phone_cipher=phone_cipher,
        phone_masked=fields.text(detail, "mask_post_tel"),
        address_cipher=fields.text(addr, "encrypt_detail"),
        address_masked=fields.text(masked_addr, "detail"),
        province=_region(addr, masked_addr, "province"),
        city=_region(addr, masked_addr, "city"),
        district=_region(addr, masked_addr, "town"),
        town=_region(addr, masked_addr, "street"),
        match_token=search_index(phone_cipher),
    )


def _is_cod(pay_type: object, status: OrderStatus, order_id: str) -> bool:
    # An order still awaiting payment/confirmation may carry pay_type 0 as a mere default: not trusted yet.
    if pay_type is None or status is OrderStatus.PENDING_PAYMENT:
        return False
    return fields.integer(pay_type, "pay_type", order_id) == _PAY_TYPE_COD


def _is_presale(detail: Mapping[str, Any], raw_lines: list[Any]) -> bool:
    if detail.get("order_phase_list"):
        return True
    for raw in raw_lines:
        if raw.get("pre_sale_type") in _PRESALE_TYPES or raw.get("trade_type") == _TRADE_TYPE_DEPOSIT_PRESALE:
            return True
    return False


def _region(addr: Mapping[str, Any], masked: Mapping[str, Any], level: str) -> str | None:
    for source in (addr, masked):
        part = source.get(level)
        if isinstance(part, Mapping):
            name = fields.text(part, "name")
            if name:
                return name
    return None


def _id(raw: Mapping[str, Any], key: str) -> str:
    value = fields.optional_id(raw, key)
    if value is None:
        raise OrderInvalid(f"Douyin order payload has no {key}")
    return value
