"""The receiver: complete, reachable, decryptable, and consistent with its own region fields."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.workflow.logic.audit.base import RuleBase
from functions.workflow.logic.audit.facts import OrderFacts
from schemas.order import Order

# Longest first: "广西壮族自治区" must lose its whole suffix, not just "区".
_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


def province_short(name: str) -> str:
    """ "浙江省" / "浙江" → "浙江"; "新疆维吾尔自治区" → "新疆": platforms differ on the suffix."""
    name = name.strip()
    for suffix in _PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _has_street_address(order: Order) -> bool:
    receiver = order.receiver
    # Taobao gives only masked text plus an OAID; the waybill is printed through the OAID.
    decryptable_mask = bool((receiver.address_masked or "").strip() and receiver.match_token)
    return bool((receiver.address_cipher or "").strip()) or decryptable_mask


class AddressRule(RuleBase):
    kind: Literal["address_incomplete"]
    region_fields: tuple[Literal["province", "city", "district", "town"], ...] = ("province", "city", "district")
    # The street address must be there as ciphertext, or as masked text with the platform's decrypt handle.
    require_street_address: bool = True
    # Channels whose platform prints the waybill from its own copy of the receiver, keyed by the order (WeChat
    # 小店, Xiaohongshu): the hub never holds the street address there, so only the region is checked.
    platform_waybill_channels: frozenset[str] = frozenset()

    def evaluate(self, facts: OrderFacts) -> str | None:
        receiver = facts.order.receiver
        missing: list[str] = [name for name in self.region_fields if not (getattr(receiver, name) or "").strip()]
        by_platform = facts.order.channel in self.platform_waybill_channels
        if self.require_street_address and not by_platform and not _has_street_address(facts.order):
            missing.append("address")
        return f"missing {', '.join(missing)}" if missing else None


class ContactMissingRule(RuleBase):
    """No receiver name or phone in any form: the carrier cannot deliver or call (appliances need an appointment)."""

    kind: Literal["receiver_contact_missing"]
    parts: tuple[Literal["name", "phone"], ...] = Field(default=("name", "phone"), min_length=1)
    platform_waybill_channels: frozenset[str] = frozenset()  # as for AddressRule: the platform holds the contact

    def evaluate(self, facts: OrderFacts) -> str | None:
        receiver = facts.order.receiver
        if facts.order.channel in self.platform_waybill_channels:
            return None
        present = {
            "name": bool(receiver.name_cipher or receiver.name_masked),
            "phone": bool(receiver.phone_cipher or receiver.phone_masked),
        }
        missing = [part for part in self.parts if not present[part]]
        return f"missing receiver {', '.join(missing)}" if missing else None


class UndecryptableRule(RuleBase):
    """The platform says the receiver ciphertext cannot be decrypted: no waybill can be printed."""

    kind: Literal["receiver_undecryptable"]

    def evaluate(self, facts: OrderFacts) -> str | None:
        return None if facts.order.receiver.decryptable else "receiver ciphertext cannot be decrypted"


class ProvinceMismatchRule(RuleBase):
    """The masked address text starts with a province other than the order's province field.

    Most platforms keep the region in clear at the head of the masked text ("浙江省杭州市西湖区****"); a
    different province there means the buyer typed one address and picked another region. Only full names
    are matched, and only at the start: street names such as 北京路 or 上海路 exist in every city.
    """

    kind: Literal["address_province_mismatch"]
    provinces: tuple[str, ...] = Field(min_length=1, description="Full province-level names (浙江省, 北京市, ...)")

    def evaluate(self, facts: OrderFacts) -> str | None:
        receiver = facts.order.receiver
        text = "".join((receiver.address_masked or "").split())
        if not text or not (receiver.province or "").strip():
            return None
        named = next((p for p in self.provinces if text.startswith(p)), None)
        if named is None or province_short(named) == province_short(receiver.province or ""):
            return None
        return f"address text names {named}, region field says {receiver.province}"


class Region(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    province: str = Field(min_length=1)
    city: str | None = None
    district: str | None = None

    def matches(self, province: str, city: str, district: str) -> bool:
        return (
            province_short(self.province) == province_short(province)
            and (self.city is None or self.city == city)
            and (self.district is None or self.district == district)
        )

    def label(self) -> str:
        return "".join(part for part in (self.province, self.city, self.district) if part)


class RegionListRule(RuleBase):
    """The receiver's region is on a list (remote, unreachable, no installation service), optionally COD only."""

    kind: Literal["region_list"]
    regions: tuple[Region, ...] = Field(min_length=1)
    cod_only: bool = Field(default=False, description="Hit only cash-on-delivery orders")

    def evaluate(self, facts: OrderFacts) -> str | None:
        order = facts.order
        if self.cod_only and not order.is_cod:
            return None
        receiver = order.receiver
        parts = [(value or "").strip() for value in (receiver.province, receiver.city, receiver.district)]
        if not parts[0]:
            return None
        region = next((r for r in self.regions if r.matches(*parts)), None)
        if region is None:
            return None
        return f"{'cash on delivery to ' if self.cod_only else ''}{region.label()}"
