"""Splitting an order no single node can take: fewest parcels first, then the lowest score.

Each line group goes whole to one node that passes every filter for it. A group no node can take whole may
be spread over several nodes only if it is a single line (`splittable`); kits and gifts never leave their
main item. Two searches:

- EXACT: every assignment of groups to nodes (and, for a split line, every set of up to `max_parcels` nodes
  whose stock covers it with every division of its units) is enumerated when their number is at most the
  policy's `exact_search_max_plans`. Optimal for the model.
- GREEDY beyond that: set cover (take the node that can ship the most remaining groups, ties to the least
  added freight), then split lines fill nodes already in the plan first, then one improvement pass that
  moves single groups between nodes and tries to empty whole parcels. Linear in nodes x groups per round;
  not guaranteed optimal (`localhub/bench_routing.py` measures the gap on instances small enough to solve
  exhaustively).
"""

import itertools
import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from functions.workflow.logic.routing.context import Draft, RoutingContext, Take
from functions.workflow.logic.routing.decision import SearchMethod
from functions.workflow.logic.routing.groups import Group
from functions.workflow.logic.routing.network import Node
from functions.workflow.logic.routing.scoring import Scored, score

NO_CARRIER = sys.maxsize  # sorts a node no carrier can serve last

# How a group ships: whole to one node (units None), or a single line's units over several nodes.
Option = tuple[tuple[Node, int | None], ...]


@dataclass
class SplitResult:
    plans: list[Scored]  # best first
    method: SearchMethod
    evaluated: int = 0
    note: str = ""
    unplaceable: dict[str, str] = field(default_factory=dict)  # group id -> why no node set can ship it


def _takes(group: Group, units: int | None) -> list[Take]:
    if units is None:
        return [(line, line.quantity) for line in group.lines]
    return [(group.lines[0], units)]


def assemble(assignment: Sequence[tuple[Group, Option]], ctx: RoutingContext) -> list[Draft] | None:
    """Parcels for an assignment, or None if a node's stock cannot cover everything sent to it or no carrier
    takes one of the parcels."""
    by_node: dict[str, tuple[Node, list[Take]]] = {}
    for group, option in assignment:
        for node, units in option:
            by_node.setdefault(node.node_id, (node, []))[1].extend(_takes(group, units))
    drafts = []
    for node_id in sorted(by_node):
        node, takes = by_node[node_id]
        need: dict[str, int] = {}
        for line, quantity in takes:
            need[line.sku] = need.get(line.sku, 0) + quantity
        if any(ctx.stock(sku, node_id) < units for sku, units in need.items()):
            return None
        draft = ctx.draft(node, tuple(takes))
        if draft is None:
            return None
        drafts.append(draft)
    return drafts


def _unit_freight(node: Node, group: Group, ctx: RoutingContext) -> int:
    product = ctx.product(group.lines[0].sku)
    carried = ctx.freight(node, product.weight_g, product.large_appliance)
    return carried[1] if carried else NO_CARRIER


def _divisions(units: int, caps: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Every way to give each slot at least 1 and at most its cap, summing to `units`."""
    if len(caps) == 1:
        if 1 <= units <= caps[0]:
            yield (units,)
        return
    rest_max = sum(caps[1:])
    for first in range(max(1, units - rest_max), min(caps[0], units - len(caps) + 1) + 1):
        for tail in _divisions(units - first, caps[1:]):
            yield (first, *tail)


def _split_options(group: Group, nodes: Sequence[Node], ctx: RoutingContext, budget: int) -> Iterator[Option]:
    """Every set of 2..max_parcels nodes whose stock covers the line, with every division of its units; stops
    after `budget` options (the caller then falls back to greedy)."""
    line = group.lines[0]
    ordered = sorted(nodes, key=lambda n: (_unit_freight(n, group, ctx), n.node_id))
    produced = 0
    for size in range(2, min(ctx.policy.split.max_parcels, len(ordered)) + 1):
        for subset in itertools.combinations(ordered, size):
            caps = [ctx.stock(line.sku, node.node_id) for node in subset]
            for division in _divisions(line.quantity, caps):
                produced += 1
                yield tuple(zip(subset, division, strict=True))
                if produced > budget:
                    return


def search(
    groups: Sequence[Group],
    servable: Mapping[str, Sequence[Node]],
    partial: Mapping[str, Sequence[Node]],
    ctx: RoutingContext,
) -> SplitResult:
    """`servable`: nodes passing every filter for the whole group; `partial`: nodes passing every filter but
    stock and holding some units (used only for splittable groups no node can take whole)."""
    policy = ctx.policy.split
    unplaceable = {}
    options: list[list[Option]] = []
    for group in groups:
        whole: list[Option] = [((node, None),) for node in servable[group.group_id]]
        if whole:
            options.append(whole)
        elif not group.splittable:
            unplaceable[group.group_id] = (
                "no node passes every filter for it and kits/gifts or single units never split"
            )
        else:
            split = list(_split_options(group, partial[group.group_id], ctx, policy.exact_search_max_plans))
            if not split:
                unplaceable[group.group_id] = (
                    f"no set of up to {policy.max_parcels} nodes that pass the other filters holds enough units"
                )
            options.append(split)
    if unplaceable:
        return SplitResult([], SearchMethod.NONE, unplaceable=unplaceable)
    count = math.prod(len(o) for o in options)
    if count <= policy.exact_search_max_plans:
        return _exact(groups, options, ctx, count)
    return _greedy(groups, servable, partial, ctx, count)


def _keep(scored: list[Scored], ctx: RoutingContext) -> list[Scored]:
    return sorted(scored, key=lambda s: s.key)[: ctx.policy.options_kept]


def _exact(groups: Sequence[Group], options: list[list[Option]], ctx: RoutingContext, count: int) -> SplitResult:
    max_parcels = ctx.policy.split.max_parcels
    fewest = max_parcels
    found: list[Scored] = []
    evaluated = 0
    for combo in itertools.product(*options):
        parcels = len({node.node_id for option in combo for node, _ in option})
        if parcels > fewest:
            continue
        drafts = assemble(list(zip(groups, combo, strict=True)), ctx)
        if drafts is None:
            continue
        evaluated += 1
        if parcels < fewest:
            fewest = parcels
            found = [s for s in found if len(s.drafts) <= fewest]
        found.append(score(drafts, ctx))
    note = f"{count} assignments enumerated, {evaluated} feasible within {max_parcels} parcels"
    if not found:
        note = f"no assignment of {count} fits the nodes' stock within {max_parcels} parcels"
    return SplitResult(_keep(found, ctx), SearchMethod.EXACT, evaluated, note)


def _fits(load: dict[str, int], group: Group, node: Node, ctx: RoutingContext) -> bool:
    return all(load.get(sku, 0) + units <= ctx.stock(sku, node.node_id) for sku, units in group.demand)


def _greedy(
    groups: Sequence[Group],
    servable: Mapping[str, Sequence[Node]],
    partial: Mapping[str, Sequence[Node]],
    ctx: RoutingContext,
    count: int,
) -> SplitResult:
    chosen: dict[str, Option] = {}
    load: dict[str, dict[str, int]] = {}
    nodes_by_id = {n.node_id: n for g in groups for n in (*servable[g.group_id], *partial[g.group_id])}
    servable_ids = {gid: {n.node_id for n in nodes} for gid, nodes in servable.items()}
    remaining = sorted((g for g in groups if servable[g.group_id]), key=lambda g: (-g.weight_g, g.group_id))
    while remaining:
        best: tuple[tuple[int, int, str], Node, list[Group]] | None = None
        for node_id in sorted({n.node_id for g in remaining for n in servable[g.group_id]}):
            node = nodes_by_id[node_id]
            trial = dict(load.get(node_id, {}))
            take = []
            for group in remaining:
                if node_id in servable_ids[group.group_id] and _fits(trial, group, node, ctx):
                    take.append(group)
                    for sku, units in group.demand:
                        trial[sku] = trial.get(sku, 0) + units
            if not take:
                continue
            weight = sum(g.weight_g for g in take)
            carried = ctx.freight(node, weight, any(g.large for g in take))
            key = (-len(take), carried[1] if carried else NO_CARRIER, node_id)
            if best is None or key < best[0]:
                best = (key, node, take)
        if best is None:
            break  # what is left collides on stock with groups already placed: split below, or fail
        _, node, take = best
        for group in take:
            chosen[group.group_id] = ((node, None),)
            for sku, units in group.demand:
                load.setdefault(node.node_id, {})[sku] = load.get(node.node_id, {}).get(sku, 0) + units
        remaining = [g for g in remaining if g.group_id not in chosen]
    unplaceable = {}
    for group in groups:
        if group.group_id in chosen:
            continue
        option = _fill(group, partial[group.group_id], load, ctx) if group.splittable else None
        if option is None:
            unplaceable[group.group_id] = "no node (or set of nodes) has the units left after the other groups"
        else:
            chosen[group.group_id] = option
    if unplaceable:
        return SplitResult([], SearchMethod.GREEDY, unplaceable=unplaceable)
    plan = [(g, chosen[g.group_id]) for g in groups]
    best_drafts = assemble(plan, ctx)
    if best_drafts is None or len(best_drafts) > ctx.policy.split.max_parcels:
        return SplitResult(
            [], SearchMethod.GREEDY, note=f"greedy found no plan within {ctx.policy.split.max_parcels} parcels"
        )
    tried = [score(best_drafts, ctx)]
    plan, tried = _improve(plan, servable, tried, ctx)
    note = (
        f"{count} assignments exceed the exact-search limit; greedy set cover + improvement ({len(tried)} plans scored)"
    )
    return SplitResult(_keep(tried, ctx), SearchMethod.GREEDY, len(tried), note)


def _fill(group: Group, nodes: Sequence[Node], load: dict[str, dict[str, int]], ctx: RoutingContext) -> Option | None:
    """A split line's units over nodes already in the plan first, then the ones holding the most."""
    line = group.lines[0]

    def left(node: Node) -> int:
        return ctx.stock(line.sku, node.node_id) - load.get(node.node_id, {}).get(line.sku, 0)

    ordered = sorted(nodes, key=lambda n: (n.node_id not in load, -left(n), n.node_id))
    option, needed = [], line.quantity
    for node in ordered:
        units = min(needed, left(node))
        if units > 0:
            option.append((node, units))
            needed -= units
        if needed == 0:
            return tuple(option)
    return None


def _improve(
    plan: list[tuple[Group, Option]],
    servable: Mapping[str, Sequence[Node]],
    tried: list[Scored],
    ctx: RoutingContext,
) -> tuple[list[tuple[Group, Option]], list[Scored]]:
    """Move one whole group at a time to another servable node; keep a move that improves the plan."""
    best = tried[0]
    for index, (group, option) in enumerate(plan):
        if option[0][1] is not None:
            continue  # a split line stays as filled
        for node in servable[group.group_id]:
            if node.node_id == option[0][0].node_id:
                continue
            trial = [*plan[:index], (group, ((node, None),)), *plan[index + 1 :]]
            drafts = assemble(trial, ctx)
            if drafts is None or len(drafts) > ctx.policy.split.max_parcels:
                continue
            scored = score(drafts, ctx)
            tried.append(scored)
            if scored.key < best.key:
                best, plan = scored, trial
    return plan, tried
