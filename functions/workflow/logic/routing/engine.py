"""route(): filter every node, score the plans that pass, split only when no single node can ship it all.

Pure: the stock snapshot and `now` come in as arguments; nothing is read from AWS or the environment.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter, ValidationError

from functions.workflow.logic.routing.context import Draft, RoutingContext
from functions.workflow.logic.routing.decision import (
    Candidate,
    Destination,
    FilterName,
    FilterVerdict,
    GroupLine,
    LineGroup,
    Parcel,
    ParcelLine,
    PlanOption,
    RoutingDecision,
    RoutingOutcome,
    SearchInfo,
    SearchMethod,
    TermName,
)
from functions.workflow.logic.routing.errors import RoutingInputError
from functions.workflow.logic.routing.filters import (
    GroupFilter,
    node_verdicts,
    order_demand,
    shares_skus,
    stock_verdict,
    verdict,
)
from functions.workflow.logic.routing.groups import Group, line_groups, unknown_skus
from functions.workflow.logic.routing.merge import check_mergeable
from functions.workflow.logic.routing.network import Network, Node
from functions.workflow.logic.routing.policy import RoutingPolicy
from functions.workflow.logic.routing.scoring import Scored, score, score_terms
from functions.workflow.logic.routing.split import SplitResult, search
from schemas.money import fen_to_yuan
from schemas.order import FulfilmentMode, Order
from schemas.timeutil import SHANGHAI

Snapshot = Mapping[tuple[str, str], int]  # (sku, node_id) -> units available
_STOCK_SEEN = TypeAdapter(dict[str, dict[str, int]])
_ABSENT = object()

# The decision and its parts are built with `model_construct`: every value comes from inputs that are already
# validated models (order, network, policy; the snapshot is validated in `_stock_seen`) or is computed here, and
# validating hundreds of verdicts and terms again cost about a third of a routing call. The tests check that
# every kind of decision still validates and round-trips through JSON.


class _Evaluation:
    """Every node's verdicts, and which groups (or the whole order) each node can take."""

    def __init__(self, nodes: Sequence[Node], groups: Sequence[Group], ctx: RoutingContext) -> None:
        self.nodes = nodes
        self.verdicts: dict[str, list[FilterVerdict]] = {}
        self.servable: dict[str, list[Node]] = {g.group_id: [] for g in groups}
        self.partial: dict[str, list[Node]] = {g.group_id: [] for g in groups}
        self.whole: list[Draft] = []
        self.servable_by_node: dict[str, list[str]] = {}
        filters = [GroupFilter(g, ctx) for g in groups]
        # The whole order as one parcel: the same takes, weight and kind at every node.
        everything_at_once = ctx.contents(tuple((line, line.quantity) for g in groups for line in g.lines))
        everything = order_demand(groups) if shares_skus(groups) else None
        in_stock = "whole order in stock: " + ", ".join(f"{sku} ×{units}" for sku, units in everything or ())
        for node in nodes:
            own, node_ok = node_verdicts(node, ctx)
            verdicts = [v.copy() for v in own]  # the memoised dicts stay out of the decision
            all_groups = node_ok
            for group_filter in filters:
                found, ok, routed = group_filter.verdicts(node)
                verdicts += found
                group = group_filter.group
                if node_ok and ok:
                    self.servable[group.group_id].append(node)
                    self.servable_by_node.setdefault(node.node_id, []).append(group.group_id)
                    continue
                all_groups = False
                if node_ok and routed and group.splittable and ctx.stock(group.lines[0].sku, node.node_id) > 0:
                    self.partial[group.group_id].append(node)
            if all_groups and everything is not None:
                combined = stock_verdict(node, everything, ctx, None, in_stock)
                if not combined["passed"]:
                    combined["reason"] = f"whole order {combined['reason']}"
                verdicts.append(combined)
                all_groups = combined["passed"]
            if all_groups:
                draft = ctx.priced(node, everything_at_once)
                if draft is None:
                    verdicts.append(
                        verdict(
                            FilterName.CARRIER,
                            None,
                            False,
                            "no carrier at the node takes the whole order as one parcel",
                        )
                    )
                else:
                    self.whole.append(draft)
            self.verdicts[node.node_id] = verdicts

    def candidates(self, scored: Mapping[str, Scored], ctx: RoutingContext) -> tuple[Candidate, ...]:
        """Every node with every verdict; nodes that take the whole order also with their score terms."""
        whole = {d.node.node_id for d in self.whole}
        result: list[Candidate] = []
        for node in self.nodes:
            node_id = node.node_id
            mine = scored.get(node_id)
            result.append(
                {
                    "node_id": node_id,
                    "name": node.name,
                    "kind": node.kind,
                    "verdicts": tuple(self.verdicts[node_id]),
                    "groups_servable": tuple(self.servable_by_node.get(node_id, ())),
                    "whole_order": node_id in whole,
                    "score": mine.score if mine else None,
                    "terms": score_terms(mine, ctx, details=False) if mine else (),
                }
            )
        return tuple(result)

    def failure_counts(self, skip: set[str]) -> Counter[str]:
        counts: Counter[str] = Counter()
        for node_id, verdicts in self.verdicts.items():
            if node_id not in skip:
                failed = {v["filter"] for v in verdicts if not v["passed"]}
                for name in failed:
                    counts[name.value] += 1
        return counts


def route(
    orders: Order | Sequence[Order],
    network: Network,
    policy: RoutingPolicy,
    available: Snapshot,
    *,
    now: datetime,
) -> RoutingDecision:
    """Decide where an order (or a merge group of one receiver's orders) ships from, and explain why."""
    batch: tuple[Order, ...] = (orders,) if isinstance(orders, Order) else tuple(orders)
    if not batch:
        raise RoutingInputError("route needs at least one order")
    if now.tzinfo is None:
        raise RoutingInputError("now must be timezone-aware")
    check_mergeable(batch)
    first = batch[0]
    mode = first.fulfilment_mode
    header = {
        "order_keys": tuple(o.order_key for o in batch),
        "channel": first.channel,
        "shop_id": first.shop_id,
        "fulfilment_mode": mode,
        "decided_at": now,
        "policy_version": policy.label,
        "policy_checksum": policy.checksum,
        "network_version": network.label,
        "network_checksum": network.checksum,
    }
    if mode is FulfilmentMode.STORE_SALE:
        why = "sold and handed over at the till (STORE_SALE): nothing to route, the stock already left the store"
        return _without_plan(
            header, RoutingOutcome.NOT_REQUIRED, [why], Destination.model_construct(province=None, city=None)
        )
    unknown = unknown_skus(batch, network)
    if unknown:
        why = f"SKU not in the network's product catalog: {', '.join(unknown)} (weight and handling unknown)"
        return _without_plan(header, RoutingOutcome.UNROUTABLE, [why], _receiver(first))
    if mode is FulfilmentMode.PICKUP:
        store = network.node(first.pickup_store_id or "")
        if store is None:
            why = f"pickup store {first.pickup_store_id} is not in the network"
            return _without_plan(header, RoutingOutcome.UNROUTABLE, [why], _receiver(first))
        nodes: Sequence[Node] = (store,)
        province: str = store.province
        city: str | None = store.city
    else:
        nodes = network.nodes
        found = network.province(first.receiver.province)
        if found is None:
            why = f"receiver province {first.receiver.province or '(missing)'} is not in the network's regions"
            return _without_plan(header, RoutingOutcome.UNROUTABLE, [why], _receiver(first))
        province, city = found, first.receiver.city
    ctx = RoutingContext(
        network=network,
        policy=policy,
        available=available,
        now=now,
        channel=first.channel,
        mode=mode,
        province=province,
        city=city,
        sla_hours=policy.delivery.sla_for(first.channel),
    )
    groups = line_groups(batch, network, policy.split.allow_quantity_split)
    evaluation = _Evaluation(nodes, groups, ctx)
    ranked = sorted((score([d], ctx) for d in evaluation.whole), key=lambda s: s.key)
    header |= {
        "destination": Destination.model_construct(province=province, city=city),
        "groups": tuple(_group_view(g) for g in groups),
        "candidates": evaluation.candidates({s.drafts[0].node.node_id: s for s in ranked}, ctx),
        "stock_seen": _stock_seen(groups, nodes, available),
    }
    if ranked:
        method = SearchMethod.PICKUP if mode is FulfilmentMode.PICKUP else SearchMethod.SINGLE_NODE
        info = SearchInfo.model_construct(
            method=method, plans_evaluated=len(ranked), note="at least one node takes every line"
        )
        return _with_plan(header, RoutingOutcome.ROUTED, ranked, info, evaluation, groups, ctx)
    if mode is FulfilmentMode.PICKUP:
        failed = [v["reason"] for v in evaluation.verdicts[nodes[0].node_id] if not v["passed"]]
        why = f"pickup store {nodes[0].node_id} cannot hand over this order: {'; '.join(failed)}"
        return _unroutable(header, [why], SearchInfo.model_construct(method=SearchMethod.PICKUP))
    result = search(groups, evaluation.servable, evaluation.partial, ctx)
    info = SearchInfo.model_construct(method=result.method, plans_evaluated=result.evaluated, note=result.note)
    if not result.plans:
        return _unroutable(header, _unplaceable_reasons(result, groups, evaluation), info)
    return _with_plan(header, RoutingOutcome.SPLIT, result.plans, info, evaluation, groups, ctx)


def _receiver(order: Order) -> Destination:
    return Destination.model_construct(province=order.receiver.province, city=order.receiver.city)


def _without_plan(
    header: dict[str, Any], outcome: RoutingOutcome, why: list[str], destination: Destination
) -> RoutingDecision:
    return RoutingDecision.model_construct(
        **header,
        outcome=outcome,
        destination=destination,
        groups=(),
        candidates=(),
        options=(),
        chosen=None,
        runner_up=None,
        why=tuple(why),
        search=SearchInfo.model_construct(method=SearchMethod.NONE),
        stock_seen={},
    )


def _unroutable(header: dict[str, Any], why: list[str], info: SearchInfo) -> RoutingDecision:
    return RoutingDecision.model_construct(
        **header,
        outcome=RoutingOutcome.UNROUTABLE,
        options=(),
        chosen=None,
        runner_up=None,
        why=tuple(why),
        search=info,
    )


def _group_view(group: Group) -> LineGroup:
    return LineGroup.model_construct(
        group_id=group.group_id,
        lines=tuple(
            GroupLine.model_construct(
                order_key=x.order_key, line_id=x.line_id, sku=x.sku, quantity=x.quantity, is_gift=x.is_gift
            )
            for x in group.lines
        ),
        weight_g=group.weight_g,
        requires=tuple(sorted(group.requires)),
        splittable=group.splittable,
    )


def _stock_seen(groups: Sequence[Group], nodes: Sequence[Node], available: Snapshot) -> dict[str, dict[str, int]]:
    """The part of the snapshot the decision used, as whole units: the snapshot is the one input not already a
    model. Plain ints pass as they are; anything else (DynamoDB's Decimal) goes through pydantic."""
    seen: dict[str, dict[str, Any]] = {}
    plain = True
    for sku in sorted({sku for g in groups for sku, _ in g.demand}):
        units = seen[sku] = {}
        for node in nodes:
            found = available.get((sku, node.node_id), _ABSENT)
            if found is not _ABSENT:
                units[node.node_id] = found
                plain = plain and type(found) is int
    if plain:
        return seen
    try:
        return _STOCK_SEEN.validate_python(seen)
    except ValidationError as exc:
        raise RoutingInputError(f"stock snapshot must hold whole units: {exc}") from exc


def _option(rank: int, scored: Scored, ctx: RoutingContext) -> PlanOption:
    parcels = tuple(
        Parcel.model_construct(
            node_id=d.node.node_id,
            lines=tuple(
                ParcelLine.model_construct(
                    order_key=line.order_key, line_id=line.line_id, sku=line.sku, quantity=quantity
                )
                for line, quantity in d.takes
            ),
            weight_g=d.weight_g,
            carrier_id=d.carrier_id,
            freight_fen=d.freight_fen,
            distance_tier=d.tier.name,
            promised_hours=d.promised_hours,
            promised_by=ctx.now + timedelta(hours=d.promised_hours),
        )
        for d in scored.drafts
    )
    return PlanOption.model_construct(
        rank=rank, parcels=parcels, score=scored.score, freight_fen=scored.freight_fen, terms=score_terms(scored, ctx)
    )


def _with_plan(
    header: dict[str, Any],
    outcome: RoutingOutcome,
    ranked: Sequence[Scored],
    info: SearchInfo,
    evaluation: _Evaluation,
    groups: Sequence[Group],
    ctx: RoutingContext,
) -> RoutingDecision:
    kept = [_option(i, s, ctx) for i, s in enumerate(ranked[: ctx.policy.options_kept], start=1)]
    chosen = kept[0]
    runner_up = kept[1] if len(kept) > 1 else None
    if outcome is RoutingOutcome.ROUTED and len(chosen.parcels) > 1:
        outcome = RoutingOutcome.SPLIT
    why = _plan_reasons(outcome, chosen, runner_up, info, evaluation, groups, ctx)
    return RoutingDecision.model_construct(
        **header, outcome=outcome, options=tuple(kept), chosen=chosen, runner_up=runner_up, why=tuple(why), search=info
    )


# --- the readable reasons ---


def _yuan(fen: Decimal | int) -> str:
    return f"{fen_to_yuan(int(fen))} yuan"


def describe_raw(term: TermName, raw: Decimal) -> str:
    if term is TermName.FREIGHT:
        return _yuan(raw)
    if term is TermName.DISTANCE:
        return ("same city", "same province", "same region", "national")[int(raw)]
    if term is TermName.DELIVERY:
        return f"{raw} h"
    if term is TermName.UTILISATION:
        return f"{(raw * 100).quantize(Decimal('0.1'))}% busy"
    if term is TermName.STOCK_BALANCE:
        return f"{raw} days of cover"
    return f"{raw} {term.value.replace('_', ' ')}" if term is TermName.PARCELS else f"{raw} policy misses"


def _comparison(chosen: PlanOption, other: PlanOption) -> str:
    better: list[tuple[Decimal, str]] = []
    worse: list[tuple[Decimal, str]] = []
    for mine, theirs in zip(chosen.terms, other.terms, strict=True):
        delta = mine["contribution"] - theirs["contribution"]
        if delta == 0:
            continue
        term = mine["term"]
        text = (
            f"{term.value} {describe_raw(term, mine['raw'])} vs {describe_raw(term, theirs['raw'])} "
            f"({'+' if delta > 0 else ''}{delta})"
        )
        (better if delta < 0 else worse).append((abs(delta), text))
    parts = [t for _, t in sorted(better, reverse=True)]
    line = f"beat {other.label} (score {chosen.score} vs {other.score})"
    if parts:
        line += ": " + "; ".join(parts)
    if worse:
        line += f"; {other.label} was better on " + "; ".join(t for _, t in sorted(worse, reverse=True))
    if not parts and not worse:
        line += ": equal scores, tie broken by freight then node id"
    return line


def _parcel_text(parcel: Parcel, ctx: RoutingContext) -> str:
    lines = ", ".join(f"{x.sku} ×{x.quantity}" for x in parcel.lines)
    promised = parcel.promised_by.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    node = ctx.network.node(parcel.node_id)
    name = f" ({node.name})" if node else ""
    if parcel.carrier_id == "PICKUP":
        return f"{parcel.node_id}{name}: {lines}; ready for pickup by {promised} ({parcel.promised_hours} h)"
    return (
        f"{parcel.node_id}{name}: {lines}; {parcel.carrier_id} {_yuan(parcel.freight_fen)}, "
        f"{parcel.distance_tier.lower().replace('_', ' ')}, promised by {promised} Asia/Shanghai "
        f"({parcel.promised_hours} h, SLA {ctx.sla_hours} h)"
    )


def _plan_reasons(
    outcome: RoutingOutcome,
    chosen: PlanOption,
    runner_up: PlanOption | None,
    info: SearchInfo,
    evaluation: _Evaluation,
    groups: Sequence[Group],
    ctx: RoutingContext,
) -> list[str]:
    why: list[str] = []
    if outcome is RoutingOutcome.ROUTED:
        why.append("ships in one parcel from " + _parcel_text(chosen.parcels[0], ctx))
    else:
        why.append(f"no single node passes every filter for all {len(groups)} line groups; who can take each group:")
        for group in groups:
            takers = [n.node_id for n in evaluation.servable[group.group_id]]
            partial = [n.node_id for n in evaluation.partial[group.group_id]]
            skus = ", ".join(f"{sku} ×{units}" for sku, units in group.demand)
            text = f"  {group.group_id} ({skus}): " + (", ".join(takers) if takers else "no node whole")
            if not takers and partial:
                text += f"; units held by {', '.join(partial)}"
            why.append(text)
        why.append(
            f"split into {len(chosen.parcels)} parcels, the fewest found "
            f"({info.method.value.lower()} search: {info.note}):"
        )
        why += ["  " + _parcel_text(p, ctx) for p in chosen.parcels]
    if runner_up is not None:
        why.append(_comparison(chosen, runner_up))
    else:
        why.append("the only plan that passed every filter")
    others = evaluation.failure_counts({p.node_id for p in chosen.parcels})
    if others:
        why.append("other nodes failed: " + ", ".join(f"{name} ({count})" for name, count in sorted(others.items())))
    return why


def _unplaceable_reasons(result: SplitResult, groups: Sequence[Group], evaluation: _Evaluation) -> list[str]:
    why = ["no plan passes the filters:"]
    for group in groups:
        reason = result.unplaceable.get(group.group_id)
        if reason is None:
            continue
        skus = ", ".join(f"{sku} ×{units}" for sku, units in group.demand)
        nearest = []
        for node in evaluation.nodes:
            failed = [
                v["reason"]
                for v in evaluation.verdicts[node.node_id]
                if not v["passed"] and v["group_id"] in (None, group.group_id)
            ]
            if len(failed) == 1:
                nearest.append(f"{node.node_id}: {failed[0]}")
        text = f"  {group.group_id} ({skus}): {reason}"
        if nearest:
            text += "; closest: " + "; ".join(nearest[:5])
        why.append(text)
    if result.note:
        why.append(result.note)
    return why
