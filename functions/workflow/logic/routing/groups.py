"""Line groups: the lines that must leave together (a main line with its gifts and kit components).

A line with `parent_line_id` joins its parent's group (transitively). A gift without a parent rides with the
first non-gift line of its order, so no parcel holds only gifts. With several merged orders, each order's
lines group separately (a gift belongs to its own order's main item).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from functions.workflow.logic.routing.network import Capability, Network
from schemas.order import FulfilmentMode, Order, OrderLine


@dataclass(frozen=True, slots=True)
class Line:
    order_key: str
    line_id: str
    sku: str
    quantity: int
    is_gift: bool


@dataclass(frozen=True, slots=True)
class Group:
    group_id: str
    lines: tuple[Line, ...]
    demand: tuple[tuple[str, int], ...]  # (sku, units) summed over the group's lines
    weight_g: int
    large: bool
    new_model: bool
    requires: frozenset[Capability]
    splittable: bool


def unknown_skus(orders: Sequence[Order], network: Network) -> list[str]:
    return sorted({line.merchant_sku for o in orders for line in o.lines if network.product(line.merchant_sku) is None})


def _root(line: OrderLine, by_id: dict[str, OrderLine]) -> str:
    seen = {line.line_id}
    while line.parent_line_id and line.parent_line_id not in seen:
        line = by_id[line.parent_line_id]
        seen.add(line.line_id)
    return line.line_id


def required_capabilities(mode: FulfilmentMode, large: bool, install: bool) -> frozenset[Capability]:
    needs: set[Capability] = set()
    if large:
        needs.add(Capability.LARGE_APPLIANCE)
    if mode is FulfilmentMode.PICKUP:
        needs.add(Capability.PICKUP)  # the buyer collects: installation is booked separately, not by the node
    elif install:
        needs.add(Capability.DELIVERY_INSTALL)
    if mode is FulfilmentMode.DROP_SHIP:
        needs.add(Capability.DROP_SHIP)
    return frozenset(needs)


def line_groups(orders: Sequence[Order], network: Network, allow_quantity_split: bool) -> list[Group]:
    """Groups in order of their main line. Every SKU must be in the catalog (checked by the caller)."""
    groups: list[Group] = []
    prefix = len(orders) > 1
    for order in orders:
        by_id = {line.line_id: line for line in order.lines}
        members: dict[str, list[OrderLine]] = {}
        for line in order.lines:
            members.setdefault(_root(line, by_id), []).append(line)
        main = next((root for root in members if not by_id[root].is_gift), None)
        if main is not None:
            for root in [r for r in members if by_id[r].is_gift and r != main]:
                members[main].extend(members.pop(root))
        for root, lines in members.items():
            groups.append(_group(order, root, lines, network, allow_quantity_split, prefix))
    return groups


def _group(
    order: Order, root: str, lines: list[OrderLine], network: Network, allow_quantity_split: bool, prefix: bool
) -> Group:
    demand: dict[str, int] = {}
    weight = 0
    large = install = new_model = False
    for line in lines:
        product = network.product(line.merchant_sku)
        assert product is not None  # unknown SKUs are refused before grouping
        demand[line.merchant_sku] = demand.get(line.merchant_sku, 0) + line.quantity
        weight += product.weight_g * line.quantity
        large |= product.large_appliance
        install |= product.needs_installation
        new_model |= product.new_model
    return Group(
        group_id=f"{order.channel_order_id}/{root}" if prefix else root,
        lines=tuple(Line(order.order_key, x.line_id, x.merchant_sku, x.quantity, x.is_gift) for x in lines),
        demand=tuple(sorted(demand.items())),
        weight_g=weight,
        large=large,
        new_model=new_model,
        requires=required_capabilities(order.fulfilment_mode, large, install),
        splittable=allow_quantity_split and len(lines) == 1 and lines[0].quantity > 1,
    )
