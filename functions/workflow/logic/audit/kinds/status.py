"""Where the order stands on the platform: shippable status, after-sale, presale balance, the seller's flag."""

from typing import Literal

from pydantic import Field

from functions.workflow.logic.audit.base import RuleBase
from functions.workflow.logic.audit.facts import OrderFacts
from schemas.order import AfterSaleStatus, OrderStatus


class PlatformStatusRule(RuleBase):
    kind: Literal["platform_status"]
    statuses: frozenset[OrderStatus] = Field(min_length=1)

    def evaluate(self, facts: OrderFacts) -> str | None:
        order = facts.order
        if order.status in self.statuses:
            return f"platform status {order.status.value} ({order.channel_status})"
        return None


class AfterSaleRule(RuleBase):
    kind: Literal["after_sale"]
    statuses: frozenset[AfterSaleStatus] = Field(min_length=1)

    def evaluate(self, facts: OrderFacts) -> str | None:
        states = {facts.order.after_sale} | {line.after_sale for line in facts.order.lines}
        matched = sorted(s.value for s in states & self.statuses)
        return f"after-sale {', '.join(matched)}" if matched else None


class PresaleBalanceRule(RuleBase):
    """A presale (定金预售) order whose balance (尾款) is still owed must wait for it."""

    kind: Literal["presale_balance_unpaid"]

    def evaluate(self, facts: OrderFacts) -> str | None:
        order = facts.order
        if order.is_presale and order.presale_balance_due > 0:
            return f"presale balance of {order.presale_balance_due} fen not paid"
        return None


class SellerFlagRule(RuleBase):
    """The seller's own flag on the order (e.g. Taobao's red flag 1) meaning "hold"."""

    kind: Literal["seller_flag"]
    flags: frozenset[str] = Field(min_length=1, description="Flag values as the platform sends them (case-insensitive)")

    def evaluate(self, facts: OrderFacts) -> str | None:
        flag = (facts.order.seller_flag or "").strip()
        if flag and flag.casefold() in {f.casefold() for f in self.flags}:
            return f"seller flag {flag}"
        return None
