"""What every rule reads: the order, its hashed keys, its SKU totals and its history, derived once per audit."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from functions.workflow.logic.audit.history import (
    AuditHistory,
    HistoryKey,
    PastOrder,
    RiskKeys,
    order_time,
    risk_keys,
    sku_quantities,
    subject_hash,
    within,
)
from schemas.order import Order


@dataclass(frozen=True)
class OrderFacts:
    order: Order
    history: AuditHistory | None
    hot_skus: frozenset[str]

    @cached_property
    def keys(self) -> RiskKeys:
        return risk_keys(self.order)

    @cached_property
    def at(self) -> datetime:
        return order_time(self.order)

    @cached_property
    def skus(self) -> dict[str, int]:
        return sku_quantities(self.order)

    @cached_property
    def hot_skus_ordered(self) -> list[str]:
        return sorted(sku for sku in self.skus if sku in self.hot_skus)

    def hashed(self, value: str | None) -> str | None:
        return subject_hash(self.order.channel, value) if value else None

    def recent(self, key: HistoryKey, hours: int) -> list[PastOrder]:
        """Other orders sharing this order's `key` within `hours` of it; empty without history or without the key."""
        if self.history is None or self.keys.of(key) is None:
            return []
        return within(self.history.of(key), self.at, timedelta(hours=hours), exclude=self.order.order_key)
