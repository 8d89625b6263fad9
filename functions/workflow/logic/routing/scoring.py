"""Scoring a plan (one or more parcels): seven terms, each raw -> normalised -> x weight -> contribution.

Lower total wins. Normalisation is fixed by the policy, never relative to the other candidates, so one
decision's numbers can be compared with another's:

| term          | raw                                        | normalised                               |
|---------------|--------------------------------------------|------------------------------------------|
| freight       | fen, all parcels                           | raw / freight_scale_fen                  |
| distance      | worst parcel's tier 0..3                   | raw / 3                                  |
| delivery      | worst parcel's promised hours              | raw / SLA hours of the channel           |
| parcels       | parcel count                               | raw - 1                                  |
| utilisation   | busiest node's (backlog + 1) / capacity    | raw                                      |
| stock_balance | lowest days of cover left after the take   | shortfall below the target, 0..1         |
| channel_policy| channel rules missed (flagship, preferred) | misses per parcel                        |
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from functions.workflow.logic.routing.context import Draft, RoutingContext
from functions.workflow.logic.routing.decision import ScoreTerm, TermName
from functions.workflow.logic.routing.geography import DistanceTier
from schemas.money import fen_to_yuan

TERMS = tuple(TermName)
UNITS = {
    TermName.FREIGHT: "fen",
    TermName.DISTANCE: "tier",
    TermName.DELIVERY: "hours",
    TermName.PARCELS: "parcels",
    TermName.UTILISATION: "ratio",
    TermName.STOCK_BALANCE: "days",
    TermName.CHANNEL_POLICY: "misses",
}
_TERM_UNITS = tuple((term, UNITS[term]) for term in TERMS)
MAX_COVER_DAYS = Decimal(999)  # "no sales velocity": cover is unlimited
_Q4 = Decimal("0.0001")
_Q1 = Decimal("0.1")
_ZERO = Decimal(0)
_THREE = Decimal(3)


@dataclass(slots=True)
class Scored:
    drafts: tuple[Draft, ...]
    raws: tuple[Decimal, ...]  # in TERMS order
    normalised: tuple[Decimal, ...]
    contributions: tuple[Decimal, ...]
    score: Decimal
    freight_fen: int
    terms: tuple[ScoreTerm, ...] = ()  # filled once, on demand (only kept plans need the texts)

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(d.node.node_id for d in self.drafts)

    @property
    def key(self) -> tuple[int, Decimal, int, tuple[str, ...]]:
        """Fewest parcels, then lowest score, then cheapest freight, then node ids (stable)."""
        return (len(self.drafts), self.score, self.freight_fen, self.node_ids)


Term = tuple[Decimal, Decimal, Decimal]  # raw, normalised, contribution


class TermTable:
    """Each term's (raw, normalised, contribution) by raw value, worked out once per routing call: the plans
    of one order share few distinct raw values, and Decimal division and rounding dominate scoring."""

    __slots__ = ("_cache", "_cover", "_ctx", "weights")

    def __init__(self, ctx: RoutingContext) -> None:
        w = ctx.policy.weights
        self.weights = (w.freight, w.distance, w.delivery, w.parcels, w.utilisation, w.stock_balance, w.channel_policy)
        self._ctx = ctx
        self._cache: tuple[dict[object, Term], ...] = tuple({} for _ in TERMS)
        self._cover: dict[tuple[str, int], Decimal] = {}

    def _term(self, index: int, key: object, raw: Decimal, normalised: Decimal) -> Term:
        term = self._cache[index][key] = (raw, normalised, (normalised * self.weights[index]).quantize(_Q4))
        return term

    def freight(self, fen: int) -> Term:
        found = self._cache[0].get(fen)
        if found is None:
            raw = Decimal(fen)
            found = self._term(0, fen, raw, (raw / self._ctx.policy.freight_scale_fen).quantize(_Q4))
        return found

    def distance(self, tier: int) -> Term:
        found = self._cache[1].get(tier)
        if found is None:
            raw = Decimal(tier)
            found = self._term(1, tier, raw, (raw / _THREE).quantize(_Q4))
        return found

    def delivery(self, hours: int) -> Term:
        found = self._cache[2].get(hours)
        if found is None:
            raw = Decimal(hours)
            found = self._term(2, hours, raw, (raw / self._ctx.sla_hours).quantize(_Q4))
        return found

    def parcels(self, count: int) -> Term:
        found = self._cache[3].get(count)
        if found is None:
            raw = Decimal(count)
            found = self._term(3, count, raw, raw - 1)
        return found

    def utilisation(self, ratio: Decimal) -> Term:
        found = self._cache[4].get(ratio)
        return found if found is not None else self._term(4, ratio, ratio, ratio)

    def stock_balance(self, cover: Decimal) -> Term:
        found = self._cache[5].get(cover)
        if found is None:
            target = self._ctx.policy.stock_cover_target_days
            found = self._term(5, cover, cover, (max(_ZERO, target - cover) / target).quantize(_Q4))
        return found

    def cover_days(self, sku: str, left: int) -> Decimal:
        """Days of cover of `left` units of a SKU, 1 place; MAX_COVER_DAYS for a SKU that does not sell."""
        key = (sku, left)
        found = self._cover.get(key)
        if found is None:
            velocity = self._ctx.product(sku).daily_velocity
            found = (Decimal(left) / velocity).quantize(_Q1) if velocity > 0 else MAX_COVER_DAYS
            self._cover[key] = found
        return found

    def channel_policy(self, misses: int, count: int) -> Term:
        key = (misses, count)
        found = self._cache[6].get(key)
        if found is None:
            raw = Decimal(misses)
            found = self._term(6, key, raw, (raw / count).quantize(_Q4))
        return found


def _table(ctx: RoutingContext) -> TermTable:
    table = ctx.term_table
    if table is None:
        table = ctx.term_table = TermTable(ctx)
    return table


def _utilisation(draft: Draft, ctx: RoutingContext) -> Decimal:
    """(backlog + 1) / capacity, 4 places: pure in the node, so memoised per network."""
    node = draft.node
    key = ("utilisation", node.node_id)
    found = ctx.index.memo.get(key)
    if found is None:
        found = ctx.index.memo[key] = (Decimal(node.backlog + 1) / node.daily_capacity).quantize(_Q4)
    return cast(Decimal, found)


def _cover_days(draft: Draft, ctx: RoutingContext) -> Decimal:
    lowest = MAX_COVER_DAYS
    days = _table(ctx).cover_days
    for sku, units in draft.contents.units:
        left = ctx.stock(sku, draft.node.node_id) - units
        lowest = min(lowest, days(sku, left))
    return lowest


def _misses(draft: Draft, ctx: RoutingContext) -> list[str]:
    rules = ctx.policy.channel_rules
    found = []
    if rules.new_model_flagship_first and draft.new_model and not draft.node.flagship:
        found.append(f"{draft.node.node_id} is not a flagship node and the parcel holds a new model")
    preferred = rules.preferred_nodes.get(ctx.channel)
    if preferred and draft.node.node_id not in preferred:
        found.append(f"{ctx.channel} prefers {', '.join(preferred)}, not {draft.node.node_id}")
    return found


def _miss_count(draft: Draft, ctx: RoutingContext) -> int:
    """len(_misses(draft, ctx)) without building the texts."""
    rules = ctx.policy.channel_rules
    misses = 1 if rules.new_model_flagship_first and draft.new_model and not draft.node.flagship else 0
    preferred = rules.preferred_nodes.get(ctx.channel)
    if preferred and draft.node.node_id not in preferred:
        misses += 1
    return misses


def score(drafts: Sequence[Draft], ctx: RoutingContext) -> Scored:
    table = _table(ctx)
    count = len(drafts)
    if count == 1:
        (draft,) = drafts
        freight = draft.freight_fen
        tier = int(draft.tier)
        hours = draft.promised_hours
        utilisation = _utilisation(draft, ctx)
        cover = _cover_days(draft, ctx)
        misses = _miss_count(draft, ctx)
    else:
        freight = sum(d.freight_fen for d in drafts)
        tier = int(max(d.tier for d in drafts))
        hours = max(d.promised_hours for d in drafts)
        utilisation = max(_utilisation(d, ctx) for d in drafts)  # rounding is monotonic: max of rounded is the same
        cover = min(_cover_days(d, ctx) for d in drafts)
        misses = sum(_miss_count(d, ctx) for d in drafts)
    terms = (
        table.freight(freight),
        table.distance(tier),
        table.delivery(hours),
        table.parcels(count),
        table.utilisation(utilisation),
        table.stock_balance(cover),
        table.channel_policy(misses, count),
    )
    raws, normalised, contributions = zip(*terms, strict=True)
    return Scored(tuple(drafts), raws, normalised, contributions, sum(contributions, _ZERO), freight)


def _tier_name(tier: DistanceTier) -> str:
    return tier.name.lower().replace("_", " ")


def _details(scored: Scored, ctx: RoutingContext) -> dict[TermName, str]:
    drafts = scored.drafts
    sla = ctx.sla_hours
    late = [d.node.node_id for d in drafts if d.promised_hours > sla]
    target = ctx.policy.stock_cover_target_days
    misses = [m for d in drafts for m in _misses(d, ctx)]
    return {
        TermName.FREIGHT: "; ".join(
            f"{d.node.node_id} {d.carrier_id} {d.weight_g / 1000:g} kg {fen_to_yuan(d.freight_fen)} yuan"
            for d in drafts
        ),
        TermName.DISTANCE: "; ".join(f"{d.node.node_id} {_tier_name(d.tier)}" for d in drafts),
        TermName.DELIVERY: "; ".join(
            f"{d.node.node_id} {d.node.handling_hours} h handling, {d.promised_hours} h in all" for d in drafts
        )
        + f" (SLA {sla} h{', missed by ' + ', '.join(late) if late else ', met'})",
        TermName.PARCELS: f"{len(drafts)} parcel{'s' if len(drafts) > 1 else ''}",
        TermName.UTILISATION: "; ".join(
            f"{d.node.node_id} backlog {d.node.backlog}/{d.node.daily_capacity}" for d in drafts
        ),
        TermName.STOCK_BALANCE: f"lowest cover left {scored.raws[5]} days (target {target})",
        TermName.CHANNEL_POLICY: "; ".join(misses) if misses else "no channel rule missed",
    }


def score_terms(scored: Scored, ctx: RoutingContext, *, details: bool = True) -> tuple[ScoreTerm, ...]:
    """The terms as stored in a decision; `details` adds the readable text of each (kept plans only)."""
    if details and scored.terms:
        return scored.terms
    terms: list[ScoreTerm] = [
        {"term": term, "raw": raw, "unit": unit, "normalised": normalised, "weight": weight, "contribution": part}
        for (term, unit), raw, normalised, weight, part in zip(
            _TERM_UNITS, scored.raws, scored.normalised, _table(ctx).weights, scored.contributions, strict=True
        )
    ]
    if not details:
        return tuple(terms)
    texts = _details(scored, ctx)
    for term in terms:
        term["detail"] = texts[term["term"]]
    scored.terms = tuple(terms)
    return scored.terms
