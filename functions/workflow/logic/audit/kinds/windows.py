"""Rules over a time window of other orders sharing this order's address, device or buyer (need history)."""

from collections import Counter
from typing import Literal

from pydantic import Field

from functions.workflow.logic.audit.base import WindowRule
from functions.workflow.logic.audit.facts import OrderFacts
from functions.workflow.logic.audit.history import HistoryKey


class DistinctBuyersRule(WindowRule):
    """Promotion abuse: many buyer accounts shipping to one address, or ordering from one device."""

    kind: Literal["distinct_buyers"]
    key: Literal["address", "device"]
    min_buyers: int = Field(ge=2, description="Accounts counted with this order's own")

    @property
    def history_key(self) -> HistoryKey:
        return self.key

    def evaluate(self, facts: OrderFacts) -> str | None:
        accounts = {entry.buyer for entry in facts.recent(self.key, self.window_hours)} | {facts.keys.buyer}
        if len(accounts) < self.min_buyers:
            return None
        return f"{len(accounts)} buyer accounts on one {self.key} within {self.window_hours} h"


class HotSkuAccountsRule(WindowRule):
    """Scalping: one address or device buying a hot SKU through several accounts or channels."""

    kind: Literal["hot_sku_accounts"]
    key: Literal["address", "device"]
    min_accounts: int = Field(ge=2, description="Accounts (per channel) counted with this order's own")

    @property
    def history_key(self) -> HistoryKey:
        return self.key

    def evaluate(self, facts: OrderFacts) -> str | None:
        if not facts.hot_skus_ordered:
            return None
        recent = facts.recent(self.key, self.window_hours)
        for sku in facts.hot_skus_ordered:
            buyers = [entry for entry in recent if sku in entry.skus]
            accounts = {entry.buyer for entry in buyers} | {facts.keys.buyer}
            if len(accounts) >= self.min_accounts:
                channels = {entry.channel for entry in buyers} | {facts.order.channel}
                return (
                    f"hot SKU {sku} bought by {len(accounts)} accounts on {len(channels)} channel(s) "
                    f"to one {self.key} within {self.window_hours} h"
                )
        return None


class BuyerSkuQuantityRule(WindowRule):
    """Per-buyer limit: units of one SKU one account bought within the window, this order included."""

    kind: Literal["buyer_sku_quantity"]
    max_quantity: int = Field(gt=0)
    hot_only: bool = False

    def evaluate(self, facts: OrderFacts) -> str | None:
        wanted = facts.hot_skus_ordered if self.hot_only else sorted(facts.skus)
        if not wanted:
            return None
        totals = Counter({sku: facts.skus[sku] for sku in wanted})
        for entry in facts.recent("buyer", self.window_hours):
            for sku in wanted:
                totals[sku] += entry.skus.get(sku, 0)
        over = [f"{sku} x{totals[sku]}" for sku in wanted if totals[sku] > self.max_quantity]
        if not over:
            return None
        return f"{', '.join(over)} by one buyer within {self.window_hours} h (limit {self.max_quantity})"


class DuplicateOrderRule(WindowRule):
    """The same account ordered the same SKUs to the same address shortly before or after: likely a double order."""

    kind: Literal["duplicate_order"]

    @property
    def history_key(self) -> HistoryKey:
        return "address"

    def evaluate(self, facts: OrderFacts) -> str | None:
        twins = [
            entry.order_key
            for entry in facts.recent("address", self.window_hours)
            if entry.buyer == facts.keys.buyer and dict(entry.skus) == facts.skus
        ]
        return f"same buyer, address and SKUs as {', '.join(sorted(twins))}" if twins else None


class BuyerVelocityRule(WindowRule):
    """One account placing many orders in a short time (bots, resellers)."""

    kind: Literal["buyer_velocity"]
    min_orders: int = Field(ge=2, description="Orders counted with this one")

    def evaluate(self, facts: OrderFacts) -> str | None:
        count = len(facts.recent("buyer", self.window_hours)) + 1
        return f"{count} orders by one buyer within {self.window_hours} h" if count >= self.min_orders else None


class FirstTimeBuyerLargeOrderRule(WindowRule):
    """A large order from an account with no earlier order within the look-back window (the ledger's memory)."""

    kind: Literal["first_time_buyer_large_order"]
    above_fen: int = Field(ge=0)

    def evaluate(self, facts: OrderFacts) -> str | None:
        paid = facts.order.paid_amount
        if paid <= self.above_fen:
            return None
        if any(entry.at < facts.at for entry in facts.recent("buyer", self.window_hours)):
            return None
        return f"first order of this buyer within {self.window_hours} h pays {paid} fen > {self.above_fen} fen"
