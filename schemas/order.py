"""The canonical order: what every connector normalises a platform order into."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.money import Fen

ChannelName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,31}$", description="Connector package name")]


class OrderStatus(StrEnum):
    """Where the order stands on the platform, in one vocabulary for all channels."""

    PENDING_PAYMENT = "PENDING_PAYMENT"
    PAID = "PAID"
    PAID_FORBID_SHIPMENT = "PAID_FORBID_SHIPMENT"  # paid, but the platform forbids shipping yet (group buy, risk)
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"  # closed before payment, or cancelled by buyer/platform
    CLOSED = "CLOSED"  # closed after payment (fully refunded)


# Rank along the order life cycle, used to order two updates that carry the same platform timestamp.
STATUS_RANK: dict[OrderStatus, int] = {
    OrderStatus.PENDING_PAYMENT: 10,
    OrderStatus.PAID_FORBID_SHIPMENT: 20,
    OrderStatus.PAID: 30,
    OrderStatus.PARTIALLY_SHIPPED: 40,
    OrderStatus.SHIPPED: 50,
    OrderStatus.COMPLETED: 60,
    OrderStatus.CANCELLED: 90,
    OrderStatus.CLOSED: 90,
}


class AfterSaleStatus(StrEnum):
    NONE = "NONE"
    REQUESTED = "REQUESTED"  # buyer asked for a refund/return, seller has not decided
    IN_PROGRESS = "IN_PROGRESS"  # agreed, waiting for goods back or money out
    REFUNDED = "REFUNDED"
    REJECTED = "REJECTED"  # seller refused; order continues
    CLOSED = "CLOSED"  # buyer withdrew or the case closed without refund


class Receiver(BaseModel):
    """Receiver as the platform gives it: ciphertext for the hub to keep, masked text for people, region in clear."""

    model_config = ConfigDict(frozen=True)

    name_cipher: str | None = None
    name_masked: str | None = None
    phone_cipher: str | None = None
    phone_masked: str | None = None
    address_cipher: str | None = None
    address_masked: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    town: str | None = None
    # A stable, non-reversible token for the phone/receiver that the platform provides for matching
    # (Taobao OAID, Douyin search index). Never the plaintext; audit rules hash it again before comparing.
    match_token: str | None = None
    # False when the platform says the ciphertext cannot be decrypted (expired or revoked authorisation):
    # the parcel cannot be labelled, so audit holds the order.
    decryptable: bool = True


class OrderLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    line_id: str = Field(min_length=1, description="Platform sub-order id")
    merchant_sku: str = Field(min_length=1, description="Brand's SKU code (商家编码), the key of stock")
    channel_sku_id: str | None = None
    channel_product_id: str | None = None
    title: str = ""
    quantity: int = Field(gt=0)
    unit_price: Fen = Field(description="List price of one unit before discounts")
    paid_amount: Fen = Field(description="What the buyer paid for this line after discount allocation")
    after_sale: AfterSaleStatus = AfterSaleStatus.NONE
    is_gift: bool = False
    # A gift or kit component ships with its main line: routing never splits it from this line.
    parent_line_id: str | None = None


class FulfilmentMode(StrEnum):
    SHIP = "SHIP"  # the hub ships it from a warehouse or store
    PICKUP = "PICKUP"  # click-and-collect: the buyer collects at `pickup_store_id`
    STORE_SALE = "STORE_SALE"  # sold and handed over at the till: nothing to ship, stock already gone
    DROP_SHIP = "DROP_SHIP"  # 一件代发: the brand ships a distributor's sale to the distributor's buyer


class Distributor(BaseModel):
    """Who resold the goods when the brand drop-ships for a distributor (供销 / 代发 / JD DPS)."""

    model_config = ConfigDict(frozen=True)

    distributor_id: str = Field(min_length=1)
    name: str = ""
    purchase_order_id: str | None = Field(default=None, description="The distributor's purchase order at the brand")
    source_order_id: str | None = Field(default=None, description="The distributor's own sale on its storefront")
    settlement_amount: Fen | None = Field(default=None, description="What the distributor pays the brand")


class RawPayloadRef(BaseModel):
    """Where the platform's original bytes are archived (S3)."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Order(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel: ChannelName
    shop_id: str = Field(min_length=1, pattern=r"^[^:]+$")
    channel_order_id: str = Field(min_length=1, pattern=r"^[^:]+$")
    channel_status: str = Field(min_length=1, description="Status exactly as the platform sent it")
    status: OrderStatus
    after_sale: AfterSaleStatus = AfterSaleStatus.NONE
    version: int = Field(ge=0, description="Platform's own ordering of updates: a higher version is newer")
    buyer_id: str = Field(min_length=1, description="Platform buyer open id")
    receiver: Receiver
    lines: list[OrderLine] = Field(min_length=1)
    goods_amount: Fen = Field(description="Sum of list prices times quantities")
    freight_amount: Fen = 0
    discount_amount: Fen = 0
    paid_amount: Fen
    created_at: AwareDatetime
    paid_at: AwareDatetime | None = None
    updated_at: AwareDatetime
    platform_timezone: str = "Asia/Shanghai"
    is_presale: bool = False
    is_cod: bool = False
    invoice_requested: bool = False
    buyer_message: str | None = None
    seller_memo: str | None = None
    seller_flag: str | None = Field(default=None, description="The seller's own flag/colour on the order, as sent")
    coupon_ids: list[str] = Field(default_factory=list, description="Coupons and promotions applied to the order")
    presale_balance_due: Fen = Field(default=0, description="Presale balance (尾款) not yet paid")
    device_id: str | None = Field(default=None, description="Platform's device fingerprint of the buyer, if given")
    # The platform's own "can ship together" key (e.g. Douyin/XHS receiver hash, Taobao OAID): equal keys in
    # the same shop mean the same receiver. Receiver ciphertext is not comparable, so merging uses this.
    merge_key: str | None = None
    fulfilment_mode: FulfilmentMode = FulfilmentMode.SHIP
    pickup_store_id: str | None = None
    distributor: Distributor | None = None
    raw_ref: RawPayloadRef | None = None

    @property
    def order_key(self) -> str:
        return order_key(self.channel, self.shop_id, self.channel_order_id)

    @field_validator("created_at", "paid_at", "updated_at")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    @model_validator(mode="after")
    def _lines_are_unique(self) -> "Order":
        ids = [line.line_id for line in self.lines]
        if len(ids) != len(set(ids)):
            raise ValueError("order lines must have distinct line_id values")
        parents = {line.parent_line_id for line in self.lines if line.parent_line_id}
        if not parents <= set(ids):
            raise ValueError("a line's parent_line_id must name another line of the same order")
        return self

    @model_validator(mode="after")
    def _mode_has_its_party(self) -> "Order":
        if self.fulfilment_mode is FulfilmentMode.PICKUP and not self.pickup_store_id:
            raise ValueError("a click-and-collect order needs pickup_store_id")
        if self.fulfilment_mode is FulfilmentMode.DROP_SHIP and self.distributor is None:
            raise ValueError("a drop-ship order needs its distributor")
        return self


def order_key(channel: str, shop_id: str, channel_order_id: str) -> str:
    return f"{channel}:{shop_id}:{channel_order_id}"


def make_version(updated_at: datetime, status: OrderStatus, sequence: int = 0) -> int:
    """Encode (platform modified time in ms, life-cycle rank, tie-break) into one comparable integer."""
    millis = int(updated_at.timestamp() * 1000)
    return (millis * 100 + STATUS_RANK[status]) * 1000 + sequence
