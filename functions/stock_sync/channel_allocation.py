"""How many units each channel listing may sell: a pure function of a SKU's available units and its policy.

Order of the steps (docs/stock-sync.md has worked examples):
1. `sellable = max(0, available - safety_stock)`.
2. Exclusive pools, lowest `priority` first (ties by key): each key takes `min(exclusive, what is left)`.
3. The rest is the shared pool. Without oversell, `floor(pool * min(sum of percents, 100) / 100)` units are
   apportioned by the keys' percentages with the largest-remainder method, so the figures never add up to
   more than the pool. With `allow_oversell`, each key shows `floor(pool * percent / 100)` on its own.
4. A key's units are split evenly over its listings (several shops of a channel under one key).
5. Per listing: `cap` lowers the figure; a figure below `floor` becomes 0. Both only ever withhold units.

So every figure is an integer in [0, sellable]; without oversell they add up to at most `sellable`.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from functions.stock_sync.rules import AllocationPolicy, ChannelRule


@dataclass(frozen=True, order=True)
class Target:
    """One listing's place: a channel shop."""

    channel: str
    shop_id: str

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.shop_id}"


def rule_key(target: Target, policy: AllocationPolicy) -> str:
    """The policy key a listing falls under: its shop's key, else its channel's (named or by default)."""
    return target.key if target.key in policy.channels else target.channel


def rule_for(key: str, policy: AllocationPolicy) -> ChannelRule:
    return policy.channels.get(key, policy.default)


def apportion(total: int, weights: Mapping[str, Decimal]) -> dict[str, int]:
    """Split `total` units over the keys in proportion to their weights (largest remainder, ties by key):
    the parts add up to `total` exactly when any weight is positive, and to 0 otherwise."""
    positive = {key: weight for key, weight in weights.items() if weight > 0}
    parts = dict.fromkeys(weights, 0)
    weight_sum = sum(positive.values(), Decimal(0))
    if total <= 0 or weight_sum == 0:
        return parts
    quotas = {key: Decimal(total) * weight / weight_sum for key, weight in positive.items()}
    for key, quota in quotas.items():
        parts[key] = int(quota.to_integral_value(rounding=ROUND_FLOOR))
    left = total - sum(parts.values())
    by_remainder = sorted(quotas, key=lambda key: (-(quotas[key] - parts[key]), key))
    for key in by_remainder[:left]:
        parts[key] += 1
    return parts


def _floor_int(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def allocate(available: int, policy: AllocationPolicy, targets: Iterable[Target]) -> dict[Target, int]:
    """Each listing's sellable figure for one SKU (see the module docstring for the steps)."""
    listed = sorted(set(targets))
    by_key: dict[str, list[Target]] = {}
    for target in listed:
        by_key.setdefault(rule_key(target, policy), []).append(target)
    rules = {key: rule_for(key, policy) for key in by_key}

    left = max(0, available - policy.safety_stock)
    sellable = left
    per_key = dict.fromkeys(by_key, 0)
    for key in sorted(by_key, key=lambda k: (rules[k].priority, k)):
        taken = min(rules[key].exclusive, left)
        per_key[key] += taken
        left -= taken

    pool = left
    percents = {key: rules[key].share_percent for key in by_key}
    if policy.allow_oversell:
        shared = {key: min(pool, _floor_int(Decimal(pool) * percent / 100)) for key, percent in percents.items()}
    else:
        percent_sum = min(sum(percents.values(), Decimal(0)), Decimal(100))
        shared = apportion(_floor_int(Decimal(pool) * percent_sum / 100), percents)
    for key, units in shared.items():
        per_key[key] += units

    figures: dict[Target, int] = {}
    for key, members in by_key.items():
        rule = rules[key]
        split = apportion(per_key[key], {target.key: Decimal(1) for target in members})
        for target in members:
            figure = min(split[target.key], sellable)
            if rule.cap is not None:
                figure = min(figure, rule.cap)
            figures[target] = 0 if figure < rule.floor else figure
    return figures


def online_available(levels: Sequence[tuple[str, int]], online_nodes: Iterable[str] | None) -> int:
    """A SKU's available units summed over the nodes that serve online channels (`(node_id, available)`);
    a negative figure (never written by the ledger) counts as 0."""
    wanted = None if online_nodes is None else set(online_nodes)
    return sum(max(0, units) for node_id, units in levels if wanted is None or node_id in wanted)
