"""Hard filters: every candidate node gets a verdict and a reason from every filter, pass or fail.

Node filters (active, channel, capacity, coverage) are about the node alone; group filters (capability,
carrier, stock) are per line group. All are evaluated even after one fails, so a decision shows every
reason a node was out, not just the first.

Verdicts are built directly as the decision's `FilterVerdict` dicts (hundreds per decision). What is the same
for many nodes is worked out once: node verdicts per network (pure in node, channel, province and mode), and per
routing call the capability verdict per distinct capability set, the carrier verdict per distinct set of
carriers and rate rows (`Lanes.key`), and the texts that do not depend on the node.
"""

from collections.abc import Sequence
from typing import cast

from functions.workflow.logic.routing.context import RoutingContext
from functions.workflow.logic.routing.decision import FilterName, FilterVerdict
from functions.workflow.logic.routing.groups import Group
from functions.workflow.logic.routing.network import Capability, Node
from schemas.money import fen_to_yuan
from schemas.order import FulfilmentMode

NodeVerdicts = tuple[tuple[FilterVerdict, ...], bool]  # the node's own verdicts, and whether all passed


def verdict(name: FilterName, group_id: str | None, passed: bool, reason: str) -> FilterVerdict:
    return {"filter": name, "group_id": group_id, "passed": passed, "reason": reason}


def node_verdicts(node: Node, ctx: RoutingContext) -> NodeVerdicts:
    """Memoised per network; callers copy the dicts they put in a decision (the memo must not be shared)."""
    key = ("node_verdicts", node.node_id, ctx.channel, ctx.province, ctx.mode)
    found = ctx.index.memo.get(key)
    if found is None:
        verdicts = _node_verdicts(node, ctx)
        found = ctx.index.memo[key] = (verdicts, all(v["passed"] for v in verdicts))
    return cast(NodeVerdicts, found)


def _node_verdicts(node: Node, ctx: RoutingContext) -> tuple[FilterVerdict, ...]:
    channels = node.channels
    if ctx.mode is FulfilmentMode.PICKUP:
        coverage = verdict(FilterName.COVERAGE, None, True, "not applicable: the buyer collects at the store")
    elif ctx.covers(node):
        coverage = verdict(FilterName.COVERAGE, None, True, f"ships to {ctx.province}")
    else:
        coverage = verdict(
            FilterName.COVERAGE, None, False, f"does not ship to {ctx.province} (covers {', '.join(node.coverage)})"
        )
    if channels is None:
        channel = verdict(FilterName.CHANNEL, None, True, "serves every channel")
    else:
        serves = ctx.channel in channels
        reason = (
            f"{'serves' if serves else 'does not serve'} {ctx.channel} (reserved for {', '.join(sorted(channels))})"
        )
        channel = verdict(FilterName.CHANNEL, None, serves, reason)
    room = node.backlog < node.daily_capacity
    return (
        verdict(FilterName.ACTIVE, None, node.active, "active" if node.active else "inactive (switched off)"),
        channel,
        verdict(
            FilterName.CAPACITY,
            None,
            room,
            f"backlog {node.backlog} of {node.daily_capacity} a day" + ("" if room else ": full for today"),
        ),
        coverage,
    )


class GroupFilter:
    """The group filters for one line group in one routing call, with the node-independent parts built once."""

    __slots__ = ("_capability", "_carrier", "_ctx", "_in_stock", "_parcel", "group", "group_id")

    def __init__(self, group: Group, ctx: RoutingContext) -> None:
        self.group = group
        self.group_id = group.group_id
        self._ctx = ctx
        kind = "bulky" if group.large else "small"
        self._parcel = f"{group.weight_g / 1000:g} kg ({kind}) to {ctx.province}"
        self._in_stock = "in stock: " + ", ".join(f"{sku} ×{units}" for sku, units in group.demand)
        self._capability: dict[frozenset[Capability], tuple[bool, str]] = {}
        self._carrier: dict[int, tuple[bool, str]] = {}  # by the node's lane key

    def verdicts(self, node: Node) -> tuple[list[FilterVerdict], bool, bool]:
        """(capability, carrier and stock verdicts; all passed; capability and carrier passed)."""
        ctx, group, gid = self._ctx, self.group, self.group_id
        capable = self._capability.get(node.capabilities)
        if capable is None:
            missing = group.requires - node.capabilities
            if missing:
                capable = (False, f"lacks {', '.join(sorted(missing))}")
            elif group.requires:
                capable = (True, f"has {', '.join(sorted(group.requires))}")
            else:
                capable = (True, "needs no special capability")
            self._capability[node.capabilities] = capable
        if ctx.mode is FulfilmentMode.PICKUP:
            carried_ok, carrier_reason = True, "collected at the store: no carrier"
        else:
            lanes = ctx.index.node_lanes(node, ctx.province).key  # nodes with the same lanes: the same verdict
            carrier = self._carrier.get(lanes)
            if carrier is None:
                carried = ctx.freight(node, group.weight_g, group.large)
                if carried is None:
                    carrier = (False, f"no carrier at the node takes {self._parcel}")
                else:
                    carrier = (True, f"{carried[0]} takes {self._parcel} for {fen_to_yuan(carried[1])} yuan")
                self._carrier[lanes] = carrier
            carried_ok, carrier_reason = carrier
        stock = stock_verdict(node, group.demand, ctx, gid, self._in_stock)
        routed = capable[0] and carried_ok
        return (
            [
                {"filter": FilterName.CAPABILITY, "group_id": gid, "passed": capable[0], "reason": capable[1]},
                {"filter": FilterName.CARRIER, "group_id": gid, "passed": carried_ok, "reason": carrier_reason},
                stock,
            ],
            routed and stock["passed"],
            routed,
        )


def stock_verdict(
    node: Node, demand: Sequence[tuple[str, int]], ctx: RoutingContext, gid: str | None, in_stock: str
) -> FilterVerdict:
    available = ctx.available
    node_id = node.node_id
    short: list[str] | None = None
    for sku, units in demand:
        have = available.get((sku, node_id), 0)
        if have < units:
            if short is None:
                short = []
            short.append(f"{sku} {max(0, have)} of {units}")
    if short:
        return {"filter": FilterName.STOCK, "group_id": gid, "passed": False, "reason": "short: " + ", ".join(short)}
    return {"filter": FilterName.STOCK, "group_id": gid, "passed": True, "reason": in_stock}


def order_demand(groups: Sequence[Group]) -> list[tuple[str, int]]:
    totals: dict[str, int] = {}
    for group in groups:
        for sku, units in group.demand:
            totals[sku] = totals.get(sku, 0) + units
    return sorted(totals.items())


def shares_skus(groups: Sequence[Group]) -> bool:
    skus = [sku for group in groups for sku, _ in group.demand]
    return len(skus) != len(set(skus))
