"""The rules file: validated by pydantic on load, its sha256 kept with the rules so every decision can cite it."""

import hashlib
import os
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from functions.workflow.logic.audit.base import RuleBase, WindowRule
from functions.workflow.logic.audit.kinds.amounts import (
    CouponStackingRule,
    DiscountShareRule,
    FeeMismatchRule,
    GiftOnlyRule,
    LargeOrderRule,
    PriceRatioRule,
    QuantityLimitRule,
    ZeroPriceLineRule,
)
from functions.workflow.logic.audit.kinds.blacklists import BlacklistRule
from functions.workflow.logic.audit.kinds.messages import KeywordRule
from functions.workflow.logic.audit.kinds.receiver import (
    AddressRule,
    ContactMissingRule,
    ProvinceMismatchRule,
    RegionListRule,
    UndecryptableRule,
)
from functions.workflow.logic.audit.kinds.status import (
    AfterSaleRule,
    PlatformStatusRule,
    PresaleBalanceRule,
    SellerFlagRule,
)
from functions.workflow.logic.audit.kinds.windows import (
    BuyerSkuQuantityRule,
    BuyerVelocityRule,
    DistinctBuyersRule,
    DuplicateOrderRule,
    FirstTimeBuyerLargeOrderRule,
    HotSkuAccountsRule,
)
from hubcore.errors import HubError

RULES_FILE_ENV = "OMNIHUB_AUDIT_RULES_FILE"
DEFAULT_RULES_FILE = Path(__file__).resolve().parent.parent / "audit_rules.json"

Rule = Annotated[
    PlatformStatusRule
    | AfterSaleRule
    | PresaleBalanceRule
    | SellerFlagRule
    | BlacklistRule
    | AddressRule
    | ContactMissingRule
    | UndecryptableRule
    | ProvinceMismatchRule
    | RegionListRule
    | KeywordRule
    | PriceRatioRule
    | ZeroPriceLineRule
    | GiftOnlyRule
    | FeeMismatchRule
    | LargeOrderRule
    | CouponStackingRule
    | DiscountShareRule
    | QuantityLimitRule
    | DistinctBuyersRule
    | HotSkuAccountsRule
    | BuyerSkuQuantityRule
    | DuplicateOrderRule
    | BuyerVelocityRule
    | FirstTimeBuyerLargeOrderRule,
    Field(discriminator="kind"),
]


class AuditRulesInvalid(HubError):
    code = "AUDIT_RULES_INVALID"
    http_status = 500


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1)
    description: str = ""
    review_score: int = Field(gt=0, description="A total weight at or above this is at least REVIEW")
    reject_score: int = Field(gt=0, description="A total weight at or above this is REJECT")
    hot_skus: frozenset[str] = Field(default=frozenset(), description="Merchant SKUs under scalping watch")
    rules: tuple[Rule, ...] = Field(min_length=1)
    checksum: str = Field(default="", description="sha256 of the file the rules were loaded from")

    @model_validator(mode="after")
    def _consistent(self) -> "RuleSet":
        if self.reject_score < self.review_score:
            raise ValueError("reject_score must not be below review_score")
        ids = [rule.id for rule in self.rules]
        duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
        if duplicates:
            raise ValueError(f"audit rule ids must be unique: {', '.join(duplicates)}")
        return self

    @property
    def label(self) -> str:
        return f"{self.version}#{self.checksum[:12]}"

    @property
    def active(self) -> tuple[RuleBase, ...]:
        return tuple(rule for rule in self.rules if rule.enabled)

    @property
    def history_windows(self) -> dict[str, timedelta]:
        """Per history key, how far either side of an order the enabled window rules look (keys no rule reads
        are absent, so the ledger need not be asked for them)."""
        windows: dict[str, timedelta] = {}
        for rule in self.active:
            if isinstance(rule, WindowRule):
                window = timedelta(hours=rule.window_hours)
                windows[rule.history_key] = max(window, windows.get(rule.history_key, window))
        return windows


def _explain(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '<file>'}: {e['msg']}" for e in error.errors())


def parse_rules(raw: bytes, *, source: str = "the audit rules file") -> RuleSet:
    """Validate a rules file's bytes; AuditRulesInvalid names every problem with its place in the file."""
    try:
        rules = RuleSet.model_validate_json(raw)
    except ValidationError as exc:
        raise AuditRulesInvalid(f"{source} is invalid: {_explain(exc)}") from exc
    return rules.model_copy(update={"checksum": hashlib.sha256(raw).hexdigest()})


@cache
def load_rules(path: str | None = None) -> RuleSet:
    """The rule set from `path`, `$OMNIHUB_AUDIT_RULES_FILE` or the packaged default (cached per path)."""
    chosen = Path(path or os.environ.get(RULES_FILE_ENV) or DEFAULT_RULES_FILE)
    return parse_rules(chosen.read_bytes(), source=str(chosen))
