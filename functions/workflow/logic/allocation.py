"""Where to reserve an order: one node fills the whole order (no split shipments yet).

Candidates are the active nodes, same province as the receiver first, then by priority (lower first), then
by node id so the order is stable. Nodes a stock snapshot shows cannot fill every line go last rather than
being dropped: the snapshot may be stale, the transaction is the ground truth.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from schemas.order import Order


@dataclass(frozen=True)
class NodeInfo:
    node_id: str
    province: str
    priority: int
    active: bool = True


@dataclass(frozen=True)
class Demand:
    sku: str
    quantity: int


def demand(order: Order) -> list[Demand]:
    """The order's lines as quantities per SKU (two lines of one SKU become one), gifts included."""
    totals: dict[str, int] = {}
    for line in order.lines:
        totals[line.merchant_sku] = totals.get(line.merchant_sku, 0) + line.quantity
    return [Demand(sku, quantity) for sku, quantity in sorted(totals.items())]


def can_fill(node_id: str, lines: Sequence[Demand], available: Mapping[tuple[str, str], int]) -> bool:
    return all(available.get((line.sku, node_id), 0) >= line.quantity for line in lines)


def rank_nodes(
    nodes: Iterable[NodeInfo],
    province: str | None,
    lines: Sequence[Demand] = (),
    available: Mapping[tuple[str, str], int] | None = None,
) -> list[NodeInfo]:
    """Candidate nodes, best first."""

    def key(node: NodeInfo) -> tuple[int, int, int, str]:
        fills = 0 if available is None or can_fill(node.node_id, lines, available) else 1
        same_province = 0 if province and node.province == province else 1
        return (fills, same_province, node.priority, node.node_id)

    return sorted((node for node in nodes if node.active), key=key)


def shortages(lines: Sequence[Demand], available: Mapping[tuple[str, str], int]) -> list[tuple[str, int, int]]:
    """Per SKU that no single node can fill: (sku, requested, the most any one node has)."""
    result = []
    for line in lines:
        best = max((qty for (sku, _), qty in available.items() if sku == line.sku), default=0)
        if best < line.quantity:
            result.append((line.sku, line.quantity, max(best, 0)))
    return result
