"""What one routing call works with: the destination, the snapshot, and parcel drafts priced on the fly."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, cast

from functions.workflow.logic.routing.geography import DistanceTier, distance_tier
from functions.workflow.logic.routing.groups import Line
from functions.workflow.logic.routing.network import Network, NetworkIndex, Node, Product
from functions.workflow.logic.routing.policy import RoutingPolicy
from schemas.order import FulfilmentMode

if TYPE_CHECKING:
    from functions.workflow.logic.routing.scoring import TermTable

PICKUP_CARRIER = "PICKUP"  # the buyer collects: no carrier, no freight
_UNPRICED = object()  # not looked up yet (None means no carrier takes the parcel)

Take = tuple[Line, int]  # a line and the units of it in one parcel


class Contents(NamedTuple):
    """What goes in one parcel, before a node is chosen (the whole order's is the same at every node)."""

    takes: tuple[Take, ...]
    units: tuple[tuple[str, int], ...]  # (sku, units) summed over the takes
    weight_g: int
    large: bool
    new_model: bool


class Draft(NamedTuple):
    """One parcel of a plan, priced (a NamedTuple: immutable, and quick to make for every node and plan)."""

    node: Node
    contents: Contents
    carrier_id: str
    freight_fen: int
    tier: DistanceTier
    promised_hours: int

    @property
    def takes(self) -> tuple[Take, ...]:
        return self.contents.takes

    @property
    def weight_g(self) -> int:
        return self.contents.weight_g

    @property
    def new_model(self) -> bool:
        return self.contents.new_model


@dataclass
class RoutingContext:
    network: Network
    policy: RoutingPolicy
    available: Mapping[tuple[str, str], int]
    now: datetime
    channel: str
    mode: FulfilmentMode
    province: str
    city: str | None
    sla_hours: int
    index: NetworkIndex = field(init=False)
    _freight: dict[tuple[int, int, bool], tuple[str, int] | None] = field(default_factory=dict)
    _tiers: dict[str, DistanceTier] = field(default_factory=dict)
    _transit_hours: dict[tuple[DistanceTier, bool], int] = field(default_factory=dict)
    term_table: "TermTable | None" = None  # scoring's per-call cache, made on first use

    def __post_init__(self) -> None:
        self.index = self.network.index

    def product(self, sku: str) -> Product:
        return self.index.products[sku]  # unknown SKUs are refused before any lookup

    def covers(self, node: Node) -> bool:
        return self.province in self.index.coverage[node.node_id]

    def stock(self, sku: str, node_id: str) -> int:
        return max(0, self.available.get((sku, node_id), 0))

    def freight(self, node: Node, weight_g: int, large: bool) -> tuple[str, int] | None:
        lanes = self.index.node_lanes(node, self.province)
        key = (lanes.key, weight_g, large)
        found = self._freight.get(key, _UNPRICED)
        if found is _UNPRICED:
            found = self._freight[key] = self.index.cheapest_on(lanes.lanes, weight_g, large)
        return cast(tuple[str, int] | None, found)

    def tier(self, node: Node) -> DistanceTier:
        found = self._tiers.get(node.node_id)
        if found is None:
            found = distance_tier(node.province, node.city, self.province, self.city, self.index.region_of)
            self._tiers[node.node_id] = found
        return found

    def contents(self, takes: tuple[Take, ...]) -> Contents:
        units: dict[str, int] = {}
        weight = 0
        large = new_model = False
        for line, quantity in takes:
            product = self.product(line.sku)
            units[line.sku] = units.get(line.sku, 0) + quantity
            weight += product.weight_g * quantity
            large |= product.large_appliance
            new_model |= product.new_model
        return Contents(takes, tuple(units.items()), weight, large, new_model)

    def draft(self, node: Node, takes: tuple[Take, ...]) -> Draft | None:
        """The parcel priced, or None when no carrier at the node takes it."""
        return self.priced(node, self.contents(takes))

    def priced(self, node: Node, contents: Contents) -> Draft | None:
        """`draft` for contents worked out once (the whole order, tried at every node)."""
        if self.mode is FulfilmentMode.PICKUP:
            return Draft(node, contents, PICKUP_CARRIER, 0, DistanceTier.SAME_CITY, node.handling_hours)
        large = contents.large
        carried = self.freight(node, contents.weight_g, large)
        if carried is None:
            return None
        tier = self.tier(node)
        transit = self._transit_hours.get((tier, large))
        if transit is None:
            delivery = self.policy.delivery
            days = delivery.transit_days.for_tier(tier) + (delivery.large_appliance_extra_days if large else 0)
            transit = self._transit_hours[(tier, large)] = 24 * days
        return Draft(node, contents, carried[0], carried[1], tier, node.handling_hours + transit)
