"""Order audit: risk rules as versioned data, each hit recorded with its rule, weight and reason.

The rules file (`audit_rules.json` beside this module, or `OMNIHUB_AUDIT_RULES_FILE`) is validated by
pydantic when loaded; its sha256 is recorded with every decision, so a decision can be traced to the exact
rules that produced it and a rule change can be replayed against past orders.

Outcome: the strongest `forces` among the hits, raised by the score thresholds (sum of hit weights).
Blacklists hold sha256 hashes of `"{channel}:{value}"`, never plaintext: buyer open ids and the platform's
receiver match tokens are hashed the same way before comparing.
"""

import hashlib
import os
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.events import AuditOutcome, RuleHit
from schemas.order import AfterSaleStatus, Order, OrderStatus

RULES_FILE_ENV = "OMNIHUB_AUDIT_RULES_FILE"
DEFAULT_RULES_FILE = Path(__file__).with_name("audit_rules.json")

_SEVERITY = {AuditOutcome.PASS: 0, AuditOutcome.REVIEW: 1, AuditOutcome.REJECT: 2}
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    weight: int = Field(ge=0)
    forces: AuditOutcome | None = None
    reason: str = Field(min_length=1)
    enabled: bool = True


class PlatformStatusRule(_Rule):
    kind: Literal["platform_status"]
    statuses: frozenset[OrderStatus] = Field(min_length=1)


class AfterSaleRule(_Rule):
    kind: Literal["after_sale"]
    statuses: frozenset[AfterSaleStatus] = Field(min_length=1)


class AddressRule(_Rule):
    kind: Literal["address_incomplete"]
    region_fields: tuple[Literal["province", "city", "district", "town"], ...] = ("province", "city", "district")
    # The street address must be there as ciphertext, or as masked text with the platform's decrypt handle
    # (Taobao gives only masked text plus an OAID; the waybill is printed through the OAID).
    require_street_address: bool = True


class BlacklistRule(_Rule):
    kind: Literal["blacklist"]
    subject: Literal["buyer", "receiver"]
    sha256: frozenset[Sha256Hex]


class PriceRatioRule(_Rule):
    kind: Literal["paid_below_list"]
    min_ratio: Decimal = Field(gt=0, le=1, description="Paid goods amount / list goods amount below this is a hit")


Rule = Annotated[
    PlatformStatusRule | AfterSaleRule | AddressRule | BlacklistRule | PriceRatioRule, Field(discriminator="kind")
]


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1)
    description: str = ""
    review_score: int = Field(gt=0, description="A total weight at or above this is at least REVIEW")
    reject_score: int = Field(gt=0, description="A total weight at or above this is REJECT")
    rules: tuple[Rule, ...] = Field(min_length=1)
    checksum: str = Field(default="", description="sha256 of the file the rules were loaded from")

    @property
    def label(self) -> str:
        return f"{self.version}#{self.checksum[:12]}"


class AuditDecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: AuditOutcome
    score: int
    hits: list[RuleHit]
    rules_version: str
    rules_checksum: str


def subject_hash(channel: str, value: str) -> str:
    """The form blacklists store: sha256 of `{channel}:{value}`."""
    return hashlib.sha256(f"{channel}:{value}".encode()).hexdigest()


def parse_rules(raw: bytes) -> RuleSet:
    rules = RuleSet.model_validate_json(raw)
    ids = [rule.id for rule in rules.rules]
    if len(ids) != len(set(ids)):
        raise ValueError("audit rule ids must be unique")
    return rules.model_copy(update={"checksum": hashlib.sha256(raw).hexdigest()})


@cache
def load_rules(path: str | None = None) -> RuleSet:
    """The rule set from `path`, `$OMNIHUB_AUDIT_RULES_FILE` or the packaged default (cached per path)."""
    return parse_rules(Path(path or os.environ.get(RULES_FILE_ENV) or DEFAULT_RULES_FILE).read_bytes())


def _hit(rule: _Rule, detail: str) -> RuleHit:
    return RuleHit(rule_id=rule.id, weight=rule.weight, reason=f"{rule.reason}: {detail}", forces=rule.forces)


def _has_street_address(order: Order) -> bool:
    receiver = order.receiver
    decryptable_mask = bool((receiver.address_masked or "").strip() and receiver.match_token)
    return bool((receiver.address_cipher or "").strip()) or decryptable_mask


def _check(rule: Rule, order: Order) -> RuleHit | None:
    if isinstance(rule, PlatformStatusRule):
        if order.status in rule.statuses:
            return _hit(rule, f"platform status {order.status.value} ({order.channel_status})")
    elif isinstance(rule, AfterSaleRule):
        states = {order.after_sale} | {line.after_sale for line in order.lines}
        matched = sorted(s.value for s in states & rule.statuses)
        if matched:
            return _hit(rule, f"after-sale {', '.join(matched)}")
    elif isinstance(rule, AddressRule):
        missing: list[str] = [name for name in rule.region_fields if not (getattr(order.receiver, name) or "").strip()]
        if rule.require_street_address and not _has_street_address(order):
            missing.append("address")
        if missing:
            return _hit(rule, f"missing {', '.join(missing)}")
    elif isinstance(rule, BlacklistRule):
        value = order.buyer_id if rule.subject == "buyer" else order.receiver.match_token
        if value and subject_hash(order.channel, value) in rule.sha256:
            return _hit(rule, f"{rule.subject} is on the blacklist")
    elif isinstance(rule, PriceRatioRule):
        lines = [line for line in order.lines if not line.is_gift]
        listed = sum(line.unit_price * line.quantity for line in lines)
        paid = sum(line.paid_amount for line in lines)
        if listed > 0 and Decimal(paid) < Decimal(listed) * rule.min_ratio:
            ratio = (Decimal(paid) / Decimal(listed)).quantize(Decimal("0.0001"))
            return _hit(rule, f"paid {paid} fen of {listed} fen list ({ratio} < {rule.min_ratio})")
    return None


def audit(order: Order, rules: RuleSet) -> AuditDecision:
    hits = [hit for rule in rules.rules if rule.enabled and (hit := _check(rule, order)) is not None]
    score = sum(hit.weight for hit in hits)
    outcome = AuditOutcome.PASS
    if score >= rules.reject_score:
        outcome = AuditOutcome.REJECT
    elif score >= rules.review_score:
        outcome = AuditOutcome.REVIEW
    for hit in hits:
        if hit.forces is not None and _SEVERITY[hit.forces] > _SEVERITY[outcome]:
            outcome = hit.forces
    return AuditDecision(
        outcome=outcome, score=score, hits=hits, rules_version=rules.label, rules_checksum=rules.checksum
    )
