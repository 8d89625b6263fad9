"""The allocation rules file: validated by pydantic on load, its sha256 kept with the rules so every sync
report can cite the exact file it applied (as the audit rules do)."""

import hashlib
import os
from decimal import Decimal
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hubcore.errors import HubError

RULES_FILE_ENV = "OMNIHUB_ALLOCATION_RULES_FILE"
DEFAULT_RULES_FILE = Path(__file__).resolve().parent / "allocation_rules.json"


class AllocationRulesInvalid(HubError):
    code = "ALLOCATION_RULES_INVALID"
    http_status = 500


class ChannelRule(BaseModel):
    """How one channel (key `douyin`) or one shop of it (key `douyin:123456`) takes part in a SKU's stock."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    exclusive: int = Field(default=0, ge=0, description="Units only this key may sell, taken before the shared pool")
    share_percent: Decimal = Field(default=Decimal(0), ge=0, le=100, description="Its weight in the shared pool")
    floor: int = Field(default=0, ge=0, description="While its figure is below this, it shows 0 (units withheld)")
    cap: int | None = Field(default=None, ge=0, description="It never shows more than this (excess withheld)")
    priority: int = Field(default=100, description="Exclusive pools are filled lowest first when stock is short")


class AllocationPolicy(BaseModel):
    """One SKU's split of its sellable units over the channels that list it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    safety_stock: int = Field(default=0, ge=0, description="Units held back from every channel")
    allow_oversell: bool = Field(
        default=False,
        description="True: each key shows its percent of the whole shared pool, so the figures may add up to "
        "more than the stock (each one still never exceeds it)",
    )
    default: ChannelRule = Field(default=ChannelRule(), description="For a listed channel no key names")
    channels: dict[str, ChannelRule] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> "AllocationPolicy":
        for key, rule in self.channels.items():
            channel, _, shop = key.partition(":")
            if not channel or (":" in key and not shop):
                raise ValueError(f"channel key {key!r} must be 'channel' or 'channel:shop_id'")
            if rule.cap is not None and rule.cap < rule.floor:
                raise ValueError(f"{key}: cap {rule.cap} is below floor {rule.floor}: it could never show stock")
        named = sum((rule.share_percent for rule in self.channels.values()), Decimal(0))
        if named > 100 and not self.allow_oversell:
            raise ValueError(f"shared percentages add up to {named} > 100: set allow_oversell to mean it")
        return self


class SyncSettings(BaseModel):
    """Debounce and drift handling (docs/stock-sync.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    debounce_seconds: int = Field(default=300, ge=0, description="At most one push per listing per interval...")
    low_stock_threshold: int = Field(default=5, ge=0, description="...except a drop below this, or to 0, now")
    urgent_drop_percent: Decimal = Field(default=Decimal(50), gt=0, le=100, description="...or a drop this large")
    verify_seconds: int = Field(default=900, ge=0, description="Read an unchanged figure back at least this often")
    max_corrections: int = Field(default=2, ge=0, le=10, description="Re-pushes per drift before the alarm")
    correction_cooldown_seconds: int = Field(default=120, ge=0, description="Wait between drift and a re-push")


class AllocationRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1)
    description: str = ""
    online_nodes: tuple[str, ...] | None = Field(
        default=None, description="Nodes whose available units the channels sell; None: every active node"
    )
    policy: AllocationPolicy = Field(description="The policy of every SKU not named under `skus`")
    skus: dict[str, AllocationPolicy] = Field(default_factory=dict, description="Whole-policy overrides per SKU")
    sync: SyncSettings = SyncSettings()
    checksum: str = Field(default="", description="sha256 of the file the rules were loaded from")

    @property
    def label(self) -> str:
        return f"{self.version}#{self.checksum[:12]}"

    def policy_for(self, sku: str) -> AllocationPolicy:
        return self.skus.get(sku, self.policy)


def _explain(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '<file>'}: {e['msg']}" for e in error.errors())


def parse_rules(raw: bytes, *, source: str = "the allocation rules file") -> AllocationRules:
    """Validate a rules file's bytes; AllocationRulesInvalid names every problem with its place in the file."""
    try:
        rules = AllocationRules.model_validate_json(raw)
    except ValidationError as exc:
        raise AllocationRulesInvalid(f"{source} is invalid: {_explain(exc)}") from exc
    return rules.model_copy(update={"checksum": hashlib.sha256(raw).hexdigest()})


@cache
def load_rules(path: str | None = None) -> AllocationRules:
    """The rules from `path`, `$OMNIHUB_ALLOCATION_RULES_FILE` or the packaged default (cached per path)."""
    chosen = Path(path or os.environ.get(RULES_FILE_ENV) or DEFAULT_RULES_FILE)
    return parse_rules(chosen.read_bytes(), source=str(chosen))
